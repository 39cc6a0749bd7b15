// Package analysis judges a negotiation problem and its outcomes: the exact
// Pareto frontier, the Nash and Kalai–Smorodinsky solutions (textbook and the
// GENIUS variants, each named for what it computes), maximum social welfare,
// the egalitarian point, opposition, and distances of any agreement to the
// frontier and to Nash.
//
// [Analyze] enumerates an enumerable outcome space once, keeps only the
// outcomes that may still be Pareto-optimal (in flat arrays of dense indices
// and utilities, never one slice per outcome), and derives every solution
// concept from the frontier ([Solve]). Every definition, with its source and
// its tie rule, is in docs/analysis.md.
package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// DefaultMaxPoints is the number of mutually non-dominated candidates
// [Analyze] holds at most unless Options says otherwise: 4 Mi points.
const DefaultMaxPoints = 1 << 22

// ErrFrontierTooLarge is returned (wrapped) when the Pareto frontier, or a
// set of mutually non-dominated candidates met on the way to it, holds more
// points than Options.MaxPoints allows. Raise MaxPoints, or use a
// non-enumerating frontier algorithm.
var ErrFrontierTooLarge = errors.New("analysis: the Pareto frontier is too large to hold")

// Options says which outcomes count and how much work Analyze may do. The
// zero value honours red lines and feasibility rules, enumerates up to
// outcome.MaxEnumerable outcomes and holds up to DefaultMaxPoints frontier
// points.
type Options struct {
	// IgnoreConstraints drops every party's red lines and the space's
	// feasibility rules: the "linear utilities only" reading that GENIUS can
	// express. Report.Feasible still counts the outcomes that satisfy the
	// rules.
	IgnoreConstraints bool
	// Limit is the largest outcome count Analyze enumerates; 0 means
	// outcome.MaxEnumerable. A larger space gives an error wrapping
	// outcome.ErrTooLarge.
	Limit int64
	// MaxPoints bounds the frontier (and the candidate sets held while
	// computing it); 0 means DefaultMaxPoints. Exceeding it gives an error
	// wrapping ErrFrontierTooLarge.
	MaxPoints int

	// enumerate makes Analyze take its enumerating path even where the
	// additive one applies (the tests compare the two).
	enumerate bool
	// samples replaces Samples in Auto's estimates when positive (the
	// tests draw fewer).
	samples int
}

// Point is an outcome together with every party's utility of it, in party
// order. Points handed out by this package are read-only.
type Point struct {
	Outcome outcome.Outcome
	Utility []float64
}

// Report is the analysis of one outcome space under one list of profiles.
//
// The admissible outcomes are those the options let count: with constraints
// honoured, the outcomes that satisfy every feasibility rule and cross no
// party's red line; with IgnoreConstraints, all outcomes. The frontier and
// every solution are taken over the admissible outcomes; an outcome is
// acceptable to all when it is admissible and every party's utility reaches
// its reservation value (uᵢ ≥ rvᵢ within preference.Tolerance).
//
// A Report is read-only once Analyze returns it and safe for concurrent use;
// it keeps the space and profiles it was made from (for Distribution), which
// must not change afterwards.
type Report struct {
	// Parties is the number of profiles analysed.
	Parties int
	// IgnoredConstraints records Options.IgnoreConstraints.
	IgnoredConstraints bool
	// Outcomes counts every outcome of the space.
	Outcomes int64
	// Feasible counts the outcomes that satisfy every feasibility rule
	// (whatever the options say).
	Feasible int64
	// Admissible counts the admissible outcomes (see the type's comment).
	Admissible int64
	// Acceptable counts the outcomes acceptable to all parties.
	Acceptable int64
	// Reservation holds each party's reservation value.
	Reservation []float64
	// Pareto is the exact Pareto frontier over the admissible outcomes: every
	// outcome that no admissible outcome weakly improves for all parties and
	// strictly for one. Outcomes with equal utility vectors all stay (as in
	// GENIUS). Sorted by party 0's utility ascending, then party 1's, …;
	// outcomes with equal utility vectors in GENIUS 10.4's enumeration order
	// (the first issue's value varies fastest, so the last issue's value is
	// compared first). For two parties, party 1's utility descends along it.
	Pareto []Point
	// Solutions holds the solution concepts taken over Pareto (see Solve).
	Solutions
	// Enumerated is true when every outcome was enumerated (Analyze); false
	// when Auto took the issue-by-issue path, whose counts are −1.
	Enumerated bool
	// Epsilon is the additive bound of an approximate frontier (Auto on a
	// frontier too large to hold); 0 when the frontier is exact.
	Epsilon float64
	// AcceptableEstimate and DistributionEstimate estimate the zone of
	// agreement (in outcomes) and the ANL distribution where Auto did not
	// enumerate (nil otherwise, or when they could not be estimated).
	AcceptableEstimate, DistributionEstimate *Estimate
	// Omitted names each figure Auto left out or could not take exactly
	// without enumerating, with the reason (nil when it enumerated).
	Omitted map[string]string
	// Opposition is the smallest Euclidean distance from an admissible
	// outcome's utility vector to (1, …, 1) (GENIUS 10.4's "opposition",
	// MultilateralAnalysis); +Inf if no outcome is admissible. ANL 2023's
	// differs: see Solutions.OppositionANL.
	Opposition float64

	sc scanner // what Distribution enumerates again

	// distribution is Distribution's value when Analyze computed it on
	// the way (hasDistribution).
	distribution    float64
	hasDistribution bool
	// box holds the smallest and largest u₀ and u₁ of the admissible
	// outcomes (two parties, enumerating path): where Distribution's
	// nearestGrid goes.
	box [4]float64
}

// Analyze enumerates every outcome of sp and returns its analysis under the
// given profiles (one per party, in party order, each already prepared for
// sp with Profile.Prepare: an unprepared profile is a programmer error).
//
// It returns an error wrapping outcome.ErrTooLarge if sp has more outcomes
// than opts.Limit, one wrapping ErrFrontierTooLarge if the frontier outgrows
// opts.MaxPoints, ctx.Err() if ctx is cancelled (checked every 65,536
// outcomes), and an error naming the profile if a profile does not fit sp.
//
// Cost: memory O(frontier + candidates), never O(N). Two linear-additive
// parties (every GENIUS scenario; rules and red lines allowed): the
// frontier's distinct vectors issue by issue, then one pass over the N
// outcomes that also computes the ANL distribution, O(N·c) for c (one or
// two) candidate nearest points per outcome (analyzeAdditive2). Other
// two-party problems (custom utilities): two passes over the N outcomes; the first records, in 4,096 cells of u₀, the best u₁
// of each cell, and the second keeps only the outcomes that no point of a
// higher cell dominates; the few candidates are then reduced by a sort and
// a sweep, O(c log c) (Kung, Luccio & Preparata 1975). More
// linear-additive parties: the frontier's distinct vectors issue by issue,
// then one pass over the N outcomes that counts and collects every outcome
// tied with a frontier vector (analyzeAdditiveN). Other n-party problems:
// one pass; an outcome one of 16 pivot frontier points dominates is dropped
// at once, the rest are compacted by sort-filter-skyline, O(c log c +
// c·F·n) (Chomicki, Godfrey, Gryz & Liang 2003). Utilities come from prefix sums
// that are bit-identical to Profile.Utility.
func Analyze(ctx context.Context, sp *outcome.Space, profiles []*preference.Profile, opts Options) (*Report, error) {
	if sp == nil {
		return nil, errors.New("analysis: no outcome space given")
	}
	n := len(profiles)
	if n == 0 {
		return nil, errors.New("analysis: no profiles given; pass one per party")
	}
	for i, p := range profiles {
		if err := checkProfile(sp, p); err != nil {
			return nil, fmt.Errorf("analysis: party %d: %w", i+1, err)
		}
	}
	if err := sp.CheckEnumerable(opts.Limit); err != nil {
		return nil, fmt.Errorf("analysis: %w; analyse a smaller space or raise the limit", err)
	}
	maxPts := opts.MaxPoints
	if maxPts <= 0 {
		maxPts = DefaultMaxPoints
	}
	r := &Report{Parties: n, IgnoredConstraints: opts.IgnoreConstraints, Opposition: math.Inf(1), Enumerated: true}
	r.Reservation = make([]float64, n)
	for i, p := range profiles {
		r.Reservation[i] = p.Reservation
	}

	sc := scanner{sp: sp, profiles: profiles, ignore: opts.IgnoreConstraints}
	sc.redLines = !opts.IgnoreConstraints && anyRedLines(profiles)
	r.sc = sc
	if !opts.enumerate && linear2(sp, profiles) {
		err := analyzeAdditive2(ctx, sp, profiles, opts.IgnoreConstraints, maxPts, r)
		if err == nil {
			r.Solutions = Solve(r.Pareto, r.Reservation)
			return r, nil
		}
		if !errors.Is(err, errNotAdditive) {
			return nil, err
		}
	}
	if !opts.enumerate && additiveN(sp, profiles, opts) {
		err := analyzeAdditiveN(ctx, sp, profiles, maxPts, r)
		if err == nil {
			r.Solutions = Solve(r.Pareto, r.Reservation)
			return r, nil
		}
		if !errors.Is(err, errNotAdditive) {
			return nil, err
		}
		r.Admissible, r.Acceptable, r.Outcomes, r.Feasible = 0, 0, 0, 0
	}
	c := newCandidates(sp, n, maxPts)
	c.ctx = ctx
	bestOpp := math.Inf(1)
	var grid *grid2
	if n == 2 {
		grid = newGrid2(profiles[0])
		r.box = [4]float64{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	}
	var addErr error
	err := sc.run(ctx, func(idx int64, u []float64) {
		r.Admissible++
		acc := true
		var d float64
		for i, p := range profiles {
			acc = acc && p.Reaches(u[i])
			d += (1 - u[i]) * (1 - u[i])
		}
		if acc {
			r.Acceptable++
		}
		bestOpp = min(bestOpp, d)
		if grid != nil {
			grid.observe(u[0], u[1])
			r.box = [4]float64{min(r.box[0], u[0]), max(r.box[1], u[0]), min(r.box[2], u[1]), max(r.box[3], u[1])}
		} else if addErr == nil {
			addErr = c.add(idx, u)
		}
	}, &r.Outcomes, &r.Feasible)
	if err == nil && grid != nil && r.Admissible > 0 {
		// Second pass: only the outcomes no point of a higher u₀ cell
		// dominates can be on the frontier.
		grid.finish()
		err = sc.run(ctx, func(idx int64, u []float64) {
			if addErr == nil && grid.mayBeOptimal(u[0], u[1]) {
				addErr = c.add(idx, u)
			}
		}, nil, nil)
	}
	if err == nil {
		err = addErr
	}
	if err != nil {
		return nil, err
	}
	if err := c.compact(); err != nil {
		return nil, err
	}
	r.Opposition = math.Sqrt(bestOpp)
	r.Pareto = c.points(sp)
	r.Solutions = Solve(r.Pareto, r.Reservation)
	return r, nil
}

func checkProfile(sp *outcome.Space, p *preference.Profile) error {
	if p == nil {
		return errors.New("nil profile")
	}
	if p.Custom == nil && len(p.Issues) != sp.NumIssues() {
		return fmt.Errorf("profile %q has %d issues, the space has %d; prepare it for this space", p.Name, len(p.Issues), sp.NumIssues())
	}
	if p.RedLines != nil && len(p.RedLines) != sp.NumIssues() {
		return fmt.Errorf("profile %q: red lines cover %d issues, the space has %d", p.Name, len(p.RedLines), sp.NumIssues())
	}
	if p.Custom == nil {
		for i := range p.Issues {
			if len(p.Issues[i].Eval) != sp.Issues[i].Len() {
				return fmt.Errorf("profile %q: issue %q has %d evaluations for %d values", p.Name, sp.Issues[i].Name, len(p.Issues[i].Eval), sp.Issues[i].Len())
			}
		}
	}
	return nil
}

func anyRedLines(ps []*preference.Profile) bool {
	for _, p := range ps {
		if p.HasRedLines() {
			return true
		}
	}
	return false
}

// Utilities writes every profile's utility of o into dst (grown to
// len(profiles)) and returns it: the utility vector of an agreement, ready
// for the distance methods of Report.
func Utilities(profiles []*preference.Profile, o outcome.Outcome, dst []float64) []float64 {
	dst = dst[:0]
	for _, p := range profiles {
		dst = append(dst, p.Utility(o))
	}
	return dst
}

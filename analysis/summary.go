package analysis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// maxTied bounds the outcomes a solution concept of [Summarize] may tie on
// (equal criterion and welfare) before it gives up and asks for the frontier.
const maxTied = 1 << 16

// ErrTooManyTies is returned (wrapped) by Summarize when a solution concept
// ties on more than 65,536 outcomes; Analyze computes such problems.
var ErrTooManyTies = errors.New("analysis: too many outcomes tie on one solution concept")

// Summary holds the figures of a negotiation problem that need no Pareto
// frontier: the counts, the reservation values, and the solution concepts
// taken over the acceptable outcomes (Nash, Kalai–Smorodinsky, egalitarian,
// maximum welfare) and GENIUS's maximum welfare over all admissible
// outcomes. Each is the point Analyze followed by Solve reports, the same
// outcome and the same utilities (bit for bit): see [Summarize].
//
// Summary does not hold GENIUS's Nash and Kalai points (their criteria are
// not monotone, so they need the frontier) nor the frontier itself; its
// DistanceToPareto finds the nearest frontier point without building the
// frontier. A Summary is read-only once made and safe for concurrent use.
type Summary struct {
	// Parties is the number of profiles.
	Parties int
	// IgnoredConstraints records Options.IgnoreConstraints.
	IgnoredConstraints bool
	// Outcomes, Feasible, Admissible and Acceptable count as in Report.
	Outcomes, Feasible, Admissible, Acceptable int64
	// Reservation holds each party's reservation value.
	Reservation []float64
	// Ideal holds each party's largest utility over the acceptable outcomes;
	// nil if none.
	Ideal []float64
	// Nash, Kalai, Egalitarian and MaxWelfare are as in Solutions; nil when
	// no outcome is acceptable to all.
	Nash, Kalai, Egalitarian, MaxWelfare *Point
	// MaxWelfareGenius is Solutions.MaxWelfareGenius: the largest Σuᵢ over
	// all admissible outcomes, reservation values ignored.
	MaxWelfareGenius *Point
	// Opposition is as in Report.
	Opposition float64

	sc scanner
}

// argmax tracks the outcomes that maximise a criterion v, ties broken by the
// larger welfare w, as Solve does over a frontier. The outcomes that tie on
// both are all kept (up to maxTied): which of them Solve would pick depends
// on the frontier, and the set is closed under dominance (a point that
// dominates a maximiser is one: every criterion here is monotone in the
// utilities, also in floating point), so its own Pareto-optimal members are
// exactly its members on the frontier.
type argmax struct {
	n        int
	welfare  bool // break ties by welfare (the textbook concepts)
	v, w     float64
	idx      []int64
	u        []float64
	overflow bool
}

func newArgmax(n int, welfare bool) *argmax {
	return &argmax{n: n, welfare: welfare, v: math.Inf(-1), w: math.Inf(-1)}
}

func (a *argmax) offer(idx int64, u []float64, v, w float64) {
	if !a.welfare {
		w = 0
	}
	switch {
	case v > a.v || (v == a.v && w > a.w):
		a.v, a.w = v, w
		a.idx, a.u = a.idx[:0], a.u[:0]
	case v == a.v && w == a.w:
		if len(a.idx) >= maxTied {
			a.overflow = true
			return
		}
	default:
		return
	}
	a.idx = append(a.idx, idx)
	a.u = append(a.u, u...)
}

// point returns the maximiser Solve would pick: of the kept outcomes no other
// kept outcome dominates, the first in frontier order (utilities ascending,
// then GENIUS's enumeration order). nil if nothing was offered.
func (a *argmax) point(sp *outcome.Space) *Point {
	n := a.n
	var best = -1
	ta, tb := sp.New(), sp.New()
	for k := range a.idx {
		uk := a.u[k*n : (k+1)*n]
		dominated := false
		for j := range a.idx {
			if j != k && dominates(a.u[j*n:(j+1)*n], uk) {
				dominated = true
				break
			}
		}
		if dominated {
			continue
		}
		if best < 0 || frontierOrder(sp, uk, a.u[best*n:(best+1)*n], a.idx[k], a.idx[best], ta, tb) < 0 {
			best = k
		}
	}
	if best < 0 {
		return nil
	}
	o := sp.Decode(outcome.Index(a.idx[best]), sp.New())
	return &Point{Outcome: o, Utility: append([]float64(nil), a.u[best*n:(best+1)*n]...)}
}

// frontierOrder compares two points in the order of Report.Pareto: utilities
// lexicographically ascending, then GENIUS 10.4's enumeration order (the
// last issue's value compared first).
func frontierOrder(sp *outcome.Space, ua, ub []float64, a, b int64, ta, tb outcome.Outcome) int {
	if c := slices.Compare(ua, ub); c != 0 {
		return c
	}
	if a == b {
		return 0
	}
	oa, ob := sp.Decode(outcome.Index(a), ta), sp.Decode(outcome.Index(b), tb)
	for i := len(oa) - 1; i >= 0; i-- {
		if oa[i] != ob[i] {
			return cmp.Compare(oa[i], ob[i])
		}
	}
	return 0
}

// Summarize computes the figures of [Summary] by enumerating sp twice,
// never building the Pareto frontier: every solution concept it holds
// maximises a criterion that is monotone in the utilities, so its maximum
// over the acceptable frontier points is its maximum over all acceptable
// outcomes (Solve's doc comment), and of the outcomes that tie, the ones
// Solve could pick are those no other tied outcome dominates.
//
// Cost: two passes over the N outcomes, O(N·(n + I)) time with utilities
// from prefix sums (the first pass counts and takes Ideal, Nash, the
// egalitarian point and both welfare maxima; the second, Kalai–Smorodinsky,
// which needs Ideal), and O(n·T) memory for T tied outcomes (usually 1). It
// checks ctx every 65,536 outcomes.
//
// Errors are those of Analyze (outcome.ErrTooLarge beyond opts.Limit, a
// profile that does not fit sp, ctx.Err()), and an error when one concept
// ties on more than 65,536 outcomes (use Analyze then).
func Summarize(ctx context.Context, sp *outcome.Space, profiles []*preference.Profile, opts Options) (*Summary, error) {
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
	s := &Summary{Parties: n, IgnoredConstraints: opts.IgnoreConstraints, Opposition: math.Inf(1)}
	s.Reservation = make([]float64, n)
	for i, p := range profiles {
		s.Reservation[i] = p.Reservation
	}
	rv := s.Reservation
	s.sc = scanner{sp: sp, profiles: profiles, ignore: opts.IgnoreConstraints}
	s.sc.redLines = !opts.IgnoreConstraints && anyRedLines(profiles)

	nash, egal, welf, welfG := newArgmax(n, true), newArgmax(n, true), newArgmax(n, false), newArgmax(n, false)
	ideal := make([]float64, n)
	for i := range ideal {
		ideal[i] = math.Inf(-1)
	}
	bestOpp := math.Inf(1)
	err := s.sc.run(ctx, func(idx int64, u []float64) {
		s.Admissible++
		var d float64
		for _, x := range u {
			d += (1 - x) * (1 - x)
		}
		bestOpp = min(bestOpp, d)
		w := welfare(u)
		welfG.offer(idx, u, w, 0)
		if !acceptable(u, rv) {
			return
		}
		s.Acceptable++
		prod, eg := 1.0, math.Inf(1)
		for i := range u {
			ideal[i] = max(ideal[i], u[i])
			g := max(u[i]-rv[i], 0)
			prod *= g
			eg = min(eg, g)
		}
		welf.offer(idx, u, w, 0)
		nash.offer(idx, u, prod, w)
		egal.offer(idx, u, eg, w)
	}, &s.Outcomes, &s.Feasible)
	if err != nil {
		return nil, err
	}
	s.Opposition = math.Sqrt(bestOpp)
	kalai := newArgmax(n, true)
	if s.Acceptable > 0 {
		s.Ideal = ideal
		err = s.sc.run(ctx, func(idx int64, u []float64) {
			if !acceptable(u, rv) {
				return
			}
			lam := math.Inf(1)
			for i := range u {
				if span := ideal[i] - rv[i]; span > 0 {
					lam = min(lam, max(u[i]-rv[i], 0)/span)
				}
			}
			kalai.offer(idx, u, lam, welfare(u))
		}, nil, nil)
		if err != nil {
			return nil, err
		}
	}
	for _, a := range []*argmax{nash, egal, welf, welfG, kalai} {
		if a.overflow {
			return nil, fmt.Errorf("%w; use Analyze", ErrTooManyTies)
		}
	}
	s.Nash, s.Kalai, s.Egalitarian = nash.point(sp), kalai.point(sp), egal.point(sp)
	s.MaxWelfare, s.MaxWelfareGenius = welf.point(sp), welfG.point(sp)
	return s, nil
}

// summaryReport is Auto's report when the frontier of more than two parties
// is too large to build (why is Analyze's error): the counts, the
// opposition and the solution concepts that need no frontier, exact
// (Summarize, two passes), with Pareto empty and the frontier, the figures
// taken over it (GENIUS's Nash and Kalai points, ANL's opposition, the
// frontier's acceptable points) and the ANL distribution named in Omitted.
func summaryReport(ctx context.Context, sp *outcome.Space, profiles []*preference.Profile, opts Options, why error) (*Report, error) {
	s, err := Summarize(ctx, sp, profiles, opts)
	if err != nil {
		return nil, err
	}
	r := &Report{Parties: s.Parties, IgnoredConstraints: s.IgnoredConstraints, Outcomes: s.Outcomes, Feasible: s.Feasible,
		Admissible: s.Admissible, Acceptable: s.Acceptable, Reservation: s.Reservation, Enumerated: true,
		Opposition: s.Opposition, sc: s.sc}
	r.Solutions = Solutions{Ideal: s.Ideal, Nash: s.Nash, Kalai: s.Kalai, Egalitarian: s.Egalitarian,
		MaxWelfare: s.MaxWelfare, MaxWelfareGenius: s.MaxWelfareGenius, OppositionANL: math.NaN()}
	reason := fmt.Sprintf("the exact frontier is too large to build in bounded time and memory: %v; "+
		"Nash, Kalai–Smorodinsky, egalitarian, both welfare maxima, the counts and the opposition are exact without it", why)
	r.Omitted = map[string]string{
		"pareto":            reason,
		"pareto_acceptable": "needs the frontier, left out",
		"nash_genius":       "GENIUS's Nash point is the largest product over the frontier, points below a reservation value included (not monotone): needs the frontier, left out",
		"kalai_genius":      "GENIUS's Kalai point is the smallest Σ|uᵢ − uⱼ| over the frontier (not monotone): needs the frontier, left out",
		"opposition_anl":    "the distance of GENIUS's Kalai point to (1, …, 1): needs the frontier, left out",
	}
	return r, nil
}

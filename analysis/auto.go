package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"sort"

	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// LargeEpsilon is the ε of the approximate frontier Auto falls back to when
// the exact issue-by-issue frontier is too large to hold.
const LargeEpsilon = 1e-4

// EnumerateLimit is the largest outcome count Auto enumerates by default
// where Analyze cannot take its fastest pass, the walk of two
// linear-additive parties without rules or red lines: with rules or red
// lines a pass of the scanner (≈ 0.3 s at 10⁷ on the reference machine),
// with more parties or custom utilities two or three (about a second). The
// walk enumerates up to outcome.MaxEnumerable (10⁸, about a second and a
// half).
const EnumerateLimit = 10_000_000

// Samples is the number of outcomes Auto draws to estimate the figures that
// need every outcome on a space it does not enumerate.
const Samples = 1 << 18

// Confidence is the probability with which an Estimate's bound holds.
const Confidence = 0.95

// Estimate is a figure estimated from outcomes drawn uniformly at random
// from the admissible ones (with a fixed seed, so that a run is
// reproducible): |Value − exact| ≤ Bound with probability at least
// Confidence, by Hoeffding's inequality for a mean of Samples values in a
// range of known width: Bound = width·√(ln(2/(1−Confidence)) / (2·Samples)).
type Estimate struct {
	Value, Bound float64
	Samples      int
}

// Auto analyses sp under profiles by whichever path fits its size: Analyze
// (enumeration: exact counts, frontier with every tied outcome, the ANL
// distribution) when sp has at most opts.Limit outcomes — by default
// outcome.MaxEnumerable where Analyze takes its two-party additive path and
// EnumerateLimit elsewhere, so that no enumeration runs much past a second —
// and otherwise the issue-by-issue frontier of package frontier (pruned
// Minkowski sum; linear-additive profiles only), exact where it fits in
// memory and ε-approximate (ε = LargeEpsilon) where it does not.
//
// On that path Enumerated is false and every figure is exact, estimated or
// left out with the reason:
//   - exact: Outcomes, Feasible and Admissible (sizes of the disjoint
//     products frontier.Split cuts the space into, O(P·R·I); −1 past the
//     int64 range); the frontier (one outcome per utility vector) and every
//     solution (Solve); Opposition when no utility exceeds 1 (the outcome
//     nearest (1, …, 1) is then on the frontier);
//   - estimated (AcceptableEstimate, DistributionEstimate): the zone of
//     agreement and, for two parties and an exact frontier, the ANL
//     distribution, from Samples outcomes drawn uniformly from the
//     admissible ones (a product picked in proportion to its size, then one
//     value per issue), O(Samples·(I·n + c)); Acceptable is −1;
//   - left out, with the reason in Omitted: the outcomes tied with a
//     frontier vector (GENIUS lists all of them; here one represents them),
//     and whatever the estimates cannot cover.
//
// More than two parties on an enumerable space whose frontier is too large
// to build (Analyze fails with ErrFrontierTooLarge: too many points, or an
// issue step too costly to filter) give the report of summaryReport: every
// figure that needs no frontier exact (Summarize), the frontier and what
// needs it left out with the reason.
func Auto(ctx context.Context, sp *outcome.Space, profiles []*preference.Profile, opts Options) (*Report, error) {
	if opts.Limit <= 0 {
		opts.Limit = EnumerateLimit
		if sp != nil && additive2(sp, profiles) {
			opts.Limit = outcome.MaxEnumerable
		}
	}
	r, err := Analyze(ctx, sp, profiles, opts)
	if err != nil && errors.Is(err, ErrFrontierTooLarge) && len(profiles) > 2 {
		return summaryReport(ctx, sp, profiles, opts, err)
	}
	if err == nil || !errors.Is(err, outcome.ErrTooLarge) {
		return r, err
	}
	full := sp
	if opts.IgnoreConstraints {
		if sp, err = outcome.NewSpace(sp.Issues, nil); err != nil {
			return nil, err
		}
		ps := make([]*preference.Profile, len(profiles))
		for i, p := range profiles {
			q := p.Clone()
			q.RedLines = nil
			if err := q.Prepare(sp); err != nil {
				return nil, err
			}
			ps[i] = q
		}
		profiles = ps
	}
	fo := frontier.Options{MaxPoints: opts.MaxPoints}
	eps := 0.0
	fa, err := frontier.Analyze(sp, profiles, fo)
	if errors.Is(err, frontier.ErrFrontierTooLarge) {
		eps = LargeEpsilon
		fo.Epsilon = eps
		fa, err = frontier.Analyze(sp, profiles, fo)
	}
	if err != nil {
		return nil, fmt.Errorf("analysis: %s outcomes are too many to enumerate, and the issue-by-issue frontier failed: %w", sp.Count(), err)
	}
	f := fa.Frontier
	r = &Report{Parties: len(profiles), IgnoredConstraints: opts.IgnoreConstraints, Outcomes: -1, Feasible: -1, Admissible: -1, Acceptable: -1,
		Reservation: fa.Reservation, Opposition: math.Inf(1), Epsilon: eps,
		Omitted: map[string]string{"pareto ties": "the frontier lists one outcome per utility vector; GENIUS lists every outcome tied with it, which needs every outcome enumerated"}}
	r.Pareto = make([]Point, f.Len())
	for k := range r.Pareto {
		u := append([]float64(nil), f.Utilities(k)...)
		r.Pareto[k] = Point{Outcome: f.Outcome(k, sp.New()), Utility: u}
		var d float64
		for _, x := range u {
			d += (1 - x) * (1 - x)
		}
		r.Opposition = min(r.Opposition, math.Sqrt(d))
	}
	r.Solutions = Solve(r.Pareto, r.Reservation)
	for _, p := range profiles {
		if _, hi := p.Range(); hi > 1 {
			r.Omitted["opposition"] = "some utility exceeds 1, so the outcome nearest (1, …, 1) need not be on the frontier: Opposition is taken over the frontier only"
		}
	}
	m := Samples
	if opts.samples > 0 {
		m = opts.samples
	}
	if err := r.countAndSample(ctx, full, sp, profiles, f, m); err != nil {
		return nil, err
	}
	return r, nil
}

// countAndSample fills the counts, the estimates and the remaining reasons
// of a report made without enumeration. full is the space as given (its
// rules count for Feasible); sp and profiles are those the frontier was
// computed on (without rules and red lines when they are ignored); m
// outcomes are drawn.
func (r *Report) countAndSample(ctx context.Context, full, sp *outcome.Space, profiles []*preference.Profile, f *frontier.Frontier, m int) error {
	r.Outcomes = toInt64(full.Count())
	feasible, err := frontier.Split(full)
	if err != nil {
		r.Omitted["feasible"] = err.Error()
	} else {
		r.Feasible = toInt64(sizes(feasible))
	}
	pieces, err := frontier.Split(sp, profiles...)
	if err != nil {
		r.Omitted["acceptable"] = err.Error()
		r.Omitted["distribution"] = err.Error()
		return nil
	}
	admissible := sizes(pieces)
	r.Admissible = toInt64(admissible)
	if admissible.Sign() == 0 {
		r.Acceptable = 0
		r.Omitted["distribution"] = "no outcome is admissible"
		return nil
	}
	var grid *nearestGrid
	var width float64
	switch {
	case r.Parties != 2:
		r.Omitted["distribution"] = "the ANL distribution is defined for two parties"
	case !f.Exact:
		r.Omitted["distribution"] = fmt.Sprintf("the frontier is ε-approximate (ε = %g): distances to it do not bound distances to the exact frontier", f.Epsilon)
	default:
		lo0, hi0 := profiles[0].Range()
		lo1, hi1 := profiles[1].Range()
		fu0, fu1 := make([]float64, f.Len()), make([]float64, f.Len())
		for k := range fu0 {
			fu0[k], fu1[k] = f.Utilities(k)[0], f.Utilities(k)[1]
		}
		grid = newNearestGrid(fu0, fu1, lo0, hi0, lo1, hi1)
		width = math.Hypot(hi0-lo0, hi1-lo1) // no distance between two vectors of the box exceeds it
	}
	// Draw a product in proportion to its size, then a value per issue.
	cum := make([]float64, len(pieces))
	var total float64
	for k, pc := range pieces {
		total += pc.Size()
		cum[k] = total
	}
	rng := rand.New(rand.NewPCG(13, 2026))
	o := sp.New()
	u := make([]float64, len(profiles))
	var acc int
	var sum float64
	for s := range m {
		if s&0xFFFF == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		x := rng.Float64() * total
		k := min(sort.SearchFloat64s(cum, x), len(cum)-1)
		for k < len(cum)-1 && cum[k] <= x {
			k++ // SearchFloat64s finds cum[k] ≥ x; x must lie below cum[k]
		}
		for i, vs := range pieces[k].Values {
			o[i] = vs[rng.IntN(len(vs))]
		}
		all := true
		for j, p := range profiles {
			u[j] = p.Utility(o)
			all = all && p.Reaches(u[j])
		}
		if all {
			acc++
		}
		if grid != nil {
			sum += math.Sqrt(grid.dist2(u[0], u[1]))
		}
	}
	eps := math.Sqrt(math.Log(2/(1-Confidence)) / (2 * float64(m)))
	n, _ := new(big.Float).SetInt(admissible).Float64()
	r.AcceptableEstimate = &Estimate{Value: float64(acc) / float64(m) * n, Bound: eps * n, Samples: m}
	if grid != nil {
		r.DistributionEstimate = &Estimate{Value: sum / float64(m), Bound: eps * width, Samples: m}
	}
	return nil
}

// sizes returns the number of outcomes of disjoint products, exactly.
func sizes(pieces []frontier.Piece) *big.Int {
	total := new(big.Int)
	for _, pc := range pieces {
		n := big.NewInt(1)
		for _, vs := range pc.Values {
			n.Mul(n, big.NewInt(int64(len(vs))))
		}
		total.Add(total, n)
	}
	return total
}

// toInt64 returns n, or −1 if it does not fit an int64.
func toInt64(n *big.Int) int64 {
	if !n.IsInt64() {
		return -1
	}
	return n.Int64()
}

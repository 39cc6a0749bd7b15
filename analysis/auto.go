package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// LargeEpsilon is the ε of the approximate frontier Auto falls back to when
// the exact issue-by-issue frontier is too large to hold.
const LargeEpsilon = 1e-4

// Auto analyses sp under profiles by whichever path fits its size: Analyze
// (enumeration: exact counts and frontier) when sp has at most opts.Limit
// outcomes, and otherwise the issue-by-issue frontier of package frontier
// (pruned Minkowski sum; linear-additive profiles only), exact where it fits
// in memory and ε-approximate (ε = LargeEpsilon) where it does not. On that
// path the counts (Outcomes, Feasible, Admissible, Acceptable) are −1,
// Enumerated is false and Opposition is taken over the frontier (the point
// nearest (1, …, 1) is always Pareto-optimal). The solution concepts are
// computed by Solve in both cases.
func Auto(ctx context.Context, sp *outcome.Space, profiles []*preference.Profile, opts Options) (*Report, error) {
	r, err := Analyze(ctx, sp, profiles, opts)
	if err == nil || !errors.Is(err, outcome.ErrTooLarge) {
		return r, err
	}
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
		Reservation: fa.Reservation, Opposition: math.Inf(1), Epsilon: eps}
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
	return r, nil
}

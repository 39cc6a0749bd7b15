package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// additiveN reports whether Analyze may take the n-party additive path
// (analyzeAdditiveN): more than two linear-additive profiles, and, when the
// options ignore constraints, a space without rules and profiles without red
// lines (frontier.Linear honours both).
func additiveN(sp *outcome.Space, profiles []*preference.Profile, opts Options) bool {
	if len(profiles) <= 2 || sp.NumIssues() == 0 {
		return false
	}
	for _, p := range profiles {
		if !p.IsLinear() {
			return false
		}
	}
	return !opts.IgnoreConstraints || (len(sp.Rules) == 0 && !anyRedLines(profiles))
}

// analyzeAdditiveN fills r (Parties, Reservation set) for more than two
// linear-additive profiles: the same report as the enumerating path,
// bit for bit.
//
// Algorithm, in two steps:
//
//  1. The frontier's distinct utility vectors issue by issue (frontier.Linear:
//     per rule-consistent piece, the Pareto-pruned Minkowski sum of the
//     per-issue contributions, each step a sort-filter-skyline whose filter
//     finds possible dominators by bitsets). Its sums are added in issue
//     order from 0, as Profile.Utility adds them, so its vectors are
//     bit-identical to the enumerated ones.
//  2. One pass over the N outcomes (utilities as prefix sums, one addition
//     per party per outcome): the counts, the opposition, and an exact
//     look-up of each admissible outcome's vector among the frontier's
//     (a hash of party 0's utility, then the few points that share it),
//     which collects every outcome tied with a frontier vector (GENIUS
//     keeps them all); the T tied outcomes are put in GENIUS's order at the
//     end, O(T log T).
//
// Cost: the frontier's steps, O(C log C + C²·(n+1)/64) for C = |Fᵢ₋₁|·kᵢ
// candidates at step i (in practice the last step dominates), plus
// O(N·n) for the pass; memory O(C·n·B/8) for the bitsets and O(F·n + T),
// never O(N). It checks ctx before every issue step, every 4,096
// candidates of a step and every 65,536 outcomes of the pass.
func analyzeAdditiveN(ctx context.Context, sp *outcome.Space, profiles []*preference.Profile, maxPts int, r *Report) error {
	f, err := frontier.LinearContext(ctx, sp, profiles, frontier.Options{MaxPoints: maxPts})
	if errors.Is(err, frontier.ErrFrontierTooLarge) {
		return fmt.Errorf("%w (%v)", ErrFrontierTooLarge, err)
	}
	if errors.Is(err, frontier.ErrTooManyPieces) {
		return errNotAdditive
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("analysis: %w", err)
	}
	n, m := len(profiles), f.Len()
	// Points sharing party 0's utility are adjacent (the frontier is sorted
	// by utility vector): the first of each run, by its bits.
	first := make(map[uint64]int32, m)
	for k := m - 1; k >= 0; k-- {
		first[math.Float64bits(f.Utilities(k)[0])] = int32(k)
	}
	met := make([]bool, m)
	type tie struct {
		k   int32
		idx int64
	}
	var ties []tie
	bestOpp := math.Inf(1)
	var tooMany bool
	err = r.sc.run(ctx, func(idx int64, u []float64) {
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
		k, ok := first[math.Float64bits(u[0])]
		if !ok {
			return
		}
		for ; int(k) < m && f.U[int(k)*n] == u[0]; k++ {
			if slices.Equal(f.U[int(k)*n:int(k+1)*n], u) {
				if len(ties) >= maxPts {
					tooMany = true
					return
				}
				ties = append(ties, tie{k, idx})
				met[k] = true
				return
			}
		}
	}, &r.Outcomes, &r.Feasible)
	if err != nil {
		return err
	}
	if tooMany {
		return fmt.Errorf("%w: more than %d Pareto-optimal outcomes (Options.MaxPoints)", ErrFrontierTooLarge, maxPts)
	}
	if slices.Contains(met, false) {
		// Not expected: frontier.Linear's vectors are exact. Should one not
		// be met by any outcome, the enumerating path decides.
		return errNotAdditive
	}
	r.Opposition = math.Sqrt(bestOpp)
	c := newCandidates(sp, n, maxPts)
	slices.SortFunc(ties, func(a, b tie) int {
		if a.k != b.k {
			return int(a.k - b.k)
		}
		return c.tie(a.idx, b.idx)
	})
	for _, t := range ties {
		c.idx = append(c.idx, t.idx)
		c.u = append(c.u, f.U[int(t.k)*n:int(t.k+1)*n]...)
	}
	r.Pareto = c.points(sp)
	return nil
}

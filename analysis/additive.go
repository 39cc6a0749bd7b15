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

// additive2 reports whether Analyze may take its fastest pass, a walk of
// the issues (walk2.visit): two linear-additive profiles, no feasibility
// rules and no red lines, so that every outcome is admissible and feasible.
func additive2(sp *outcome.Space, profiles []*preference.Profile) bool {
	if !linear2(sp, profiles) || len(sp.Rules) > 0 {
		return false
	}
	for _, p := range profiles {
		if p.HasRedLines() {
			return false
		}
	}
	return true
}

// linear2 reports whether Analyze may take its one-pass path
// (analyzeAdditive2): two linear-additive profiles over a space whose
// issues all have values.
func linear2(sp *outcome.Space, profiles []*preference.Profile) bool {
	if len(profiles) != 2 || sp.NumIssues() == 0 {
		return false
	}
	for i := range sp.Issues {
		if sp.Issues[i].Len() == 0 {
			return false
		}
	}
	for _, p := range profiles {
		if !p.IsLinear() {
			return false
		}
	}
	return true
}

// analyzeAdditive2 fills r (Parties, Reservation and Opposition already set)
// for two linear-additive profiles: the same report as the enumerating path
// of Analyze, with the ANL distribution computed on the way
// (Report.Distribution then returns it).
//
// Algorithm, in two steps:
//
//  1. The frontier's distinct utility vectors, issue by issue
//     (frontier.Linear: the Pareto-pruned Minkowski sum of the per-issue
//     contributions over the disjoint products the rules and red lines cut
//     the space into, O(P·Σᵢ|Fᵢ₋₁|·|Gᵢ|·log|Gᵢ|), independent of N). Its
//     sums are added in issue order from 0, as Profile.Utility adds them, so
//     its vectors are bit-identical to the enumerated ones, and pruning
//     never loses a vector (rounding is monotone).
//  2. One pass over the N outcomes in dense index order: without rules or
//     red lines (additive2) a depth-first walk of the issues carrying the
//     prefix sums (one addition per party per outcome), otherwise the
//     enumerating path's scanner (prefix sums too, rules re-checked only
//     when one of their issues changed). Utilities are bit-identical to
//     Profile.Utility. Per admissible outcome: its distance to the nearest
//     frontier point (nearestGrid: one cell look-up and one or two
//     candidate points), its gain over the reservation values (the zone of
//     agreement), its distance to (1, 1) (opposition), and an exact-equality
//     test against the candidates, which collects every outcome tied with a
//     frontier vector (GENIUS keeps all of them). The tie counts are the
//     frontier's multiplicities; the T tied outcomes are put in GENIUS's
//     order at the end, O(T log T).
//
// Cost: O(N·c) for the pass, c the average number of candidate points per
// cell (1–2 on the ANAC scenarios), plus the grid's lazy construction
// (nearestGrid); memory O(cells + T), never O(N). Every figure is the one
// the enumerating path computes, bit for bit: the same sums in the same
// order (the property and corpus tests compare the two).
func analyzeAdditive2(ctx context.Context, sp *outcome.Space, profiles []*preference.Profile, ignore bool, maxPts int, r *Report) error {
	fsp, fps := sp, profiles
	if ignore && (len(sp.Rules) > 0 || anyRedLines(profiles)) {
		// The frontier of every outcome: no rules, no red lines.
		var err error
		if fsp, err = outcome.NewSpace(sp.Issues, nil); err != nil {
			return err
		}
		fps = make([]*preference.Profile, 2)
		for i, p := range profiles {
			q := p.Clone()
			q.RedLines = nil
			if err := q.Prepare(fsp); err != nil {
				return err
			}
			fps[i] = q
		}
	}
	f, err := frontier.Linear(fsp, fps, frontier.Options{MaxPoints: maxPts})
	if errors.Is(err, frontier.ErrFrontierTooLarge) {
		return fmt.Errorf("%w: more than %d distinct utility vectors on the frontier (Options.MaxPoints)", ErrFrontierTooLarge, maxPts)
	}
	if errors.Is(err, frontier.ErrTooManyPieces) {
		return errNotAdditive // the rules cut the space too finely: enumerate
	}
	if err != nil {
		return fmt.Errorf("analysis: %w", err)
	}
	w := newWalk2(sp, profiles, f)
	w.ctx = ctx
	w.maxTies = maxPts
	if additive2(sp, profiles) {
		w.visit(0, 0, 0)
		n := sp.Count().Int64()
		r.Outcomes, r.Feasible, r.Admissible = n, n, n
	} else {
		sc := r.sc
		if err := sc.run(ctx, func(idx int64, u []float64) {
			if w.err == nil {
				w.one(idx, u[0], u[1])
			}
		}, &r.Outcomes, &r.Feasible); err != nil {
			return err
		}
		r.Admissible = w.admissible
	}
	if w.err != nil {
		return w.err
	}
	if !w.metAll() {
		// Not expected: frontier.Linear's vectors are exact. Should one not
		// be met by any outcome, the enumerating path decides, from zero.
		r.Outcomes, r.Feasible, r.Admissible = 0, 0, 0
		return errNotAdditive
	}
	r.Acceptable = w.acceptable
	if w.accAll {
		r.Acceptable = r.Admissible
	}
	r.Opposition = math.Sqrt(w.opp)
	r.distribution, r.hasDistribution = math.NaN(), true
	if r.Admissible > 0 {
		r.distribution = w.sum / float64(r.Admissible)
	}

	// Every frontier vector is met by at least one outcome; its tied
	// outcomes go in GENIUS's order (candidates.tie).
	c := newCandidates(sp, 2, maxPts)
	slices.SortFunc(w.ties, func(a, b tie2) int {
		if a.k != b.k {
			return int(a.k - b.k)
		}
		return c.tie(a.idx, b.idx)
	})
	for _, t := range w.ties {
		c.idx = append(c.idx, t.idx)
		c.u = append(c.u, w.fu0[t.k], w.fu1[t.k])
	}
	r.Pareto = c.points(sp)
	return nil
}

// errNotAdditive sends Analyze back to its enumerating path.
var errNotAdditive = errors.New("analysis: the additive path does not apply")

// metAll reports whether every frontier vector was met by some outcome.
func (w *walk2) metAll() bool {
	met := make([]bool, len(w.fu0))
	for _, t := range w.ties {
		met[t.k] = true
	}
	return !slices.Contains(met, false)
}

// tie2 is an outcome (dense index) whose utility vector equals frontier
// point k's.
type tie2 struct {
	k   int32
	idx int64
}

// walk2 is the state of analyzeAdditive2's pass.
type walk2 struct {
	n          int
	c0, c1     [][]float64 // issue i's contributions per value, per party
	cap0, cap1 bool
	rv0, rv1   float64   // reservation values less preference.Tolerance
	fu0, fu1   []float64 // the frontier's distinct vectors
	grid       *nearestGrid

	ctx     context.Context
	err     error
	maxTies int

	idx        int64 // dense index of the next outcome (visit)
	admissible int64 // outcomes seen (one)
	check      int64 // the index from which ctx is checked again
	sum        float64
	acceptable int64
	opp        float64
	ties       []tie2

	// accAll: every outcome reaches both reservation values, so the zone
	// of agreement is all N; oppOnFrontier: no utility exceeds 1, so the
	// outcome nearest (1, 1) is a frontier point (a point that dominates
	// another is at least as near, in floating point too).
	accAll, oppOnFrontier bool
}

func newWalk2(sp *outcome.Space, ps []*preference.Profile, f *frontier.Frontier) *walk2 {
	n := sp.NumIssues()
	w := &walk2{n: n, cap0: ps[0].CapAtOne, cap1: ps[1].CapAtOne, opp: math.Inf(1),
		rv0: ps[0].Reservation - preference.Tolerance, rv1: ps[1].Reservation - preference.Tolerance}
	for i := range n {
		l := sp.Issues[i].Len()
		a, b := make([]float64, l), make([]float64, l)
		for v := range l {
			a[v], b[v] = ps[0].Contribution(i, int32(v)), ps[1].Contribution(i, int32(v))
		}
		w.c0, w.c1 = append(w.c0, a), append(w.c1, b)
	}
	m := f.Len()
	w.fu0, w.fu1 = make([]float64, m), make([]float64, m)
	for k := range m {
		u := f.Utilities(k)
		w.fu0[k], w.fu1[k] = u[0], u[1]
	}
	// The grid covers the profiles' ranges, widened for rounding (a vector
	// outside it is still answered exactly, by a scan).
	lo0, hi0 := ps[0].Range()
	lo1, hi1 := ps[1].Range()
	pad := 1e-9 * max(1, -lo0, hi0, -lo1, hi1)
	w.grid = newNearestGrid(w.fu0, w.fu1, lo0-pad, hi0+pad, lo1-pad, hi1+pad)
	w.accAll = lo0-pad >= w.rv0 && lo1-pad >= w.rv1
	w.oppOnFrontier = (w.cap0 || hi0+pad <= 1) && (w.cap1 || hi1+pad <= 1)
	if w.oppOnFrontier {
		for k := range m {
			ox, oy := 1-w.fu0[k], 1-w.fu1[k]
			w.opp = min(w.opp, ox*ox+oy*oy)
		}
	}
	return w
}

// visit walks the completions of the prefix whose sums are s0, s1 over
// issues 0…i−1, in dense index order.
func (w *walk2) visit(i int, s0, s1 float64) {
	if i == w.n-1 {
		w.leaves(s0, s1)
		return
	}
	c0, c1 := w.c0[i], w.c1[i]
	for v := range c0 {
		if w.err != nil {
			return
		}
		w.visit(i+1, s0+c0[v], s1+c1[v])
	}
}

// leaves visits the values of the last issue after a prefix with sums s0,
// s1: one outcome each. The grid look-up is nearestGrid.candidates, written
// out so that the loop keeps its state in registers.
func (w *walk2) leaves(s0, s1 float64) {
	if w.idx >= w.check {
		if err := w.ctx.Err(); err != nil {
			w.err = err
			return
		}
		w.check = w.idx + 1<<16
	}
	c0, c1 := w.c0[w.n-1], w.c1[w.n-1]
	c1 = c1[:len(c0)]
	fu0, fu1 := w.fu0, w.fu1
	g := w.grid
	lo0, lo1, inv0, inv1, fine, pool := g.lo0, g.lo1, g.inv0, g.inv1, g.fine, g.pool
	cap0, cap1, rv0, rv1 := w.cap0, w.cap1, w.rv0, w.rv1
	countAcc, countOpp := !w.accAll, !w.oppOnFrontier
	sum, opp, acc := w.sum, w.opp, w.acceptable
	for v := range c0 {
		u0, u1 := s0+c0[v], s1+c1[v]
		if cap0 && u0 > 1 {
			u0 = 1
		}
		if cap1 && u1 > 1 {
			u1 = 1
		}
		if countAcc && u0 >= rv0 && u1 >= rv1 {
			acc++
		}
		if countOpp {
			ox, oy := 1-u0, 1-u1
			if d := ox*ox + oy*oy; d < opp {
				opp = d
			}
		}
		sp := span{n: -1}
		x, y := (u0-lo0)*inv0, (u1-lo1)*inv1
		if x >= 0 && x < nnCells && y >= 0 && y < nnCells {
			sp = fine[int(x)*nnCells+int(y)]
		}
		var bd float64
		if sp.n == 1 {
			k := pool[sp.start]
			dx, dy := fu0[k]-u0, fu1[k]-u1
			bd = dx*dx + dy*dy
		} else {
			var cand []int32
			if sp.n < 0 {
				cand = g.slow(x, y)
				fine, pool = g.fine, g.pool
			} else {
				cand = pool[sp.start : sp.start+sp.n]
			}
			bd = math.Inf(1)
			for _, k := range cand {
				dx, dy := fu0[k]-u0, fu1[k]-u1
				if d := dx*dx + dy*dy; d < bd {
					bd = d
				}
			}
		}
		sum += math.Sqrt(bd)
		if bd == 0 {
			w.tie(w.idx+int64(v), u0, u1, g.candidates(u0, u1))
		}
	}
	w.idx += int64(len(c0))
	w.sum, w.opp, w.acceptable = sum, opp, acc
}

// one takes admissible outcome idx with utilities u0, u1 (after the cap),
// as the loop of leaves takes each of its outcomes.
func (w *walk2) one(idx int64, u0, u1 float64) {
	w.admissible++
	if !w.accAll && u0 >= w.rv0 && u1 >= w.rv1 {
		w.acceptable++
	}
	if !w.oppOnFrontier {
		ox, oy := 1-u0, 1-u1
		if d := ox*ox + oy*oy; d < w.opp {
			w.opp = d
		}
	}
	cand := w.grid.candidates(u0, u1)
	bd := math.Inf(1)
	for _, k := range cand {
		dx, dy := w.fu0[k]-u0, w.fu1[k]-u1
		if d := dx*dx + dy*dy; d < bd {
			bd = d
		}
	}
	w.sum += math.Sqrt(bd)
	if bd == 0 {
		w.tie(idx, u0, u1, cand)
	}
}

// tie records outcome idx if its utility vector (u0, u1) is one of the
// candidates' frontier vectors.
func (w *walk2) tie(idx int64, u0, u1 float64, cand []int32) {
	for _, k := range cand {
		if w.fu0[k] == u0 && w.fu1[k] == u1 {
			if len(w.ties) >= w.maxTies {
				w.err = fmt.Errorf("%w: more than %d outcomes on it, ties included (Options.MaxPoints)", ErrFrontierTooLarge, w.maxTies)
				return
			}
			w.ties = append(w.ties, tie2{k, idx})
			return
		}
	}
}

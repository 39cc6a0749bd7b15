package frontier

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// skylineBlock is the number of outcomes Skyline buffers before filtering.
const skylineBlock = 1 << 12

// SkylineStats reports what a [Skyline] run held and did.
type SkylineStats struct {
	Outcomes    int64 // feasible, red-line-free outcomes streamed
	MaxWindow   int   // largest number of skyline points held at once
	Comparisons int64 // dominance tests made
}

// Skyline returns the Pareto frontier of any profiles (linear or not, 2–10 or
// more parties) over the outcomes of an enumerable space that satisfy its
// rules and cross no red line, by streaming over the outcomes.
//
// Algorithm: block-nested-loops with a presorted block (Börzsönyi, Kossmann &
// Stocker 2001, "The Skyline Operator"; Chomicki, Godfrey, Gryz & Liang 2003,
// "Skyline with Presorting"). Outcomes are generated in index order into a
// block of 4096; each is tested against the current skyline window, whose
// dominating point moves to the front (most outcomes die against the first
// few points); survivors are sorted by the sum of utilities (a monotone
// score, so dominators precede) and filtered among themselves, then evict
// the window points they dominate. Time O(N·(I + W̄·d) + N/B·S·B'·d), where W̄
// is the average number of window points tested before a dominator is found
// (a few in practice), S the skyline size and B' the survivors per block;
// worst case O(N·S·d) against the naive O(N²·d). Memory O(B·d + S·d): the
// outcomes are never materialised. Equal utility vectors keep the outcome of
// smallest index (lexicographically smallest value indices), like [Linear].
// ctx is checked once per block.
func Skyline(ctx context.Context, sp *outcome.Space, ps []*preference.Profile) (*Frontier, SkylineStats, error) {
	var st SkylineStats
	if sp == nil || len(ps) == 0 {
		return nil, st, errors.New("frontier: skyline needs a space and at least one profile")
	}
	if err := sp.CheckEnumerable(0); err != nil {
		return nil, st, fmt.Errorf("frontier: skyline: %w; use Linear for linear-additive profiles", err)
	}
	for _, p := range ps {
		if p == nil {
			return nil, st, errors.New("frontier: nil profile")
		}
		if p.Custom == nil && len(p.Issues) != sp.NumIssues() {
			return nil, st, fmt.Errorf("frontier: profile %q has %d issues, the space has %d", p.Name, len(p.Issues), sp.NumIssues())
		}
	}
	d := len(ps)
	var (
		winU   []float64 // window utilities, d per point
		winI   []outcome.Index
		blkU   = make([]float64, 0, skylineBlock*d)
		blkI   = make([]outcome.Index, 0, skylineBlock)
		ord    = make([]int32, 0, skylineBlock)
		keptU  []float64
		keptI  []outcome.Index
		vec    = make([]float64, d)
		o      = sp.New()
		n, _   = sp.Size()
		idx    int64
		redAny bool
	)
	for _, p := range ps {
		redAny = redAny || p.HasRedLines()
	}
	flush := func() {
		// Survivors of the window test, sorted by score, vector, index.
		ord = ord[:0]
		for k := range len(blkI) {
			ord = append(ord, int32(k))
		}
		bv := func(k int32) []float64 { return blkU[int(k)*d : int(k)*d+d] }
		sum := func(k int32) float64 {
			t := 0.0
			for _, x := range bv(k) {
				t += x
			}
			return t
		}
		slices.SortFunc(ord, func(a, b int32) int {
			if c := cmp.Compare(sum(b), sum(a)); c != 0 {
				return c
			}
			if c := slices.Compare(bv(b), bv(a)); c != 0 {
				return c
			}
			return cmp.Compare(blkI[a], blkI[b])
		})
		keptU, keptI = keptU[:0], keptI[:0]
		for _, k := range ord {
			p := bv(k)
			drop := false
			for w := 0; w < len(keptI) && !drop; w++ {
				st.Comparisons++
				drop = covers(keptU[w*d:w*d+d], p, 0)
			}
			if !drop {
				keptU = append(keptU, p...)
				keptI = append(keptI, blkI[k])
			}
		}
		// Evict window points strictly dominated by a new one (a new point is
		// never weakly dominated by the window, so equal vectors cannot occur).
		w := 0
		for r := range len(winI) {
			q := winU[r*d : r*d+d]
			dom := false
			for t := 0; t < len(keptI) && !dom; t++ {
				st.Comparisons++
				dom = covers(keptU[t*d:t*d+d], q, 0)
			}
			if !dom {
				copy(winU[w*d:], q)
				winI[w] = winI[r]
				w++
			}
		}
		winU, winI = winU[:w*d], winI[:w]
		winU = append(winU, keptU...)
		winI = append(winI, keptI...)
		st.MaxWindow = max(st.MaxWindow, len(winI))
		blkU, blkI = blkU[:0], blkI[:0]
	}
	for ; idx < n; idx++ {
		if idx > 0 {
			sp.Next(o)
		}
		if !sp.Feasible(o) {
			continue
		}
		if redAny {
			bad := false
			for _, p := range ps {
				bad = bad || p.Violates(o)
			}
			if bad {
				continue
			}
		}
		st.Outcomes++
		for j, p := range ps {
			vec[j] = p.Utility(o)
		}
		dominated := false
		for w := 0; w < len(winI); w++ {
			st.Comparisons++
			if covers(winU[w*d:w*d+d], vec, 0) {
				if w > 0 { // move to front
					for t := range d {
						winU[t], winU[w*d+t] = winU[w*d+t], winU[t]
					}
					winI[0], winI[w] = winI[w], winI[0]
				}
				dominated = true
				break
			}
		}
		if dominated {
			continue
		}
		blkU = append(blkU, vec...)
		blkI = append(blkI, outcome.Index(idx))
		if len(blkI) == skylineBlock {
			if err := ctx.Err(); err != nil {
				return nil, st, err
			}
			flush()
		}
	}
	flush()
	f := &Frontier{Parties: d, Exact: true, Pieces: 1, MaxHeld: st.MaxWindow, space: sp}
	f.U, f.idx = sortPoints(d, winU, winI)
	return f, st, nil
}

// sortPoints returns the points sorted by utility vector ascending.
func sortPoints(d int, u []float64, ix []outcome.Index) ([]float64, []outcome.Index) {
	ord := make([]int32, len(ix))
	for k := range ord {
		ord[k] = int32(k)
	}
	slices.SortFunc(ord, func(a, b int32) int {
		return slices.Compare(u[int(a)*d:int(a)*d+d], u[int(b)*d:int(b)*d+d])
	})
	ou := make([]float64, 0, len(u))
	oi := make([]outcome.Index, 0, len(ix))
	for _, k := range ord {
		ou = append(ou, u[int(k)*d:int(k)*d+d]...)
		oi = append(oi, ix[k])
	}
	return ou, oi
}

// Enumerate returns the Pareto frontier of any two profiles over an
// enumerable space by listing every feasible, red-line-free outcome, sorting
// by (u₀ desc, u₁ desc, index asc) and sweeping: O(N·(I+R) + N log N) time
// and O(N) memory. It is the obviously correct reference for [Bilateral] and
// the baseline the scaling tables compare it with. Equal utility pairs keep
// the outcome of smallest index.
func Enumerate(sp *outcome.Space, a, b *preference.Profile) (*Frontier, error) {
	if err := sp.CheckEnumerable(0); err != nil {
		return nil, fmt.Errorf("frontier: enumerate: %w", err)
	}
	n, _ := sp.Size()
	type pt struct {
		u0, u1 float64
		i      outcome.Index
	}
	var pts []pt
	o := sp.New()
	for i := int64(0); i < n; i++ {
		if i > 0 {
			sp.Next(o)
		}
		if sp.Feasible(o) && !a.Violates(o) && !b.Violates(o) {
			pts = append(pts, pt{a.Utility(o), b.Utility(o), outcome.Index(i)})
		}
	}
	slices.SortFunc(pts, func(x, y pt) int {
		if c := cmp.Compare(y.u0, x.u0); c != 0 {
			return c
		}
		if c := cmp.Compare(y.u1, x.u1); c != 0 {
			return c
		}
		return cmp.Compare(x.i, y.i)
	})
	var u []float64
	var ix []outcome.Index
	for k, p := range pts {
		if k == 0 || p.u1 > u[len(u)-1] {
			u = append(u, p.u0, p.u1)
			ix = append(ix, p.i)
		}
	}
	f := &Frontier{Parties: 2, Exact: true, Pieces: 1, MaxHeld: len(pts), space: sp}
	f.U, f.idx = sortPoints(2, u, ix)
	return f, nil
}

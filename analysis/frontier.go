package analysis

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/backchannel/backchannel/outcome"
)

// candidates holds outcomes that may still be Pareto-optimal as flat arrays:
// dense indices and n utilities per point. When it fills up it is compacted
// to its own frontier; whatever compaction drops is dominated by a point
// that stays (dominance is transitive), so the frontier of the final set is
// the frontier of everything added.
type candidates struct {
	n         int
	idx       []int64
	u         []float64 // point k at u[k·n : (k+1)·n]
	limit     int       // compact when len(idx) reaches limit
	maxPoints int
	sp        *outcome.Space
	ta, tb    outcome.Outcome // tie-break buffers
	ctx       context.Context // nil: never cancelled

	// pivots (n > 2 only): a few frontier points of the last compaction,
	// those of largest utility sum, n utilities each; a new point one of
	// them dominates is dropped at once.
	pivots []float64

	// scratch reused by every compaction
	perm []int32
	p2   []point2
}

const maxPivots = 16

// point2 is a two-party candidate, sorted as one value.
type point2 struct {
	u0, u1 float64
	idx    int64
}

const initialLimit = 1 << 12

func newCandidates(sp *outcome.Space, n, maxPoints int) *candidates {
	return &candidates{n: n, limit: min(initialLimit, max(maxPoints, 1)), maxPoints: maxPoints, sp: sp, ta: sp.New(), tb: sp.New()}
}

// tie orders two outcomes with equal utility vectors as GENIUS 10.4 lists
// them: in the order of its BidIterator, where the first issue varies
// fastest (compare the last issue's value first). Only exact ties reach it.
func (c *candidates) tie(a, b int64) int {
	if a == b {
		return 0
	}
	oa, ob := c.sp.Decode(outcome.Index(a), c.ta), c.sp.Decode(outcome.Index(b), c.tb)
	for i := len(oa) - 1; i >= 0; i-- {
		if oa[i] != ob[i] {
			return cmp.Compare(oa[i], ob[i])
		}
	}
	return 0
}

// add appends one point (u is copied) and compacts when the set is full.
func (c *candidates) add(idx int64, u []float64) error {
	for k := 0; k < len(c.pivots); k += c.n {
		if dominates(c.pivots[k:k+c.n], u) {
			return nil
		}
	}
	c.idx = append(c.idx, idx)
	c.u = append(c.u, u...)
	if len(c.idx) < c.limit {
		return nil
	}
	if err := c.compact(); err != nil {
		return err
	}
	// Keep compaction amortised: when at least half of the room is taken by
	// points that survived, grow the room.
	if 2*len(c.idx) >= c.limit {
		c.limit *= 2
	}
	return nil
}

// compact replaces the set by its Pareto frontier, ordered by party 0's
// utility ascending, then the next parties', then in GENIUS order (tie).
func (c *candidates) compact() error {
	if c.n == 2 {
		c.compact2()
	} else if err := c.compactN(); err != nil {
		return err
	}
	if len(c.idx) > c.maxPoints {
		return fmt.Errorf("%w: %d mutually non-dominated outcomes, more than the limit of %d (Options.MaxPoints)", ErrFrontierTooLarge, len(c.idx), c.maxPoints)
	}
	return nil
}

// compact2 is the two-party frontier by sort and sweep (Kung, Luccio &
// Preparata 1975, "On finding the maxima of a set of vectors"): sort by u₀
// descending, u₁ descending; walking down, a point is non-dominated iff its
// u₁ is the largest of its u₀ group and exceeds every u₁ seen at a larger
// u₀. Equal vectors all stay. O(c log c).
func (c *candidates) compact2() {
	m := len(c.idx)
	ps := c.p2[:0]
	for k := range m {
		ps = append(ps, point2{c.u[2*k], c.u[2*k+1], c.idx[k]})
	}
	slices.SortFunc(ps, func(a, b point2) int {
		if a.u0 != b.u0 {
			return cmp.Compare(b.u0, a.u0)
		}
		if a.u1 != b.u1 {
			return cmp.Compare(b.u1, a.u1)
		}
		return c.tie(a.idx, b.idx)
	})
	keep := ps[:0]
	best := 0.0
	seen := false
	for i := 0; i < len(ps); {
		j := i + 1
		for j < len(ps) && ps[j].u0 == ps[i].u0 {
			j++
		}
		top := ps[i].u1
		if !seen || top > best {
			for k := i; k < j && ps[k].u1 == top; k++ {
				keep = append(keep, ps[k])
			}
			best, seen = top, true
		}
		i = j
	}
	// keep is u₀ descending; store it u₀ ascending, equal vectors in GENIUS
	// order.
	slices.Reverse(keep)
	for lo := 0; lo < len(keep); {
		hi := lo + 1
		for hi < len(keep) && keep[hi].u0 == keep[lo].u0 {
			hi++
		}
		slices.Reverse(keep[lo:hi])
		lo = hi
	}
	c.idx, c.u = c.idx[:0], c.u[:0]
	for _, p := range keep {
		c.idx = append(c.idx, p.idx)
		c.u = append(c.u, p.u0, p.u1)
	}
	c.p2 = ps
}

// compactN is sort-filter-skyline (Chomicki, Godfrey, Gryz & Liang 2003,
// "Skyline with presorting"): sort by utility sum descending, ties by the
// utilities lexicographically descending, so every point comes after all
// that dominate it (a dominating vector has a sum at least as large in
// floating point, and is lexicographically larger); keep a point iff no kept
// point dominates it. O(c log c + c·F·n) for F frontier points. The kept
// points of largest sum become the pivots that filter later additions
// (dropping a point a frontier point dominates never changes the result).
// It returns ctx.Err() if c.ctx is cancelled (checked every 4,096 points).
func (c *candidates) compactN() error {
	n, m := c.n, len(c.idx)
	sums := make([]float64, m)
	perm := c.perm[:0]
	for k := range m {
		var s float64
		for _, v := range c.u[k*n : (k+1)*n] {
			s += v
		}
		sums[k] = s
		perm = append(perm, int32(k))
	}
	slices.SortFunc(perm, func(a, b int32) int {
		if sums[a] != sums[b] {
			return cmp.Compare(sums[b], sums[a])
		}
		ua, ub := c.u[int(a)*n:int(a+1)*n], c.u[int(b)*n:int(b+1)*n]
		for i := range ua {
			if ua[i] != ub[i] {
				return cmp.Compare(ub[i], ua[i])
			}
		}
		return c.tie(c.idx[a], c.idx[b])
	})
	var kept []int32 // in decreasing sum order until sorted below
	for j, k := range perm {
		if j&4095 == 4095 && c.ctx != nil {
			if err := c.ctx.Err(); err != nil {
				return err
			}
		}
		uk := c.u[int(k)*n : int(k+1)*n]
		dominated := false
		for _, w := range kept {
			if dominates(c.u[int(w)*n:int(w+1)*n], uk) {
				dominated = true
				break
			}
		}
		if !dominated {
			kept = append(kept, k)
		}
	}
	c.pivots = c.pivots[:0]
	for _, k := range kept[:min(len(kept), maxPivots)] {
		c.pivots = append(c.pivots, c.u[int(k)*n:int(k+1)*n]...)
	}
	slices.SortFunc(kept, func(a, b int32) int {
		ua, ub := c.u[int(a)*n:int(a+1)*n], c.u[int(b)*n:int(b+1)*n]
		for i := range ua {
			if ua[i] != ub[i] {
				return cmp.Compare(ua[i], ub[i])
			}
		}
		return c.tie(c.idx[a], c.idx[b])
	})
	idx := make([]int64, len(kept))
	u := make([]float64, len(kept)*n)
	for j, k := range kept {
		idx[j] = c.idx[k]
		copy(u[j*n:(j+1)*n], c.u[int(k)*n:int(k+1)*n])
	}
	c.idx, c.u, c.perm = idx, u, perm
	return nil
}

// dominates reports whether a weakly improves on b for every party and
// strictly for one.
func dominates(a, b []float64) bool {
	strict := false
	for i := range a {
		if a[i] < b[i] {
			return false
		}
		if a[i] > b[i] {
			strict = true
		}
	}
	return strict
}

// points decodes the (compacted) set into Points whose outcomes and
// utilities share two backing arrays.
func (c *candidates) points(sp *outcome.Space) []Point {
	m, n, k := len(c.idx), c.n, sp.NumIssues()
	pts := make([]Point, m)
	outs := make([]int32, m*k)
	us := make([]float64, m*n)
	copy(us, c.u)
	for j := range m {
		o := outcome.Outcome(outs[j*k : (j+1)*k : (j+1)*k])
		sp.Decode(outcome.Index(c.idx[j]), o)
		pts[j] = Point{Outcome: o, Utility: us[j*n : (j+1)*n : (j+1)*n]}
	}
	return pts
}

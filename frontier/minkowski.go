package frontier

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/backchannel/backchannel/preference"
)

// minkowski holds the scratch buffers of the issue-by-issue pruned Minkowski
// sum, reused across pieces.
type minkowski struct {
	ctx       context.Context // nil: never cancelled
	d         int
	delta     float64 // thinning slack per step (0: exact)
	maxPoints int
	maxCand   int // d > 2: most candidates of one step

	cur, next []float64 // running frontier, d utilities per point
	g         []float64 // the issue's own frontier, d utilities per point
	gv        []int32   // value index of each point of g
	ord       []int32
	heap      []int32 // d = 2: indices into g, ordered by their head candidate
	pos       []int32 // d = 2: next point of cur to pair with g[k]
	cand      []int32 // d > 2: candidate (parent, g) pairs
	candU     []float64
	keep      []bool // d > 2: which sorted candidates stay
}

func newMinkowski(d int, delta float64, maxPoints int) *minkowski {
	return &minkowski{d: d, delta: delta, maxPoints: maxPoints}
}

// issueFrontier fills m.g, m.gv with the Pareto frontier of issue i's allowed
// values under the profiles, sorted by utility vector descending; of values
// with equal contribution vectors the smallest index stays. The values are
// sorted by vector descending (ties by index), so that whatever covers a
// value comes before it, and a value is kept unless a value kept before it
// covers it (a dominated value is covered by a kept one). O(V log V) for
// two parties (the kept values' largest second utility decides), O(V·K)
// for more, K kept: never O(V²) on an issue of a million values.
func (m *minkowski) issueFrontier(ps []*preference.Profile, i int, vals []int32) {
	d := m.d
	all := m.candU[:0]
	for _, v := range vals {
		for _, p := range ps {
			all = append(all, p.Issues[i].Weight*p.Issues[i].Eval[v])
		}
	}
	m.candU = all
	m.ord = m.ord[:0]
	for j := range vals {
		m.ord = append(m.ord, int32(j))
	}
	slices.SortFunc(m.ord, func(a, b int32) int {
		if c := slices.Compare(all[int(b)*d:int(b)*d+d], all[int(a)*d:int(a)*d+d]); c != 0 {
			return c
		}
		return cmp.Compare(vals[a], vals[b])
	})
	g := make([]float64, 0, 2*d)
	gv := make([]int32, 0, 2)
	best1 := math.Inf(-1) // two parties: the largest second utility kept
	for _, j := range m.ord {
		pa := all[int(j)*d : int(j)*d+d]
		if d == 2 {
			if len(gv) > 0 && best1 >= pa[1] {
				continue
			}
			best1 = pa[1]
		} else {
			covered := false
			for k := range gv {
				if covers(g[k*d:k*d+d], pa, 0) {
					covered = true
					break
				}
			}
			if covered {
				continue
			}
		}
		g = append(g, pa...)
		gv = append(gv, vals[j])
	}
	m.g, m.gv = g, gv
}

// run computes the frontier of one piece. It returns the back-pointer chain,
// the final points' utilities (d per point, owned by the caller) and the
// largest number of points held at one step.
func (m *minkowski) run(ps []*preference.Profile, pc Piece) (*chain, []float64, int, error) {
	d := m.d
	n := len(pc.Values)
	ch := &chain{parent: make([][]int32, n), val: make([][]int32, n)}
	m.cur = append(m.cur[:0], make([]float64, d)...)
	held := 1
	for s := range n {
		if err := m.err(); err != nil {
			return nil, nil, 0, err
		}
		m.issueFrontier(ps, s, pc.Values[s])
		var par, val []int32
		if d == 2 {
			par, val = m.step2(ch, s)
		} else {
			if c := len(m.cur) / d * len(m.gv); m.maxCand > 0 && c > m.maxCand {
				return nil, nil, 0, fmt.Errorf("%w: issue %d of %d would test %d candidate points, more than %d (Options.MaxCandidates; the step costs about C²·(d+1)/128 word operations)", ErrFrontierTooLarge, s+1, n, c, m.maxCand)
			}
			par, val = m.stepN(ch, s)
			if err := m.err(); err != nil {
				return nil, nil, 0, err
			}
		}
		ch.parent[s], ch.val[s] = par, val
		m.cur, m.next = m.next, m.cur
		held = max(held, len(par))
		if len(par) > m.maxPoints {
			return nil, nil, 0, fmt.Errorf("%w: more than %d points after issue %d of %d; use an ε-approximate frontier (Options.Epsilon) or raise Options.MaxPoints", ErrFrontierTooLarge, m.maxPoints, s+1, n)
		}
	}
	return ch, append([]float64(nil), m.cur...), held, nil
}

func (m *minkowski) err() error {
	if m.ctx == nil {
		return nil
	}
	return m.ctx.Err()
}

// candCmp orders candidates (parent a, value va) and (parent b, value vb) of
// step s by their representative prefixes.
func candCmp(ch *chain, s int, a, b int32, va, vb int32) int {
	if a != b && s > 0 {
		if c := ch.prefixCmp(s-1, a, b); c != 0 {
			return c
		}
	}
	return cmp.Compare(va, vb)
}

// step2 is one two-party step: a k-way merge of the shifted copies cur+g[k]
// (each sorted by party 0 descending) with a sweep that keeps a candidate iff
// its party-1 utility beats the last kept one by more than delta. Rounding can
// make two candidates of one copy tie on party 0 out of party-1 order, so a
// kept point that the new one dominates is popped.
func (m *minkowski) step2(ch *chain, s int) (par, val []int32) {
	cur, g := m.cur, m.g
	k := len(m.gv)
	m.next = m.next[:0]
	m.pos = m.pos[:0]
	m.heap = m.heap[:0]
	for j := range k {
		m.pos = append(m.pos, 0)
		m.heap = append(m.heap, int32(j))
	}
	// less(x, y): head of copy x comes before head of copy y.
	less := func(x, y int32) bool {
		px, py := int(m.pos[x]), int(m.pos[y])
		ax := cur[2*px] + g[2*x]
		ay := cur[2*py] + g[2*y]
		if ax != ay {
			return ax > ay
		}
		return cur[2*px+1]+g[2*x+1] > cur[2*py+1]+g[2*y+1]
	}
	h := m.heap
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			c := l
			if r := l + 1; r < len(h) && less(h[r], h[l]) {
				c = r
			}
			if !less(h[c], h[i]) {
				return
			}
			h[i], h[c] = h[c], h[i]
			i = c
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	nf := len(cur) / 2
	par = make([]int32, 0, nf+k)
	val = make([]int32, 0, nf+k)
	out := m.next
	for len(h) > 0 {
		x := h[0]
		j := m.pos[x]
		u0 := cur[2*j] + g[2*x]
		u1 := cur[2*j+1] + g[2*x+1]
		v := m.gv[x]
		if L := len(par); L > 0 {
			l0, l1 := out[2*L-2], out[2*L-1]
			switch {
			case u0 == l0 && u1 == l1:
				if candCmp(ch, s, j, par[L-1], v, val[L-1]) < 0 {
					par[L-1], val[L-1] = j, v
				}
				goto advance
			case u1 <= l1+m.delta:
				goto advance
			}
			for L > 0 && out[2*L-2] == u0 { // dominated: same party-0, lower party-1
				L--
			}
			par, val, out = par[:L], val[:L], out[:2*L]
		}
		par = append(par, j)
		val = append(val, v)
		out = append(out, u0, u1)
	advance:
		m.pos[x]++
		if int(m.pos[x]) >= nf {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(0)
	}
	m.heap = h
	m.next = out
	return par, val
}

// stepN is one step for d > 2 parties: a sort-filter-skyline (Chomicki,
// Godfrey, Gryz & Liang 2003) of all |cur|·|g| candidates presorted by the sum
// of utilities, a monotone score, so every dominator precedes what it
// dominates; the filter finds possible dominators by bitsets
// (filterSorted).
func (m *minkowski) stepN(ch *chain, s int) (par, val []int32) {
	d := m.d
	cur, g := m.cur, m.g
	nf, k := len(cur)/d, len(m.gv)
	m.cand = m.cand[:0]
	m.candU = m.candU[:0]
	for j := range nf {
		for x := range k {
			m.cand = append(m.cand, int32(j), int32(x))
			for t := range d {
				m.candU = append(m.candU, cur[j*d+t]+g[x*d+t])
			}
		}
	}
	nc := nf * k
	cu := m.candU
	vec := func(c int32) []float64 { return cu[int(c)*d : int(c)*d+d] }
	m.ord = m.ord[:0]
	for c := range nc {
		m.ord = append(m.ord, int32(c))
	}
	sum := func(c int32) float64 {
		t := 0.0
		for _, x := range vec(c) {
			t += x
		}
		return t
	}
	slices.SortFunc(m.ord, func(a, b int32) int {
		if c := cmp.Compare(sum(b), sum(a)); c != 0 {
			return c
		}
		if c := slices.Compare(vec(b), vec(a)); c != 0 {
			return c
		}
		return candCmp(ch, s, m.cand[2*a], m.cand[2*b], m.gv[m.cand[2*a+1]], m.gv[m.cand[2*b+1]])
	})
	m.keep = slices.Grow(m.keep[:0], nc)[:nc]
	filterSorted(d, nc, func(k int) []float64 { return vec(m.ord[k]) }, m.delta, m.keep, func() bool { return m.err() != nil })
	out := m.next[:0]
	for k, c := range m.ord {
		if m.keep[k] {
			par = append(par, m.cand[2*c])
			val = append(val, m.gv[m.cand[2*c+1]])
			out = append(out, vec(c)...)
		}
	}
	m.next = out
	if par == nil {
		par, val = []int32{}, []int32{}
	}
	return par, val
}

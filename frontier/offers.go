package frontier

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// Offers is one party's acceptable outcomes (feasible under the space's
// rules, crossing none of its red lines, utility at least a floor) over a
// linear-additive profile, searched through the per-issue structure instead
// of a sorted list of all outcomes, so it works on spaces of any size. It has
// the method set of strategy.Offers and is meant to be returned by
// strategy.OffersFor when the space is too large for the sorted index.
//
// Cost: building is O(P·Σᵢ kᵢ log kᵢ) for P rule pieces ([Split]) and kᵢ
// values of issue i; AtLeast is O(P·I·log k); Nth(n) is O((n+1)·I·log n)
// amortised over increasing n; Within is limit AtLeast calls plus a sort.
//
// Exactness: Best, Nth and the order of Nth are exact (Nth enumerates the
// outcomes in exactly decreasing order of the per-issue losses). AtLeast and
// Worst are not exact in general (finding the smallest sum ≥ a target is
// multiple-choice subset sum, NP-hard): AtLeast returns an acceptable outcome
// with utility ≥ target whose excess over the smallest such utility is below
// [Offers.Gap] (the largest step between two consecutive contribution values
// of one issue); [Offers.Exact] finds the true minimum by branch and bound.
// Utilities are [preference.Profile.Utility]'s, up to rounding in the order
// of Nth (≈1e-15). An Offers is used by one party at a time.
type Offers struct {
	sp     *outcome.Space
	p      *preference.Profile
	floor  float64
	pieces []offerPiece
	best   float64
	bestAt int // piece of the best outcome
	worst  float64
	worstO outcome.Outcome
	gap    float64
	empty  bool

	tmp, tmp2, tmp3 outcome.Outcome // scratch outcomes
	// Nth: outcomes produced so far in decreasing utility, I per outcome.
	nthO []int32
	nthU []float64
	// Within: scratch.
	seen   map[uint64]struct{}
	seed   maphash.Seed
	winO   []int32
	winU   []float64
	winOrd []int32
}

// offerPiece is one rule piece with each issue's allowed values sorted by the
// party's contribution ascending.
type offerPiece struct {
	vals  [][]int32   // issue → allowed values, contribution ascending (ties by index)
	con   [][]float64 // issue → contributions in that order
	order []int       // issues by contribution spread, largest first
	hiU   float64     // utility of the piece's best outcome
	kb    kbest
}

// NewOffers returns p's acceptable outcomes over sp with utility at least
// floor (normally p.Reservation; compared within preference.Tolerance).
// Returns an error wrapping ErrNotLinear for a non-linear profile and
// ErrTooManyPieces if the rules split the space too finely.
func NewOffers(sp *outcome.Space, p *preference.Profile, floor float64) (*Offers, error) {
	if err := checkProfiles(sp, []*preference.Profile{p}); err != nil {
		return nil, err
	}
	if math.IsNaN(floor) {
		return nil, fmt.Errorf("frontier: profile %q: the utility floor is not a number", p.Name)
	}
	pcs, err := Split(sp, p)
	if err != nil {
		return nil, err
	}
	n := sp.NumIssues()
	o := &Offers{sp: sp, p: p, floor: floor - preference.Tolerance, tmp: sp.New(), tmp2: sp.New(), tmp3: sp.New(),
		seen: map[uint64]struct{}{}, seed: maphash.MakeSeed(), best: math.Inf(-1)}
	for _, pc := range pcs {
		op := offerPiece{vals: make([][]int32, n), con: make([][]float64, n), order: make([]int, n)}
		spread := make([]float64, n)
		for i := range n {
			vs := append([]int32(nil), pc.Values[i]...)
			c := func(v int32) float64 { return p.Issues[i].Weight * p.Issues[i].Eval[v] }
			slices.SortFunc(vs, func(a, b int32) int {
				if x := cmp.Compare(c(a), c(b)); x != 0 {
					return x
				}
				return cmp.Compare(a, b)
			})
			op.vals[i] = vs
			op.con[i] = make([]float64, len(vs))
			for r, v := range vs {
				op.con[i][r] = c(v)
				if r > 0 {
					o.gap = max(o.gap, op.con[i][r]-op.con[i][r-1])
				}
			}
			spread[i] = op.con[i][len(vs)-1] - op.con[i][0]
			op.order[i] = i
		}
		slices.SortStableFunc(op.order, func(a, b int) int { return cmp.Compare(spread[b], spread[a]) })
		for i := range n {
			o.tmp[i] = op.vals[i][len(op.vals[i])-1]
		}
		op.hiU = p.Utility(o.tmp)
		op.kb.init(&op, p)
		if op.hiU > o.best {
			o.best, o.bestAt = op.hiU, len(o.pieces)
		}
		o.pieces = append(o.pieces, op)
	}
	o.empty = len(o.pieces) == 0 || o.best < o.floor
	if !o.empty {
		o.worstO = sp.New()
		o.worst = o.search(o.floor, o.worstO)
	}
	return o, nil
}

// Empty reports whether no outcome is acceptable.
func (o *Offers) Empty() bool { return o.empty }

// Best returns the highest utility of an acceptable outcome (exact).
func (o *Offers) Best() float64 { return o.best }

// Worst returns the utility of AtLeast(floor): an acceptable outcome at most
// Gap above the lowest acceptable utility.
func (o *Offers) Worst() float64 { return o.worst }

// Gap returns the bound on AtLeast's excess: the largest difference between
// two consecutive contributions (sorted) of one issue.
func (o *Offers) Gap() float64 { return o.gap }

// AtLeast writes to dst an acceptable outcome with utility ≥ target, at most
// Gap above the smallest such utility, and returns its utility. Above Best it
// writes a best outcome, at or below Worst the worst one. Deterministic;
// O(P·I·log k); never allocates.
func (o *Offers) AtLeast(target float64, dst outcome.Outcome) float64 {
	if target > o.best {
		pc := &o.pieces[o.bestAt]
		for i := range dst {
			dst[i] = pc.vals[i][len(pc.vals[i])-1]
		}
		return o.best
	}
	if target <= o.worst {
		copy(dst, o.worstO)
		return o.worst
	}
	return o.search(target, dst)
}

// search returns the best over pieces of the greedy search.
func (o *Offers) search(target float64, dst outcome.Outcome) float64 {
	bestU := math.Inf(1)
	for k := range o.pieces {
		pc := &o.pieces[k]
		if pc.hiU < target {
			continue
		}
		if u := o.greedy(pc, target, o.tmp); u < bestU {
			bestU = u
			copy(dst, o.tmp)
		}
	}
	return bestU
}

// greedy is the per-piece offer search. Start from every issue's lowest
// contribution; walk the issues by decreasing spread, raising each to the
// largest contribution that does not overshoot the remaining need (binary
// search); then cover what is left by raising the one issue whose next
// sufficient value overshoots least. Any issue not at its top value could
// not take its next value without overshooting when it was chosen, so that
// value covers the rest: the excess is below the issue's step (Gap). A final
// pass lowers the one issue that removes the most excess. O(I·log k).
func (o *Offers) greedy(pc *offerPiece, target float64, x outcome.Outcome) float64 {
	p := o.p
	rank := o.tmp2 // rank of each issue's value in pc.con order
	for i := range x {
		rank[i] = 0
		x[i] = pc.vals[i][0]
	}
	u := p.Utility(x)
	need := target - u
	for _, i := range pc.order {
		if need <= 0 {
			break
		}
		c := pc.con[i]
		lim := c[0] + need
		r := sort.Search(len(c), func(r int) bool { return c[r] > lim }) - 1
		rank[i] = int32(r)
		x[i] = pc.vals[i][r]
		need -= c[r] - c[0]
	}
	u = p.Utility(x)
	for tries := 0; u < target && tries < len(x)+1; tries++ {
		bi, br, bo := -1, 0, math.Inf(1)
		for i := range x {
			c := pc.con[i]
			cur := c[rank[i]]
			want := cur + (target - u)
			r := sort.Search(len(c), func(r int) bool { return c[r] >= want })
			if r == len(c) {
				continue
			}
			if over := c[r] - want; over < bo || (over == bo && r == int(rank[i])) {
				bi, br, bo = i, r, over
			}
			if r == int(rank[i]) { // rounding only: step to the next value
				if r+1 < len(c) && c[r+1]-want < bo {
					bi, br, bo = i, r+1, c[r+1]-want
				}
			}
		}
		if bi < 0 {
			break
		}
		rank[bi] = int32(br)
		x[bi] = pc.vals[bi][br]
		u = p.Utility(x)
	}
	// Lower one issue to shed as much excess as possible.
	if ex := u - target; ex > 0 {
		bi, br, bd := -1, 0, 0.0
		for i := range x {
			c := pc.con[i]
			cur := c[rank[i]]
			r := sort.Search(int(rank[i]), func(r int) bool { return c[r] >= cur-ex })
			if d := cur - c[r]; r < int(rank[i]) && d > bd {
				bi, br, bd = i, r, d
			}
		}
		if bi >= 0 {
			old := x[bi]
			x[bi] = pc.vals[bi][br]
			if nu := p.Utility(x); nu >= target {
				u = nu
				rank[bi] = int32(br)
			} else {
				x[bi] = old
			}
		}
	}
	return u
}

// Exact writes to dst the acceptable outcome of smallest utility ≥ target
// (any one of them) and returns its utility and true, by depth-first branch
// and bound over the issues (largest spread first) with suffix bounds; it
// gives up after maxNodes search nodes (≤ 0: no limit) and then returns the
// best found and false. Exponential in the worst case: a test and
// small-space tool, not a per-round call. If no acceptable outcome reaches
// target it returns a best outcome and its utility, and true.
func (o *Offers) Exact(target float64, dst outcome.Outcome, maxNodes int) (float64, bool) {
	if o.empty || target > o.best {
		if !o.empty {
			o.AtLeast(target, dst)
		}
		return o.best, true
	}
	target = max(target, o.floor)
	best := o.search(target, dst) // incumbent
	complete := true
	nodes := 0
	x := o.sp.New()
	for k := range o.pieces {
		pc := &o.pieces[k]
		if pc.hiU < target {
			continue
		}
		n := len(pc.order)
		sufLo := make([]float64, n+1)
		sufHi := make([]float64, n+1)
		for d := n - 1; d >= 0; d-- {
			c := pc.con[pc.order[d]]
			sufLo[d] = sufLo[d+1] + c[0]
			sufHi[d] = sufHi[d+1] + c[len(c)-1]
		}
		const slack = 1e-9 // bounds are float sums in another order than Utility
		var dfs func(d int, s float64) bool
		dfs = func(d int, s float64) bool {
			nodes++
			if maxNodes > 0 && nodes > maxNodes {
				complete = false
				return false
			}
			if s+sufHi[d] < target-slack || s+sufLo[d] > best+slack {
				return true
			}
			if s+sufLo[d] >= target+slack || d == n {
				for e := d; e < n; e++ {
					x[pc.order[e]] = pc.vals[pc.order[e]][0]
				}
				if u := o.p.Utility(x); u >= target && u < best {
					best = u
					copy(dst, x)
				}
				if d == n || s+sufLo[d] >= target+slack {
					return true
				}
			}
			i := pc.order[d]
			for r, c := range pc.con[i] {
				x[i] = pc.vals[i][r]
				if !dfs(d+1, s+c) {
					return false
				}
			}
			return true
		}
		if !dfs(0, 0) {
			break
		}
	}
	return best, complete
}

// Nth writes to dst the n-th best acceptable outcome (n = 0 is a best one)
// and returns its utility and true, or false if fewer than n+1 outcomes are
// acceptable. The order is exact and fixed. Outcomes produced so far are
// kept, so a first call with a large n costs O(n·I·log n) and memory O(n·I).
func (o *Offers) Nth(n int, dst outcome.Outcome) (float64, bool) {
	if n < 0 || o.empty {
		return 0, false
	}
	ni := o.sp.NumIssues()
	for len(o.nthU) <= n {
		bk, bu := -1, math.Inf(-1)
		for k := range o.pieces {
			if u, ok := o.pieces[k].kb.peek(); ok && u > bu {
				bk, bu = k, u
			}
		}
		if bk < 0 {
			return 0, false
		}
		pc := &o.pieces[bk]
		pc.kb.pop(pc, o.tmp)
		u := o.p.Utility(o.tmp)
		if u < o.floor {
			return 0, false
		}
		o.nthO = append(o.nthO, o.tmp...)
		o.nthU = append(o.nthU, u)
	}
	copy(dst, o.nthO[n*ni:(n+1)*ni])
	return o.nthU[n], true
}

// Within appends to buf, as runs of NumIssues value indices, up to limit
// distinct acceptable outcomes with utility in [lo, hi], in increasing
// utility: those AtLeast finds for limit targets spread evenly over [lo, hi]
// (not necessarily the lowest ones). O(limit·P·I·log k).
func (o *Offers) Within(lo, hi float64, limit int, buf []int32) []int32 {
	if o.empty || limit <= 0 {
		return buf
	}
	lo = max(lo, o.floor)
	hi = min(hi, o.best)
	if lo > hi {
		return buf
	}
	ni := o.sp.NumIssues()
	clear(o.seen)
	o.winO, o.winU = o.winO[:0], o.winU[:0]
	for k := range limit {
		t := lo
		if limit > 1 {
			t = lo + (hi-lo)*float64(k)/float64(limit-1)
		}
		u := o.AtLeast(t, o.tmp3)
		if u < lo || u > hi {
			continue
		}
		var h maphash.Hash
		h.SetSeed(o.seed)
		for _, v := range o.tmp3 {
			h.WriteByte(byte(v))
			h.WriteByte(byte(v >> 8))
		}
		key := h.Sum64()
		if _, dup := o.seen[key]; dup {
			continue
		}
		o.seen[key] = struct{}{}
		o.winO = append(o.winO, o.tmp3...)
		o.winU = append(o.winU, u)
	}
	o.winOrd = o.winOrd[:0]
	for k := range o.winU {
		o.winOrd = append(o.winOrd, int32(k))
	}
	slices.SortFunc(o.winOrd, func(a, b int32) int {
		if c := cmp.Compare(o.winU[a], o.winU[b]); c != 0 {
			return c
		}
		return slices.Compare(o.winO[int(a)*ni:int(a)*ni+ni], o.winO[int(b)*ni:int(b)*ni+ni])
	})
	for _, k := range o.winOrd {
		buf = append(buf, o.winO[int(k)*ni:int(k)*ni+ni]...)
	}
	return buf
}

// sampleTries is how many uniform draws Sample makes before falling back.
const sampleTries = 256

// Sample writes to dst an acceptable outcome and returns its utility. It
// draws a piece with probability proportional to its size and an outcome
// uniformly in it, and keeps the first acceptable one of up to 256 draws:
// exactly uniform over the acceptable outcomes whenever one is found. If
// acceptable outcomes are rarer than that (a floor near Best), it falls back
// to AtLeast of a target drawn uniformly in [Worst, Best] — uniform in
// utility, not in outcomes.
func (o *Offers) Sample(r *rand.Rand, dst outcome.Outcome) float64 {
	total := 0.0
	for k := range o.pieces {
		total += o.pieces[k].kb.size
	}
	for range sampleTries {
		x := r.Float64() * total
		k := 0
		for ; k < len(o.pieces)-1 && x >= o.pieces[k].kb.size; k++ {
			x -= o.pieces[k].kb.size
		}
		pc := &o.pieces[k]
		for i := range dst {
			dst[i] = pc.vals[i][r.IntN(len(pc.vals[i]))]
		}
		if u := o.p.Utility(dst); u >= o.floor {
			return u
		}
	}
	return o.AtLeast(o.worst+r.Float64()*(o.best-o.worst), dst)
}

// kbest enumerates a piece's outcomes in decreasing utility: the k best sums
// of I sorted lists, best-first over states (rank vector, last position j in
// an issue order sorted by first loss), each with a unique parent: raise the
// rank at j, open position j+1 at rank 1, or (rank at j is 1) move that 1 to
// j+1. Children never have smaller loss, so a heap pops in order without
// duplicates. O(log h + I) per outcome for heap size h.
type kbest struct {
	ord   []int     // issues with ≥ 2 values, by first loss ascending
	size  float64   // number of outcomes of the piece
	arena []int32   // rank vectors, I per state
	loss  []float64 // per state
	last  []int32   // per state: position in ord (−1 for the root)
	heap  []int32   // state ids
	hiU   float64
}

func (kb *kbest) init(pc *offerPiece, p *preference.Profile) {
	n := len(pc.vals)
	kb.size = 1
	for i := range n {
		kb.size *= float64(len(pc.vals[i]))
		if len(pc.vals[i]) > 1 {
			kb.ord = append(kb.ord, i)
		}
	}
	first := func(i int) float64 { c := pc.con[i]; return c[len(c)-1] - c[len(c)-2] }
	slices.SortStableFunc(kb.ord, func(a, b int) int { return cmp.Compare(first(a), first(b)) })
	kb.hiU = pc.hiU
	kb.arena = make([]int32, n)
	kb.loss = []float64{0}
	kb.last = []int32{-1}
	kb.heap = []int32{0}
}

func (kb *kbest) less(a, b int32) bool {
	if kb.loss[a] != kb.loss[b] {
		return kb.loss[a] < kb.loss[b]
	}
	return a < b
}

func (kb *kbest) peek() (float64, bool) {
	if len(kb.heap) == 0 {
		return 0, false
	}
	return kb.hiU - kb.loss[kb.heap[0]], true
}

// pop writes the next outcome into x and pushes its children.
func (kb *kbest) pop(pc *offerPiece, x outcome.Outcome) {
	h := kb.heap
	s := h[0]
	h[0] = h[len(h)-1]
	h = h[:len(h)-1]
	kb.heap = h
	kb.down(0)
	n := len(pc.vals)
	rk := kb.arena[int(s)*n : int(s)*n+n]
	for i := range n {
		x[i] = pc.vals[i][len(pc.vals[i])-1-int(rk[i])]
	}
	lossAt := func(i int, r int32) float64 { c := pc.con[i]; return c[len(c)-1] - c[len(c)-1-int(r)] }
	j := int(kb.last[s])
	m := len(kb.ord)
	child := func(set func(r []int32) float64, pos int) {
		id := int32(len(kb.loss))
		kb.arena = append(kb.arena, kb.arena[int(s)*n:int(s)*n+n]...)
		r := kb.arena[int(id)*n : int(id)*n+n]
		kb.loss = append(kb.loss, kb.loss[s]+set(r))
		kb.last = append(kb.last, int32(pos))
		kb.heap = append(kb.heap, id)
		kb.up(len(kb.heap) - 1)
	}
	if j >= 0 {
		i := kb.ord[j]
		if int(rk[i])+1 < len(pc.vals[i]) {
			child(func(r []int32) float64 { r[i]++; return lossAt(i, r[i]) - lossAt(i, r[i]-1) }, j)
		}
	}
	if j+1 < m {
		i2 := kb.ord[j+1]
		child(func(r []int32) float64 { r[i2] = 1; return lossAt(i2, 1) }, j+1)
		if j >= 0 && kb.arena[int(s)*n+kb.ord[j]] == 1 {
			i := kb.ord[j]
			child(func(r []int32) float64 { r[i] = 0; r[i2] = 1; return lossAt(i2, 1) - lossAt(i, 1) }, j+1)
		}
	}
}

func (kb *kbest) up(i int) {
	h := kb.heap
	for i > 0 {
		p := (i - 1) / 2
		if !kb.less(h[i], h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (kb *kbest) down(i int) {
	h := kb.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		c := l
		if r := l + 1; r < len(h) && kb.less(h[r], h[l]) {
			c = r
		}
		if !kb.less(h[c], h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

package analysis

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"

	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/outcome"
)

// maxBall is the number of outcomes DistanceToPareto holds at once while it
// looks for the nearest frontier point; a nearer ring is searched first when
// more fall in the ball. A variable so that tests can make it small.
var maxBall = 1 << 20

// oracle answers "does an admissible outcome dominate p?" for linear-additive
// profiles without enumerating the space: a depth-first branch and bound
// over the issues of each rule-consistent piece (frontier.Split), which
// drops a prefix as soon as one party's utility so far plus the most the
// remaining issues can give it falls short of p. Utilities at the leaves
// are summed in issue order, bit-identical to Profile.Utility. The bound
// has a slack of 1e-9 so that rounding never prunes a real dominator.
type oracle struct {
	s      *Summary
	n, ni  int
	pieces []orPiece
	pre    []float64 // prefix sums, (ni+1)·n
	o      outcome.Outcome
	nodes  int64
	ctx    context.Context
}

// orPiece is one piece: per issue, its values in the order tried (largest
// contribution sum first), and rest[i·n+j], the most issues i… can add to
// party j's utility.
type orPiece struct {
	vals [][]int32
	rest []float64
}

const boundSlack = 1e-9

func newOracle(ctx context.Context, s *Summary) (*oracle, error) {
	sp, ps := s.sc.sp, s.sc.profiles
	for _, p := range ps {
		if !p.IsLinear() {
			return nil, errNotLinear
		}
	}
	var pieces []frontier.Piece
	if s.IgnoredConstraints {
		pc := frontier.Piece{Values: make([][]int32, sp.NumIssues())}
		for i := range pc.Values {
			for v := range sp.Issues[i].Len() {
				pc.Values[i] = append(pc.Values[i], int32(v))
			}
		}
		pieces = []frontier.Piece{pc}
	} else {
		var err error
		if pieces, err = frontier.Split(sp, ps...); err != nil {
			return nil, err
		}
	}
	n, ni := len(ps), sp.NumIssues()
	or := &oracle{s: s, n: n, ni: ni, pre: make([]float64, (ni+1)*n), o: sp.New(), ctx: ctx}
	for _, pc := range pieces {
		op := orPiece{vals: make([][]int32, ni), rest: make([]float64, (ni+1)*n)}
		for i := ni - 1; i >= 0; i-- {
			vs := slices.Clone(pc.Values[i])
			score := func(v int32) float64 {
				t := 0.0
				for _, p := range ps {
					t += p.Contribution(i, v)
				}
				return t
			}
			slices.SortStableFunc(vs, func(a, b int32) int { return cmp.Compare(score(b), score(a)) })
			op.vals[i] = vs
			for j, p := range ps {
				best := math.Inf(-1)
				for _, v := range vs {
					best = max(best, p.Contribution(i, v))
				}
				op.rest[i*n+j] = op.rest[(i+1)*n+j] + best
			}
		}
		or.pieces = append(or.pieces, op)
	}
	return or, nil
}

// climb replaces p, the utilities of an admissible outcome, by those of a
// frontier point that weakly dominates it, stepping through strict
// dominators (each step raises one utility and lowers none, so it ends).
func (or *oracle) climb(p []float64) error {
	next := make([]float64, len(p))
	for {
		ok, err := or.dominator(p, next, true)
		if err != nil || !ok {
			return err
		}
		copy(p, next)
	}
}

// maxKnown bounds the frontier points DistanceToPareto remembers.
const maxKnown = 1 << 10

var errNotLinear = errors.New("analysis: a profile is not linear additive")

// dominator looks for an admissible outcome whose utilities dominate p
// (strict) or weakly dominate it (!strict: ≥ everywhere) and writes them into
// dst. It reports whether it found one.
func (or *oracle) dominator(p, dst []float64, strict bool) (bool, error) {
	for k := range or.pieces {
		found, err := or.search(&or.pieces[k], 0, p, dst, strict)
		if found || err != nil {
			return found, err
		}
	}
	return false, nil
}

func (or *oracle) search(pc *orPiece, i int, p, dst []float64, strict bool) (bool, error) {
	n, ps := or.n, or.s.sc.profiles
	pre := or.pre[i*n : (i+1)*n]
	for j := range n {
		if pre[j]+pc.rest[i*n+j] < p[j]-boundSlack {
			return false, nil
		}
	}
	or.nodes++
	if or.nodes&0xFFFF == 0 {
		if err := or.ctx.Err(); err != nil {
			return false, err
		}
	}
	if i == or.ni {
		better := false
		for j, q := range ps {
			u := pre[j]
			if q.CapAtOne && u > 1 {
				u = 1
			}
			if u < p[j] {
				return false, nil
			}
			better = better || u > p[j]
			dst[j] = u
		}
		return better || !strict, nil
	}
	next := or.pre[(i+1)*n : (i+2)*n]
	for _, v := range pc.vals[i] {
		for j, q := range ps {
			next[j] = pre[j] + q.Contribution(i, v)
		}
		or.o[i] = v
		if found, err := or.search(pc, i+1, p, dst, strict); found || err != nil {
			return found, err
		}
	}
	return false, nil
}

// DistanceToPareto returns the Euclidean distance from utility vector u to
// the nearest point of the Pareto frontier over the admissible outcomes (its
// points, as Report.DistanceToPareto measures it, with the same result bit
// for bit), or +Inf if no outcome is admissible, without building the
// frontier.
//
// Algorithm (linear-additive profiles): a frontier point q is found by
// climbing from u through dominators (the branch-and-bound oracle above),
// or is MaxWelfareGenius; the nearest frontier point lies in the ball of
// radius |u − q|, whose outcomes one pass collects (at most 2²⁰ at a time,
// nearest first); they are tried in order of distance, each against the
// dominators already met and then the oracle, and the first that nothing
// dominates is the answer. Cost: one or two passes over the N outcomes,
// O(N·n), plus O(B log B) for the B outcomes in the ball and one oracle call
// per candidate tried; an oracle call costs O(n) per prefix it cannot prune
// (a few thousand near the frontier, up to O(N·n) in the worst case).
// Profiles that are not linear additive, or rules that split the space into
// too many pieces, fall back to Analyze (the frontier by enumeration). It
// checks ctx every 65,536 outcomes or oracle nodes.
func (s *Summary) DistanceToPareto(ctx context.Context, u []float64) (float64, error) {
	if s.Admissible == 0 {
		return math.Inf(1), nil
	}
	or, err := newOracle(ctx, s)
	if err != nil {
		r, err := Analyze(ctx, s.sc.sp, s.sc.profiles, Options{IgnoreConstraints: s.IgnoredConstraints})
		if err != nil {
			return math.NaN(), err
		}
		d, _ := r.DistanceToPareto(u)
		return d, nil
	}
	n := s.Parties
	// A frontier point: climb from u through strict dominators (each step
	// strictly improves one utility and lowers none, so it ends), or take
	// the welfare maximum if nothing weakly dominates u.
	q := make([]float64, n)
	found, err := or.dominator(u, q, false)
	if err != nil {
		return math.NaN(), err
	}
	if found {
		if err := or.climb(q); err != nil {
			return math.NaN(), err
		}
		if slices.Equal(q, u) {
			return 0, nil
		}
	} else {
		q = s.MaxWelfareGenius.Utility
	}
	d2 := func(x []float64) float64 {
		var d float64
		for i := range x {
			y := u[i] - x[i]
			d += y * y
		}
		return d
	}
	// Frontier points at hand: q and the solution concepts (each is on the
	// frontier, see Summarize). best is the nearest one's squared distance.
	kn := &known{n: n}
	best := math.Inf(1)
	for _, p := range [][]float64{q, pointUtility(s.Nash), pointUtility(s.Kalai), pointUtility(s.Egalitarian),
		pointUtility(s.MaxWelfare), pointUtility(s.MaxWelfareGenius)} {
		if p != nil {
			kn.add(p)
			best = min(best, d2(p))
		}
	}
	lo := -1.0
	var cs []cand
	x := make([]float64, n)
	buf := make([]float64, n)
	o := s.sc.sp.New()
	for {
		// The ball (or the ring past lo): the outcomes nearer than every
		// known frontier point that none of them dominates.
		cs = cs[:0]
		limit := best
		truncated := false
		err := s.sc.run(ctx, func(idx int64, x []float64) {
			d := d2(x)
			if d <= lo || d >= limit || kn.dominated(x) {
				return
			}
			cs = append(cs, cand{d, idx})
			if len(cs) >= 2*maxBall {
				// Keep the nearest maxBall; the ring beyond is searched
				// later if needed.
				slices.SortFunc(cs, func(a, b cand) int { return cmp.Compare(a.d, b.d) })
				limit = cs[maxBall-1].d
				for len(cs) > 0 && cs[len(cs)-1].d > limit {
					cs = cs[:len(cs)-1]
				}
				truncated = true
			}
		}, nil, nil)
		if err != nil {
			return math.NaN(), err
		}
		// Try the candidates nearest first, popping them off a binary heap:
		// O(B) to build, O(log B) a candidate tried. A candidate no known
		// frontier point dominates goes to the oracle: if nothing dominates
		// it, it is the nearest frontier point; otherwise the frontier point
		// above its dominator joins the known ones.
		h := candHeap(cs)
		h.init()
		for len(h) > 0 {
			c := h.pop()
			if c.d >= best {
				return math.Sqrt(best), nil
			}
			x = Utilities(s.sc.profiles, s.sc.sp.Decode(outcome.Index(c.idx), o), x)
			if kn.dominated(x) {
				continue
			}
			ok, err := or.dominator(x, buf, true)
			if err != nil {
				return math.NaN(), err
			}
			if !ok {
				return math.Sqrt(c.d), nil
			}
			if err := or.climb(buf); err != nil {
				return math.NaN(), err
			}
			kn.add(buf)
			best = min(best, d2(buf))
		}
		if !truncated || best <= limit {
			return math.Sqrt(best), nil
		}
		lo = limit
	}
}

func pointUtility(p *Point) []float64 {
	if p == nil {
		return nil
	}
	return p.Utility
}

// known holds frontier points, n utilities each, the last one that
// dominated something first (move to front: a few points dominate most
// outcomes), at most maxKnown.
type known struct {
	n   int
	u   []float64
	tmp []float64
}

func (k *known) add(p []float64) {
	k.u = append(slices.Clone(p), k.u...)[:min(len(k.u)+k.n, maxKnown*k.n)]
}

func (k *known) dominated(x []float64) bool {
	n := k.n
	for t := 0; t < len(k.u); t += n {
		if dominates(k.u[t:t+n], x) {
			if t > 0 {
				k.tmp = append(k.tmp[:0], k.u[t:t+n]...)
				copy(k.u[n:t+n], k.u[:t])
				copy(k.u, k.tmp)
			}
			return true
		}
	}
	return false
}

// cand is an outcome of the ball: its squared distance and dense index (its
// utilities are computed again for the few candidates tried).
type cand struct {
	d   float64
	idx int64
}

// candHeap is a binary min-heap of candidates by distance.
type candHeap []cand

func (h candHeap) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h[c+1].d < h[c].d {
			c++
		}
		if h[i].d <= h[c].d {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

func (h candHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *candHeap) pop() cand {
	old := *h
	c := old[0]
	old[0] = old[len(old)-1]
	*h = old[:len(old)-1]
	h.down(0)
	return c
}

package analysis

import "math"

// nearestGrid finds, for two parties, the frontier points nearest to a
// utility vector: a point-location structure for the Voronoi diagram of the
// frontier's distinct vectors, as a uniform grid over the utility vectors
// queried, built lazily.
//
// Why not a binary search along the frontier: the distance from a vector to
// the points of a monotone staircase is not unimodal in the position along
// it (from (0, 0), the points (0, 10), (5, 5), (6, 4.9), (6.1, 0.1) are at
// 10, 7.07, 7.75, 6.1), so a search that follows the slope can miss the
// nearest point; a scan outwards from u₀'s position (nearest2) is exact but
// inspects every point within the best distance in u₀, dozens per query on
// a frontier of a few hundred points.
//
// Instead each cell of an nnCells × nnCells grid keeps the points that can
// be nearest to some vector of the cell (nearestCandidates: every point
// that the point nearest the cell's centre beats over the whole cell is
// dropped). A cell is built on its first query from the list of the cell
// four times larger a side that holds it, and so on up to 4 × 4 cells built
// from all F points (a lazy quadtree of degree 16). A query costs one cell
// look-up and the distances to the cell's candidates, one or two when cells
// are small beside the gaps between frontier points; building a cell costs
// O(c), c its parent's candidates, O(F) at the top. Memory O(nnCells² +
// candidates). A vector outside the grid's box is compared with every
// point.
//
// The answer is the same square distance, bit for bit, as a scan of every
// point computes (dx·dx + dy·dy with dx = p₀ − u₀, dy = p₁ − u₁): a point is
// dropped from a cell only when another is closer over the whole cell by a
// margin far above the rounding of those squares.
type nearestGrid struct {
	fu0, fu1   []float64        // the points, u₀ ascending
	all        []int32          // 0…F−1
	lo0, lo1   float64          // the grid's corner
	w0, w1     float64          // a cell's width and height
	inv0, inv1 float64          // cells per unit of u₀, u₁
	pad        float64          // each cell's box is widened by pad on every side
	margin     float64          // see nearestCandidates
	levels     [nnLevels][]span // level l has nnSide(l)² cells; the last is fine
	fine       []span           // levels[nnLevels-1]
	pool       []int32
	scratch    []int32
}

// span locates a cell's candidates in pool; n < 0 until built.
type span struct{ start, n int32 }

// The grid has nnCells × nnCells cells; coarser levels of 4×4 fewer cells
// each sit above it, level l having nnSide(l) cells a side (4, 16, 64,
// 256).
const (
	nnLevels = 4
	nnCells  = 1 << (2 * nnLevels)
)

func nnSide(l int) int { return 4 << (2 * l) }

// newNearestGrid covers the box [lo0, hi0] × [lo1, hi1] of query vectors
// with cells over the points (fu0[k], fu1[k]), u₀ ascending and distinct.
func newNearestGrid(fu0, fu1 []float64, lo0, hi0, lo1, hi1 float64) *nearestGrid {
	g := &nearestGrid{fu0: fu0, fu1: fu1, lo0: lo0, lo1: lo1}
	g.all = make([]int32, len(fu0))
	scale := max(1, math.Abs(lo0), math.Abs(hi0), math.Abs(lo1), math.Abs(hi1))
	for k := range fu0 {
		g.all[k] = int32(k)
		scale = max(scale, math.Abs(fu0[k]), math.Abs(fu1[k]))
	}
	// Squares of differences of numbers below scale round by less than
	// scale²·2⁻⁵⁰; the margin is a hundred thousand times more.
	g.margin = scale * scale * 0x1p-50 * 1e5
	g.w0, g.w1 = max(hi0-lo0, scale*0x1p-40)/nnCells, max(hi1-lo1, scale*0x1p-40)/nnCells
	g.inv0, g.inv1 = 1/g.w0, 1/g.w1
	g.pad = max(g.w0, g.w1) * 1e-6
	for l := range g.levels {
		g.levels[l] = make([]span, nnSide(l)*nnSide(l))
		for i := range g.levels[l] {
			g.levels[l][i].n = -1
		}
	}
	g.fine = g.levels[nnLevels-1]
	return g
}

// candidates returns the points that can be nearest to (u0, u1): the
// cell's list, or every point outside the grid.
func (g *nearestGrid) candidates(u0, u1 float64) []int32 {
	x, y := (u0-g.lo0)*g.inv0, (u1-g.lo1)*g.inv1
	if x >= 0 && x < nnCells && y >= 0 && y < nnCells {
		if s := g.fine[int(x)*nnCells+int(y)]; s.n >= 0 {
			return g.pool[s.start : s.start+s.n]
		}
	}
	return g.slow(x, y)
}

// slow builds the cell at grid position (x, y), or returns every point
// outside the grid.
func (g *nearestGrid) slow(x, y float64) []int32 {
	if !(x >= 0 && x < nnCells && y >= 0 && y < nnCells) {
		return g.all
	}
	s := g.build(nnLevels-1, int(x), int(y))
	return g.pool[s.start : s.start+s.n]
}

// dist2 returns the smallest square distance from (u0, u1) to a point.
func (g *nearestGrid) dist2(u0, u1 float64) float64 {
	bd := math.Inf(1)
	for _, k := range g.candidates(u0, u1) {
		dx, dy := g.fu0[k]-u0, g.fu1[k]-u1
		bd = min(bd, dx*dx+dy*dy)
	}
	return bd
}

// build fills cell (i, j) of level l, and the cells above it that are
// still empty.
func (g *nearestGrid) build(l, i, j int) span {
	parent := g.all
	if l > 0 {
		ps := g.levels[l-1][(i/4)*nnSide(l-1)+j/4]
		if ps.n < 0 {
			ps = g.build(l-1, i/4, j/4)
		}
		if ps.n <= 1 {
			// One candidate for the whole parent: its cells share the list.
			g.levels[l][i*nnSide(l)+j] = ps
			return ps
		}
		parent = g.pool[ps.start : ps.start+ps.n]
	}
	size := nnCells / nnSide(l)
	s := g.fill(parent, i*size, j*size, size)
	g.levels[l][i*nnSide(l)+j] = s
	return s
}

// fill appends to pool the points of cand that can be nearest to a vector
// of the square of size×size cells whose lowest cell is (i, j).
func (g *nearestGrid) fill(cand []int32, i, j, size int) span {
	a0 := g.lo0 + float64(i)*g.w0 - g.pad
	b0 := g.lo0 + float64(i+size)*g.w0 + g.pad
	a1 := g.lo1 + float64(j)*g.w1 - g.pad
	b1 := g.lo1 + float64(j+size)*g.w1 + g.pad
	start := len(g.pool)
	// cand may alias pool: collect first, then append.
	g.scratch = nearestCandidates(g.fu0, g.fu1, cand, a0, b0, a1, b1, g.margin, g.scratch[:0])
	g.pool = append(g.pool, g.scratch...)
	return span{int32(start), int32(len(g.scratch))}
}

// nearestCandidates appends to dst the points of cand (indices into fu0,
// fu1, ascending) that can be the nearest point, or tie with it, for some
// vector of the box [a0, b0] × [a1, b1], and returns dst. It takes the
// point p* nearest to the box's centre and drops every point p that p* beats
// over the whole box: |q−p|² − |q−p*|² is linear in q, so its minimum over
// the box is at the corner nearest p's side on each axis, and p goes when
// that minimum exceeds margin (which must exceed the rounding of the square
// distances compared later). O(|cand|).
func nearestCandidates(fu0, fu1 []float64, cand []int32, a0, b0, a1, b1, margin float64, dst []int32) []int32 {
	if len(cand) == 0 {
		return dst
	}
	c0, c1 := (a0+b0)/2, (a1+b1)/2
	best, bd := cand[0], math.Inf(1)
	for _, k := range cand {
		dx, dy := fu0[k]-c0, fu1[k]-c1
		if d := dx*dx + dy*dy; d < bd {
			best, bd = k, d
		}
	}
	p0, p1 := fu0[best], fu1[best]
	for _, k := range cand {
		q0, q1 := a0, a1
		if fu0[k] > p0 {
			q0 = b0
		}
		if fu1[k] > p1 {
			q1 = b1
		}
		dx, dy := fu0[k]-q0, fu1[k]-q1
		ex, ey := p0-q0, p1-q1
		if (dx*dx+dy*dy)-(ex*ex+ey*ey) <= margin {
			dst = append(dst, k)
		}
	}
	return dst
}

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
// Instead each cell of a nnCells × nnCells grid keeps the points that
// can be nearest to some vector of the cell (nearestCandidates: every point
// that the point nearest the cell's centre beats over the whole cell is
// dropped). A cell is built on its first query from the list of its
// coarse cell (nnCells/nnCoarse cells a side), which is built from all
// F points. A query costs one cell look-up and the distances to the cell's
// candidates, one or two when cells are small beside the gaps between
// frontier points; building costs O(F) per coarse cell and O(c) per cell, c
// its coarse cell's candidates. Memory O(nnCells² + candidates). A vector
// outside the grid's box is compared with every point.
//
// The answer is the same square distance, bit for bit, as a scan of every
// point computes (dx·dx + dy·dy with dx = p₀ − u₀, dy = p₁ − u₁): a point is
// dropped from a cell only when another is closer over the whole cell by a
// margin far above the rounding of those squares.
type nearestGrid struct {
	fu0, fu1   []float64 // the points, u₀ ascending
	all        []int32   // 0…F−1
	lo0, lo1   float64   // the grid's corner
	w0, w1     float64   // a cell's width and height
	inv0, inv1 float64   // cells per unit of u₀, u₁
	pad        float64   // each cell's box is widened by pad on every side
	margin     float64   // see nearestCandidates
	coarse     []span
	fine       []span
	pool       []int32
}

// span locates a cell's candidates in pool; n < 0 until built.
type span struct{ start, n int32 }

const (
	nnCells        = 256
	nnCoarse       = 16
	nnFineOfCoarse = nnCells / nnCoarse
)

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
	g.coarse = make([]span, nnCoarse*nnCoarse)
	g.fine = make([]span, nnCells*nnCells)
	for i := range g.coarse {
		g.coarse[i].n = -1
	}
	for i := range g.fine {
		g.fine[i].n = -1
	}
	return g
}

// candidates returns the points that can be nearest to (u0, u1): the
// cell's list, or every point outside the grid.
func (g *nearestGrid) candidates(u0, u1 float64) []int32 {
	x, y := (u0-g.lo0)*g.inv0, (u1-g.lo1)*g.inv1
	if !(x >= 0 && x < nnCells && y >= 0 && y < nnCells) {
		return g.all
	}
	c := int(x)*nnCells + int(y)
	s := g.fine[c]
	if s.n < 0 {
		s = g.build(int(x), int(y))
	}
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

// build fills fine cell (i, j) and, if needed, its coarse cell.
func (g *nearestGrid) build(i, j int) span {
	ci, cj := i/nnFineOfCoarse, j/nnFineOfCoarse
	cs := &g.coarse[ci*nnCoarse+cj]
	if cs.n < 0 {
		*cs = g.fill(g.all, ci*nnFineOfCoarse, cj*nnFineOfCoarse, nnFineOfCoarse)
	}
	s := g.fill(g.pool[cs.start:cs.start+cs.n], i, j, 1)
	g.fine[i*nnCells+j] = s
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
	keep := nearestCandidates(g.fu0, g.fu1, cand, a0, b0, a1, b1, g.margin, nil)
	g.pool = append(g.pool, keep...)
	return span{int32(start), int32(len(keep))}
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

package analysis

import (
	"context"
	"math"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// scanner enumerates a space in dense index order and hands every
// admissible outcome's utility vector to a visitor.
type scanner struct {
	sp       *outcome.Space
	profiles []*preference.Profile
	ignore   bool // IgnoreConstraints
	redLines bool // some profile has red lines and they count
}

// run visits every admissible outcome (the slice it passes is reused) and,
// when the pointers are non-nil, counts all and feasible outcomes. It checks
// ctx every 65,536 outcomes and never allocates per outcome.
func (s *scanner) run(ctx context.Context, visit func(idx int64, u []float64), outcomes, feasible *int64) error {
	sp, ps := s.sp, s.profiles
	o := sp.New()
	u := make([]float64, len(ps))
	var nFeasible int64
	for idx := int64(0); ; idx++ {
		if idx&0xFFFF == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		f := len(sp.Rules) == 0 || sp.Feasible(o)
		if f {
			nFeasible++
		}
		ok := s.ignore || f
		if ok && s.redLines {
			for _, p := range ps {
				if p.Violates(o) {
					ok = false
					break
				}
			}
		}
		if ok {
			for i, p := range ps {
				u[i] = p.Utility(o)
			}
			visit(idx, u)
		}
		if !sp.Next(o) {
			if outcomes != nil {
				*outcomes = idx + 1
			}
			if feasible != nil {
				*feasible = nFeasible
			}
			return nil
		}
	}
}

// grid2 is the two-party pre-filter: cells of party 0's utility, each with
// the largest party-1 utility seen in it. cell is monotone in u₀, so a point
// in a higher cell has a strictly larger u₀; a point whose u₁ does not exceed
// the best u₁ of every higher cell is strictly dominated. The cell bounds
// only affect how much is filtered, never correctness.
type grid2 struct {
	lo, scale float64
	best      []float64 // best u₁ per cell; after finish, best u₁ of all higher cells
}

const gridCells = 1 << 12

func newGrid2(p *preference.Profile) *grid2 {
	lo, hi := 0.0, 1.0
	if p.IsLinear() {
		lo, hi = p.Range()
	}
	g := &grid2{lo: lo, scale: 1, best: make([]float64, gridCells)}
	if hi > lo {
		g.scale = gridCells / (hi - lo)
	}
	for i := range g.best {
		g.best[i] = math.Inf(-1)
	}
	return g
}

func (g *grid2) cell(u0 float64) int {
	x := (u0 - g.lo) * g.scale
	switch {
	case x >= gridCells-1:
		return gridCells - 1
	case x > 0:
		return int(x)
	}
	return 0 // also NaN
}

func (g *grid2) observe(u0, u1 float64) {
	c := g.cell(u0)
	g.best[c] = max(g.best[c], u1)
}

// finish turns the per-cell maxima into suffix maxima over the higher cells.
func (g *grid2) finish() {
	run := math.Inf(-1)
	for c := gridCells - 1; c >= 0; c-- {
		b := g.best[c]
		g.best[c] = run
		run = max(run, b)
	}
}

func (g *grid2) mayBeOptimal(u0, u1 float64) bool { return u1 > g.best[g.cell(u0)] }

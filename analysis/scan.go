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
//
// Outcomes come in dense index order (the last issue varies fastest), and
// linear utilities are kept as prefix sums: after a step that changed issues
// k… only those prefixes are recomputed, on average little more than one
// addition per party. The sums are added in issue order from 0, exactly as
// Profile.Utility adds them, so every utility is bit-identical to it. Red
// lines are kept as prefix flags the same way.
func (s *scanner) run(ctx context.Context, visit func(idx int64, u []float64), outcomes, feasible *int64) error {
	sp, ps := s.sp, s.profiles
	n := sp.NumIssues()
	o := sp.New()
	u := make([]float64, len(ps))
	part := make([]float64, len(ps)*(n+1)) // party p's prefix sums at part[p·(n+1):]
	var forbidden [][]bool                 // value v of issue i crosses some party's red line
	bad := make([]bool, n+1)               // bad[i+1]: issues 0…i cross a red line
	if s.redLines {
		forbidden = make([][]bool, n)
		for i := range forbidden {
			forbidden[i] = make([]bool, sp.Issues[i].Len())
			for _, p := range ps {
				if p.RedLines != nil && p.RedLines[i] != nil {
					for v, b := range p.RedLines[i] {
						forbidden[i][v] = forbidden[i][v] || b
					}
				}
			}
		}
	}
	// Rules are re-checked only when one of their issues changed: a rule
	// whose issues all come before the first changed issue keeps its value.
	needRules := len(sp.Rules) > 0 && (feasible != nil || !s.ignore)
	ruleLast := make([]int, len(sp.Rules)) // the rule's last issue
	ruleOK := make([]bool, len(sp.Rules))
	for r := range sp.Rules {
		ruleOK[r] = true
		for _, c := range append(append([]outcome.Condition(nil), sp.Rules[r].If...), sp.Rules[r].Then...) {
			ruleLast[r] = max(ruleLast[r], c.Issue)
		}
	}
	broken := 0 // rules that o breaks
	var nFeasible int64
	changed := 0 // the first issue the last step changed
	from := 0    // the first issue whose utility prefixes are stale
	for idx := int64(0); ; idx++ {
		if idx&0xFFFF == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if needRules {
			for r := range sp.Rules {
				if ruleLast[r] >= changed {
					if ok := sp.Rules[r].Holds(o); ok != ruleOK[r] {
						if ok {
							broken--
						} else {
							broken++
						}
						ruleOK[r] = ok
					}
				}
			}
		}
		f := broken == 0
		if f {
			nFeasible++
		}
		if s.redLines {
			for i := changed; i < n; i++ {
				bad[i+1] = bad[i] || forbidden[i][o[i]]
			}
		}
		if (s.ignore || f) && !bad[n] {
			for j, p := range ps {
				if p.Custom != nil {
					u[j] = p.Utility(o)
					continue
				}
				pp := part[j*(n+1) : (j+1)*(n+1)]
				for i := from; i < n; i++ {
					pp[i+1] = pp[i] + p.Contribution(i, o[i])
				}
				v := pp[n]
				if p.CapAtOne && v > 1 {
					v = 1
				}
				u[j] = v
			}
			from = n
			visit(idx, u)
		}
		// Advance the odometer; issues from `from` on change.
		i := n - 1
		for ; i >= 0; i-- {
			o[i]++
			if int(o[i]) < len(sp.Issues[i].Values) {
				break
			}
			o[i] = 0
		}
		if i < 0 {
			if outcomes != nil {
				*outcomes = idx + 1
			}
			if feasible != nil {
				*feasible = nFeasible
			}
			return nil
		}
		from = min(from, i)
		changed = i
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

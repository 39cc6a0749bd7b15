package study

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/voting"
)

// pairwise is a utility with interdependent binary issues (after Klein et
// al. 2003): u(x) = (Σᵢ<ⱼ cᵢⱼ·xᵢ·xⱼ − lo)/(hi − lo), with cᵢⱼ uniform in
// [−1, 1], rescaled to [0, 1] over the whole space. O(I²) per outcome.
type pairwise struct {
	c      [][]float64
	lo, hi float64
}

func (p *pairwise) raw(o outcome.Outcome) float64 {
	var u float64
	for i := range o {
		if o[i] == 0 {
			continue
		}
		row := p.c[i]
		for j := i + 1; j < len(o); j++ {
			if o[j] != 0 {
				u += row[j]
			}
		}
	}
	return u
}

func (p *pairwise) Utility(o outcome.Outcome) float64 { return (p.raw(o) - p.lo) / (p.hi - p.lo) }

// KleinProblem builds a two-party scenario of issues binary issues (at most
// 20) whose utilities are sums of random pairwise interactions (Klein,
// Faratin, Sayama & Bar-Yam 2003, who used 100 issues and did not
// enumerate), each party with its own matrix, reservation value 0.
func KleinProblem(seed uint64, issues int) (*Problem, error) {
	if issues < 2 || issues > 20 {
		return nil, fmt.Errorf("klein scenario: %d issues, want 2..20 (the space is enumerated)", issues)
	}
	var is []outcome.Issue
	for i := range issues {
		is = append(is, outcome.NewDiscrete(fmt.Sprintf("x%d", i), "0", "1"))
	}
	sp, err := outcome.NewSpace(is, nil)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 0x6b6c65696e))
	var ps []*preference.Profile
	for k := range 2 {
		f := &pairwise{c: make([][]float64, issues)}
		for i := range f.c {
			f.c[i] = make([]float64, issues)
			for j := i + 1; j < issues; j++ {
				f.c[i][j] = 2*r.Float64() - 1
			}
		}
		o := sp.New()
		f.lo, f.hi = f.raw(o), f.raw(o)
		for sp.Next(o) {
			u := f.raw(o)
			f.lo, f.hi = min(f.lo, u), max(f.hi, u)
		}
		p := &preference.Profile{Name: fmt.Sprintf("agent%d", k), Custom: f}
		if err := p.Prepare(sp); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return &Problem{Name: fmt.Sprintf("klein-%d-issues-seed-%d", issues, seed), Space: sp, Profiles: ps,
		Party: func(int) (mechanism.Party, error) { return nil, nil }}, nil
}

// KleinRow is one mediator/voter pairing of the Klein reproduction.
type KleinRow struct {
	Mediator string `json:"mediator"`
	Voter    string `json:"voter"`
	// Welfare is the agreement's welfare as a share of the largest welfare
	// of any outcome, over problems and seeds.
	Welfare  Stat `json:"welfare_share"`
	Proposal Stat `json:"proposals"`
}

// Klein reproduces the single-text experiment of Klein et al. 2003 on
// problems interdependent scenarios of the given size, seeds runs each,
// texts proposals per run: hill-climbing voters with a random-flip, a
// hill-climbing and an annealing mediator, and annealing voters with a
// random-flip mediator.
func Klein(ctx context.Context, problems, issues, seeds, texts int, progress io.Writer) ([]KleinRow, error) {
	type combo struct{ med, voter string }
	combos := []combo{{"random-flip", "hill-climber"}, {"hill-climb", "hill-climber"}, {"annealer", "hill-climber"}, {"random-flip", "annealer"}}
	rows := make([]KleinRow, len(combos))
	shares := make([][]float64, len(combos))
	props := make([][]float64, len(combos))
	for k := range problems {
		pr, err := KleinProblem(uint64(k+1), issues)
		if err != nil {
			return nil, err
		}
		_, ref, err := analyse(ctx, pr.Space, pr.Profiles)
		if err != nil {
			return nil, err
		}
		for ci, c := range combos {
			for seed := 1; seed <= seeds; seed++ {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				voter := func() voting.Voter {
					if c.voter == "annealer" {
						return &voting.Annealer{}
					}
					return &voting.HillClimber{}
				}
				med, _ := mediator.New(c.med, nil)
				r, err := runSim(ctx, pr, mechanism.NewSingleText(), med,
					[]mechanism.Party{&voting.Party{Voter: voter()}, &voting.Party{Voter: voter()}}, texts, uint64(seed))
				if err != nil {
					return nil, err
				}
				w := 0.0
				if r.Status == mechanism.Agreement {
					for _, p := range pr.Profiles {
						w += p.Utility(r.Agreement)
					}
				}
				shares[ci] = append(shares[ci], w/ref.MaxWelfare)
				props[ci] = append(props[ci], float64(r.Rounds))
			}
		}
		if progress != nil {
			fmt.Fprintf(progress, "klein: problem %d/%d done\n", k+1, problems)
		}
	}
	for ci, c := range combos {
		rows[ci] = KleinRow{Mediator: c.med, Voter: c.voter, Welfare: meanCI(shares[ci]), Proposal: meanCI(props[ci])}
	}
	return rows, nil
}

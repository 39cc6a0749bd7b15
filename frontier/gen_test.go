package frontier

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"pgregory.net/rapid"
)

// genScenario draws a small random space (enumerable: ≤ 6 issues of ≤ 5
// values), d linear profiles, optional red lines and rules. With dyadic set,
// evaluations lie on a grid of 1/8 and weights are 1/4…1, so utility sums are
// exact and ties are frequent.
func genScenario(t *rapid.T, d int, dyadic bool) (*outcome.Space, []*preference.Profile) {
	ni := rapid.IntRange(1, 6).Draw(t, "issues")
	issues := make([]outcome.Issue, ni)
	for i := range issues {
		nv := rapid.IntRange(1, 5).Draw(t, fmt.Sprintf("values%d", i))
		vs := make([]string, nv)
		for v := range vs {
			vs[v] = fmt.Sprintf("v%d", v)
		}
		issues[i] = outcome.NewDiscrete(fmt.Sprintf("i%d", i), vs...)
	}
	var rules []outcome.Rule
	nr := rapid.IntRange(0, 3).Draw(t, "rules")
	cond := func(name string) outcome.Condition {
		i := rapid.IntRange(0, ni-1).Draw(t, name+"issue")
		al := make([]bool, issues[i].Len())
		for v := range al {
			al[v] = rapid.Bool().Draw(t, fmt.Sprintf("%s%d", name, v))
		}
		return outcome.Condition{Issue: i, Allowed: al}
	}
	for r := range nr {
		var ru outcome.Rule
		ru.Name = fmt.Sprintf("r%d", r)
		for c := range rapid.IntRange(1, 2).Draw(t, "ifs") {
			ru.If = append(ru.If, cond(fmt.Sprintf("r%dif%d", r, c)))
		}
		for c := range rapid.IntRange(1, 2).Draw(t, "thens") {
			ru.Then = append(ru.Then, cond(fmt.Sprintf("r%dthen%d", r, c)))
		}
		rules = append(rules, ru)
	}
	sp, err := outcome.NewSpace(issues, rules)
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]*preference.Profile, d)
	for j := range ps {
		p := &preference.Profile{Name: fmt.Sprintf("p%d", j)}
		for i := range issues {
			iu := preference.IssueUtility{}
			if dyadic {
				iu.Weight = float64(rapid.IntRange(1, 4).Draw(t, "w")) / 4
			} else {
				iu.Weight = rapid.Float64Range(0, 1).Draw(t, "w")
			}
			for range issues[i].Len() {
				if dyadic {
					iu.Eval = append(iu.Eval, float64(rapid.IntRange(0, 8).Draw(t, "e"))/8)
				} else {
					iu.Eval = append(iu.Eval, rapid.Float64Range(0, 1).Draw(t, "e"))
				}
			}
			p.Issues = append(p.Issues, iu)
		}
		if rapid.IntRange(0, 3).Draw(t, "hasred") == 0 {
			p.RedLines = make([][]bool, ni)
			i := rapid.IntRange(0, ni-1).Draw(t, "redissue")
			p.RedLines[i] = make([]bool, issues[i].Len())
			p.RedLines[i][rapid.IntRange(0, issues[i].Len()-1).Draw(t, "redvalue")] = true
		}
		p.Reservation = rapid.Float64Range(0, float64(ni)/3).Draw(t, "rv")
		p.CapAtOne = rapid.IntRange(0, 5).Draw(t, "cap") == 0
		if err := p.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		ps[j] = p
	}
	return sp, ps
}

// randomLinear returns a space of ni issues × nv values with d random
// profiles (weights normalised to sum 1, evaluations uniform in [0,1]).
func randomLinear(tb testing.TB, seed uint64, ni, nv, d int) (*outcome.Space, []*preference.Profile) {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	issues := make([]outcome.Issue, ni)
	for i := range issues {
		vs := make([]string, nv)
		for v := range vs {
			vs[v] = fmt.Sprintf("v%d", v)
		}
		issues[i] = outcome.NewDiscrete(fmt.Sprintf("i%d", i), vs...)
	}
	sp, err := outcome.NewSpace(issues, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ps := make([]*preference.Profile, d)
	for j := range ps {
		p := &preference.Profile{Name: fmt.Sprintf("p%d", j)}
		ws := make([]float64, ni)
		sum := 0.0
		for i := range ws {
			ws[i] = r.Float64()
			sum += ws[i]
		}
		for i := range ni {
			iu := preference.IssueUtility{Weight: ws[i] / sum}
			for range nv {
				iu.Eval = append(iu.Eval, r.Float64())
			}
			p.Issues = append(p.Issues, iu)
		}
		if err := p.Prepare(sp); err != nil {
			tb.Fatal(err)
		}
		ps[j] = p
	}
	return sp, ps
}

// naiveFrontier is the O(N²) reference: every feasible, red-line-free outcome
// that no other weakly dominates with a strict improvement, one per distinct
// utility vector (the smallest index).
func naiveFrontier(sp *outcome.Space, ps []*preference.Profile) ([][]float64, []outcome.Outcome) {
	var us [][]float64
	var os []outcome.Outcome
	n, _ := sp.Size()
	o := sp.New()
	for i := int64(0); i < n; i++ {
		if i > 0 {
			sp.Next(o)
		}
		ok := sp.Feasible(o)
		for _, p := range ps {
			ok = ok && !p.Violates(o)
		}
		if !ok {
			continue
		}
		u := make([]float64, len(ps))
		for j, p := range ps {
			u[j] = p.Utility(o)
		}
		us = append(us, u)
		os = append(os, o.Clone())
	}
	var fu [][]float64
	var fo []outcome.Outcome
	for a := range us {
		keep := true
		for b := range us {
			if a == b {
				continue
			}
			if covers(us[b], us[a], 0) && (!slices.Equal(us[a], us[b]) || b < a) {
				keep = false
				break
			}
		}
		if keep {
			fu = append(fu, us[a])
			fo = append(fo, os[a])
		}
	}
	ord := make([]int, len(fu))
	for k := range ord {
		ord[k] = k
	}
	slices.SortFunc(ord, func(a, b int) int { return slices.Compare(fu[a], fu[b]) })
	su := make([][]float64, len(fu))
	so := make([]outcome.Outcome, len(fu))
	for k, x := range ord {
		su[k], so[k] = fu[x], fo[x]
	}
	return su, so
}

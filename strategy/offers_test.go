package strategy_test

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/strategy"
)

// randomScenario draws a small space with rules and a profile with red lines.
// In one space of four the first issue has 300 values, so both decoding paths
// of the index run.
func randomScenario(t *rapid.T) (*outcome.Space, *preference.Profile) {
	ni := rapid.IntRange(1, 4).Draw(t, "issues")
	big := rapid.IntRange(0, 3).Draw(t, "big") == 0
	if big {
		ni = min(ni, 2)
	}
	var is []outcome.Issue
	for i := range ni {
		n := rapid.IntRange(1, 5).Draw(t, fmt.Sprint("values", i))
		if big && i == 0 {
			n = 300
		}
		is = append(is, outcome.NewInteger(fmt.Sprint("i", i), 0, n-1))
	}
	mask := func(name string, n int) []bool {
		b := make([]bool, n)
		for k := range b {
			b[k] = rapid.Bool().Draw(t, name)
		}
		return b
	}
	var rules []outcome.Rule
	for r := range rapid.IntRange(0, 2).Draw(t, "rules") {
		a := rapid.IntRange(0, ni-1).Draw(t, "if")
		c := rapid.IntRange(0, ni-1).Draw(t, "then")
		rules = append(rules, outcome.Rule{Name: fmt.Sprint("r", r),
			If:   []outcome.Condition{{Issue: a, Allowed: mask("ifmask", is[a].Len())}},
			Then: []outcome.Condition{{Issue: c, Allowed: mask("thenmask", is[c].Len())}}})
	}
	sp, err := outcome.NewSpace(is, rules)
	if err != nil {
		t.Fatal(err)
	}
	p := &preference.Profile{Name: "p", Reservation: rapid.Float64Range(0, 0.8).Draw(t, "rv")}
	if rapid.Bool().Draw(t, "redlines") {
		p.RedLines = make([][]bool, ni)
	}
	for i := range is {
		ev := make([]float64, is[i].Len())
		for k := range ev {
			ev[k] = float64(rapid.IntRange(0, 4).Draw(t, "eval")) / 4 // ties on purpose
		}
		p.Issues = append(p.Issues, preference.IssueUtility{Weight: 1 / float64(ni), Eval: ev})
		if p.RedLines != nil && is[i].Len() < 10 {
			p.RedLines[i] = mask("red", is[i].Len())
		}
	}
	if err := p.Prepare(sp); err != nil {
		t.Fatal(err)
	}
	return sp, p
}

// TestIndexMatchesEnumeration compares every query of the sorted index with
// a brute-force scan of the space.
func TestIndexMatchesEnumeration(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sp, p := randomScenario(t)
		ix, err := strategy.NewIndex(sp, p)
		if err != nil {
			t.Fatal(err)
		}
		var all []float64 // utilities of the acceptable outcomes
		kept := 0
		o := sp.New()
		for {
			if !p.Violates(o) && sp.Feasible(o) {
				kept++
				if u := p.Utility(o); u >= p.Reservation {
					all = append(all, u)
				}
			}
			if !sp.Next(o) {
				break
			}
		}
		slices.Sort(all)
		if ix.Len() != kept {
			t.Fatalf("index holds %d outcomes, want %d", ix.Len(), kept)
		}
		off := ix.Above(p.Reservation)
		if off.Len() != len(all) || off.Empty() != (len(all) == 0) {
			t.Fatalf("view holds %d outcomes, want %d", off.Len(), len(all))
		}
		if len(all) == 0 {
			return
		}
		if off.Best() != all[len(all)-1] || off.Worst() != all[0] {
			t.Fatalf("range [%v, %v], want [%v, %v]", off.Worst(), off.Best(), all[0], all[len(all)-1])
		}
		dst := sp.New()
		check := func(what string, u float64) {
			if !p.Acceptable(sp, dst) || p.Utility(dst) != u {
				t.Fatalf("%s wrote %v (u=%v, says %v): not an acceptable outcome of that utility", what, dst, p.Utility(dst), u)
			}
		}
		// Nth walks the acceptable outcomes in decreasing utility, each once.
		seen := map[string]bool{}
		prev := math.Inf(1)
		for n := 0; ; n++ {
			u, ok := off.Nth(n, dst)
			if !ok {
				if n != len(all) {
					t.Fatalf("Nth stops at %d, want %d", n, len(all))
				}
				break
			}
			check("Nth", u)
			if u > prev || seen[fmt.Sprint(dst)] {
				t.Fatalf("Nth(%d) = %v (u=%v) after u=%v, or repeated", n, dst, u, prev)
			}
			seen[fmt.Sprint(dst)] = true
			prev = u
		}
		for range 20 {
			target := rapid.Float64Range(-0.2, 1.2).Draw(t, "target")
			u := off.AtLeast(target, dst)
			check("AtLeast", u)
			k, _ := slices.BinarySearch(all, target)
			want := all[min(k, len(all)-1)]
			if u != want {
				t.Fatalf("AtLeast(%v) = %v, want %v", target, u, want)
			}
			lo := target
			hi := lo + rapid.Float64Range(0, 0.5).Draw(t, "width")
			limit := rapid.IntRange(1, 20).Draw(t, "limit")
			buf := off.Within(lo, hi, limit, nil)
			inRange := 0
			for _, v := range all {
				if v >= lo && v <= hi {
					inRange++
				}
			}
			ni := sp.NumIssues()
			if len(buf) != ni*min(limit, inRange) {
				t.Fatalf("Within(%v, %v, %d) gave %d outcomes, want %d", lo, hi, limit, len(buf)/ni, min(limit, inRange))
			}
			prev := math.Inf(-1)
			for j := 0; j < len(buf); j += ni {
				c := outcome.Outcome(buf[j : j+ni])
				v := p.Utility(c)
				if !p.Acceptable(sp, c) || v < lo || v > hi || v < prev {
					t.Fatalf("Within gave %v (u=%v) outside [%v, %v] or out of order", c, v, lo, hi)
				}
				prev = v
			}
		}
		r := rand.New(rand.NewPCG(1, 2))
		for range 10 {
			check("Sample", off.Sample(r, dst))
		}
	})
}

func TestIndexCache(t *testing.T) {
	sp, ps := small(t)
	var wg sync.WaitGroup
	got := make([]*strategy.Index, 8)
	for i := range got {
		wg.Go(func() {
			ix, err := strategy.IndexOf(sp, ps[0])
			if err != nil {
				t.Error(err)
			}
			got[i] = ix
		})
	}
	wg.Wait()
	for _, ix := range got {
		if ix != got[0] {
			t.Fatal("concurrent IndexOf calls built different indices for the same profile")
		}
	}
	other, err := strategy.IndexOf(sp, ps[1])
	if err != nil {
		t.Fatal(err)
	}
	if other == got[0] {
		t.Fatal("two profiles share one index")
	}
	clone := ps[0].Clone()
	if err := clone.Prepare(sp); err != nil {
		t.Fatal(err)
	}
	if ix, _ := strategy.IndexOf(sp, clone); ix == got[0] {
		t.Fatal("a cloned profile reuses the original's index")
	}
}

func TestIndexErrors(t *testing.T) {
	big, err := outcome.NewSpace([]outcome.Issue{outcome.NewInteger("a", 0, 9999), outcome.NewInteger("b", 0, 9999)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &preference.Profile{Name: "p", Issues: []preference.IssueUtility{{Weight: 1, Eval: make([]float64, 10000)}, {Weight: 0, Eval: make([]float64, 10000)}}}
	if err := p.Prepare(big); err != nil {
		t.Fatal(err)
	}
	if _, err := strategy.IndexOf(big, p); err == nil {
		t.Fatal("a 10⁸-outcome space was indexed")
	}
	sp, ps := small(t)
	_ = sp
	if _, err := strategy.NewIndex(big, ps[0]); err == nil {
		t.Fatal("a profile of another space was indexed")
	}
}

// randomProfile draws another profile over sp.
func randomProfile(t *rapid.T, sp *outcome.Space, name string) *preference.Profile {
	p := &preference.Profile{Name: name, Reservation: rapid.Float64Range(0, 0.6).Draw(t, "rv"), RedLines: make([][]bool, sp.NumIssues())}
	for i := range sp.Issues {
		ev := make([]float64, sp.Issues[i].Len())
		for k := range ev {
			ev[k] = rapid.Float64Range(0, 1).Draw(t, "eval")
		}
		p.Issues = append(p.Issues, preference.IssueUtility{Weight: 1 / float64(sp.NumIssues()), Eval: ev})
		if sp.Issues[i].Len() > 1 && rapid.IntRange(0, 3).Draw(t, "hasred") == 0 {
			p.RedLines[i] = make([]bool, sp.Issues[i].Len())
			p.RedLines[i][rapid.IntRange(0, sp.Issues[i].Len()-1).Draw(t, "red")] = true
		}
	}
	if err := p.Prepare(sp); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNegotiationProperties runs random strategies against each other on
// random scenarios, bilateral and trilateral: no party ever offers outside its
// acceptable set, every agreement is acceptable to all, and no run fails.
func TestNegotiationProperties(t *testing.T) {
	names := strategy.Names()
	rapid.Check(t, func(t *rapid.T) {
		sp, _ := randomScenario(t)
		n := rapid.IntRange(2, 3).Draw(t, "parties")
		var ps []*preference.Profile
		var who []string
		for i := range n {
			ps = append(ps, randomProfile(t, sp, fmt.Sprint("p", i)))
			who = append(who, rapid.SampledFrom(names).Draw(t, "strategy"))
		}
		res, tr := negotiate(t, sp, ps, who, rapid.IntRange(1, 60).Draw(t, "rounds"), rapid.Uint64().Draw(t, "seed"))
		if res.Status == mechanism.Failed {
			t.Fatalf("%v failed: %+v", who, res.Fault)
		}
		for i, p := range ps {
			for _, o := range tr.offers(i) {
				if !acceptable(sp, p, o) {
					t.Fatalf("%s (party %d) offered %v outside its acceptable set", who[i], i, o)
				}
			}
			if res.Status == mechanism.Agreement && !acceptable(sp, p, res.Agreement) {
				t.Fatalf("agreement %v unacceptable to party %d", res.Agreement, i)
			}
		}
	})
}

// TestIndexOrderIsFullSort holds the lazily sorted index to the order of a
// full sort by (utility, dense index): after queries that sort some buckets
// in a random order, every entry from the top down is the outcome the full
// sort puts there, and AtLeast picks the outcome the full sort would.
func TestIndexOrderIsFullSort(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sp, p := randomScenario(t)
		p.CapAtOne = rapid.Bool().Draw(t, "cap")
		type entry struct {
			u float64
			i outcome.Index
		}
		var want []entry
		o := sp.New()
		for {
			if !p.Violates(o) && sp.Feasible(o) {
				want = append(want, entry{p.Utility(o), sp.Index(o)})
			}
			if !sp.Next(o) {
				break
			}
		}
		slices.SortFunc(want, func(a, b entry) int {
			if a.u != b.u {
				return cmp.Compare(a.u, b.u)
			}
			return cmp.Compare(a.i, b.i)
		})
		ix, err := strategy.NewIndex(sp, p)
		if err != nil {
			t.Fatal(err)
		}
		off := ix.Above(math.Inf(-1))
		if len(want) == 0 {
			if !off.Empty() {
				t.Fatal("index of an empty space is not empty")
			}
			return
		}
		dst := sp.New()
		for range 10 {
			target := rapid.Float64Range(-0.2, 1.2).Draw(t, "target")
			off.AtLeast(target, dst)
			k := sort.Search(len(want), func(k int) bool { return want[k].u >= target })
			k = min(k, len(want)-1)
			if sp.Index(dst) != want[k].i {
				t.Fatalf("AtLeast(%v) = %v, want %v", target, dst, sp.Decode(want[k].i, sp.New()))
			}
		}
		for n := range want {
			u, ok := off.Nth(n, dst)
			w := want[len(want)-1-n]
			if !ok || u != w.u || sp.Index(dst) != w.i {
				t.Fatalf("Nth(%d) = %v (u=%v), want index %d (u=%v)", n, dst, u, w.i, w.u)
			}
		}
	})
}

package frontier

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"pgregory.net/rapid"
)

// acceptable lists the utilities of every acceptable outcome (brute force),
// descending.
func acceptable(sp *outcome.Space, p *preference.Profile, floor float64) []float64 {
	var us []float64
	n, _ := sp.Size()
	o := sp.New()
	for i := int64(0); i < n; i++ {
		if i > 0 {
			sp.Next(o)
		}
		if sp.Feasible(o) && !p.Violates(o) {
			if u := p.Utility(o); u >= floor-preference.Tolerance {
				us = append(us, u)
			}
		}
	}
	slices.Sort(us)
	slices.Reverse(us)
	return us
}

func TestOffersMatchBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sp, ps := genScenario(t, 1, rapid.Bool().Draw(t, "dyadic"))
		p := ps[0]
		p.CapAtOne = false
		lo, hi := p.Range()
		floor := rapid.Float64Range(lo-0.1, hi+0.1).Draw(t, "floor")
		off, err := NewOffers(sp, p, floor)
		if err != nil {
			t.Fatal(err)
		}
		all := acceptable(sp, p, floor)
		if off.Empty() != (len(all) == 0) {
			t.Fatalf("Empty %v, brute force has %d acceptable outcomes", off.Empty(), len(all))
		}
		if len(all) == 0 {
			return
		}
		if off.Best() != all[0] {
			t.Fatalf("Best %v, brute force %v", off.Best(), all[0])
		}
		o := sp.New()
		check := func(what string, u float64) {
			if !sp.Feasible(o) || p.Violates(o) || p.Utility(o) != u || u < floor-preference.Tolerance {
				t.Fatalf("%s: %v (u=%v, reported %v) is not acceptable", what, o, p.Utility(o), u)
			}
		}
		const tol = 1e-12
		for range 5 {
			target := rapid.Float64Range(all[len(all)-1]-0.05, all[0]+0.05).Draw(t, "target")
			// Smallest acceptable utility ≥ target (or the best if none).
			want := all[0]
			for _, u := range all {
				if u >= target {
					want = u
				}
			}
			u := off.AtLeast(target, o)
			check("AtLeast", u)
			if target <= all[0] && (u < target || u-want > off.Gap()+tol) {
				t.Fatalf("AtLeast(%v) = %v, smallest ≥ target is %v, gap bound %v", target, u, want, off.Gap())
			}
			ue, exact := off.Exact(target, o, 0)
			check("Exact", ue)
			if !exact || math.Abs(ue-want) > tol {
				t.Fatalf("Exact(%v) = %v (%v), brute force %v", target, ue, exact, want)
			}
		}
		var seen []outcome.Outcome
		for n := range len(all) + 1 {
			u, ok := off.Nth(n, o)
			if n == len(all) {
				if ok {
					t.Fatalf("Nth(%d) exists, only %d acceptable", n, len(all))
				}
				break
			}
			if !ok || math.Abs(u-all[n]) > tol {
				t.Fatalf("Nth(%d) = %v,%v; brute force %v", n, u, ok, all[n])
			}
			check("Nth", u)
			for _, s := range seen {
				if s.Equal(o) {
					t.Fatalf("Nth(%d) repeats %v", n, o)
				}
			}
			seen = append(seen, o.Clone())
		}
		lo2 := rapid.Float64Range(lo, hi).Draw(t, "lo")
		buf := off.Within(lo2, lo2+0.3, 10, nil)
		prev := math.Inf(-1)
		for k := 0; k < len(buf); k += sp.NumIssues() {
			copy(o, buf[k:k+sp.NumIssues()])
			u := p.Utility(o)
			check("Within", u)
			if u < lo2 || u > lo2+0.3 || u < prev {
				t.Fatalf("Within(%v, %v): %v out of range or order", lo2, lo2+0.3, u)
			}
			prev = u
		}
		r := rand.New(rand.NewPCG(1, 2))
		for range 5 {
			check("Sample", off.Sample(r, o))
		}
	})
}

func BenchmarkOffersAtLeast(b *testing.B) {
	for _, ni := range []int{10, 30, 100} {
		sp, ps := randomLinear(b, 3, ni, 10, 1)
		off, err := NewOffers(sp, ps[0], 0)
		if err != nil {
			b.Fatal(err)
		}
		o := sp.New()
		r := rand.New(rand.NewPCG(1, 1))
		b.Run(fmt.Sprintf("%dissues", ni), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				off.AtLeast(off.Worst()+r.Float64()*(off.Best()-off.Worst()), o)
			}
		})
	}
}

package frontier

import (
	"context"
	"slices"
	"testing"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"pgregory.net/rapid"
)

// checkSame fails unless f has exactly the reference points, and (when
// lexExact) the same representatives; otherwise each representative must
// have its point's utilities.
func checkSame(t *rapid.T, name string, sp *outcome.Space, ps []*preference.Profile, f *Frontier, ru [][]float64, ro []outcome.Outcome, lexExact bool) {
	if f.Len() != len(ru) {
		t.Fatalf("%s: %d points, reference %d\n got %v\nwant %v", name, f.Len(), len(ru), f.U, ru)
	}
	o := sp.New()
	for k := range ru {
		if !slices.Equal(f.Utilities(k), ru[k]) {
			t.Fatalf("%s: point %d is %v, reference %v", name, k, f.Utilities(k), ru[k])
		}
		f.Outcome(k, o)
		if lexExact && !o.Equal(ro[k]) {
			t.Fatalf("%s: point %d %v: representative %v, reference %v", name, k, ru[k], o, ro[k])
		}
		if !sp.Feasible(o) {
			t.Fatalf("%s: point %d: representative %v breaks a rule", name, k, o)
		}
		for j, p := range ps {
			if p.Violates(o) || p.Utility(o) != ru[k][j] {
				t.Fatalf("%s: point %d: representative %v has u%d=%v (red line %v), want %v", name, k, o, j, p.Utility(o), p.Violates(o), ru[k][j])
			}
		}
	}
}

func TestBilateralMatchesReferences(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		dyadic := rapid.Bool().Draw(t, "dyadic")
		sp, ps := genScenario(t, 2, dyadic)
		ru, ro := naiveFrontier(sp, ps)
		f, err := Bilateral(sp, ps[0], ps[1], Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, "Bilateral", sp, ps, f, ru, ro, dyadic && !capped(ps))
		e, err := Enumerate(sp, ps[0], ps[1])
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, "Enumerate", sp, ps, e, ru, ro, true)
		rv := []float64{ps[0].Reservation, ps[1].Reservation}
		for _, sol := range []struct {
			name string
			fn   func(*Frontier) (int, bool)
		}{
			{"Nash", func(f *Frontier) (int, bool) { return f.Nash(rv) }},
			{"Kalai", func(f *Frontier) (int, bool) { return f.Kalai(rv) }},
			{"MaxWelfare", (*Frontier).MaxWelfare},
		} {
			k1, ok1 := sol.fn(f)
			k2, ok2 := sol.fn(e)
			if ok1 != ok2 || k1 != k2 {
				t.Fatalf("%s: Minkowski (%d,%v), enumeration (%d,%v)", sol.name, k1, ok1, k2, ok2)
			}
		}
		if k, ok := f.Nash(rv); ok {
			checkNash(t, sp, ps, rv, f.Utilities(k))
		}
	})
}

// checkNash compares the Nash product with a brute-force maximum over every
// acceptable outcome.
func checkNash(t *rapid.T, sp *outcome.Space, ps []*preference.Profile, rv, got []float64) {
	best := -1.0
	n, _ := sp.Size()
	o := sp.New()
	for i := int64(0); i < n; i++ {
		if i > 0 {
			sp.Next(o)
		}
		if !sp.Feasible(o) || ps[0].Violates(o) || ps[1].Violates(o) {
			continue
		}
		u0, u1 := ps[0].Utility(o), ps[1].Utility(o)
		if u0 >= rv[0]-preference.Tolerance && u1 >= rv[1]-preference.Tolerance {
			best = max(best, max(u0-rv[0], 0)*max(u1-rv[1], 0))
		}
	}
	if p := max(got[0]-rv[0], 0) * max(got[1]-rv[1], 0); p != best {
		t.Fatalf("Nash product %v, brute force %v", p, best)
	}
}

func TestLinearNPartyMatchesReferences(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := rapid.IntRange(3, 5).Draw(t, "parties")
		dyadic := rapid.Bool().Draw(t, "dyadic")
		sp, ps := genScenario(t, d, dyadic)
		ru, ro := naiveFrontier(sp, ps)
		f, err := Linear(sp, ps, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, "Linear", sp, ps, f, ru, ro, dyadic && !capped(ps))
		s, _, err := Skyline(context.Background(), sp, ps)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, "Skyline", sp, ps, s, ru, ro, true)
		rv := make([]float64, d)
		for j, p := range ps {
			rv[j] = p.Reservation
		}
		k1, ok1 := f.Nash(rv)
		k2, ok2 := s.Nash(rv)
		if k1 != k2 || ok1 != ok2 {
			t.Fatalf("Nash: Linear (%d,%v), Skyline (%d,%v)", k1, ok1, k2, ok2)
		}
	})
}

func TestSkylineTwoParties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sp, ps := genScenario(t, 2, rapid.Bool().Draw(t, "dyadic"))
		ru, ro := naiveFrontier(sp, ps)
		s, _, err := Skyline(context.Background(), sp, ps)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, "Skyline", sp, ps, s, ru, ro, true)
	})
}

// TestEpsilonBound checks the approximation guarantee against the exact
// frontier: every exact point p has a returned q with q₀ ≥ p₀ and
// q₁ ≥ p₁ − ε, and every returned point is a real outcome.
func TestEpsilonBound(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := rapid.IntRange(2, 3).Draw(t, "parties")
		sp, ps := genScenario(t, d, false)
		eps := rapid.Float64Range(0.001, 0.5).Draw(t, "eps")
		exact, err := Linear(sp, ps, Options{})
		if err != nil {
			t.Fatal(err)
		}
		apx, err := Linear(sp, ps, Options{Epsilon: eps})
		if err != nil {
			t.Fatal(err)
		}
		const slack = 1e-12
		for k := range exact.Len() {
			p := exact.Utilities(k)
			found := false
			for q := 0; q < apx.Len() && !found; q++ {
				u := apx.Utilities(q)
				found = true
				for j := range u {
					lim := p[j] - eps - slack
					if j == 0 && d == 2 {
						lim = p[j] - slack
					}
					found = found && u[j] >= lim
				}
			}
			if !found {
				t.Fatalf("exact point %v has no ε-cover (ε=%v) in %v", p, eps, apx.U)
			}
		}
		o := sp.New()
		for q := range apx.Len() {
			apx.Outcome(q, o)
			for j, p := range ps {
				if p.Utility(o) != apx.Utilities(q)[j] || p.Violates(o) || !sp.Feasible(o) {
					t.Fatalf("approximate point %d is not the real outcome %v", q, o)
				}
			}
		}
	})
}

func TestLargeSpaces(t *testing.T) {
	for _, tc := range []struct{ issues, values int }{{30, 10}, {100, 10}} {
		sp, ps := randomLinear(t, 1, tc.issues, tc.values, 2)
		a, err := Analyze(sp, ps, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !a.Nash.Found || !a.Kalai.Found {
			t.Fatalf("%d×%d: no Nash or Kalai point", tc.issues, tc.values)
		}
		for _, s := range []Solution{a.Nash, a.Kalai, a.MaxWelfare} {
			for j, p := range ps {
				if got := p.Utility(s.Outcome); got != s.Utilities[j] {
					t.Fatalf("%d×%d: outcome utility %v, point says %v", tc.issues, tc.values, got, s.Utilities[j])
				}
			}
		}
		t.Logf("%d×%d: %d frontier points, max held %d", tc.issues, tc.values, a.Frontier.Len(), a.Frontier.MaxHeld)
	}
}

// capped reports whether a profile caps utilities at one: the capped
// frontier's representatives are then the smallest among the uncapped
// frontier's outcomes with that point, not among all outcomes.
func capped(ps []*preference.Profile) bool {
	for _, p := range ps {
		if p.CapAtOne {
			return true
		}
	}
	return false
}

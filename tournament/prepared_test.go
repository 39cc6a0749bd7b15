package tournament

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/scenario"
)

// randomScenario draws a linear-additive scenario of 2 or 3 parties, 1 to 4
// issues of 2 to 5 values, as native YAML.
func randomScenario(t *rapid.T) *scenario.Scenario {
	parties := rapid.IntRange(2, 3).Draw(t, "parties")
	issues := rapid.IntRange(1, 4).Draw(t, "issues")
	sizes := make([]int, issues)
	var y strings.Builder
	y.WriteString("scenario:\n  id: prop\nissues:\n")
	for i := range sizes {
		sizes[i] = rapid.IntRange(2, 5).Draw(t, fmt.Sprintf("size%d", i))
		fmt.Fprintf(&y, "  - id: i%d\n    options: [", i)
		for v := range sizes[i] {
			if v > 0 {
				y.WriteString(", ")
			}
			fmt.Fprintf(&y, "v%d", v)
		}
		y.WriteString("]\n")
	}
	y.WriteString("parties:\n")
	for p := range parties {
		fmt.Fprintf(&y, "  p%d:\n    reservation_value: %g\n    weights: {", p, float64(rapid.IntRange(0, 6).Draw(t, "rv"))/10)
		for i := range issues {
			if i > 0 {
				y.WriteString(", ")
			}
			fmt.Fprintf(&y, "i%d: %d", i, rapid.IntRange(1, 9).Draw(t, "w"))
		}
		y.WriteString("}\n    values:\n")
		for i, n := range sizes {
			fmt.Fprintf(&y, "      i%d: {", i)
			for v := range n {
				if v > 0 {
					y.WriteString(", ")
				}
				fmt.Fprintf(&y, "v%d: %g", v, float64(rapid.IntRange(0, 10).Draw(t, "value"))/10)
			}
			y.WriteString("}\n")
		}
	}
	sc, err := scenario.Parse([]byte(y.String()), "prop.yaml")
	if err != nil {
		t.Fatalf("fixture does not parse: %v\n%s", err, y.String())
	}
	return sc
}

// TestPrepareMatchesFrontier checks Prepare (analysis.Auto) against the
// issue-by-issue frontier of package frontier, an independent algorithm:
// the same utility vectors on the frontier, a Nash point with the same
// Nash product, and distances to the frontier equal to the smallest
// distance to its points.
func TestPrepareMatchesFrontier(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := randomScenario(t)
		p, err := Prepare(context.Background(), sc)
		if err != nil || p.Note != "" {
			t.Fatalf("Prepare: %v %s", err, p.Note)
		}
		f, err := frontier.Linear(sc.Space, sc.Profiles(), frontier.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var want [][]float64
		for k := range f.Len() {
			u := f.Utilities(k)
			if n := len(want); n > 0 && near(want[n-1], u) {
				continue
			}
			want = append(want, u)
		}
		if len(want) != len(p.Info.Frontier) {
			t.Fatalf("frontier has %d points, package frontier %d:\n%v\n%v", len(p.Info.Frontier), len(want), p.Info.Frontier, want)
		}
		for k := range want {
			if !near(want[k], p.Info.Frontier[k]) {
				t.Fatalf("frontier point %d is %v, package frontier %v", k, p.Info.Frontier[k], want[k])
			}
		}
		rv := p.Info.Reservations
		k, ok := f.Nash(rv)
		if ok != (p.Info.Nash != nil) {
			t.Fatalf("Nash point %v, package frontier found one: %v", p.Info.Nash, ok)
		}
		if ok && math.Abs(nashProduct(p.Info.Nash, rv)-nashProduct(f.Utilities(k), rv)) > 1e-12 {
			t.Fatalf("Nash point %v, package frontier %v", p.Info.Nash, f.Utilities(k))
		}
		u := make([]float64, len(rv))
		for i := range u {
			u[i] = rapid.Float64Range(0, 1).Draw(t, "u")
		}
		dp, dn := p.distances(u)
		best := math.Inf(1)
		for _, q := range want {
			best = min(best, dist(u, q))
		}
		if math.Abs(dp-best) > 1e-12 {
			t.Fatalf("distance of %v to the frontier %v, want %v", u, dp, best)
		}
		if ok && math.Abs(dn-dist(u, p.Info.Nash)) > 1e-12 || !ok && !math.IsNaN(dn) {
			t.Fatalf("distance of %v to Nash %v", u, dn)
		}
	})
}

func near(a, b []float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			return false
		}
	}
	return true
}

func nashProduct(u, rv []float64) float64 {
	p := 1.0
	for i := range u {
		p *= max(u[i]-rv[i], 0)
	}
	return p
}

func dist(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s)
}

// TestPrepareNoFrontier: a scenario whose red lines leave no admissible
// outcome is prepared with an empty frontier and NaN distances.
func TestPrepareNoFrontier(t *testing.T) {
	sc, err := DefaultLoader("builtin:iran-us#usa_hardline")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Info.Frontier) != 0 || p.Info.Nash != nil {
		t.Fatalf("frontier %v, Nash %v", p.Info.Frontier, p.Info.Nash)
	}
	if dp, dn := p.distances([]float64{0.5, 0.5}); !math.IsNaN(dp) || !math.IsNaN(dn) {
		t.Fatalf("distances %v %v, want NaN", dp, dn)
	}
}

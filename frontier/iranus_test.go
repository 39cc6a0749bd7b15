package frontier

import (
	"math"
	"testing"

	"github.com/backchannel/backchannel/scenario"
)

// TestIranUSNash checks the Minkowski path (with the scenario's red lines and
// feasibility rules) against enumeration and against the independent
// script's Nash point in /work/shared/scenarios/iran-us/analysis.json
// (baseline_red_lines: u_iran 0.611, u_usa 0.627).
func TestIranUSNash(t *testing.T) {
	sc, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	ps := sc.Profiles()
	a, err := Analyze(sc.Space, ps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := Enumerate(sc.Space, ps[0], ps[1])
	if err != nil {
		t.Fatal(err)
	}
	if a.Frontier.Len() != e.Len() {
		t.Fatalf("Minkowski frontier %d points, enumeration %d", a.Frontier.Len(), e.Len())
	}
	for k := range e.Len() {
		for j := range 2 {
			if a.Frontier.Utilities(k)[j] != e.Utilities(k)[j] {
				t.Fatalf("point %d: %v vs enumeration %v", k, a.Frontier.Utilities(k), e.Utilities(k))
			}
		}
	}
	if !a.Nash.Found {
		t.Fatal("no Nash point")
	}
	want := []float64{0.611, 0.627}
	for j, w := range want {
		if math.Abs(a.Nash.Utilities[j]-w) > 5e-4 {
			t.Fatalf("Nash %v, analysis.json %v", a.Nash.Utilities, want)
		}
	}
}

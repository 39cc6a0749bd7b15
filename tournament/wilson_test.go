package tournament

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"
)

// TestWilson: the agreement rate's interval stays in [0, 1], is not empty
// at no or all agreements, and matches the textbook value for 8 of 10
// (Wilson 1927: [0.4902, 0.9433]).
func TestWilson(t *testing.T) {
	ones := func(k, n int) []float64 {
		xs := make([]float64, n)
		for i := range k {
			xs[i] = 1
		}
		return xs
	}
	for _, tc := range []struct{ k, n int }{{0, 1}, {0, 40}, {40, 40}, {1, 2}, {3, 1000}} {
		iv := wilson(ones(tc.k, tc.n))
		if iv.Lo < 0 || iv.Hi > 1 || !(iv.Lo <= iv.Mean && iv.Mean <= iv.Hi) || iv.Hi-iv.Lo <= 0 {
			t.Errorf("%d of %d: %+v", tc.k, tc.n, iv)
		}
	}
	iv := wilson(ones(8, 10))
	if math.Abs(iv.Lo-0.4902) > 5e-4 || math.Abs(iv.Hi-0.9433) > 5e-4 {
		t.Errorf("8 of 10: [%.4f, %.4f], want [0.4902, 0.9433]", iv.Lo, iv.Hi)
	}
	if iv := wilson(nil); iv.N != 0 || !math.IsNaN(iv.Lo) {
		t.Errorf("empty: %+v", iv)
	}
}

// TestReportIsReproducible builds the report of one store several times:
// the bootstrap intervals must come out the same every time.
func TestReportIsReproducible(t *testing.T) {
	env := testEnv(t)
	p := Plan{Strategies: []string{"linear", "boulware", "conceder", "hardliner"}, Scenarios: []string{"small"},
		Protocols: []string{"sao"}, Repetitions: 2, Seed: 4, DeadlineRounds: 20, MoveTime: time.Second}
	tr := compile(t, env, p)
	st := openStore(t)
	if _, err := Run(context.Background(), tr, st, env, Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	var first string
	for i := range 5 {
		rep, err := BuildReport(context.Background(), st, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := rep.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b.String()
		} else if b.String() != first {
			t.Fatalf("report %d differs from the first", i+1)
		}
	}
}

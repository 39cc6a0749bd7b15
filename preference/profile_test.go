package preference_test

import (
	"fmt"
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// TestUtilityIsWeightedSum checks the look-up tables against the definition
// Σ wᵢ·evalᵢ(vᵢ), the cap, red lines and acceptability, on random profiles.
func TestUtilityIsWeightedSum(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 5).Draw(t, "issues")
		var issues []outcome.Issue
		for i := range n {
			k := rapid.IntRange(1, 4).Draw(t, fmt.Sprint("k", i))
			vals := make([]string, k)
			for v := range vals {
				vals[v] = fmt.Sprint(v)
			}
			issues = append(issues, outcome.NewDiscrete(fmt.Sprint("i", i), vals...))
		}
		sp, err := outcome.NewSpace(issues, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := &preference.Profile{Name: "p", CapAtOne: rapid.Bool().Draw(t, "cap"), Reservation: rapid.Float64Range(0, 1).Draw(t, "rv")}
		p.RedLines = make([][]bool, n)
		for i, is := range issues {
			iu := preference.IssueUtility{Weight: rapid.Float64Range(0, 1).Draw(t, fmt.Sprint("w", i))}
			p.RedLines[i] = make([]bool, is.Len())
			for v := range is.Len() {
				iu.Eval = append(iu.Eval, rapid.Float64Range(0, 1).Draw(t, fmt.Sprint("e", i, v)))
				p.RedLines[i][v] = rapid.Float64Range(0, 1).Draw(t, fmt.Sprint("r", i, v)) < 0.1
			}
			p.Issues = append(p.Issues, iu)
		}
		if err := p.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		lo, hi := p.Range()
		o := sp.New()
		for ok := true; ok; ok = sp.Next(o) {
			var want float64
			violates := false
			for i, v := range o {
				want += p.Issues[i].Weight * p.Issues[i].Eval[v]
				violates = violates || p.RedLines[i][v]
			}
			if p.CapAtOne {
				want = min(want, 1)
			}
			u := p.Utility(o)
			if math.Abs(u-want) > 1e-12 {
				t.Fatalf("U(%v) = %v, want %v", o, u, want)
			}
			if u < lo-1e-12 || u > hi+1e-12 {
				t.Fatalf("U(%v) = %v outside Range [%v, %v]", o, u, lo, hi)
			}
			if p.Violates(o) != violates {
				t.Fatalf("Violates(%v) = %v", o, !violates)
			}
			if p.Acceptable(sp, o) != (!violates && u >= p.Reservation-preference.Tolerance) {
				t.Fatalf("Acceptable(%v) wrong", o)
			}
		}
	})
}

func TestNumericEvaluators(t *testing.T) {
	tri := &preference.Numeric{Kind: preference.Triangular, Lo: 0, Top: 4, Hi: 10}
	lin := &preference.Numeric{Kind: preference.Linear, Slope: -0.1, Offset: 1, Min: 2, Clamp: true}
	pts := &preference.Numeric{Kind: preference.Points, X: []float64{0, 10, 20}, Y: []float64{0, 1, 0.5}}
	for _, tc := range []struct {
		n    *preference.Numeric
		x    float64
		want float64
	}{
		{tri, 0, 0}, {tri, 2, 0.5}, {tri, 4, 1}, {tri, 7, 0.5}, {tri, 10, 0}, {tri, -1, 0},
		{lin, 2, 1}, {lin, 7, 0.5}, {lin, 20, 0}, {lin, -10, 1},
		{pts, 5, 0.5}, {pts, 15, 0.75}, {pts, 20, 0.5}, {pts, 21, 0}, {pts, -1, 0},
		{&preference.Numeric{Kind: preference.Constant, Offset: 0.3}, 99, 0.3},
	} {
		if got := tc.n.At(tc.x); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s at %v = %v, want %v", tc.n.Kind, tc.x, got, tc.want)
		}
	}
}

func TestPrepareRejectsBadProfiles(t *testing.T) {
	sp, _ := outcome.NewSpace([]outcome.Issue{outcome.NewDiscrete("x", "a", "b")}, nil)
	for name, p := range map[string]*preference.Profile{
		"short eval": {Issues: []preference.IssueUtility{{Weight: 1, Eval: []float64{1}}}},
		"NaN weight": {Issues: []preference.IssueUtility{{Weight: math.NaN(), Eval: []float64{1, 0}}}},
		"Inf eval":   {Issues: []preference.IssueUtility{{Weight: 1, Eval: []float64{math.Inf(1), 0}}}},
		"NaN rv":     {Reservation: math.NaN(), Issues: []preference.IssueUtility{{Weight: 1, Eval: []float64{1, 0}}}},
		"issues":     {Issues: nil},
		"red lines":  {Issues: []preference.IssueUtility{{Weight: 1, Eval: []float64{1, 0}}}, RedLines: [][]bool{{true}}},
	} {
		if err := p.Prepare(sp); err == nil {
			t.Errorf("%s: Prepare accepted it", name)
		}
	}
}

func TestDiscounted(t *testing.T) {
	p := &preference.Profile{Discount: 0.5}
	if got := p.Discounted(0.8, 1); math.Abs(got-0.4) > 1e-12 {
		t.Errorf("Discounted = %v", got)
	}
	if got := (&preference.Profile{Discount: 1}).Discounted(0.8, 1); got != 0.8 {
		t.Errorf("no discount changed %v", got)
	}
}

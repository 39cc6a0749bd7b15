package analysis

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/internal/corpus"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/scenario"
)

// refPoint is a point of the shared analysis.json.
type refPoint struct {
	UIran   float64           `json:"u_iran"`
	UUSA    float64           `json:"u_usa"`
	Outcome map[string]string `json:"outcome"`
}

// refCase is one block of the shared analysis.json (the baseline or a
// variant, with linear utilities only or with rules and red lines).
type refCase struct {
	Label         string    `json:"label"`
	RVIran        float64   `json:"rv_iran"`
	RVUSA         float64   `json:"rv_usa"`
	NOutcomes     int64     `json:"n_outcomes"`
	NAcceptable   int64     `json:"n_acceptable_to_both"`
	NPareto       int       `json:"n_pareto"`
	NParetoAcc    int       `json:"n_pareto_acceptable"`
	Nash          *refPoint `json:"nash"`
	MaxWelfare    *refPoint `json:"max_welfare"`
	Kalai         *refPoint `json:"kalai"`
	BestIranAccUS *float64  `json:"best_for_iran_acceptable_to_usa"`
	BestUSAccIran *float64  `json:"best_for_usa_acceptable_to_iran"`
}

type refFile struct {
	NOutcomes        int64              `json:"n_outcomes"`
	NFeasible        int64              `json:"n_feasible"`
	Baseline         refCase            `json:"baseline"`
	BaselineRedLines refCase            `json:"baseline_red_lines"`
	Variants         map[string]refCase `json:"variants"`
}

func loadIranUS(t *testing.T) (*scenario.Scenario, *refFile) {
	t.Helper()
	dir := corpus.Dir(t, "iran-us")
	s, err := scenario.Load(filepath.Join(dir, "iran_us.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "analysis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref refFile
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatalf("analysis.json: %v", err)
	}
	return s, &ref
}

func checkRefPoint(t *testing.T, what string, sp *outcome.Space, got *Point, want *refPoint) {
	t.Helper()
	if want == nil {
		return
	}
	if got == nil {
		t.Errorf("%s: none, want %v", what, want)
		return
	}
	if math.Abs(got.Utility[0]-want.UIran) > 1e-9 || math.Abs(got.Utility[1]-want.UUSA) > 1e-9 {
		t.Errorf("%s: utilities %v, want [%v %v]", what, got.Utility, want.UIran, want.UUSA)
	}
	m := sp.Map(got.Outcome)
	for k, v := range want.Outcome {
		if m[k] != v {
			t.Errorf("%s: %s = %s, want %s", what, k, m[k], v)
		}
	}
}

// TestIranUSReference reproduces every block of the shared analysis.json
// (baseline and variants, linear utilities only and with rules and red
// lines): outcome and zone counts, Nash, max welfare, Kalai (the textbook
// Kalai–Smorodinsky point: the independent script's "kalai") and each
// side's best acceptable utility (our ideal point).
func TestIranUSReference(t *testing.T) {
	s, ref := loadIranUS(t)
	cases := map[string]refCase{"": ref.Baseline, "_red_lines": ref.BaselineRedLines}
	for name, c := range ref.Variants {
		cases[name] = c
	}
	for name, c := range cases {
		variant, linear := strings.TrimSuffix(name, "_red_lines"), !strings.HasSuffix(name, "_red_lines")
		t.Run(c.Label, func(t *testing.T) {
			sc := s
			if variant != "" {
				var err error
				if sc, err = s.WithVariant(variant); err != nil {
					t.Fatal(err)
				}
			}
			r, err := Analyze(context.Background(), sc.Space, sc.Profiles(), Options{IgnoreConstraints: linear})
			if err != nil {
				t.Fatal(err)
			}
			if r.Reservation[0] != c.RVIran || r.Reservation[1] != c.RVUSA {
				t.Errorf("reservation %v, want [%v %v]", r.Reservation, c.RVIran, c.RVUSA)
			}
			if r.Outcomes != ref.NOutcomes || r.Feasible != ref.NFeasible || r.Acceptable != c.NAcceptable {
				t.Errorf("%d outcomes, %d feasible, %d acceptable to both; want %d, %d, %d", r.Outcomes, r.Feasible, r.Acceptable, ref.NOutcomes, ref.NFeasible, c.NAcceptable)
			}
			if c.NAcceptable == 0 && (r.Nash != nil || r.Kalai != nil || r.MaxWelfare != nil) {
				t.Errorf("no acceptable outcome, yet Nash %v, Kalai %v, max welfare %v", r.Nash, r.Kalai, r.MaxWelfare)
			}
			checkRefPoint(t, "nash", sc.Space, r.Nash, c.Nash)
			checkRefPoint(t, "max_welfare", sc.Space, r.MaxWelfare, c.MaxWelfare)
			checkRefPoint(t, "kalai", sc.Space, r.Kalai, c.Kalai)
			if c.BestIranAccUS != nil && (r.Ideal == nil || math.Abs(r.Ideal[0]-*c.BestIranAccUS) > 1e-9 || math.Abs(r.Ideal[1]-*c.BestUSAccIran) > 1e-9) {
				t.Errorf("ideal point %v, want [%v %v]", r.Ideal, *c.BestIranAccUS, *c.BestUSAccIran)
			}
		})
	}
}

// fsum is the correctly rounded sum of xs: Shewchuk's exact partials
// ("Adaptive precision floating-point arithmetic", 1997) finished as
// CPython's math.fsum finishes them (round half to even).
func fsum(xs []float64) float64 {
	var partials []float64
	for _, x := range xs {
		i := 0
		for _, y := range partials {
			if math.Abs(x) < math.Abs(y) {
				x, y = y, x
			}
			hi := x + y
			lo := y - (hi - x)
			if lo != 0 {
				partials[i] = lo
				i++
			}
			x = hi
		}
		partials = append(partials[:i], x)
	}
	n := len(partials)
	if n == 0 {
		return 0
	}
	n--
	hi, lo := partials[n], 0.0
	for n > 0 {
		x := hi
		n--
		y := partials[n]
		hi = x + y
		lo = y - (hi - x)
		if lo != 0 {
			break
		}
	}
	if n > 0 && ((lo < 0 && partials[n-1] < 0) || (lo > 0 && partials[n-1] > 0)) {
		y := lo * 2
		x := hi + y
		if y == x-hi {
			hi = x
		}
	}
	return hi
}

// fsumUtility is a profile's linear utility summed with fsum.
type fsumUtility struct {
	contrib func(i int, v int32) float64
}

func (f fsumUtility) Utility(o outcome.Outcome) float64 {
	var buf [16]float64
	xs := buf[:0]
	for i, v := range o {
		xs = append(xs, f.contrib(i, v))
	}
	return fsum(xs)
}

func TestFsum(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{0.1, 0.2}, 0.30000000000000004},
		{[]float64{1e100, 1, -1e100}, 1},
		{[]float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, 1},
		{[]float64{1, 1e-16, 1e-16}, 1.0000000000000002},
	} {
		if got := fsum(tc.xs); got != tc.want {
			t.Errorf("fsum(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

// TestIranUSParetoCount explains analysis.json's n_pareto (134) and
// n_pareto_acceptable (35) of the linear baseline: the independent script
// summed w·v with correctly rounded sums (Python's math.fsum) and counted
// distinct utility vectors. With the plain left-to-right sums every peer
// uses (GENIUS, NegMAS, this package), sums equal in decimal can differ in
// the last bit, and the frontier has 149 outcomes with 140 distinct vectors
// (38 and 37 of them acceptable to both).
func TestIranUSParetoCount(t *testing.T) {
	s, ref := loadIranUS(t)
	distinct := func(r *Report) (all, acc int) {
		seen := map[[2]float64]bool{}
		for _, p := range r.Pareto {
			k := [2]float64{p.Utility[0], p.Utility[1]}
			if !seen[k] {
				seen[k] = true
				all++
				if acceptable(p.Utility, r.Reservation) {
					acc++
				}
			}
		}
		return all, acc
	}
	plain, err := Analyze(context.Background(), s.Space, s.Profiles(), Options{IgnoreConstraints: true})
	if err != nil {
		t.Fatal(err)
	}
	if all, acc := distinct(plain); len(plain.Pareto) != 149 || plain.ParetoAcceptable != 38 || all != 140 || acc != 37 {
		t.Errorf("plain sums: %d frontier outcomes (%d acceptable), %d distinct vectors (%d acceptable); want 149 (38), 140 (37)", len(plain.Pareto), plain.ParetoAcceptable, all, acc)
	}
	ps := s.Profiles()
	for i, p := range ps {
		q := p.Clone()
		q.Custom = fsumUtility{contrib: ps[i].Contribution}
		if err := q.Prepare(s.Space); err != nil {
			t.Fatal(err)
		}
		ps[i] = q
	}
	exact, err := Analyze(context.Background(), s.Space, ps, Options{IgnoreConstraints: true})
	if err != nil {
		t.Fatal(err)
	}
	if all, acc := distinct(exact); all != ref.Baseline.NPareto || acc != ref.Baseline.NParetoAcc {
		t.Errorf("correctly rounded sums: %d distinct frontier vectors, %d acceptable; analysis.json says %d, %d", all, acc, ref.Baseline.NPareto, ref.Baseline.NParetoAcc)
	}
	if exact.Acceptable != ref.Baseline.NAcceptable {
		t.Errorf("correctly rounded sums: %d acceptable, want %d", exact.Acceptable, ref.Baseline.NAcceptable)
	}
}

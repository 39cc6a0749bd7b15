package strategy_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
)

// iranUS builds the baseline Iran–US scenario (552,960 outcomes, two rules,
// red lines) from the numbers of ../shared/scenarios/iran-us/iran_us.yaml, so
// that the benchmarks and tests run without the scenario loader.
func iranUS(tb testing.TB) (*outcome.Space, []*preference.Profile) {
	tb.Helper()
	type iss struct {
		name   string
		values []string
	}
	issues := []iss{
		{"enrichment", []string{"zero_enrichment", "consortium_3pct_temporary", "cap_3.67pct", "cap_20pct", "cap_60pct_status_quo"}},
		{"stockpile", []string{"export_all", "jcpoa_cap_300kg", "heu_diluted_or_sealed_in_iran", "no_cap"}},
		{"centrifuges", []string{"dismantle_all", "jcpoa_5060_ir1", "ir1_cap_advanced_sealed", "current_fleet"}},
		{"fordow", []string{"closed_dismantled", "converted_no_enrichment", "enrichment_continues"}},
		{"verification", []string{"csa_only", "jcpoa_ap_provisional", "ap_plus_enhanced", "anytime_anywhere"}},
		{"duration", []string{"10y", "15y", "25y", "permanent"}},
		{"sanctions", []string{"limited_waivers", "jcpoa_nuclear_secondary", "all_post2017", "full_normalization"}},
		{"sequencing", []string{"iran_first", "step_for_step", "us_first_verified"}},
		{"guarantees", []string{"political_commitment_only", "executive_assurances", "congressional_endorsement", "compensation_reversibility"}},
		{"missiles_regional", []string{"excluded", "followon_talks", "limits_in_deal"}},
	}
	var is []outcome.Issue
	for _, x := range issues {
		is = append(is, outcome.NewDiscrete(x.name, x.values...))
	}
	allow := func(n int, ok ...int) []bool {
		b := make([]bool, n)
		for _, k := range ok {
			b[k] = true
		}
		return b
	}
	rules := []outcome.Rule{
		{Name: "no_machines_no_enrichment",
			If:   []outcome.Condition{{Issue: 2, Allowed: allow(4, 0)}},
			Then: []outcome.Condition{{Issue: 0, Allowed: allow(5, 0)}}},
		{Name: "zero_enrichment_means_no_operating_cascades",
			If:   []outcome.Condition{{Issue: 0, Allowed: allow(5, 0)}},
			Then: []outcome.Condition{{Issue: 2, Allowed: allow(4, 0)}, {Issue: 3, Allowed: allow(3, 0, 1)}}},
	}
	sp, err := outcome.NewSpace(is, rules)
	if err != nil {
		tb.Fatal(err)
	}
	type party struct {
		name    string
		rv      float64
		weights []float64
		values  [][]float64
		red     map[int][]int
	}
	parties := []party{
		{"iran", 0.48,
			[]float64{0.18, 0.08, 0.08, 0.05, 0.06, 0.07, 0.20, 0.07, 0.12, 0.09},
			[][]float64{{0, 0.35, 0.70, 0.85, 1}, {0, 0.45, 0.75, 1}, {0, 0.40, 0.70, 1}, {0, 0.55, 1}, {1, 0.75, 0.45, 0},
				{1, 0.85, 0.60, 0}, {0.15, 0.60, 0.90, 1}, {0, 0.60, 1}, {0, 0.30, 0.80, 1}, {1, 0.40, 0}},
			map[int][]int{0: {0}, 1: {0}, 2: {0}, 4: {3}, 9: {2}}},
		{"usa", 0.57,
			[]float64{0.19, 0.13, 0.08, 0.07, 0.12, 0.08, 0.12, 0.06, 0.08, 0.07},
			[][]float64{{1, 0.75, 0.50, 0.10, 0}, {1, 0.80, 0.45, 0}, {1, 0.70, 0.40, 0}, {1, 0.60, 0}, {0, 0.50, 0.85, 1},
				{0, 0.30, 0.70, 1}, {1, 0.60, 0.15, 0}, {1, 0.60, 0}, {1, 0.70, 0.45, 0}, {0, 0.50, 1}},
			map[int][]int{0: {3, 4}, 1: {3}, 4: {0}}},
	}
	var ps []*preference.Profile
	for _, pt := range parties {
		p := &preference.Profile{Name: pt.name, Reservation: pt.rv, RedLines: make([][]bool, len(is))}
		for i := range is {
			p.Issues = append(p.Issues, preference.IssueUtility{Weight: pt.weights[i], Eval: pt.values[i]})
			if r, ok := pt.red[i]; ok {
				p.RedLines[i] = allow(is[i].Len(), r...)
			}
		}
		if err := p.Prepare(sp); err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, p)
	}
	return sp, ps
}

// small builds a 3-issue, 125-outcome scenario of opposed interests with one
// rule and a red line each, and a non-empty zone of agreement.
func small(tb testing.TB) (*outcome.Space, []*preference.Profile) {
	tb.Helper()
	vals := []string{"a", "b", "c", "d", "e"}
	sp, err := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("x", vals...), outcome.NewDiscrete("y", vals...), outcome.NewDiscrete("z", vals...),
	}, []outcome.Rule{{Name: "x=e needs z≠a",
		If:   []outcome.Condition{{Issue: 0, Allowed: []bool{false, false, false, false, true}}},
		Then: []outcome.Condition{{Issue: 2, Allowed: []bool{false, true, true, true, true}}}}})
	if err != nil {
		tb.Fatal(err)
	}
	up := []float64{0, 0.25, 0.5, 0.75, 1}
	down := []float64{1, 0.75, 0.5, 0.25, 0}
	a := &preference.Profile{Name: "a", Reservation: 0.3,
		Issues:   []preference.IssueUtility{{Weight: 0.5, Eval: up}, {Weight: 0.3, Eval: up}, {Weight: 0.2, Eval: down}},
		RedLines: [][]bool{nil, {true, false, false, false, false}, nil}}
	b := &preference.Profile{Name: "b", Reservation: 0.3,
		Issues:   []preference.IssueUtility{{Weight: 0.2, Eval: down}, {Weight: 0.3, Eval: down}, {Weight: 0.5, Eval: up}},
		RedLines: [][]bool{{false, false, false, false, true}, nil, nil}}
	for _, p := range []*preference.Profile{a, b} {
		if err := p.Prepare(sp); err != nil {
			tb.Fatal(err)
		}
	}
	return sp, []*preference.Profile{a, b}
}

// TestIranUSFixtureMatchesBuiltin checks the in-code Iran–US fixture against
// the embedded scenario: same utilities, red lines and rules on a sample of
// outcomes.
func TestIranUSFixtureMatchesBuiltin(t *testing.T) {
	sp, ps := iranUS(t)
	sc, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := sc.Space.Size(); n != 552960 || len(sc.Parties) != 2 {
		t.Fatalf("built-in scenario has %d outcomes and %d parties", n, len(sc.Parties))
	}
	r := rand.New(rand.NewPCG(5, 6))
	o := sp.New()
	for range 5000 {
		for i := range o {
			o[i] = int32(r.IntN(sp.Issues[i].Len()))
		}
		q, err := sc.Space.Parse(sp.Map(o))
		if err != nil {
			t.Fatal(err)
		}
		if sp.Feasible(o) != sc.Space.Feasible(q) {
			t.Fatalf("%v: feasibility differs", sp.Map(o))
		}
		for k, p := range ps {
			bp := sc.Parties[k].Profile
			if math.Abs(p.Utility(o)-bp.Utility(q)) > 1e-12 || p.Violates(o) != bp.Violates(q) || p.Reservation != bp.Reservation {
				t.Fatalf("%s at %v: fixture u=%v red=%v rv=%v, built-in u=%v red=%v rv=%v", p.Name, sp.Map(o),
					p.Utility(o), p.Violates(o), p.Reservation, bp.Utility(q), bp.Violates(q), bp.Reservation)
			}
		}
	}
}

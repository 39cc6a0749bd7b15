package themes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/internal/corpus"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
	"github.com/backchannel/backchannel/themes"
	"pgregory.net/rapid"
)

// fn is a party whose moves are a function.
type fn func(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer

func (f fn) Init(*mechanism.Setup) error { return nil }
func (f fn) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	return f(c, r)
}

func builtin(t testing.TB) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// reference is the part of the shared iran-us/analysis.json the themes are
// checked against.
type reference struct {
	CoercionSweep []struct {
		Label       string    `json:"label"`
		RVIran      float64   `json:"rv_iran"`
		RVUSA       float64   `json:"rv_usa"`
		NAcceptable int64     `json:"n_acceptable_to_both"`
		NashU       []float64 `json:"nash_u"`
	} `json:"coercion_sweep"`
	TrustAdjusted struct {
		Label       string  `json:"label"`
		RVIran      float64 `json:"rv_iran"`
		RVUSA       float64 `json:"rv_usa"`
		NAcceptable int64   `json:"n_acceptable_to_both"`
		Nash        *point  `json:"nash"`
		MaxWelfare  *point  `json:"max_welfare"`
		Kalai       *point  `json:"kalai"`
	} `json:"trust_adjusted"`
}

type point struct {
	UIran   float64           `json:"u_iran"`
	UUSA    float64           `json:"u_usa"`
	Outcome map[string]string `json:"outcome"`
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpus.Dir(t, "iran-us"), "analysis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatalf("iran-us/analysis.json: %v", err)
	}
	if len(ref.CoercionSweep) == 0 || ref.TrustAdjusted.Nash == nil {
		t.Fatal("iran-us/analysis.json: no coercion_sweep or trust_adjusted block")
	}
	return &ref
}

func TestCoercionAt(t *testing.T) {
	c := themes.Coercion{RV0: 0.48, Slope: -0.07, From: 0.2, To: 1}
	for _, tc := range []struct{ t, want float64 }{
		{-1, 0.48 - 0.07*0.2}, // clamped to t = 0
		{0, 0.48 - 0.07*0.2},
		{0.5, 0.48 - 0.07*0.6},
		{1, 0.48 - 0.07},
		{2, 0.48 - 0.07}, // clamped to t = 1
	} {
		if got := c.At(tc.t); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("At(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

// TestCoercionFrom reads the slopes of the built-in scenario: Iran's is the
// face premium minus the material slope (0.08 − 0.15), the US's as written.
func TestCoercionFrom(t *testing.T) {
	s := builtin(t)
	cs, err := themes.CoercionFrom(s, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ rv0, slope float64 }{"iran": {0.48, 0.08 - 0.15}, "usa": {0.57, 0.05}}
	if len(cs) != len(want) {
		t.Fatalf("%d coercion schedules, want %d", len(cs), len(want))
	}
	for _, c := range cs {
		w := want[s.Parties[c.Party].ID]
		if c.RV0 != w.rv0 || math.Abs(c.Slope-w.slope) > 1e-15 || c.From != 0 || c.To != 1 {
			t.Errorf("party %s: %+v, want RV0 %v slope %v from 0 to 1", s.Parties[c.Party].ID, c, w.rv0, w.slope)
		}
	}
	for _, lv := range [][2]float64{{-0.1, 1}, {0, 1.5}, {math.NaN(), 0}} {
		if _, err := themes.CoercionFrom(s, lv[0], lv[1]); err == nil {
			t.Errorf("levels %v accepted", lv)
		}
	}
	s.Themes = nil
	if _, err := themes.CoercionFrom(s, 0, 1); err == nil {
		t.Error("a scenario without themes.coercion gave no error")
	}
}

// coerced returns the built-in scenario's profiles with the reservation
// values of coercion level c.
func coerced(t *testing.T, s *scenario.Scenario, c float64) []*preference.Profile {
	t.Helper()
	cs, err := themes.CoercionFrom(s, c, c)
	if err != nil {
		t.Fatal(err)
	}
	ps := s.Profiles()
	for _, co := range cs {
		q := ps[co.Party].Clone()
		q.Reservation = co.At(0)
		if err := q.Prepare(s.Space); err != nil {
			t.Fatal(err)
		}
		ps[co.Party] = q
	}
	return ps
}

// TestCoercionSweepMatchesReference reproduces analysis.json's
// coercion_sweep: at each coercion level the reservation values the theme
// gives, and with feasibility rules and red lines the size of the zone of
// agreement and the Nash point (analysis.Analyze).
func TestCoercionSweepMatchesReference(t *testing.T) {
	ref := loadReference(t)
	s := builtin(t)
	for _, row := range ref.CoercionSweep {
		var c float64
		if _, err := fmt.Sscanf(row.Label, "coercion=%g", &c); err != nil {
			t.Fatalf("label %q: %v", row.Label, err)
		}
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			ps := coerced(t, s, c)
			if math.Abs(ps[0].Reservation-row.RVIran) > 1e-12 || math.Abs(ps[1].Reservation-row.RVUSA) > 1e-12 {
				t.Errorf("reservation values %v, %v; want %v, %v", ps[0].Reservation, ps[1].Reservation, row.RVIran, row.RVUSA)
			}
			r, err := analysis.Analyze(context.Background(), s.Space, ps, analysis.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Acceptable != row.NAcceptable {
				t.Errorf("%d outcomes acceptable to both, want %d", r.Acceptable, row.NAcceptable)
			}
			if r.Nash == nil || analysis.Distance(r.Nash.Utility, row.NashU) > 1e-9 {
				t.Errorf("Nash point %v, want %v", r.Nash, row.NashU)
			}
		})
	}
}

// TestCoercedEnforcesCurrentReservation: the US's reservation value rises
// from 0.57 to 0.62 over the talks, so a coerced US voter that its inner
// strategy would let accept a text worth 0.58–0.61 accepts it early and
// rejects it late, and an offer of its inner strategy below the current
// reservation value is replaced by one at or above it.
func TestCoercedEnforcesCurrentReservation(t *testing.T) {
	s := builtin(t)
	us := s.PartyIndex("usa")
	cs, err := themes.CoercionFrom(s, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	var c themes.Coercion
	for _, x := range cs {
		if x.Party == us {
			c = x
		}
	}
	p := s.Profiles()[us]
	var mid outcome.Outcome
	o := s.Space.New()
	for more := true; more && mid == nil; more = s.Space.Next(o) {
		if u := p.Utility(o); u > 0.58 && u < 0.61 && p.Acceptable(s.Space, o) {
			mid = o.Clone()
		}
	}
	if mid == nil {
		t.Fatal("no acceptable US outcome worth 0.58–0.61")
	}
	inner := fn(func(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
		if r.Kind == mechanism.Propose {
			return mechanism.Answer{Kind: mechanism.Offer, Outcome: mid}
		}
		return mechanism.Answer{Kind: mechanism.Accept}
	})
	x := &themes.Coerced{Inner: inner, C: c}
	if err := x.Init(&mechanism.Setup{Space: s.Space, Profile: p, Self: us, NumParties: 2, Protocol: "single-text"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t    float64
		kind mechanism.RequestKind
		want mechanism.AnswerKind
	}{
		{0, mechanism.Vote, mechanism.Accept},
		{0.1, mechanism.Respond, mechanism.Accept},
		{0.9, mechanism.Vote, mechanism.Reject},
		{1, mechanism.Respond, mechanism.Reject},
	} {
		a := x.Act(&mechanism.Clock{T: tc.t}, &mechanism.Request{Party: us, Kind: tc.kind, Offer: mid, From: mechanism.MediatorRole})
		if a.Kind != tc.want {
			t.Errorf("t = %v, %v on a text worth %.4f (RV %.4f): %v, want %v", tc.t, tc.kind, p.Utility(mid), c.At(tc.t), a.Kind, tc.want)
		}
	}
	a := x.Act(&mechanism.Clock{T: 1}, &mechanism.Request{Party: us, Kind: mechanism.Propose})
	if a.Kind != mechanism.Offer || !p.Acceptable(s.Space, a.Outcome) || p.Utility(a.Outcome) < c.At(1)-preference.Tolerance {
		t.Errorf("late offer %v worth %v, want an acceptable offer worth at least %v", a.Kind, p.Utility(a.Outcome), c.At(1))
	}
	if a := x.Act(&mechanism.Clock{T: 0}, &mechanism.Request{Party: us, Kind: mechanism.Propose}); a.Kind != mechanism.Offer || !a.Outcome.Equal(mid) {
		t.Errorf("early offer %v %v, want the inner strategy's %v unchanged", a.Kind, a.Outcome, mid)
	}
}

// trustFor returns the theme's trust deficit of the named party.
func trustFor(t *testing.T, s *scenario.Scenario, id string) themes.Trust {
	t.Helper()
	ts, err := themes.TrustFrom(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		if tr.Party == s.PartyIndex(id) {
			return tr
		}
	}
	t.Fatalf("no trust deficit for %s", id)
	return themes.Trust{}
}

// TestTrustFrom reads both tables of the built-in scenario: Iran's reneging
// probability and recovery keyed by the guarantees issue with sanctions at
// risk, and the US's cheating probability keyed by verification with the
// nuclear issues at risk.
func TestTrustFrom(t *testing.T) {
	s := builtin(t)
	sp := s.Space
	ir := trustFor(t, s, "iran")
	if ir.Guarantee != sp.IssueIndex("guarantees") || len(ir.Benefit) != 1 || ir.Benefit[0] != sp.IssueIndex("sanctions") {
		t.Errorf("iran: guarantee issue %d, benefits %v", ir.Guarantee, ir.Benefit)
	}
	g := sp.Issues[ir.Guarantee]
	for v, want := range map[string][2]float64{"political_commitment_only": {0.45, 0}, "congressional_endorsement": {0.15, 0}, "compensation_reversibility": {0.35, 0.6}} {
		k := g.ValueIndex(v)
		if ir.PRenege[k] != want[0] || ir.Recovery[k] != want[1] {
			t.Errorf("iran %s: p %v recovery %v, want %v", v, ir.PRenege[k], ir.Recovery[k], want)
		}
	}
	us := trustFor(t, s, "usa")
	if us.Guarantee != sp.IssueIndex("verification") || len(us.Benefit) != 4 {
		t.Errorf("usa: guarantee issue %d, benefits %v", us.Guarantee, us.Benefit)
	}
	if k := sp.Issues[us.Guarantee].ValueIndex("csa_only"); us.PRenege[k] != 0.5 {
		t.Errorf("usa csa_only: p %v, want 0.5", us.PRenege[k])
	}
}

// TestTrustApplyFormula checks EU(x) = U(x) − p(g)·(1 − rec(g))·Σ wᵢvᵢ(x)
// over the benefit issues on every value of the guarantee issue, and that
// red lines and the reservation value are kept.
func TestTrustApplyFormula(t *testing.T) {
	s := builtin(t)
	sp := s.Space
	tr := trustFor(t, s, "iran")
	p := s.Profiles()[tr.Party]
	q, err := tr.Apply(sp, p)
	if err != nil {
		t.Fatal(err)
	}
	if q.Reservation != p.Reservation || !q.HasRedLines() {
		t.Errorf("trust-discounted profile lost its reservation value or red lines")
	}
	o := sp.New()
	sanctions := sp.IssueIndex("sanctions")
	o[sanctions] = int32(sp.Issues[sanctions].Len() - 1)
	for g := range sp.Issues[tr.Guarantee].Len() {
		o[tr.Guarantee] = int32(g)
		want := p.Utility(o) - tr.PRenege[g]*(1-tr.Recovery[g])*p.Contribution(sanctions, o[sanctions])
		if got := q.Utility(o); math.Abs(got-want) > 1e-15 {
			t.Errorf("guarantee %s: EU %v, want %v", sp.Issues[tr.Guarantee].Values[g], got, want)
		}
	}
	lin := &preference.Profile{Name: "nonlinear", Custom: fnUtility(func(outcome.Outcome) float64 { return 0 })}
	if _, err := tr.Apply(sp, lin); err == nil {
		t.Error("a non-linear profile was accepted")
	}
}

type fnUtility func(outcome.Outcome) float64

func (f fnUtility) Utility(o outcome.Outcome) float64 { return f(o) }

// TestTrustMatchesReference reproduces analysis.json's trust_adjusted:
// Iran's utility discounted by the US's reneging probability, the US's not
// discounted, with rules and red lines: the zone of agreement, Nash, max
// welfare and Kalai–Smorodinsky points, each with its outcome.
func TestTrustMatchesReference(t *testing.T) {
	ref := loadReference(t).TrustAdjusted
	s := builtin(t)
	tr := trustFor(t, s, "iran")
	ps := s.Profiles()
	q, err := tr.Apply(s.Space, ps[tr.Party])
	if err != nil {
		t.Fatal(err)
	}
	ps[tr.Party] = q
	r, err := analysis.Analyze(context.Background(), s.Space, ps, analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Reservation[0] != ref.RVIran || r.Reservation[1] != ref.RVUSA || r.Acceptable != ref.NAcceptable {
		t.Errorf("reservation %v, %d acceptable to both; want [%v %v], %d", r.Reservation, r.Acceptable, ref.RVIran, ref.RVUSA, ref.NAcceptable)
	}
	for _, c := range []struct {
		name string
		got  *analysis.Point
		want *point
	}{{"nash", r.Nash, ref.Nash}, {"max_welfare", r.MaxWelfare, ref.MaxWelfare}, {"kalai", r.Kalai, ref.Kalai}} {
		if c.got == nil {
			t.Errorf("%s: none", c.name)
			continue
		}
		if analysis.Distance(c.got.Utility, []float64{c.want.UIran, c.want.UUSA}) > 1e-9 {
			t.Errorf("%s: %v, want [%v %v]", c.name, c.got.Utility, c.want.UIran, c.want.UUSA)
		}
		m := s.Space.Map(c.got.Outcome)
		for k, v := range c.want.Outcome {
			if m[k] != v {
				t.Errorf("%s: %s = %s, want %s", c.name, k, m[k], v)
			}
		}
	}
}

// TestTrustBothSides pins what the study's trust-deficit setting uses: both
// sides discounted (Iran by reneging, the US by cheating under each
// verification regime), which analysis.json does not cover. The zone
// shrinks below the one-sided 3,764 outcomes.
func TestTrustBothSides(t *testing.T) {
	s := builtin(t)
	ts, err := themes.TrustFrom(s)
	if err != nil {
		t.Fatal(err)
	}
	ps := s.Profiles()
	for _, tr := range ts {
		if ps[tr.Party], err = tr.Apply(s.Space, ps[tr.Party]); err != nil {
			t.Fatal(err)
		}
	}
	r, err := analysis.Analyze(context.Background(), s.Space, ps, analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Acceptable != 1301 || r.Nash == nil || analysis.Distance(r.Nash.Utility, []float64{0.539, 0.6295}) > 1e-9 {
		t.Errorf("%d acceptable, Nash %v; want 1301, [0.539 0.6295] (docs/mediation.md)", r.Acceptable, r.Nash)
	}
}

// TestSignalsFrom reads the contradictory-signals theme of the built-in
// scenario: Iran believes, the US is of the hardline or pragmatic type with
// prior 0.5 each, and the types are the variants' US profiles.
func TestSignalsFrom(t *testing.T) {
	s := builtin(t)
	sg, err := themes.SignalsFrom(s)
	if err != nil {
		t.Fatal(err)
	}
	if sg.Believer != s.PartyIndex("iran") || sg.Opponent != s.PartyIndex("usa") {
		t.Errorf("believer %d, opponent %d", sg.Believer, sg.Opponent)
	}
	if len(sg.Names) != 2 || sg.Names[0] != "usa_hardline" || sg.Names[1] != "usa_pragmatic" || sg.Prior[0] != 0.5 || sg.Prior[1] != 0.5 {
		t.Errorf("types %v with prior %v", sg.Names, sg.Prior)
	}
	if sg.Types[0].Reservation != 0.62 || sg.Types[1].Reservation != 0.52 {
		t.Errorf("type reservation values %v, %v; want 0.62, 0.52", sg.Types[0].Reservation, sg.Types[1].Reservation)
	}
}

// twoTypes is a 2-issue space and two opponent types: "low" never accepts
// value 2 of issue a, "high" never accepts value 0.
func twoTypes(t *testing.T) (*outcome.Space, []*preference.Profile) {
	t.Helper()
	sp, err := outcome.NewSpace([]outcome.Issue{outcome.NewDiscrete("a", "0", "1", "2"), outcome.NewDiscrete("b", "0", "1", "2")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	low := &preference.Profile{Name: "low", Issues: []preference.IssueUtility{{Weight: 0.6, Eval: []float64{1, 0.5, 0}}, {Weight: 0.4, Eval: []float64{0, 0.5, 1}}},
		RedLines: [][]bool{{false, false, true}, nil}}
	high := &preference.Profile{Name: "high", Issues: []preference.IssueUtility{{Weight: 0.6, Eval: []float64{0, 0.5, 1}}, {Weight: 0.4, Eval: []float64{0, 0.5, 1}}},
		RedLines: [][]bool{{true, false, false}, nil}}
	for _, p := range []*preference.Profile{low, high} {
		if err := p.Prepare(sp); err != nil {
			t.Fatal(err)
		}
	}
	return sp, []*preference.Profile{low, high}
}

// TestBeliefUpdate checks Bayes' rule step by step: an offer only one type
// could make moves the belief to that type by the ratio of the likelihoods
// (its utility against Epsilon), an offer both could make by the ratio of
// their utilities, and the estimate is the posterior mean of the types'
// utilities.
func TestBeliefUpdate(t *testing.T) {
	sp, ts := twoTypes(t)
	b := &themes.Belief{Types: ts, Prior: []float64{1, 3}}
	if err := b.Start(sp); err != nil {
		t.Fatal(err)
	}
	post := []float64{0.25, 0.75}
	for _, o := range []outcome.Outcome{{0, 2}, {0, 1}, {1, 2}, {2, 2}, {1, 0}} {
		l := make([]float64, 2)
		for k, p := range ts {
			l[k] = 0.05
			if p.Acceptable(sp, o) {
				l[k] = max(p.Utility(o), 0.05)
			}
		}
		before := append([]float64(nil), b.Posterior()...)
		b.Update(o, 0)
		z := post[0]*l[0] + post[1]*l[1]
		post = []float64{post[0] * l[0] / z, post[1] * l[1] / z}
		got := b.Posterior()
		if math.Abs(got[0]-post[0]) > 1e-12 || math.Abs(got[1]-post[1]) > 1e-12 {
			t.Fatalf("after %v: posterior %v, want %v", o, got, post)
		}
		// The belief moves toward the type that explains o better.
		switch {
		case l[0] > l[1] && got[0] <= before[0], l[1] > l[0] && got[1] <= before[1]:
			t.Errorf("offer %v (likelihoods %v) moved the posterior from %v to %v", o, l, before, got)
		}
		want := 0.0
		for k, p := range ts {
			if p.Acceptable(sp, o) {
				want += got[k] * p.Utility(o)
			}
		}
		if u := b.Utility(o); math.Abs(u-want) > 1e-12 {
			t.Errorf("estimate of %v: %v, want %v", o, u, want)
		}
	}
	for _, bad := range []*themes.Belief{
		{Types: ts, Prior: []float64{1}},
		{Types: ts, Prior: []float64{-1, 2}},
		{Types: ts, Prior: []float64{0, 0}},
		{},
	} {
		if err := bad.Start(sp); err == nil {
			t.Errorf("belief %+v started", bad.Prior)
		}
	}
}

// TestBeliefLearnsUSType: Iran's believer negotiates with a US of each type
// (Boulware and Conceder); by the end its posterior favours the type the US
// really has.
func TestBeliefLearnsUSType(t *testing.T) {
	s := builtin(t)
	sg, err := themes.SignalsFrom(s)
	if err != nil {
		t.Fatal(err)
	}
	for k, name := range sg.Names {
		vs, err := s.WithVariant(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, strat := range []string{"boulware", "conceder"} {
			a := sg.Agent()
			b := a.Model.(*themes.Belief)
			us, err := strategy.New(strat, nil)
			if err != nil {
				t.Fatal(err)
			}
			parties := make([]mechanism.Party, 2)
			parties[sg.Believer], parties[sg.Opponent] = a, us
			if _, err := sim.Run(context.Background(), &sim.Config{Mechanism: mechanism.NewSAO(), Space: vs.Space, Profiles: vs.Profiles(),
				Parties: parties, Deadline: mechanism.Deadline{Rounds: 60}, Seed: 1}); err != nil {
				t.Fatal(err)
			}
			if p := b.Posterior()[k]; p <= sg.Prior[k] {
				t.Errorf("US %s (%s): posterior of the true type %.3f, not above the prior %.3f", name, strat, p, sg.Prior[k])
			} else {
				t.Logf("US %s (%s): posterior of the true type %.3f", name, strat, p)
			}
		}
	}
}

// TestBeliefPosteriorIsDistribution: after any sequence of offers the
// posterior is a probability distribution (rapid property).
func TestBeliefPosteriorIsDistribution(t *testing.T) {
	sp, ts := twoTypes(t)
	rapid.Check(t, func(rt *rapid.T) {
		b := &themes.Belief{Types: ts, Prior: []float64{rapid.Float64Range(0, 1).Draw(rt, "p0"), rapid.Float64Range(0.01, 1).Draw(rt, "p1")},
			Epsilon: rapid.Float64Range(0, 0.5).Draw(rt, "eps")}
		if err := b.Start(sp); err != nil {
			rt.Fatal(err)
		}
		for range rapid.IntRange(0, 40).Draw(rt, "offers") {
			o := outcome.Outcome{int32(rapid.IntRange(0, 2).Draw(rt, "a")), int32(rapid.IntRange(0, 2).Draw(rt, "b"))}
			b.Update(o, 0)
			sum := 0.0
			for _, p := range b.Posterior() {
				if p < 0 || math.IsNaN(p) {
					rt.Fatalf("posterior %v", b.Posterior())
				}
				sum += p
			}
			if math.Abs(sum-1) > 1e-9 {
				rt.Fatalf("posterior %v sums to %v", b.Posterior(), sum)
			}
		}
	})
}

// BenchmarkBeliefUpdate measures one Bayes update over the two US types of
// the built-in scenario.
func BenchmarkBeliefUpdate(b *testing.B) {
	s := builtin(b)
	sg, err := themes.SignalsFrom(s)
	if err != nil {
		b.Fatal(err)
	}
	bl := &themes.Belief{Types: sg.Types, Prior: sg.Prior}
	if err := bl.Start(s.Space); err != nil {
		b.Fatal(err)
	}
	o := s.Space.New()
	b.ReportAllocs()
	for b.Loop() {
		bl.Update(o, 0)
	}
}

// TestFaceBound: on the Iran–US scenario, a face-bound Iran proposes only
// its best acceptable outcome, accepts in public (Respond) only an offer
// worth as much and rejects every other one, and leaves its answers to a
// mediator's package (Vote, Compare) to the party it wraps.
func TestFaceBound(t *testing.T) {
	s := builtin(t)
	ps := s.Profiles()
	iran := s.PartyIndex("iran")
	inner := fn(func(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
		if r.Kind == mechanism.Vote {
			return mechanism.Answer{Kind: mechanism.Accept}
		}
		return mechanism.Answer{Kind: mechanism.Same}
	})
	f := &themes.FaceBound{Inner: inner}
	if err := f.Init(&mechanism.Setup{Space: s.Space, Profile: ps[iran], Self: iran, NumParties: 2, Protocol: "sao",
		Deadline: mechanism.Deadline{Rounds: 10}}); err != nil {
		t.Fatal(err)
	}
	offers, err := strategy.OffersFor(s.Space, ps[iran], ps[iran].Reservation-preference.Tolerance)
	if err != nil {
		t.Fatal(err)
	}
	c := &mechanism.Clock{Round: 9, T: 0.99}
	a := f.Act(c, &mechanism.Request{Party: iran, Kind: mechanism.Propose, From: mechanism.Nobody})
	if a.Kind != mechanism.Offer || math.Abs(ps[iran].Utility(a.Outcome)-offers.Best()) > 1e-12 {
		t.Fatalf("near the deadline it proposed %v %v, want its best (%.3f)", a.Kind, a.Outcome, offers.Best())
	}
	best := a.Outcome.Clone()
	if a := f.Act(c, &mechanism.Request{Party: iran, Kind: mechanism.Respond, Offer: best, From: 1}); a.Kind != mechanism.Accept {
		t.Errorf("it refused its own best outcome in public: %v", a.Kind)
	}
	nash := s.Space.New()
	offers.AtLeast(0.611, nash)
	if a := f.Act(c, &mechanism.Request{Party: iran, Kind: mechanism.Respond, Offer: nash, From: 1}); a.Kind != mechanism.Reject {
		t.Errorf("it accepted %v (worth %.3f < %.3f) in public", nash, ps[iran].Utility(nash), offers.Best())
	}
	if a := f.Act(c, &mechanism.Request{Party: iran, Kind: mechanism.Vote, Offer: nash, From: mechanism.MediatorRole}); a.Kind != mechanism.Accept {
		t.Errorf("its vote on a mediator's package was %v, want the inner party's Accept", a.Kind)
	}
	if a := f.Act(c, &mechanism.Request{Party: iran, Kind: mechanism.Compare, Offer: nash, Other: best, From: mechanism.MediatorRole}); a.Kind != mechanism.Same {
		t.Errorf("its comparison was %v, want the inner party's Same", a.Kind)
	}
}

// TestCoercedPublicFace: with the face premium charged only on what is
// seen, coerced Iran (RV 0.48 − 0.15c + 0.08c in public, 0.48 − 0.15c in
// private) at full coercion accepts in a vote a package worth 0.33–0.41
// that it refuses as a response to the other side's offer; without
// PublicFace it refuses both.
func TestCoercedPublicFace(t *testing.T) {
	s := builtin(t)
	iran := s.PartyIndex("iran")
	cs, err := themes.CoercionFrom(s, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	var c themes.Coercion
	for _, x := range cs {
		if x.Party == iran {
			c = x
		}
	}
	if math.Abs(c.Face-0.08) > 1e-12 || math.Abs(c.At(1)-0.41) > 1e-12 || math.Abs(c.Private(1)-0.33) > 1e-12 || c.Private(0) != c.At(0) {
		t.Fatalf("coercion %+v: At(1) %v, Private(1) %v; want face 0.08, 0.41, 0.33", c, c.At(1), c.Private(1))
	}
	p := s.Profiles()[iran]
	var mid outcome.Outcome
	o := s.Space.New()
	for more := true; more && mid == nil; more = s.Space.Next(o) {
		if u := p.Utility(o); u > 0.34 && u < 0.40 && s.Space.Feasible(o) && !p.Violates(o) {
			mid = o.Clone()
		}
	}
	if mid == nil {
		t.Fatal("no feasible Iranian outcome free of red lines worth 0.34–0.40")
	}
	accept := fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
		return mechanism.Answer{Kind: mechanism.Accept}
	})
	for _, public := range []bool{false, true} {
		x := &themes.Coerced{Inner: accept, C: c, PublicFace: public}
		if err := x.Init(&mechanism.Setup{Space: s.Space, Profile: p, Self: iran, NumParties: 2, Protocol: "double-blind"}); err != nil {
			t.Fatal(err)
		}
		vote := x.Act(&mechanism.Clock{T: 1}, &mechanism.Request{Party: iran, Kind: mechanism.Vote, Offer: mid, From: mechanism.MediatorRole})
		resp := x.Act(&mechanism.Clock{T: 1}, &mechanism.Request{Party: iran, Kind: mechanism.Respond, Offer: mid, From: 1})
		if resp.Kind != mechanism.Reject || (vote.Kind == mechanism.Accept) != public {
			t.Errorf("PublicFace %v: vote %v, response %v on a package worth %.3f", public, vote.Kind, resp.Kind, p.Utility(mid))
		}
	}
}

package voting_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/voting"
	"pgregory.net/rapid"
)

// fixture is a 3-issue space with one rule (a = 2 needs b ≠ 0) and a linear
// profile with reservation 0.3 and a red line on c = 3.
func fixture(t testing.TB) (*outcome.Space, *preference.Profile) {
	t.Helper()
	sp, err := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("a", "0", "1", "2"),
		outcome.NewDiscrete("b", "0", "1", "2"),
		outcome.NewDiscrete("c", "0", "1", "2", "3"),
	}, []outcome.Rule{{Name: "a=2 needs b≠0",
		If:   []outcome.Condition{{Issue: 0, Allowed: []bool{false, false, true}}},
		Then: []outcome.Condition{{Issue: 1, Allowed: []bool{false, true, true}}}}})
	if err != nil {
		t.Fatal(err)
	}
	p := &preference.Profile{Name: "p", Reservation: 0.3,
		Issues:   []preference.IssueUtility{{Weight: 0.5, Eval: []float64{0, 0.5, 1}}, {Weight: 0.2, Eval: []float64{1, 0.5, 0}}, {Weight: 0.3, Eval: []float64{0, 1.0 / 3, 2.0 / 3, 1}}},
		RedLines: [][]bool{nil, nil, {false, false, false, true}}}
	if err := p.Prepare(sp); err != nil {
		t.Fatal(err)
	}
	return sp, p
}

func setup(sp *outcome.Space, p *preference.Profile, seed uint64) *mechanism.Setup {
	return &mechanism.Setup{Space: sp, Profile: p, NumParties: 2, Protocol: "single-text", Deadline: mechanism.Deadline{Rounds: 100},
		Rand: rand.New(rand.NewPCG(seed, 7))}
}

func drawOutcome(rt *rapid.T, sp *outcome.Space, label string) outcome.Outcome {
	o := sp.New()
	for i := range o {
		o[i] = int32(rapid.IntRange(0, sp.Issues[i].Len()-1).Draw(rt, label))
	}
	return o
}

// TestHillClimberVotes: the hill-climber accepts a text iff the party could
// accept it (feasible, no red line, at least its reservation value) and it
// is no worse than the current text (any acceptable text when there is
// none). Property over every pair of outcomes.
func TestHillClimberVotes(t *testing.T) {
	sp, p := fixture(t)
	h := &voting.HillClimber{}
	if err := h.Start(setup(sp, p, 1)); err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(rt *rapid.T) {
		text := drawOutcome(rt, sp, "text")
		var current outcome.Outcome
		if rapid.Bool().Draw(rt, "has current") {
			current = drawOutcome(rt, sp, "current")
		}
		want := p.Acceptable(sp, text) && (current == nil || p.Utility(text) >= p.Utility(current))
		if got := h.Vote(&mechanism.Clock{T: rapid.Float64Range(0, 1).Draw(rt, "t")}, text, current); got != want {
			rt.Fatalf("vote on %v (u %.3f, acceptable %v) against %v: %v, want %v", text, p.Utility(text), p.Acceptable(sp, text), current, got, want)
		}
	})
}

// TestVotersHonourReservationTolerance: a text whose utility lands within
// preference.Tolerance below the reservation value (a decimal sum rounded
// down in binary) is acceptable, as package analysis counts it.
func TestVotersHonourReservationTolerance(t *testing.T) {
	sp, p := fixture(t)
	text := outcome.Outcome{1, 1, 1}
	q := p.Clone()
	q.Reservation = p.Utility(text) + preference.Tolerance/2
	if err := q.Prepare(sp); err != nil {
		t.Fatal(err)
	}
	for _, v := range []voting.Voter{&voting.HillClimber{}, &voting.Annealer{}} {
		if err := v.Start(setup(sp, q, 1)); err != nil {
			t.Fatal(err)
		}
		if !v.Vote(&mechanism.Clock{}, text, nil) {
			t.Errorf("%T rejects a text worth the reservation value within the tolerance", v)
		}
	}
}

func TestAnnealerTemperature(t *testing.T) {
	for _, tc := range []struct {
		t0, t1    float64
		at, want  float64
		label     string
		wantT0T1  [2]float64
		checkEnds bool
	}{
		{0, 0, 0, 0.1, "defaults at t=0", [2]float64{0.1, 0.001}, true},
		{0, 0, 0.5, 0.01, "defaults at t=0.5", [2]float64{0.1, 0.001}, false},
		{0, 0, 1, 0.001, "defaults at t=1", [2]float64{0.1, 0.001}, false},
		{0, 0, -3, 0.1, "t clamped to 0", [2]float64{0.1, 0.001}, false},
		{0, 0, 7, 0.001, "t clamped to 1", [2]float64{0.1, 0.001}, false},
		{1, 0.01, 0.25, math.Pow(0.01, 0.25), "T0=1, T1=0.01", [2]float64{1, 0.01}, true},
		{0.5, 2, 1, 0.001, "T1 above T0 falls back to 0.001", [2]float64{0.5, 0.001}, true},
	} {
		sp, p := fixture(t)
		a := &voting.Annealer{T0: tc.t0, T1: tc.t1}
		if err := a.Start(setup(sp, p, 1)); err != nil {
			t.Fatal(err)
		}
		if got := a.Temperature(tc.at); math.Abs(got-tc.want) > 1e-15*tc.want {
			t.Errorf("%s: T(%v) = %v, want %v", tc.label, tc.at, got, tc.want)
		}
		if tc.checkEnds {
			if a.Temperature(0) != tc.wantT0T1[0] || math.Abs(a.Temperature(1)-tc.wantT0T1[1]) > 1e-18 {
				t.Errorf("%s: T(0) = %v, T(1) = %v; want %v", tc.label, a.Temperature(0), a.Temperature(1), tc.wantT0T1)
			}
		}
	}
}

// TestAnnealerFollowsSchedule: the annealing voter accepts an acceptable
// text no worse than the current one always, an unacceptable one never,
// and a worse acceptable one iff a draw from its random source falls below
// exp(Δu/T(t)), T(t) = T0·(T1/T0)^t. The test replays the same source, so
// every decision is checked, and the same seed gives the same decisions.
func TestAnnealerFollowsSchedule(t *testing.T) {
	sp, p := fixture(t)
	var texts []outcome.Outcome
	o := sp.New()
	for more := true; more; more = sp.Next(o) {
		texts = append(texts, o.Clone())
	}
	const seed = 11
	a := &voting.Annealer{}
	if err := a.Start(setup(sp, p, seed)); err != nil {
		t.Fatal(err)
	}
	oracle := setup(sp, p, seed).Rand
	pick := rand.New(rand.NewPCG(3, 4))
	var decisions []bool
	for step := range 5000 {
		text, current := texts[pick.IntN(len(texts))], texts[pick.IntN(len(texts))]
		tt := float64(step) / 5000
		var want bool
		switch d := p.Utility(text) - p.Utility(current); {
		case !p.Acceptable(sp, text):
			want = false
		case d >= 0:
			want = true
		default:
			want = oracle.Float64() < math.Exp(d/(0.1*math.Pow(0.01, tt)))
		}
		got := a.Vote(&mechanism.Clock{T: tt}, text, current)
		if got != want {
			t.Fatalf("step %d: vote on %v against %v at t=%.3f: %v, want %v", step, text, current, tt, got, want)
		}
		decisions = append(decisions, got)
	}
	again := &voting.Annealer{}
	if err := again.Start(setup(sp, p, seed)); err != nil {
		t.Fatal(err)
	}
	pick = rand.New(rand.NewPCG(3, 4))
	for step, want := range decisions {
		text, current := texts[pick.IntN(len(texts))], texts[pick.IntN(len(texts))]
		if got := again.Vote(&mechanism.Clock{T: float64(step) / 5000}, text, current); got != want {
			t.Fatalf("same seed, step %d: %v then %v", step, want, got)
		}
	}
}

// TestAnnealerAcceptanceRate: over many votes on one worse text the share
// accepted matches exp(Δu/T(t)) early, midway and late in the talks (within
// 4 standard errors).
func TestAnnealerAcceptanceRate(t *testing.T) {
	sp, p := fixture(t)
	text, current := outcome.Outcome{1, 1, 1}, outcome.Outcome{1, 1, 2}
	d := p.Utility(text) - p.Utility(current) // −0.1
	a := &voting.Annealer{}
	if err := a.Start(setup(sp, p, 5)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []float64{0, 0.25, 0.5} {
		const n = 20000
		k := 0
		for range n {
			if a.Vote(&mechanism.Clock{T: tt}, text, current) {
				k++
			}
		}
		want := math.Exp(d / a.Temperature(tt))
		se := math.Sqrt(want * (1 - want) / n)
		if got := float64(k) / n; math.Abs(got-want) > 4*se+1e-4 {
			t.Errorf("t = %v: accepted %.4f of worse texts, want exp(%.3f/%.4f) = %.4f", tt, got, d, a.Temperature(tt), want)
		}
	}
}

func TestStartErrors(t *testing.T) {
	sp, p := fixture(t)
	for _, tc := range []struct {
		name string
		v    voting.Voter
		s    *mechanism.Setup
	}{
		{"hill-climber without setup", &voting.HillClimber{}, nil},
		{"hill-climber without profile", &voting.HillClimber{}, &mechanism.Setup{Space: sp}},
		{"annealer without space", &voting.Annealer{}, &mechanism.Setup{Profile: p}},
		{"annealer without random source", &voting.Annealer{}, &mechanism.Setup{Space: sp, Profile: p}},
	} {
		if err := tc.v.Start(tc.s); err == nil {
			t.Errorf("%s: started", tc.name)
		}
	}
	if err := (&voting.Party{}).Init(setup(sp, p, 1)); err == nil {
		t.Error("a party without a voter started")
	}
}

// recorder is an inner party that records the request kinds it is asked.
type recorder struct{ kinds []mechanism.RequestKind }

func (r *recorder) Init(*mechanism.Setup) error { return nil }
func (r *recorder) Act(_ *mechanism.Clock, q *mechanism.Request) mechanism.Answer {
	r.kinds = append(r.kinds, q.Kind)
	return mechanism.Answer{Kind: mechanism.Reject}
}

// TestParty: votes come from the voter, everything else from Inner; with
// no Inner, comparisons are answered by the party's own utility (an outcome
// it could never accept is worse than any other) and other requests end.
func TestParty(t *testing.T) {
	sp, p := fixture(t)
	in := &recorder{}
	x := &voting.Party{Inner: in, Voter: &voting.HillClimber{}}
	if err := x.Init(setup(sp, p, 1)); err != nil {
		t.Fatal(err)
	}
	good, worse := outcome.Outcome{2, 1, 2}, outcome.Outcome{1, 1, 1}
	if a := x.Act(&mechanism.Clock{}, &mechanism.Request{Kind: mechanism.Vote, Offer: good, Other: worse}); a.Kind != mechanism.Accept {
		t.Errorf("vote on a better acceptable text: %v", a.Kind)
	}
	if a := x.Act(&mechanism.Clock{}, &mechanism.Request{Kind: mechanism.Vote, Offer: worse, Other: good}); a.Kind != mechanism.Reject {
		t.Errorf("vote on a worse text: %v", a.Kind)
	}
	x.Act(&mechanism.Clock{}, &mechanism.Request{Kind: mechanism.Respond, Offer: good})
	x.Act(&mechanism.Clock{}, &mechanism.Request{Kind: mechanism.Compare, Offer: good, Other: worse})
	if len(in.kinds) != 2 || in.kinds[0] != mechanism.Respond || in.kinds[1] != mechanism.Compare {
		t.Errorf("inner was asked %v, want respond and compare", in.kinds)
	}

	bare := &voting.Party{Voter: &voting.HillClimber{}}
	if err := bare.Init(setup(sp, p, 1)); err != nil {
		t.Fatal(err)
	}
	redLine, infeasible := outcome.Outcome{2, 1, 3}, outcome.Outcome{2, 0, 2}
	for _, tc := range []struct {
		offer, other outcome.Outcome
		want         mechanism.AnswerKind
	}{
		{good, worse, mechanism.Better},
		{worse, good, mechanism.Worse},
		{good, good, mechanism.Same},
		{redLine, worse, mechanism.Worse},
		{worse, infeasible, mechanism.Better},
		{redLine, infeasible, mechanism.Same},
	} {
		if a := bare.Act(&mechanism.Clock{}, &mechanism.Request{Kind: mechanism.Compare, Offer: tc.offer, Other: tc.other}); a.Kind != tc.want {
			t.Errorf("compare %v with %v: %v, want %v", tc.offer, tc.other, a.Kind, tc.want)
		}
	}
	if a := bare.Act(&mechanism.Clock{}, &mechanism.Request{Kind: mechanism.Propose}); a.Kind != mechanism.End {
		t.Errorf("propose without inner: %v, want end", a.Kind)
	}
}

// BenchmarkHillClimberVote measures one vote.
func BenchmarkHillClimberVote(b *testing.B) {
	sp, p := fixture(b)
	h := &voting.HillClimber{}
	if err := h.Start(setup(sp, p, 1)); err != nil {
		b.Fatal(err)
	}
	text, current := outcome.Outcome{2, 1, 2}, outcome.Outcome{1, 1, 1}
	c := &mechanism.Clock{}
	b.ReportAllocs()
	for b.Loop() {
		h.Vote(c, text, current)
	}
}

// TestSecret: a secret acceptance needs an acceptable package worth at
// least the time-dependent target (the party's best acceptable utility at
// t = 0, falling to its worst at t = 1), except in the final round, where
// any acceptable package is accepted; an unacceptable one never is.
func TestSecret(t *testing.T) {
	sp, p := fixture(t)
	rapid.Check(t, func(rt *rapid.T) {
		e := rapid.SampledFrom([]float64{0, 0.2, 1, 3}).Draw(rt, "e")
		v := &voting.Secret{E: e}
		st := setup(sp, p, 1)
		st.Protocol = "blind-bidding"
		if err := v.Start(st); err != nil {
			rt.Fatal(err)
		}
		o := drawOutcome(rt, sp, "o")
		round := rapid.IntRange(0, st.Deadline.Rounds-1).Draw(rt, "round")
		c := &mechanism.Clock{Round: round, T: float64(round) / float64(st.Deadline.Rounds)}
		acceptable := p.Acceptable(sp, o)
		want := acceptable && (round == st.Deadline.Rounds-1 || p.Utility(o) >= v.Target(c.T)-preference.Tolerance)
		if got := v.Vote(c, o, nil); got != want {
			rt.Fatalf("e=%v round %d: vote on %v (u %.3f, target %.3f, acceptable %v) = %v, want %v", e, round, o, p.Utility(o), v.Target(c.T), acceptable, got, want)
		}
	})
	v := &voting.Secret{}
	if err := v.Start(setup(sp, p, 1)); err != nil {
		t.Fatal(err)
	}
	best := math.Inf(-1)
	o := sp.New()
	for {
		if p.Acceptable(sp, o) {
			best = max(best, p.Utility(o))
		}
		if !sp.Next(o) {
			break
		}
	}
	if got := v.Target(0); math.Abs(got-best) > 1e-12 {
		t.Errorf("target at t = 0 is %v, want the best acceptable utility %v", got, best)
	}
	if got := v.Target(1); got < p.Reservation-preference.Tolerance {
		t.Errorf("target at t = 1 is %v, below the reservation value %v", got, p.Reservation)
	}
}

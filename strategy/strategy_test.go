package strategy_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
)

// trace records every event of a negotiation, with copied outcomes.
type trace struct {
	events []mechanism.Event
}

func (tr *trace) Observe(e *mechanism.Event) {
	c := *e
	c.Outcome = e.Outcome.Clone()
	tr.events = append(tr.events, c)
}

func (tr *trace) String() string {
	var b strings.Builder
	for _, e := range tr.events {
		fmt.Fprintf(&b, "%d %d %s %v\n", e.Step, e.Party, e.Kind, e.Outcome)
	}
	return b.String()
}

// offers returns the outcomes offered by party i, in order.
func (tr *trace) offers(i int) []outcome.Outcome {
	var out []outcome.Outcome
	for _, e := range tr.events {
		if e.Kind == "offer" && e.Party == i {
			out = append(out, e.Outcome)
		}
	}
	return out
}

// tb is what negotiate needs of a *testing.T, *testing.B or *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
}

func negotiate(t tb, sp *outcome.Space, ps []*preference.Profile, names []string, rounds int, seed uint64) (mechanism.Result, *trace) {
	t.Helper()
	parties := make([]mechanism.Party, len(names))
	for i, n := range names {
		a, err := strategy.New(n, nil)
		if err != nil {
			t.Fatal(err)
		}
		parties[i] = a
	}
	tr := &trace{}
	res, err := sim.Run(context.Background(), &sim.Config{Mechanism: mechanism.NewSAO(), Space: sp, Profiles: ps,
		Parties: parties, Deadline: mechanism.Deadline{Rounds: rounds}, Seed: seed, Observer: tr})
	if err != nil {
		t.Fatal(err)
	}
	return res, tr
}

func acceptable(sp *outcome.Space, p *preference.Profile, o outcome.Outcome) bool {
	return sp.Valid(o) && p.Acceptable(sp, o)
}

func zoneNonEmpty(sp *outcome.Space, ps []*preference.Profile) bool {
	o := sp.New()
	for {
		ok := true
		for _, p := range ps {
			ok = ok && p.Acceptable(sp, o)
		}
		if ok {
			return true
		}
		if !sp.Next(o) {
			return false
		}
	}
}

// mustAgree reports whether strategies a and b must reach agreement on the
// small fixture (non-empty zone, 200 rounds): the time-dependent family
// concedes to its worst acceptable outcome by the deadline, so any two of
// them meet; MiCRO concedes only as fast as its opponent makes new offers, so
// it is sure to meet only opponents that make many (de Jonge 2022).
func mustAgree(a, b string) bool {
	td := []string{"boulware", "linear", "conceder", "frequency"}
	if slices.Contains(td, a) && slices.Contains(td, b) {
		return true
	}
	fast := []string{"linear", "conceder", "micro"}
	return (a == "micro" && slices.Contains(fast, b)) || (b == "micro" && slices.Contains(fast, a))
}

func TestNegotiationsRespectRedLinesAndReservation(t *testing.T) {
	sp, ps := small(t)
	if !zoneNonEmpty(sp, ps) {
		t.Fatal("fixture has an empty zone of agreement")
	}
	names := strategy.Names()
	for _, a := range names {
		for _, b := range names {
			t.Run(a+"-"+b, func(t *testing.T) {
				res, tr := negotiate(t, sp, ps, []string{a, b}, 200, 7)
				if res.Status == mechanism.Failed {
					t.Fatalf("failed: %+v", res.Fault)
				}
				for i := range ps {
					for _, o := range tr.offers(i) {
						if !acceptable(sp, ps[i], o) {
							t.Fatalf("party %d (%s) offered %v, outside its acceptable set", i, []string{a, b}[i], o)
						}
					}
				}
				if res.Status == mechanism.Agreement {
					for i, p := range ps {
						if !acceptable(sp, p, res.Agreement) {
							t.Fatalf("agreement %v is unacceptable to party %d (u=%.3f, rv=%.3f)", res.Agreement, i, p.Utility(res.Agreement), p.Reservation)
						}
					}
				}
				if mustAgree(a, b) && res.Status != mechanism.Agreement {
					t.Fatalf("%s vs %s: %s (%s), want an agreement", a, b, res.Status, res.Reason)
				}
			})
		}
	}
}

func TestIranUSAgreement(t *testing.T) {
	sp, ps := iranUS(t)
	// MiCRO walks down one outcome per distinct offer received; on 552,960
	// outcomes it needs tens of thousands of rounds (it meets MiCRO after
	// 58,949 rounds, at the max-welfare outcome).
	for _, c := range []struct {
		pair   [2]string
		rounds int
	}{{[2]string{"boulware", "conceder"}, 1000}, {[2]string{"linear", "linear"}, 1000}, {[2]string{"micro", "micro"}, 100000},
		{[2]string{"frequency", "boulware"}, 1000}, {[2]string{"tft-absolute", "conceder"}, 1000}} {
		pair := c.pair
		res, tr := negotiate(t, sp, ps, pair[:], c.rounds, 1)
		if res.Status != mechanism.Agreement {
			t.Fatalf("%v: %s (%s), want an agreement", pair, res.Status, res.Reason)
		}
		for i, p := range ps {
			if !acceptable(sp, p, res.Agreement) {
				t.Fatalf("%v: agreement unacceptable to %s", pair, p.Name)
			}
			for _, o := range tr.offers(i) {
				if !acceptable(sp, p, o) {
					t.Fatalf("%v: %s offered %v outside its acceptable set", pair, p.Name, sp.Map(o))
				}
			}
		}
	}
}

func TestDeterministicBySeed(t *testing.T) {
	sp, ps := small(t)
	for _, pair := range [][]string{{"random", "random"}, {"micro", "random"}, {"tft-absolute", "random"}, {"frequency", "random"}} {
		_, t1 := negotiate(t, sp, ps, pair, 100, 42)
		_, t2 := negotiate(t, sp, ps, pair, 100, 42)
		if t1.String() != t2.String() {
			t.Fatalf("%v: same seed, different traces", pair)
		}
	}
	_, t1 := negotiate(t, sp, ps, []string{"random", "random"}, 100, 1)
	_, t2 := negotiate(t, sp, ps, []string{"random", "random"}, 100, 2)
	if t1.String() == t2.String() {
		t.Fatal("random vs random: seeds 1 and 2 gave the same trace")
	}
}

func TestHardlinerNeverConcedes(t *testing.T) {
	sp, ps := small(t)
	for _, opp := range []string{"conceder", "random", "micro", "hardliner"} {
		_, tr := negotiate(t, sp, ps, []string{"hardliner", opp}, 100, 3)
		off, err := strategy.OffersFor(sp, ps[0], ps[0].Reservation)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range tr.offers(0) {
			if u := ps[0].Utility(o); u != off.Best() {
				t.Fatalf("vs %s: hardliner offered u=%v, its best is %v", opp, u, off.Best())
			}
		}
	}
}

// TestMiCRORule checks de Jonge's rule on full negotiations: MiCRO makes a
// new offer only when it has made no more distinct offers than it received,
// and its new offers come in order of decreasing utility.
func TestMiCRORule(t *testing.T) {
	sp, ps := small(t)
	for _, opp := range []string{"boulware", "conceder", "random", "hardliner", "micro"} {
		res, tr := negotiate(t, sp, ps, []string{"micro", opp}, 150, 5)
		sent, received := map[string]bool{}, map[string]bool{}
		last := math.Inf(1)
		for _, e := range tr.events {
			if e.Kind != "offer" {
				continue
			}
			k := fmt.Sprint(e.Outcome)
			if e.Party == 1 {
				received[k] = true
				continue
			}
			if sent[k] {
				continue
			}
			if len(sent) > len(received) {
				t.Fatalf("vs %s: new offer %v with %d distinct sent and %d received", opp, e.Outcome, len(sent), len(received))
			}
			u := ps[0].Utility(e.Outcome)
			if u > last {
				t.Fatalf("vs %s: new offer worth %v after one worth %v", opp, u, last)
			}
			last = u
			sent[k] = true
		}
		if opp == "hardliner" && len(sent) > 2 {
			t.Fatalf("vs hardliner: MiCRO made %d distinct offers to one repeated offer", len(sent))
		}
		_ = res
	}
}

// scripted answers every request with the same offer sequence.
func request(kind mechanism.RequestKind, o outcome.Outcome) *mechanism.Request {
	return &mechanism.Request{Party: 0, Kind: kind, Offer: o, From: 1}
}

func setup(sp *outcome.Space, p *preference.Profile, seed uint64) *mechanism.Setup {
	return &mechanism.Setup{Space: sp, Profile: p, Self: 0, NumParties: 2, Protocol: "sao",
		Deadline: mechanism.Deadline{Rounds: 100}, Rand: rand.New(rand.NewPCG(seed, 0))}
}

// TestTitForTatMirrors feeds a tit-for-tat agent opponent offers that concede
// in its utility and checks that its demand moves by the same amount
// (absolute) or ratio (relative).
func TestTitForTatMirrors(t *testing.T) {
	sp, ps := iranUS(t)
	p := ps[1] // usa
	off, err := strategy.OffersFor(sp, p, p.Reservation)
	if err != nil {
		t.Fatal(err)
	}
	// Opponent offers of rising utility to p (Iran conceding), all acceptable to p.
	var seq []outcome.Outcome
	for _, target := range []float64{0.60, 0.62, 0.65, 0.65, 0.63} {
		o := sp.New()
		off.AtLeast(target, o)
		seq = append(seq, o)
	}
	for _, relative := range []bool{false, true} {
		tt := &strategy.TitForTat{Relative: relative, Delay: 1}
		a := &strategy.Agent{Name: "tft", Bidding: tt, Acceptance: strategy.ACNext{}}
		if err := a.Init(setup(sp, p, 1)); err != nil {
			t.Fatal(err)
		}
		c := &mechanism.Clock{}
		demand := off.Best()
		var prev float64
		for k, o := range seq {
			u := p.Utility(o)
			ans := a.Act(c, request(mechanism.Respond, o))
			if ans.Kind != mechanism.Reject {
				t.Fatalf("relative=%v offer %d: %s, want reject", relative, k, ans.Kind)
			}
			if k > 0 {
				if relative {
					demand *= prev / u
				} else {
					demand -= u - prev
				}
				demand = min(max(demand, off.Worst()), off.Best())
			}
			if math.Abs(tt.Demand()-demand) > 1e-12 {
				t.Fatalf("relative=%v offer %d: demand %v, want %v", relative, k, tt.Demand(), demand)
			}
			prop := a.Act(c, request(mechanism.Propose, nil))
			if prop.Kind != mechanism.Offer || p.Utility(prop.Outcome) < demand-1e-12 {
				t.Fatalf("relative=%v offer %d: proposed %s worth %v below demand %v", relative, k, prop.Kind, p.Utility(prop.Outcome), demand)
			}
			prev = u
			c.Step += 2
		}
	}
}

func TestVoteAndCompare(t *testing.T) {
	sp, ps := small(t)
	p := ps[0]
	a, err := strategy.New("boulware", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Init(setup(sp, p, 1)); err != nil {
		t.Fatal(err)
	}
	c := &mechanism.Clock{}
	mk := func(x, y, z int32) outcome.Outcome { return outcome.Outcome{x, y, z} }
	good, better, redLine, low := mk(3, 3, 2), mk(4, 4, 2), mk(4, 0, 0), mk(0, 1, 4)
	if p.Utility(good) >= p.Utility(better) || p.Utility(low) >= p.Reservation {
		t.Fatal("fixture utilities are not as the test assumes")
	}
	votes := []struct {
		o    outcome.Outcome
		want mechanism.AnswerKind
	}{
		{low, mechanism.Reject},     // below reservation
		{good, mechanism.Accept},    // first acceptable text
		{redLine, mechanism.Reject}, // crosses a red line
		{better, mechanism.Accept},  // an improvement
		{good, mechanism.Reject},    // worse than the last accepted
		{better, mechanism.Accept},  // as good as the last accepted
	}
	for i, v := range votes {
		if got := a.Act(c, request(mechanism.Vote, v.o)).Kind; got != v.want {
			t.Fatalf("vote %d on %v: %s, want %s", i, v.o, got, v.want)
		}
	}
	cmps := []struct {
		x, y outcome.Outcome
		want mechanism.AnswerKind
	}{
		{better, good, mechanism.Better},
		{good, better, mechanism.Worse},
		{good, good, mechanism.Same},
		{redLine, low, mechanism.Worse},
		{low, redLine, mechanism.Better},
	}
	for i, cm := range cmps {
		r := request(mechanism.Compare, cm.x)
		r.Other = cm.y
		if got := a.Act(c, r).Kind; got != cm.want {
			t.Fatalf("compare %d: %s, want %s", i, got, cm.want)
		}
	}
}

func TestNoAcceptableOutcomeEnds(t *testing.T) {
	sp, ps := small(t)
	p := ps[0].Clone()
	p.Reservation = 2
	if err := p.Prepare(sp); err != nil {
		t.Fatal(err)
	}
	for _, n := range strategy.Names() {
		a, err := strategy.New(n, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Init(setup(sp, p, 1)); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		c := &mechanism.Clock{}
		if k := a.Act(c, request(mechanism.Propose, nil)).Kind; k != mechanism.End {
			t.Fatalf("%s: propose with nothing acceptable: %s, want end", n, k)
		}
		if k := a.Act(c, request(mechanism.Respond, outcome.Outcome{4, 4, 0})).Kind; k != mechanism.End {
			t.Fatalf("%s: respond with nothing acceptable: %s, want end", n, k)
		}
	}
}

func TestNeverAcceptsBelowReservation(t *testing.T) {
	sp, ps := small(t)
	p := ps[0]
	// Every outcome offered to every strategy, at every time: an accepted one
	// must be acceptable.
	for _, n := range strategy.Names() {
		a, err := strategy.New(n, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Init(setup(sp, p, 1)); err != nil {
			t.Fatal(err)
		}
		o := sp.New()
		step := 0
		for {
			c := &mechanism.Clock{Round: step, Step: 2 * step, T: math.Min(1, float64(step)/125)}
			if a.Act(c, request(mechanism.Respond, o)).Kind == mechanism.Accept && !acceptable(sp, p, o) {
				t.Fatalf("%s accepted %v (u=%.3f, rv=%.3f, red line %v, feasible %v)", n, o, p.Utility(o), p.Reservation, p.Violates(o), sp.Feasible(o))
			}
			step++
			if !sp.Next(o) {
				break
			}
		}
	}
}

func TestRegistry(t *testing.T) {
	infos := strategy.List()
	want := []string{"boulware", "conceder", "frequency", "hardliner", "linear", "micro", "random", "tft-absolute", "tft-relative"}
	var got []string
	for _, in := range infos {
		got = append(got, in.Name)
		if in.Summary == "" || in.Source == "" {
			t.Errorf("%s: missing summary or source", in.Name)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List() = %v, want %v", got, want)
	}
	errs := []struct {
		name   string
		params map[string]float64
		msg    string
	}{
		{"nosuch", nil, `unknown strategy "nosuch"`},
		{"boulware", map[string]float64{"k": 1}, `has no parameter "k" (it takes: e)`},
		{"boulware", map[string]float64{"e": 2}, "out of range"},
		{"conceder", map[string]float64{"e": math.NaN()}, "out of range"},
		{"tft-relative", map[string]float64{"delay": 1.5}, "whole number"},
		{"linear", map[string]float64{"e": 1}, "it takes: none"},
	}
	for _, e := range errs {
		_, err := strategy.New(e.name, e.params)
		if err == nil || !strings.Contains(err.Error(), e.msg) {
			t.Errorf("New(%q, %v) = %v, want an error containing %q", e.name, e.params, err, e.msg)
		}
	}
	if _, err := strategy.New("frequency", map[string]float64{"e": 1, "window": 0.1, "candidates": 8, "learn": 0.3}); err != nil {
		t.Fatal(err)
	}
}

// largeFixture builds two opposed linear profiles over 30 issues of 10 values
// (10³⁰ outcomes), with a red line each if redLines.
func largeFixture(t testing.TB, redLines bool) (*outcome.Space, []*preference.Profile) {
	t.Helper()
	var is []outcome.Issue
	for i := range 30 {
		is = append(is, outcome.NewInteger(fmt.Sprint("i", i), 0, 9))
	}
	sp, err := outcome.NewSpace(is, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var ps []*preference.Profile
	for k := range 2 {
		p := &preference.Profile{Name: fmt.Sprint("p", k), Reservation: 0.4, RedLines: make([][]bool, 30)}
		for range 30 {
			ev := make([]float64, 10)
			for v := range ev {
				ev[v] = float64(v) / 9
				if k == 1 {
					ev[v] = 1 - ev[v]
				}
				ev[v] = min(1, max(0, ev[v]+0.2*(r.Float64()-0.5)))
			}
			p.Issues = append(p.Issues, preference.IssueUtility{Weight: 1.0 / 30, Eval: ev})
		}
		if redLines {
			p.RedLines[k] = make([]bool, 10)
			p.RedLines[k][9*k] = true // p0 never takes value 0 of issue 0; p1 never value 9 of issue 1
		}
		if err := p.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return sp, ps
}

// TestLargeSpace runs strategies on 10³⁰ outcomes, where the offers come from
// the per-issue search instead of the sorted index. With red lines the
// time-dependent parties, blind to each other's red lines, may miss the zone;
// without them they must meet.
func TestLargeSpace(t *testing.T) {
	for _, c := range []struct {
		pair     []string
		redLines bool
	}{{[]string{"boulware", "conceder"}, false}, {[]string{"boulware", "conceder"}, true}, {[]string{"micro", "linear"}, true},
		{[]string{"frequency", "random"}, true}, {[]string{"tft-absolute", "conceder"}, true}} {
		pair := c.pair
		sp, ps := largeFixture(t, c.redLines)
		res, tr := negotiate(t, sp, ps, pair, 200, 1)
		if res.Status == mechanism.Failed {
			t.Fatalf("%v: %+v", pair, res.Fault)
		}
		for i, p := range ps {
			for _, o := range tr.offers(i) {
				if !acceptable(sp, p, o) {
					t.Fatalf("%v: party %d offered an unacceptable outcome", pair, i)
				}
			}
		}
		if !c.redLines && res.Status != mechanism.Agreement {
			t.Fatalf("%v: %s (%s, %d rounds), want an agreement", pair, res.Status, res.Reason, res.Rounds)
		}
	}
}

package mediator_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
	"github.com/backchannel/backchannel/voting"
	"pgregory.net/rapid"
)

// small is a 4-issue linear fixture with opposed preferences, one rule
// (a = 4 needs b ≠ 0) and a red line of p1 (c = 0).
func small(tb testing.TB) (*outcome.Space, []*preference.Profile) {
	tb.Helper()
	sp, err := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("a", "0", "1", "2", "3", "4"),
		outcome.NewDiscrete("b", "0", "1", "2", "3"),
		outcome.NewInteger("c", 0, 5),
		outcome.NewDiscrete("d", "x", "y", "z"),
	}, []outcome.Rule{{Name: "a=4 needs b≠0",
		If:   []outcome.Condition{{Issue: 0, Allowed: []bool{false, false, false, false, true}}},
		Then: []outcome.Condition{{Issue: 1, Allowed: []bool{false, true, true, true}}}}})
	if err != nil {
		tb.Fatal(err)
	}
	up := func(n int) []float64 {
		e := make([]float64, n)
		for i := range e {
			e[i] = float64(i) / float64(n-1)
		}
		return e
	}
	down := func(n int) []float64 {
		e := up(n)
		for i := range e {
			e[i] = 1 - e[i]
		}
		return e
	}
	ps := []*preference.Profile{
		{Name: "p0", Reservation: 0.2, Issues: []preference.IssueUtility{{Weight: 0.4, Eval: up(5)}, {Weight: 0.2, Eval: up(4)}, {Weight: 0.3, Eval: down(6)}, {Weight: 0.1, Eval: []float64{0.2, 1, 0}}}},
		{Name: "p1", Reservation: 0.3, Issues: []preference.IssueUtility{{Weight: 0.2, Eval: down(5)}, {Weight: 0.4, Eval: down(4)}, {Weight: 0.3, Eval: up(6)}, {Weight: 0.1, Eval: []float64{0, 1, 0.6}}},
			RedLines: [][]bool{nil, nil, {true, false, false, false, false, false}, nil}},
	}
	for _, p := range ps {
		if err := p.Prepare(sp); err != nil {
			tb.Fatal(err)
		}
	}
	return sp, ps
}

func setup(sp *outcome.Space, protocol string, seed uint64, confidential []*preference.Profile) *mechanism.Setup {
	return &mechanism.Setup{Space: sp, Self: mechanism.MediatorRole, NumParties: 2, Protocol: protocol,
		Deadline: mechanism.Deadline{Rounds: 1000}, Rand: rand.New(rand.NewPCG(seed, 99)), Confidential: confidential}
}

// differ counts the issues on which a and b differ.
func differ(a, b outcome.Outcome) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

func hillVoters() []mechanism.Party {
	return []mechanism.Party{&voting.Party{Voter: &voting.HillClimber{}}, &voting.Party{Voter: &voting.HillClimber{}}}
}

// TestRandomFlip: the first text is feasible; every later text is feasible
// and differs in exactly one issue from the last text all accepted (from
// the first text while none is). Property over seeds and vote patterns.
func TestRandomFlip(t *testing.T) {
	sp, _ := small(t)
	rapid.Check(t, func(rt *rapid.T) {
		m := &mediator.RandomFlip{}
		if err := m.Init(setup(sp, "single-text", rapid.Uint64().Draw(rt, "seed"), nil)); err != nil {
			rt.Fatal(err)
		}
		a := m.Act(&mechanism.Clock{}, &mechanism.Request{Kind: mechanism.Propose, From: mechanism.Nobody})
		if a.Kind != mechanism.Offer || !sp.Valid(a.Outcome) || !sp.Feasible(a.Outcome) {
			rt.Fatalf("first text %v %v", a.Kind, a.Outcome)
		}
		first, last := a.Outcome.Clone(), a.Outcome.Clone()
		var current outcome.Outcome
		for k := range 50 {
			all := rapid.Bool().Draw(rt, "all accept")
			if all {
				current = last.Clone()
			}
			a := m.Act(&mechanism.Clock{Round: k + 1}, &mechanism.Request{Kind: mechanism.Propose, Offer: last, Other: current, From: mechanism.Nobody})
			base := first
			if current != nil {
				base = current
			}
			if a.Kind != mechanism.Offer || !sp.Feasible(a.Outcome) || differ(a.Outcome, base) != 1 {
				rt.Fatalf("text %d: %v %v, want a feasible one-issue flip of %v", k, a.Kind, a.Outcome, base)
			}
			last = a.Outcome.Clone()
		}
	})
}

// localOptimum reports whether no feasible one-issue neighbour of o is
// accepted by every hill-climbing voter (acceptable and no worse for all).
func localOptimum(sp *outcome.Space, ps []*preference.Profile, o outcome.Outcome) (outcome.Outcome, bool) {
	n := o.Clone()
	for i := range o {
		for v := range sp.Issues[i].Len() {
			if int32(v) == o[i] {
				continue
			}
			copy(n, o)
			n[i] = int32(v)
			if !sp.Feasible(n) {
				continue
			}
			all := true
			for _, p := range ps {
				all = all && p.Acceptable(sp, n) && p.Utility(n) >= p.Utility(o)
			}
			if all {
				return n, false
			}
		}
	}
	return nil, true
}

// TestHillClimbStopsAtLocalOptimum: with hill-climbing voters the
// hill-climbing mediator ends the talks itself, before the deadline, on a
// text no feasible one-issue change of which both parties would accept.
func TestHillClimbStopsAtLocalOptimum(t *testing.T) {
	sp, ps := small(t)
	for seed := uint64(1); seed <= 20; seed++ {
		res, err := sim.Run(context.Background(), &sim.Config{Mechanism: mechanism.NewSingleText(), Space: sp, Profiles: ps,
			Parties: hillVoters(), Mediator: &mediator.HillClimb{}, Deadline: mechanism.Deadline{Rounds: 5000}, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != mechanism.Agreement || res.Rounds >= 5000 {
			t.Fatalf("seed %d: %v after %d texts (%s), want the mediator to stop on an agreement", seed, res.Status, res.Rounds, res.Reason)
		}
		if n, ok := localOptimum(sp, ps, res.Agreement); !ok {
			t.Errorf("seed %d: stopped at %v, but both would accept its neighbour %v", seed, res.Agreement, n)
		}
	}
}

// TestAnnealerTemperature: T(k) = T0·(T1/T0)^(k/K) with defaults T0 = 2
// and T1 = 0.02.
func TestAnnealerTemperature(t *testing.T) {
	sp, _ := small(t)
	m := &mediator.Annealer{}
	if err := m.Init(setup(sp, "single-text", 1, nil)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		k, K int
		want float64
	}{{0, 1000, 2}, {500, 1000, 0.2}, {1000, 1000, 0.02}, {250, 1000, 2 * math.Pow(0.01, 0.25)}, {3, 0, 0.02}} {
		if got := m.Temperature(tc.k, tc.K); got < tc.want*(1-1e-12) || got > tc.want*(1+1e-12) {
			t.Errorf("T(%d of %d) = %v, want %v", tc.k, tc.K, got, tc.want)
		}
	}
}

// driveAnnealer asks an annealer for texts, party 0 accepting every text and
// party 1 rejecting every one, and returns the texts up to its End (or
// limit texts).
func driveAnnealer(t *testing.T, m *mediator.Annealer, sp *outcome.Space, limit int) (texts []outcome.Outcome, ended bool) {
	t.Helper()
	s := setup(sp, "single-text", 3, nil)
	s.Deadline.Rounds = 100000
	if err := m.Init(s); err != nil {
		t.Fatal(err)
	}
	r := &mechanism.Request{Kind: mechanism.Propose, From: mechanism.Nobody}
	votes := []mechanism.AnswerKind{mechanism.Accept, mechanism.Reject}
	for k := range limit {
		a := m.Act(&mechanism.Clock{Round: k}, r)
		if a.Kind == mechanism.End {
			return texts, true
		}
		if a.Kind != mechanism.Offer || !sp.Feasible(a.Outcome) {
			t.Fatalf("text %d: %v %v", k, a.Kind, a.Outcome)
		}
		texts = append(texts, a.Outcome.Clone())
		r.Offer, r.Answers = texts[len(texts)-1], votes
	}
	return texts, false
}

// TestAnnealerQuotaGuard: a party that rejects every text while the other
// accepts every one is detected once a window is full. Before that its
// rejections hold the search back (at a near-zero temperature the working
// text stays put, so every text is a flip of the first); after it they do
// not (each text is a flip of the one before, a walk); and after another
// full window of blocking the mediator ends the talks. Without the guard
// (negative quota) it never ends.
func TestAnnealerQuotaGuard(t *testing.T) {
	s, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	sp := s.Space
	const window = 20
	m := &mediator.Annealer{T0: 1e-9, T1: 1e-9, Quota: 0.1, Window: window}
	texts, ended := driveAnnealer(t, m, sp, 10*window)
	if !ended {
		t.Fatalf("the mediator did not end the talks in %d texts", len(texts))
	}
	// The votes on text window−1 fill the first window and reveal the
	// blocker; window+1 votes later it has blocked for more than a window.
	if len(texts) != 2*window {
		t.Errorf("ended after %d texts, want %d (a window to detect, a window of blocking)", len(texts), 2*window)
	}
	for k := 1; k < window; k++ {
		if differ(texts[k], texts[0]) != 1 {
			t.Errorf("text %d (before detection) is not a one-issue flip of the first text", k)
		}
	}
	far := 0
	for k := window; k < len(texts); k++ {
		if differ(texts[k], texts[k-1]) != 1 {
			t.Errorf("text %d (after detection) is not a one-issue flip of the text before", k)
		}
		if differ(texts[k], texts[0]) > 1 {
			far++
		}
	}
	if far == 0 {
		t.Error("after detection the working text never left the first text")
	}
	m.Quota = -1
	if texts, ended := driveAnnealer(t, m, sp, 10*window); ended {
		t.Errorf("without the guard the mediator ended after %d texts", len(texts))
	}
}

// TestAnnealerAgreesWithRejectingParty: in a real single-text negotiation
// the annealer ends the talks early against a party that rejects every text.
func TestAnnealerEndsAgainstBlockingParty(t *testing.T) {
	sp, ps := small(t)
	no := voting.Party{Voter: &voting.HillClimber{}}
	parties := []mechanism.Party{&no, blocker{}}
	res, err := sim.Run(context.Background(), &sim.Config{Mechanism: mechanism.NewSingleText(), Space: sp, Profiles: ps,
		Parties: parties, Mediator: &mediator.Annealer{}, Deadline: mechanism.Deadline{Rounds: 5000}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != mechanism.NoAgreement || res.Rounds > 201 { // 200 texts, then the End
		t.Errorf("%v after %d texts (%s), want no agreement, ended by the mediator after at most 200 texts", res.Status, res.Rounds, res.Reason)
	}
}

// blocker rejects every text.
type blocker struct{}

func (blocker) Init(*mechanism.Setup) error { return nil }
func (blocker) Act(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
	return mechanism.Answer{Kind: mechanism.Reject}
}

// TestRelayPassesOffersUnchanged: the relay answers every Relay request with
// Accept (pass the offer on as is) and ignores others; it serves only the
// shuttle protocol.
func TestRelayPassesOffersUnchanged(t *testing.T) {
	sp, _ := small(t)
	var m mediator.Relay
	if err := m.Init(setup(sp, "shuttle", 1, nil)); err != nil {
		t.Fatal(err)
	}
	o := outcome.Outcome{1, 2, 3, 0}
	for from := range 2 {
		if a := m.Act(&mechanism.Clock{}, &mechanism.Request{Kind: mechanism.Relay, Offer: o, From: from}); a.Kind != mechanism.Accept || a.Outcome != nil {
			t.Errorf("relay of party %d's offer: %+v, want accept", from, a)
		}
	}
	if err := m.Init(setup(sp, "single-text", 1, nil)); err == nil {
		t.Error("the relay started in a single-text protocol")
	}
}

// TestBridgePackages replays the bridge's frequency models outside it and
// checks each package: none before every party has made Warmup offers,
// only at every Every-th relay, always feasible, and at least as good by
// the estimated Nash product Π ûᵢ as every offer seen so far that is not a
// recent package.
func TestBridgePackages(t *testing.T) {
	sp, ps := small(t)
	m := &mediator.Bridge{Warmup: 3, Every: 2, Candidates: 64}
	if err := m.Init(setup(sp, "shuttle", 4, nil)); err != nil {
		t.Fatal(err)
	}
	models := make([]strategy.FrequencyModel, 2)
	for i := range models {
		models[i].Learn = 0.2
		if err := models[i].Start(sp); err != nil {
			t.Fatal(err)
		}
	}
	nash := func(o outcome.Outcome) float64 { return models[0].Utility(o) * models[1].Utility(o) }
	// Each party concedes along its own ranking of a few random outcomes.
	r := rand.New(rand.NewPCG(8, 8))
	var seen, packages []outcome.Outcome
	counts := make([]int, 2)
	for k := range 120 {
		from := k % 2
		o := sp.New()
		for {
			for i := range o {
				o[i] = int32(r.IntN(sp.Issues[i].Len()))
			}
			if sp.Feasible(o) && ps[from].Utility(o) >= 1-float64(k)/150 {
				break
			}
		}
		clock := &mechanism.Clock{Round: k / 2, T: float64(k) / 120}
		a := m.Act(clock, &mechanism.Request{Kind: mechanism.Relay, Offer: o, From: from})
		models[from].Update(o, clock.T)
		seen = append(seen, o)
		counts[from]++
		if a.Kind == mechanism.Accept {
			continue
		}
		if a.Kind != mechanism.Offer {
			t.Fatalf("relay %d: answered %v", k, a.Kind)
		}
		if counts[0] < 3 || counts[1] < 3 || (k+1)%2 != 0 {
			t.Errorf("relay %d: a package before the warm-up or off its period", k)
		}
		if !sp.Feasible(a.Outcome) {
			t.Fatalf("relay %d: infeasible package %v", k, a.Outcome)
		}
		got := nash(a.Outcome)
		recent := packages[max(0, len(packages)-16):]
		for _, s := range seen {
			if nash(s) > got+1e-12 && !contains(recent, s) {
				t.Errorf("relay %d: package %v has estimated Nash product %.4f, below the seen offer %v's %.4f", k, a.Outcome, got, s, nash(s))
				break
			}
		}
		if contains(recent, a.Outcome) {
			t.Errorf("relay %d: package %v repeats one of the last 16", k, a.Outcome)
		}
		packages = append(packages, a.Outcome.Clone())
	}
	if len(packages) < 20 {
		t.Errorf("%d packages in 120 relays, want one every 2nd after the warm-up", len(packages))
	}
}

func contains(os []outcome.Outcome, o outcome.Outcome) bool {
	for _, x := range os {
		if x.Equal(o) {
			return true
		}
	}
	return false
}

// TestLearnerOrdersAgreeWithFeedback drives the feedback learner with
// truthful parties and checks that its estimates never contradict what they
// said: whenever a party answered that changing issue i from a to b made a
// text better (worse), the learner's estimate of that party ranks b above
// (below) a on issue i.
func TestLearnerOrdersAgreeWithFeedback(t *testing.T) {
	sp, ps := small(t)
	for seed := uint64(1); seed <= 10; seed++ {
		m := &mediator.Learner{Explore: 0.9}
		if err := m.Init(setup(sp, "feedback", seed, nil)); err != nil {
			t.Fatal(err)
		}
		type evidence struct {
			p, i       int
			better, wo int32 // better ≻ wo
		}
		var ev []evidence
		var prev outcome.Outcome
		var answers []mechanism.AnswerKind
		const steps = 400
		for k := range steps {
			a := m.Act(&mechanism.Clock{Round: k, T: float64(k) / steps}, &mechanism.Request{Kind: mechanism.Propose, Offer: prev, Answers: answers, From: mechanism.Nobody})
			if a.Kind == mechanism.End {
				break
			}
			if a.Kind == mechanism.Accept {
				answers = []mechanism.AnswerKind{mechanism.Reject, mechanism.Reject}
				continue
			}
			next := a.Outcome.Clone()
			if !sp.Feasible(next) {
				t.Fatalf("seed %d: infeasible text %v", seed, next)
			}
			answers = nil
			if prev != nil {
				answers = make([]mechanism.AnswerKind, len(ps))
				for p, pr := range ps {
					switch x, y := pr.Utility(next), pr.Utility(prev); {
					case x > y:
						answers[p] = mechanism.Better
					case x < y:
						answers[p] = mechanism.Worse
					default:
						answers[p] = mechanism.Same
					}
				}
				if differ(next, prev) == 1 {
					for i := range next {
						if next[i] == prev[i] {
							continue
						}
						for p, ans := range answers {
							switch ans {
							case mechanism.Better:
								ev = append(ev, evidence{p, i, next[i], prev[i]})
							case mechanism.Worse:
								ev = append(ev, evidence{p, i, prev[i], next[i]})
							}
						}
					}
				}
			}
			prev = next
		}
		if len(ev) < 50 {
			t.Fatalf("seed %d: only %d single-issue answers", seed, len(ev))
		}
		// The answers to the last text are learnt at the next request.
		m.Act(&mechanism.Clock{Round: steps, T: 0.5}, &mechanism.Request{Kind: mechanism.Propose, Offer: prev, Answers: answers, From: mechanism.Nobody})
		o := sp.New()
		for _, e := range ev {
			o[e.i] = e.better
			hi := m.Estimate(e.p, o)
			o[e.i] = e.wo
			lo := m.Estimate(e.p, o)
			if hi <= lo {
				t.Errorf("seed %d: party %d said %s %d ≻ %d, the estimate ranks them %.3f ≤ %.3f", seed, e.p, sp.Issues[e.i].Name, e.better, e.wo, hi, lo)
				break
			}
		}
	}
}

// TestImprover: with confidential access, every proposal over an agreement
// is feasible, crosses no red line, is strictly better for every party and
// maximises Π(uᵢ(x) − uᵢ(a)) among the improvements not yet refused; a
// refused proposal is never repeated; it ends when none is left. Without
// confidential access it does not start.
func TestImprover(t *testing.T) {
	sp, ps := small(t)
	m := &mediator.Improver{}
	if err := m.Init(setup(sp, "sao+post-settlement", 1, nil)); err == nil {
		t.Fatal("the improver started without confidential access")
	}
	if err := m.Init(setup(sp, "sao+post-settlement", 1, ps)); err != nil {
		t.Fatal(err)
	}
	var all []outcome.Outcome
	o := sp.New()
	for more := true; more; more = sp.Next(o) {
		if sp.Feasible(o) && !ps[0].Violates(o) && !ps[1].Violates(o) {
			all = append(all, o.Clone())
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		agreement := all[rapid.IntRange(0, len(all)-1).Draw(rt, "agreement")]
		if err := m.Init(setup(sp, "sao+post-settlement", 1, ps)); err != nil {
			rt.Fatal(err)
		}
		var refused []outcome.Outcome
		var answers []mechanism.AnswerKind
		for range 10 {
			a := m.Act(&mechanism.Clock{}, &mechanism.Request{Kind: mechanism.Improve, Offer: agreement, Answers: answers, From: mechanism.Nobody})
			best, bestV := outcome.Outcome(nil), 0.0
			for _, x := range all {
				v := 1.0
				for _, p := range ps {
					v *= max(p.Utility(x)-p.Utility(agreement), 0)
				}
				if v > bestV && !contains(refused, x) {
					best, bestV = x, v
				}
			}
			if a.Kind == mechanism.End {
				if best != nil && bestV > 1e-9 {
					rt.Fatalf("ended over %v though %v improves it for both", agreement, best)
				}
				return
			}
			x := a.Outcome.Clone()
			if a.Kind != mechanism.Offer || !sp.Feasible(x) || ps[0].Violates(x) || ps[1].Violates(x) {
				rt.Fatalf("proposal %v %v is not a feasible outcome free of red lines", a.Kind, x)
			}
			v := 1.0
			for p, pr := range ps {
				if pr.Utility(x) <= pr.Utility(agreement) {
					rt.Fatalf("proposal %v is no gain for party %d over %v", x, p, agreement)
				}
				v *= pr.Utility(x) - pr.Utility(agreement)
			}
			if contains(refused, x) || v < bestV-1e-12 {
				rt.Fatalf("proposal %v (product %.5f) repeats a refusal or is below the best improvement %.5f", x, v, bestV)
			}
			refused = append(refused, x)
			answers = []mechanism.AnswerKind{mechanism.Better, mechanism.Same}
		}
	})
}

// TestArbitratorAwardsNash: the arbitrator awards analysis.Analyze's Nash
// point on the fixture and on the built-in Iran–US scenario, (0.611,
// 0.627), and makes no award when no outcome is acceptable to both (the US
// hardline type).
func TestArbitratorAwardsNash(t *testing.T) {
	s, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	hard, err := s.WithVariant("usa_hardline")
	if err != nil {
		t.Fatal(err)
	}
	sp, ps := small(t)
	for _, tc := range []struct {
		name string
		sp   *outcome.Space
		ps   []*preference.Profile
		want []float64 // nil: no award
	}{
		{"fixture", sp, ps, nil},
		{"iran-us", s.Space, s.Profiles(), []float64{0.611, 0.627}},
		{"iran-us, US hardline", hard.Space, hard.Profiles(), nil},
	} {
		r, err := analysis.Analyze(context.Background(), tc.sp, tc.ps, analysis.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == nil && r.Nash != nil {
			tc.want = r.Nash.Utility
		}
		m := &mediator.Arbitrator{}
		if err := m.Init(setup(tc.sp, "arbitration", 1, tc.ps)); err != nil {
			t.Fatal(err)
		}
		a := m.Act(&mechanism.Clock{}, &mechanism.Request{Kind: mechanism.Propose, From: mechanism.Nobody})
		if tc.want == nil {
			if a.Kind != mechanism.End {
				t.Errorf("%s: awarded %v %v, want no award", tc.name, a.Kind, a.Outcome)
			}
			continue
		}
		if a.Kind != mechanism.Offer {
			t.Fatalf("%s: %v, want an award", tc.name, a.Kind)
		}
		u := analysis.Utilities(tc.ps, a.Outcome, nil)
		if analysis.Distance(u, tc.want) > 1e-9 || !a.Outcome.Equal(r.Nash.Outcome) {
			t.Errorf("%s: award %v worth %v, want analysis's Nash point %v worth %v", tc.name, a.Outcome, u, r.Nash.Outcome, tc.want)
		}
	}
	if err := (&mediator.Arbitrator{}).Init(setup(sp, "arbitration", 1, nil)); err == nil {
		t.Error("the arbitrator started without confidential access")
	}
}

// TestNeedsConfidential: exactly the strategies that read profiles (the
// improver, the arbitrator, the suggester and the proposer) are marked, and the registry says the same;
// a phased mediator is marked iff one of its phases is, and passes the
// profiles only to the phase that needs them.
func TestNeedsConfidential(t *testing.T) {
	reads := map[string]bool{"improver": true, "arbitrator": true, "suggester": true, "proposer": true}
	for _, info := range mediator.List() {
		m, err := mediator.New(info.Name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := mediator.NeedsConfidential(m); got != reads[info.Name] || info.Confidential != reads[info.Name] {
			t.Errorf("%s: NeedsConfidential %v, Info.Confidential %v; want %v", info.Name, got, info.Confidential, reads[info.Name])
		}
	}
	if mediator.NeedsConfidential(blocker{}) {
		t.Error("a party that does not say is marked")
	}
	sp, ps := small(t)
	talks := &spy{}
	ph := &mediator.Phased{Talks: talks, Improver: &mediator.Improver{}}
	if !mediator.NeedsConfidential(ph) {
		t.Error("a phased mediator with an improver is not marked")
	}
	if err := ph.Init(setup(sp, "single-text+post-settlement", 1, ps)); err != nil {
		t.Fatal(err)
	}
	if talks.got == nil || talks.got.Confidential != nil {
		t.Error("the talks phase was given the profiles")
	}
	if mediator.NeedsConfidential(&mediator.Phased{Talks: talks, Improver: spyImprover{}}) {
		t.Error("a phased mediator whose phases read no profiles is marked")
	}
}

// spy records its setup.
type spy struct{ got *mechanism.Setup }

func (s *spy) Init(x *mechanism.Setup) error { s.got = x; return nil }
func (s *spy) Act(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
	return mechanism.Answer{}
}

type spyImprover struct{}

func (spyImprover) Init(*mechanism.Setup) error { return nil }
func (spyImprover) Act(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
	return mechanism.Answer{Kind: mechanism.End}
}

// TestNew checks the registry's errors and parameters.
func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]float64
		ok     bool
	}{
		{"annealer", map[string]float64{"t0": 5, "window": 10}, true},
		{"annealer", map[string]float64{"t0": 0}, false},
		{"annealer", map[string]float64{"heat": 1}, false},
		{"bridge", map[string]float64{"every": math.NaN()}, false},
		{"learner", map[string]float64{"explore": 2}, false},
		{"oracle", nil, false},
	} {
		m, err := mediator.New(tc.name, tc.params)
		if (err == nil) != tc.ok {
			t.Errorf("New(%q, %v): %v, %v", tc.name, tc.params, m, err)
		}
	}
	m, _ := mediator.New("annealer", map[string]float64{"t0": 5, "window": 10})
	if a := m.(*mediator.Annealer); a.T0 != 5 || a.T1 != 0.02 || a.Quota != 0.02 || a.Window != 10 {
		t.Errorf("annealer built as %+v", a)
	}
}

// BenchmarkAnnealer measures one text of the annealing mediator.
func BenchmarkAnnealer(b *testing.B) {
	sp, _ := small(b)
	m := &mediator.Annealer{}
	if err := m.Init(setup(sp, "single-text", 1, nil)); err != nil {
		b.Fatal(err)
	}
	r := &mechanism.Request{Kind: mechanism.Propose, From: mechanism.Nobody}
	votes := []mechanism.AnswerKind{mechanism.Accept, mechanism.Reject}
	c := &mechanism.Clock{}
	last := sp.New()
	b.ReportAllocs()
	for b.Loop() {
		a := m.Act(c, r)
		copy(last, a.Outcome)
		r.Offer, r.Answers = last, votes
	}
}

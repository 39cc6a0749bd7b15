package mechanism_test

import (
	"context"
	"testing"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
)

// small is a 3-issue linear fixture with opposed preferences and one rule.
func small(tb testing.TB) (*outcome.Space, []*preference.Profile) {
	tb.Helper()
	sp, err := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("a", "0", "1", "2", "3", "4"),
		outcome.NewDiscrete("b", "0", "1", "2", "3"),
		outcome.NewInteger("c", 0, 5),
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
		{Name: "p0", Reservation: 0.2, Issues: []preference.IssueUtility{{Weight: 0.5, Eval: up(5)}, {Weight: 0.2, Eval: up(4)}, {Weight: 0.3, Eval: down(6)}}},
		{Name: "p1", Reservation: 0.3, Issues: []preference.IssueUtility{{Weight: 0.2, Eval: down(5)}, {Weight: 0.5, Eval: down(4)}, {Weight: 0.3, Eval: up(6)}}},
	}
	for _, p := range ps {
		if err := p.Prepare(sp); err != nil {
			tb.Fatal(err)
		}
	}
	return sp, ps
}

func iranUS(tb testing.TB) (*outcome.Space, []*preference.Profile) {
	tb.Helper()
	s, err := scenario.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return s.Space, s.Profiles()
}

func agents(tb testing.TB, names ...string) []mechanism.Party {
	tb.Helper()
	var ps []mechanism.Party
	for _, n := range names {
		a, err := strategy.New(n, nil)
		if err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, a)
	}
	return ps
}

// TestShuttleRelayReproducesSAO: a plain relay mediator gives the same
// outcome, in the same round, as direct talks, for the same strategies and
// seeds.
func TestShuttleRelayReproducesSAO(t *testing.T) {
	pairs := [][2]string{{"boulware", "conceder"}, {"frequency", "micro"}, {"tft-relative", "linear"},
		{"random", "conceder"}, {"hardliner", "boulware"}, {"tft-absolute", "frequency"}}
	fixtures := map[string]func(testing.TB) (*outcome.Space, []*preference.Profile){"small": small, "iran-us": iranUS}
	agreements := 0
	for name, fx := range fixtures {
		sp, ps := fx(t)
		for _, pair := range pairs {
			for seed := uint64(1); seed <= 4; seed++ {
				dl := mechanism.Deadline{Rounds: 40}
				direct, err := sim.Run(context.Background(), &sim.Config{Mechanism: mechanism.NewSAO(), Space: sp, Profiles: ps,
					Parties: agents(t, pair[0], pair[1]), Deadline: dl, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				relayed, err := sim.Run(context.Background(), &sim.Config{Mechanism: mechanism.NewShuttle(), Space: sp, Profiles: ps,
					Parties: agents(t, pair[0], pair[1]), Mediator: mediator.Relay{}, Deadline: dl, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				if direct.Status != relayed.Status || !direct.Agreement.Equal(relayed.Agreement) ||
					direct.Rounds != relayed.Rounds || direct.Time != relayed.Time {
					t.Errorf("%s %v seed %d: direct %v %v round %d t=%v; relayed %v %v round %d t=%v", name, pair, seed,
						direct.Status, direct.Agreement, direct.Rounds, direct.Time, relayed.Status, relayed.Agreement, relayed.Rounds, relayed.Time)
				}
				if direct.Status == mechanism.Agreement {
					agreements++
				}
			}
		}
	}
	if agreements == 0 {
		t.Fatal("no pair agreed: the comparison proves nothing")
	}
}

// TestShuttleBridgeProposesPackages: the bridging mediator replaces some
// offers by packages, and every agreement is acceptable to both parties.
func TestShuttleBridgeProposesPackages(t *testing.T) {
	sp, ps := iranUS(t)
	var packages int
	for seed := uint64(1); seed <= 6; seed++ {
		obs := &counter{kind: "package"}
		res, err := sim.Run(context.Background(), &sim.Config{Mechanism: mechanism.NewShuttle(), Space: sp, Profiles: ps,
			Parties: agents(t, "boulware", "boulware"), Mediator: &mediator.Bridge{}, Deadline: mechanism.Deadline{Rounds: 60},
			Seed: seed, Observer: obs})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status == mechanism.Failed {
			t.Fatalf("seed %d: %v", seed, res.Fault)
		}
		if res.Status == mechanism.Agreement {
			for i, p := range ps {
				if !p.Acceptable(sp, res.Agreement) {
					t.Errorf("seed %d: agreement %v unacceptable to party %d", seed, res.Agreement, i)
				}
			}
		}
		packages += obs.n
	}
	if packages == 0 {
		t.Fatal("the bridging mediator never proposed a package")
	}
}

type counter struct {
	kind string
	n    int
}

func (c *counter) Observe(e *mechanism.Event) {
	if e.Kind == c.kind {
		c.n++
	}
}

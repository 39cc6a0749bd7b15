package mechanism_test

import (
	"testing"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/sim"
)

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
				direct := run(t, &sim.Config{Mechanism: mechanism.NewSAO(), Space: sp, Profiles: ps,
					Parties: agents(t, pair[0], pair[1]), Deadline: dl, Seed: seed})
				relayed := run(t, &sim.Config{Mechanism: mechanism.NewShuttle(), Space: sp, Profiles: ps,
					Parties: agents(t, pair[0], pair[1]), Mediator: mediator.Relay{}, Deadline: dl, Seed: seed})
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
		obs := &eventLog{}
		res := run(t, &sim.Config{Mechanism: mechanism.NewShuttle(), Space: sp, Profiles: ps,
			Parties: agents(t, "boulware", "boulware"), Mediator: &mediator.Bridge{}, Deadline: mechanism.Deadline{Rounds: 60},
			Seed: seed, Observer: obs})
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
		packages += obs.count("package")
	}
	if packages == 0 {
		t.Fatal("the bridging mediator never proposed a package")
	}
}

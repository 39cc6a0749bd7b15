package protocol_test

import (
	"context"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
)

func TestLookup(t *testing.T) {
	for _, n := range protocol.Names() {
		if p, err := protocol.Lookup(n); err != nil || p.Name != n {
			t.Errorf("Lookup(%q) = %v, %v", n, p.Name, err)
		}
	}
	if p, err := protocol.Lookup("shuttle"); err != nil || p.Name != "shuttle/relay" {
		t.Errorf("alias shuttle: %v %v", p.Name, err)
	}
	_, err := protocol.Lookup("telepathy")
	if err == nil || !strings.Contains(err.Error(), "single-text/annealer") {
		t.Errorf("unknown protocol error %v should list the known names", err)
	}
}

// TestEveryProtocolRuns runs every registered protocol between two
// conceding agents on a small space with a wide zone of agreement: each
// must end in an agreement that both parties can accept, without a fault.
func TestEveryProtocolRuns(t *testing.T) {
	sp, err := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("a", "0", "1", "2", "3"),
		outcome.NewDiscrete("b", "0", "1", "2", "3"),
		outcome.NewDiscrete("c", "0", "1", "2"),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(w []float64, up bool, rv float64) *preference.Profile {
		p := &preference.Profile{Name: "p", Reservation: rv}
		for i, is := range sp.Issues {
			ev := make([]float64, is.Len())
			for v := range ev {
				x := float64(v) / float64(is.Len()-1)
				if !up {
					x = 1 - x
				}
				ev[v] = x
			}
			p.Issues = append(p.Issues, preference.IssueUtility{Weight: w[i], Eval: ev})
		}
		if err := p.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ps := []*preference.Profile{mk([]float64{0.6, 0.3, 0.1}, true, 0.2), mk([]float64{0.1, 0.3, 0.6}, false, 0.2)}
	for _, pr := range protocol.All() {
		t.Run(pr.Name, func(t *testing.T) {
			parties := make([]mechanism.Party, 2)
			for i := range parties {
				a, err := strategy.New("conceder", nil)
				if err != nil {
					t.Fatal(err)
				}
				parties[i] = pr.Wrap(a)
			}
			med, conf := pr.NewMediator()
			res, err := sim.Run(context.Background(), &sim.Config{Mechanism: pr.New(), Space: sp, Profiles: ps, Parties: parties,
				Mediator: med, Confidential: conf, Deadline: mechanism.Deadline{Rounds: pr.Rounds(50)}, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != mechanism.Agreement {
				t.Fatalf("status %v (%s), want an agreement", res.Status, res.Reason)
			}
			for i, p := range ps {
				if !p.Acceptable(sp, res.Agreement) {
					t.Errorf("party %d: agreement %v gives %.3f < rv %.3f", i, res.Agreement, p.Utility(res.Agreement), p.Reservation)
				}
			}
		})
	}
}

// TestFaceSavingThreeParties: blind bidding and the double-blind proposal
// run with three parties (their mediators' n-party paths) and end in an
// agreement every party can accept.
func TestFaceSavingThreeParties(t *testing.T) {
	sp, err := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("a", "0", "1", "2", "3"),
		outcome.NewDiscrete("b", "0", "1", "2", "3"),
		outcome.NewDiscrete("c", "0", "1", "2"),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(evals [][]float64, rv float64) *preference.Profile {
		p := &preference.Profile{Name: "p", Reservation: rv}
		for _, e := range evals {
			p.Issues = append(p.Issues, preference.IssueUtility{Weight: 1.0 / 3, Eval: e})
		}
		if err := p.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		return p
	}
	up4, down4, up3, down3 := []float64{0, 1.0 / 3, 2.0 / 3, 1}, []float64{1, 2.0 / 3, 1.0 / 3, 0}, []float64{0, 0.5, 1}, []float64{1, 0.5, 0}
	mid4, mid3 := []float64{0, 1, 1, 0}, []float64{0, 1, 0}
	ps := []*preference.Profile{mk([][]float64{up4, up4, down3}, 0.3), mk([][]float64{down4, mid4, up3}, 0.3), mk([][]float64{mid4, down4, mid3}, 0.3)}
	for _, name := range []string{"blind-bidding/suggester", "blind-bidding/interpolator", "double-blind/proposer"} {
		pr, err := protocol.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		parties := make([]mechanism.Party, 3)
		for i := range parties {
			a, err := strategy.New("conceder", nil)
			if err != nil {
				t.Fatal(err)
			}
			parties[i] = pr.Wrap(a)
		}
		med, conf := pr.NewMediator()
		res, err := sim.Run(context.Background(), &sim.Config{Mechanism: pr.New(), Space: sp, Profiles: ps, Parties: parties,
			Mediator: med, Confidential: conf, Deadline: mechanism.Deadline{Rounds: pr.Rounds(30)}, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != mechanism.Agreement {
			t.Fatalf("%s: %v (%s), want an agreement", name, res.Status, res.Reason)
		}
		for i, p := range ps {
			if !p.Acceptable(sp, res.Agreement) {
				t.Errorf("%s: party %d cannot accept %v", name, i, res.Agreement)
			}
		}
	}
}

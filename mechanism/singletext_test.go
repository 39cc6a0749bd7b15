package mechanism_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/racedetect"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/sim"
)

// TestSingleTextAgreementIsLastTextAllAccepted checks the agreement rule and
// that hill-climbing votes only ever improve the current text for everyone.
func TestSingleTextAgreementIsLastTextAllAccepted(t *testing.T) {
	sp, ps := small(t)
	for _, name := range []string{"random-flip", "hill-climb", "annealer"} {
		for seed := uint64(1); seed <= 5; seed++ {
			med, _ := mediator.New(name, nil)
			rec := &eventLog{}
			res := run(t, &sim.Config{Mechanism: mechanism.NewSingleText(), Space: sp, Profiles: ps,
				Parties: voters(), Mediator: med, Deadline: mechanism.Deadline{Rounds: 300}, Seed: seed, Observer: rec})
			accepted := rec.outcomes("accepted by all")
			if res.Status != mechanism.Agreement {
				t.Fatalf("%s seed %d: %v (%s)", name, seed, res.Status, res.Reason)
			}
			last := accepted[len(accepted)-1]
			if !last.Equal(res.Agreement) {
				t.Errorf("%s seed %d: agreement %v, last text all accepted %v", name, seed, res.Agreement, last)
			}
			for k := 1; k < len(accepted); k++ {
				for i, p := range ps {
					if p.Utility(accepted[k]) < p.Utility(accepted[k-1]) {
						t.Errorf("%s seed %d: current text got worse for party %d", name, seed, i)
					}
				}
			}
		}
	}
}

// TestFaultsAreAttributed: a mediator or party that errs, stalls or breaks
// the protocol ends the negotiation with the fault attributed to it.
func TestFaultsAreAttributed(t *testing.T) {
	sp, ps := small(t)
	good := mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{1, 1, 1}}
	dl := mechanism.Deadline{Rounds: 20}
	cases := []struct {
		name    string
		mech    func() mechanism.Mechanism
		parties []mechanism.Party
		med     mechanism.Party
		dl      mechanism.Deadline
		who     int
		reason  string
	}{
		{"mediator invalid text", func() mechanism.Mechanism { return mechanism.NewSingleText() }, voters(),
			fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
				return mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{9, 0, 0}}
			}), dl, mechanism.MediatorRole, "not in the space"},
		{"mediator infeasible text", func() mechanism.Mechanism { return mechanism.NewSingleText() }, voters(),
			fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
				return mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{4, 0, 0}}
			}), dl, mechanism.MediatorRole, "infeasible"},
		{"mediator wrong kind", func() mechanism.Mechanism { return mechanism.NewSingleText() }, voters(),
			fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
				return mechanism.Answer{Kind: mechanism.Better}
			}),
			dl, mechanism.MediatorRole, "better to a propose"},
		{"mediator panics", func() mechanism.Mechanism { return mechanism.NewFeedback() }, voters(),
			fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer { panic("boom") }), dl, mechanism.MediatorRole, "panic: boom"},
		{"mediator stalls", func() mechanism.Mechanism { return mechanism.NewShuttle() }, agents(t, "boulware", "conceder"),
			fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
				time.Sleep(300 * time.Millisecond)
				return good
			}),
			mechanism.Deadline{Rounds: 20, MoveTime: 20 * time.Millisecond}, mechanism.MediatorRole, "move took longer than 20ms"},
		{"mediator init error", func() mechanism.Mechanism { return mechanism.NewArbitration() }, voters(),
			opaque{&mediator.Arbitrator{}}, dl, mechanism.MediatorRole, "confidential access"},
		{"party wrong vote", func() mechanism.Mechanism { return mechanism.NewSingleText() },
			[]mechanism.Party{voters()[0], fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
				return mechanism.Answer{Kind: mechanism.Same}
			})},
			&mediator.RandomFlip{}, dl, 1, "same to a vote"},
		{"party wrong feedback", func() mechanism.Mechanism { return mechanism.NewFeedback() },
			[]mechanism.Party{fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
				return mechanism.Answer{Kind: mechanism.Accept}
			}), voters()[1]},
			&mediator.Learner{}, dl, 0, "accept to a compare"},
		{"party infeasible offer in shuttle", func() mechanism.Mechanism { return mechanism.NewShuttle() },
			[]mechanism.Party{fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
				return mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{4, 0, 0}}
			}), voters()[1]}, mediator.Relay{}, dl, 0, "infeasible"},
		{"mediator offers junk package", func() mechanism.Mechanism { return mechanism.NewShuttle() }, agents(t, "boulware", "conceder"),
			fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
				return mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{0}}
			}), dl, mechanism.MediatorRole, "not in the space"},
		{"improver wrong answer", func() mechanism.Mechanism { return mechanism.NewPostSettlement(mechanism.NewSAO(), 5) }, agents(t, "conceder", "conceder"),
			fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
				return mechanism.Answer{Kind: mechanism.Accept}
			}),
			dl, mechanism.MediatorRole, "accept to an improve"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, &sim.Config{Mechanism: tc.mech(), Space: sp, Profiles: ps, Parties: tc.parties,
				Mediator: tc.med, Deadline: tc.dl, Seed: 3})
			if res.Status != mechanism.Failed || res.Fault == nil {
				t.Fatalf("status %v (%s), want a failure", res.Status, res.Reason)
			}
			if res.Fault.Party != tc.who || !strings.Contains(res.Fault.Reason, tc.reason) {
				t.Errorf("fault %+v, want party %d and reason containing %q", *res.Fault, tc.who, tc.reason)
			}
		})
	}
}

// TestSingleTextSteadyStateAllocations: a negotiation of 2,000 texts
// allocates no more than one of 100 (per-negotiation setup only).
func TestSingleTextSteadyStateAllocations(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("allocation counts differ under the race detector; asserted in the plain test run")
	}
	sp, ps := small(t)
	m := mechanism.NewSingleText()
	med := &mediator.RandomFlip{}
	parties := voters()
	allocs := func(rounds int) float64 {
		return testing.AllocsPerRun(5, func() {
			_, _ = sim.Run(context.Background(), &sim.Config{Mechanism: m, Space: sp, Profiles: ps, Parties: parties,
				Mediator: med, Deadline: mechanism.Deadline{Rounds: rounds}, Seed: 1})
		})
	}
	short, long := allocs(100), allocs(2000)
	if long > short {
		t.Fatalf("2,000 texts allocate %v, 100 texts %v: the single text allocates per proposal", long, short)
	}
}

// BenchmarkSingleText runs single-text negotiations of 1,000 proposals
// between in-process hill-climbing voters and a random-flip mediator, and
// reports proposals per second and allocations per proposal.
func BenchmarkSingleText(b *testing.B) {
	sp, ps := small(b)
	m := mechanism.NewSingleText()
	med := &mediator.RandomFlip{}
	parties := voters()
	cfg := &sim.Config{Mechanism: m, Space: sp, Profiles: ps, Parties: parties, Mediator: med,
		Deadline: mechanism.Deadline{Rounds: 1000}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		cfg.Seed = uint64(i)
		res, err := sim.Run(context.Background(), cfg)
		if err != nil || res.Rounds != 1000 {
			b.Fatalf("%v %+v", err, res)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "proposals/s")
}

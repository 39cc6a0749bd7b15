package sim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/sim"
)

// scripted is a test party whose moves are a function of the round.
type scripted struct {
	act func(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer
}

func (s *scripted) Init(*mechanism.Setup) error { return nil }
func (s *scripted) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	return s.act(c, r)
}

func space(t *testing.T) (*outcome.Space, []*preference.Profile) {
	t.Helper()
	always := []bool{true, true, true}
	onlyA := []bool{true, false, false}
	sp, err := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("x", "a", "b", "c"),
		outcome.NewDiscrete("y", "a", "b", "c"),
	}, []outcome.Rule{{Name: "x=c needs y=a", If: []outcome.Condition{{Issue: 0, Allowed: []bool{false, false, true}}}, Then: []outcome.Condition{{Issue: 1, Allowed: onlyA}}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = always
	var ps []*preference.Profile
	for _, ev := range [][]float64{{0, 0.5, 1}, {1, 0.5, 0}} {
		p := &preference.Profile{Name: "p", Issues: []preference.IssueUtility{{Weight: 0.5, Eval: ev}, {Weight: 0.5, Eval: ev}}}
		if err := p.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return sp, ps
}

func offer(o ...int32) mechanism.Answer {
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome(o)}
}

func TestSAOOutcomes(t *testing.T) {
	sp, ps := space(t)
	proposeB := func(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
		if r.Kind == mechanism.Propose {
			return offer(1, 1)
		}
		return mechanism.Answer{Kind: mechanism.Reject}
	}
	acceptLate := func(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
		if r.Kind == mechanism.Respond && c.Round >= 3 {
			return mechanism.Answer{Kind: mechanism.Accept}
		}
		if r.Kind == mechanism.Respond {
			return mechanism.Answer{Kind: mechanism.Reject}
		}
		return offer(0, 0)
	}
	tests := []struct {
		name       string
		a, b       func(*mechanism.Clock, *mechanism.Request) mechanism.Answer
		rounds     int
		moveTime   time.Duration
		time       time.Duration // time deadline
		status     mechanism.Status
		faultParty int
		reason     string
		agreement  outcome.Outcome
		wantRounds int
	}{
		{name: "agreement", a: proposeB, b: acceptLate, rounds: 10, status: mechanism.Agreement, agreement: outcome.Outcome{1, 1}, wantRounds: 4},
		{name: "deadline", a: proposeB, b: proposeB, rounds: 5, status: mechanism.NoAgreement, reason: "deadline (rounds)", wantRounds: 5},
		{name: "walk away", a: proposeB, b: func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
			return mechanism.Answer{Kind: mechanism.End}
		}, rounds: 5, status: mechanism.NoAgreement, reason: "ended by party", wantRounds: 1},
		{name: "panic", a: proposeB, b: func(*mechanism.Clock, *mechanism.Request) mechanism.Answer { panic("boom") }, rounds: 5, status: mechanism.Failed, faultParty: 1, reason: "panic: boom"},
		{name: "infeasible", a: func(*mechanism.Clock, *mechanism.Request) mechanism.Answer { return offer(2, 2) }, b: proposeB, rounds: 5, status: mechanism.Failed, faultParty: 0, reason: "infeasible"},
		{name: "out of space", a: func(*mechanism.Clock, *mechanism.Request) mechanism.Answer { return offer(0, 7) }, b: proposeB, rounds: 5, status: mechanism.Failed, faultParty: 0, reason: "not in the space"},
		{name: "short offer", a: func(*mechanism.Clock, *mechanism.Request) mechanism.Answer { return offer(0) }, b: proposeB, rounds: 5, status: mechanism.Failed, faultParty: 0, reason: "not in the space"},
		{name: "wrong kind", a: func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
			return mechanism.Answer{Kind: mechanism.Better}
		}, b: proposeB, rounds: 5, status: mechanism.Failed, faultParty: 0, reason: "answered better"},
		{name: "slow", a: proposeB, b: func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
			time.Sleep(60 * time.Millisecond)
			return mechanism.Answer{Kind: mechanism.Reject}
		}, rounds: 5, moveTime: 5 * time.Millisecond, status: mechanism.Failed, faultParty: 1, reason: "move took"},
		{name: "hang", a: proposeB, b: func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
			select {} // never returns
		}, rounds: 5, moveTime: 10 * time.Millisecond, status: mechanism.Failed, faultParty: 1, reason: "move took longer than 10ms"},
		{name: "slow, time deadline too", a: proposeB, b: func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
			time.Sleep(60 * time.Millisecond)
			return mechanism.Answer{Kind: mechanism.Reject}
		}, rounds: 5, moveTime: 5 * time.Millisecond, time: time.Minute, status: mechanism.Failed, faultParty: 1, reason: "move took"},
		{name: "time deadline", a: proposeB, b: func(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
			time.Sleep(time.Millisecond)
			return proposeB(c, r)
		}, rounds: 1 << 30, time: 30 * time.Millisecond, status: mechanism.NoAgreement, reason: "deadline (time)"},
		{name: "hang, time deadline only", a: proposeB, b: func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
			select {} // never returns
		}, rounds: 5, time: 10 * time.Millisecond, status: mechanism.Failed, faultParty: 1, reason: "no answer within 10ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &sim.Config{Mechanism: mechanism.NewSAO(), Space: sp, Profiles: ps,
				Parties:  []mechanism.Party{&scripted{tc.a}, &scripted{tc.b}},
				Deadline: mechanism.Deadline{Rounds: tc.rounds, MoveTime: tc.moveTime, Time: tc.time}}
			res, err := sim.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status {
				t.Fatalf("status %v (%s), want %v", res.Status, res.Reason, tc.status)
			}
			if tc.reason != "" && !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", res.Reason, tc.reason)
			}
			if tc.status == mechanism.Failed {
				if res.Fault == nil || res.Fault.Party != tc.faultParty {
					t.Errorf("fault %+v, want party %d", res.Fault, tc.faultParty)
				}
			} else if res.Fault != nil {
				t.Errorf("unexpected fault %+v", res.Fault)
			}
			if tc.agreement != nil && !res.Agreement.Equal(tc.agreement) {
				t.Errorf("agreement %v, want %v", res.Agreement, tc.agreement)
			}
			if tc.wantRounds != 0 && res.Rounds != tc.wantRounds {
				t.Errorf("rounds %d, want %d", res.Rounds, tc.wantRounds)
			}
		})
	}
}

func TestSAOMultilateralNeedsAllAccepts(t *testing.T) {
	sp, ps := space(t)
	ps = append(ps, ps[0])
	accepts := 0
	acc := func(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
		if r.Kind == mechanism.Respond {
			accepts++
			return mechanism.Answer{Kind: mechanism.Accept}
		}
		return offer(1, 1)
	}
	rej := func(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
		if r.Kind == mechanism.Respond && c.Round < 2 {
			return mechanism.Answer{Kind: mechanism.Reject}
		}
		if r.Kind == mechanism.Respond {
			return mechanism.Answer{Kind: mechanism.Accept}
		}
		return offer(0, 1)
	}
	cfg := &sim.Config{Mechanism: mechanism.NewSAO(), Space: sp, Profiles: ps,
		Parties:  []mechanism.Party{&scripted{acc}, &scripted{acc}, &scripted{rej}},
		Deadline: mechanism.Deadline{Rounds: 10}}
	res, err := sim.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != mechanism.Agreement {
		t.Fatalf("status %v", res.Status)
	}
	// Party 2 rejects (1,1) in rounds 0 and 1 and offers (0,1); the others
	// accept it, so (0,1) is agreed.
	if !res.Agreement.Equal(outcome.Outcome{0, 1}) {
		t.Errorf("agreement %v, want [0 1]", res.Agreement)
	}
}

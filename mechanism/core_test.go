package mechanism_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/internal/racedetect"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// TestStartRefusesBadSetups: every protocol names itself and the problem
// when started without a space, with one party or without a deadline.
func TestStartRefusesBadSetups(t *testing.T) {
	sp, _ := small(t)
	dl := mechanism.Deadline{Rounds: 10}
	for _, p := range scripted {
		m := p.mech()
		for _, c := range []struct {
			sp   *outcome.Space
			n    int
			dl   mechanism.Deadline
			want string
		}{
			{nil, 2, dl, "no outcome space"},
			{sp, 1, dl, "needs at least 2 parties, got 1"},
			{sp, 2, mechanism.Deadline{}, "a deadline in rounds or time is required"},
		} {
			err := m.Start(c.sp, c.n, c.dl, nil)
			if err == nil || !strings.HasPrefix(err.Error(), m.Name()+": ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: Start(%v, %d, %+v) = %v, want %q", p.name, c.sp != nil, c.n, c.dl, err, c.want)
			}
		}
	}
}

// TestEveryEndKeepsTheContract: however a negotiation of any protocol ends
// (round deadline, Fail, Expire, a bad offer), the Result counts every
// answer, the last event is the closing one and says why, a fault is the
// party asked, and Apply afterwards is refused.
func TestEveryEndKeepsTheContract(t *testing.T) {
	sp, _ := small(t)
	dl := mechanism.Deadline{Rounds: 6}
	ends := []struct {
		name string
		// end drives m to its end and returns the party at fault, if any.
		end func(tb testing.TB, m mechanism.Mechanism, agree bool, midway int) (faulty int)
		// want is the end's reason (a prefix of Result.Reason).
		want string
	}{
		{"deadline", func(tb testing.TB, m mechanism.Mechanism, agree bool, midway int) int {
			drive(tb, m, agree, 1<<20)
			return mechanism.Nobody
		}, ""},
		{"fail", func(tb testing.TB, m mechanism.Mechanism, agree bool, midway int) int {
			drive(tb, m, agree, midway)
			p := m.Next().Party
			m.Fail("stalled")
			return p
		}, "stalled"},
		{"expire", func(tb testing.TB, m mechanism.Mechanism, agree bool, midway int) int {
			drive(tb, m, agree, midway)
			m.Expire()
			return mechanism.Nobody
		}, "deadline (time)"},
		{"invalid offer", func(tb testing.TB, m mechanism.Mechanism, _ bool, _ int) int {
			p := m.Next().Party
			if err := m.Apply(mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{9, 0, 0}}); err != nil {
				tb.Fatal(err)
			}
			return p
		}, "offered an outcome that is not in the space"},
		{"infeasible offer", func(tb testing.TB, m mechanism.Mechanism, _ bool, _ int) int {
			p := m.Next().Party
			if err := m.Apply(mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{4, 0, 0}}); err != nil {
				tb.Fatal(err)
			}
			return p
		}, "offered an infeasible outcome"},
		{"wrong answer", func(tb testing.TB, m mechanism.Mechanism, _ bool, _ int) int {
			p := m.Next().Party
			if err := m.Apply(mechanism.Answer{Kind: mechanism.Same}); err != nil {
				tb.Fatal(err)
			}
			return p
		}, "answered same to "},
	}
	for _, p := range scripted {
		for _, e := range ends {
			m := p.mech()
			log := &eventLog{}
			if err := m.Start(sp, 2, dl, log); err != nil {
				t.Fatal(err)
			}
			faulty := e.end(t, m, p.agree, p.midway)
			res := m.Result()
			where := p.name + "/" + e.name
			if e.name == "deadline" && p.midway >= res.Steps {
				t.Fatalf("%s: ended after %d moves, before midway (%d)", where, res.Steps, p.midway)
			}
			if !m.Done() || res.Status == mechanism.Running {
				t.Fatalf("%s: not ended: %+v", where, res)
			}
			if !strings.HasPrefix(res.Reason, e.want) && !strings.Contains(res.Reason, "post-settlement: "+e.want) {
				t.Errorf("%s: reason %q, want %q", where, res.Reason, e.want)
			}
			if res.Steps != m.Clock().Step || res.Time != m.Clock().T || res.Rounds < 1 || res.Rounds > dl.Rounds+p.extra {
				t.Errorf("%s: result %+v does not match the clock %+v", where, res, *m.Clock())
			}
			if (res.Fault != nil) != (res.Status == mechanism.Failed) || (res.Agreement != nil) != (res.Status == mechanism.Agreement) {
				t.Errorf("%s: result %+v: fault or agreement does not match the status", where, res)
			}
			if res.Fault != nil && (res.Fault.Party != faulty || res.Fault.Reason != res.Reason) {
				t.Errorf("%s: fault %+v, want party %d", where, *res.Fault, faulty)
			}
			last := log.events[len(log.events)-1]
			kind := map[mechanism.Status]string{mechanism.Agreement: "agreement", mechanism.NoAgreement: "end", mechanism.Failed: "failure"}[res.Status]
			if last.Kind != kind || last.To != nil || last.Step != res.Steps || !strings.Contains(res.Reason, last.Note) || !last.Outcome.Equal(res.Agreement) {
				t.Errorf("%s: closing event %+v for result %+v", where, last, res)
			}
			if res.Status == mechanism.Failed && last.Party != faulty {
				t.Errorf("%s: failure event from %d, fault of %d", where, last.Party, faulty)
			}
			if err := m.Apply(mechanism.Answer{Kind: mechanism.Accept}); !errors.Is(err, mechanism.ErrOutOfTurn) {
				t.Errorf("%s: Apply after the end: %v", where, err)
			}
			seen := len(log.events)
			m.Fail("again")
			m.Expire()
			if again := m.Result(); again.Reason != res.Reason || again.Status != res.Status || len(log.events) != seen {
				t.Errorf("%s: Fail or Expire after the end changed the result to %+v or emitted %d events", where, again, len(log.events)-seen)
			}
		}
	}
}

// TestMovesDoNotAllocate: a negotiation of 1,000 rounds allocates no more
// than one of 10 in every protocol (a reused mechanism, no observer).
func TestMovesDoNotAllocate(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("allocation counts differ under the race detector; asserted in the plain test run")
	}
	sp, _ := small(t)
	for _, p := range scripted {
		m := p.mech()
		allocs := func(rounds int) float64 {
			return testing.AllocsPerRun(5, func() {
				if err := m.Start(sp, 2, mechanism.Deadline{Rounds: rounds}, nil); err != nil {
					t.Fatal(err)
				}
				drive(t, m, p.agree, 1<<30)
			})
		}
		if short, long := allocs(10), allocs(1000); long > short {
			t.Errorf("%s: 1,000 rounds allocate %v, 10 rounds %v", p.name, long, short)
		}
	}
}

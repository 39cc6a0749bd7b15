package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/session"
)

// endOf follows a seat's stream (without acting) until the session ends.
func endOf(t *testing.T, u string) (*api.End, *api.Turn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var end *api.End
	var first *api.Turn
	err := link(t, u).Follow(ctx, func(m client.Message) error {
		switch {
		case m.Snapshot != nil && m.Snapshot.Turn != nil && first == nil:
			first = m.Snapshot.Turn
		case m.Turn != nil && first == nil:
			first = m.Turn
		case m.End != nil:
			end = m.End
		case m.Snapshot != nil && m.Snapshot.End != nil:
			end = m.Snapshot.End
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return end, first
}

// TestServerEnforcesDeadlines: the move time and the wall-clock deadline
// are enforced by the server itself, while no request is in flight: a seat
// that never answers loses the session at its move time, a session whose
// time runs out ends without agreement, and an answer after that is too
// late (409) and changes nothing.
func TestServerEnforcesDeadlines(t *testing.T) {
	e := newEnv(t)
	small := e.upload("small.yaml")
	t.Run("move time", func(t *testing.T) {
		c := e.create(&api.NewSession{Scenario: small, Protocol: "sao", Deadline: api.Deadline{Rounds: 10, MoveTime: "300ms"},
			Seats: map[string]string{"buyer": "agent", "seller": "boulware"}})
		end, turn := endOf(t, c.Seats["buyer"])
		if turn == nil || turn.MoveTimeLeftMS == nil || *turn.MoveTimeLeftMS > 300 {
			t.Fatalf("the turn does not say the move time left: %+v", turn)
		}
		if end.Status != "failed" || end.Fault == nil || end.Fault.Party != "buyer" || !strings.Contains(end.Fault.Reason, "no move within 300ms") {
			t.Fatalf("end %+v fault %+v", end, end.Fault)
		}
		status, er, _ := call(t, "POST", c.Seats["buyer"]+"/actions", "application/json", `{"step":0,"kind":"end"}`)
		if status != 409 || er.Code != "ended" {
			t.Fatalf("an answer after the move time: %d %+v", status, er)
		}
		st, err := link(t, c.Owner).Status(context.Background())
		if err != nil || st.Status != "failed" || st.Verdict == nil {
			t.Fatalf("owner's status: %+v %v", st, err)
		}
	})
	t.Run("time deadline", func(t *testing.T) {
		c := e.create(&api.NewSession{Scenario: small, Protocol: "shuttle/relay", Deadline: api.Deadline{Time: "400ms"},
			Seats: map[string]string{"buyer": "agent", "seller": "agent", "mediator": "builtin"}})
		end, turn := endOf(t, c.Seats["seller"])
		if end.Status != "no agreement" || end.Reason != "deadline (time)" {
			t.Fatalf("end %+v", end)
		}
		_ = turn
		sn, err := link(t, c.Seats["buyer"]).Snapshot(context.Background())
		if err != nil || sn.End == nil || sn.Turn != nil {
			t.Fatalf("buyer's snapshot after the deadline: %+v %v", sn, err)
		}
	})
}

// TestStreamOutlivesReadTimeout: a stream stays open past the server's
// ReadTimeout (300 ms in the tests) with keep-alive lines, and delivers
// what happens after it.
func TestStreamOutlivesReadTimeout(t *testing.T) {
	e := newEnv(t)
	small := e.upload("small.yaml")
	c := e.create(&api.NewSession{Scenario: small, Protocol: "sao", Deadline: api.Deadline{Rounds: 10},
		Seats: map[string]string{"buyer": "agent", "seller": "agent"}})
	got := make(chan string, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go link(t, c.Seats["seller"]).Stream(ctx, 0, func(m client.Message) error {
		switch {
		case m.Snapshot != nil:
			got <- "snapshot"
		case m.Event != nil:
			got <- "event " + m.Event.Kind
		case m.Turn != nil:
			got <- "turn " + m.Turn.Request.Kind
		}
		return nil
	})
	if m := <-got; m != "snapshot" {
		t.Fatal(m)
	}
	time.Sleep(time.Second)
	if status, _, body := call(t, "POST", c.Seats["buyer"]+"/actions", "application/json", `{"step":0,"kind":"offer","outcome":{"price":"mid","delivery":"fast","warranty":"full"}}`); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	for _, want := range []string{"event offer", "turn respond"} {
		select {
		case m := <-got:
			if m != want {
				t.Fatalf("got %q, want %q", m, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("the stream opened a second ago no longer delivers (%s)", want)
		}
	}
}

// TestEndedSessionLeavesMemory: an ended session is dropped from memory
// after session.EvictAfter and rebuilt from the store when asked again,
// with the same record, status and seat views.
func TestEndedSessionLeavesMemory(t *testing.T) {
	old := session.EvictAfter
	session.EvictAfter = 20 * time.Millisecond
	t.Cleanup(func() { session.EvictAfter = old })
	e := newEnv(t)
	small := e.upload("small.yaml")
	c := e.create(&api.NewSession{Scenario: small, Protocol: "shuttle/relay", Deadline: api.Deadline{Rounds: 10},
		Seats: map[string]string{"buyer": "agent", "seller": "linear"}})
	play(t, c, map[string]string{"buyer": "conceder"})
	ctx := context.Background()
	before := string(ownerRecord(t, c))
	sn1, _ := link(t, c.Seats["buyer"]).Snapshot(ctx)
	waitEvicted := func() {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); e.m.InMemory() > 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d sessions still in memory a minute after they ended", e.m.InMemory())
			}
		}
	}
	waitEvicted()
	if after := string(ownerRecord(t, c)); after != before {
		t.Fatal("the record changed after the session left memory")
	}
	sn2, err := link(t, c.Seats["buyer"]).Snapshot(ctx)
	if err != nil || len(sn2.Events) != len(sn1.Events) || sn2.End == nil || sn2.End.Status != sn1.End.Status {
		t.Fatalf("the seat's view after the session left memory: %+v %v", sn2, err)
	}
	st, err := link(t, c.Owner).Status(ctx)
	if err != nil || st.Verdict == nil || st.Status != sn1.End.Status {
		t.Fatalf("status after the session left memory: %+v %v", st, err)
	}
	// Rebuilt from the store, it leaves memory again.
	waitEvicted()
}

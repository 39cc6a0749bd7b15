package client_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/server"
	"github.com/backchannel/backchannel/session"
	"github.com/backchannel/backchannel/store/sqlite"
	"github.com/backchannel/backchannel/strategy"
)

// TestFollowEndedSession: a seat that connects after its session ended gets
// one snapshot holding the end, and the server closes the stream; Follow
// and Play must return then, not reconnect for ever.
func TestFollowEndedSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a guard against hangs
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := session.Open(ctx, st, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ts := httptest.NewServer(server.New(m, server.Options{}).Handler())
	defer ts.Close()
	cr, err := client.New(ts.URL).CreateSession(ctx, &api.NewSession{Scenario: "builtin:iran-us", Protocol: "sao",
		Deadline: api.Deadline{Rounds: 10}, Seats: map[string]string{"iran": api.SeatAgent, "usa": "boulware"}})
	if err != nil {
		t.Fatal(err)
	}
	link, err := client.ParseLink(cr.Seats["iran"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := link.Act(ctx, &api.Action{Step: 0, Kind: "end"}); err != nil {
		t.Fatal(err)
	}
	var ends int
	err = link.Follow(ctx, func(msg client.Message) error {
		if msg.Snapshot != nil && msg.Snapshot.End != nil {
			ends++
		}
		return nil
	})
	if err != nil || ends != 1 {
		t.Fatalf("Follow of an ended session: %v, %d snapshots with the end; want nil and 1", err, ends)
	}
	end, err := client.Play(ctx, link, func(*client.Seat) (mechanism.Party, error) { return strategy.New("boulware", nil) })
	if err != nil || end == nil || end.Status != "no agreement" {
		t.Fatalf("Play of an ended session: %+v, %v; want its end (no agreement)", end, err)
	}
}

package client_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/record/tlog"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/server"
	"github.com/backchannel/backchannel/session"
	"github.com/backchannel/backchannel/store/sqlite"
	"github.com/backchannel/backchannel/strategy"
)

// logServer is a server over an SQLite file that a test can stop, edit
// behind its back and start again at the same address.
type logServer struct {
	t   *testing.T
	db  string
	key ed25519.PrivateKey
	st  *sqlite.Store
	m   *session.Manager
	h   atomic.Pointer[http.Handler]
	hs  *httptest.Server
	c   *client.Client
}

func startLogServer(t *testing.T) *logServer {
	t.Helper()
	s := &logServer{t: t, db: filepath.Join(t.TempDir(), "sessions.db"), key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))}
	s.open()
	s.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }))
	s.c = client.New(s.hs.URL)
	t.Cleanup(func() {
		s.hs.CloseClientConnections()
		s.hs.Close()
		s.m.Close()
		s.st.Close()
	})
	return s
}

func (s *logServer) open() {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, s.db)
	if err != nil {
		s.t.Fatal(err)
	}
	m, err := session.Open(ctx, st, session.Options{Key: s.key, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		s.t.Fatal(err)
	}
	s.st, s.m = st, m
	var h http.Handler = server.New(m, server.Options{Ping: time.Second}).Handler()
	s.h.Store(&h)
}

// restart stops the server, lets edit change its database, and starts it
// again; open streams break and their clients reconnect to the new one.
func (s *logServer) restart(edit func(db *sql.DB)) {
	s.m.Close()
	s.st.Close()
	db, err := sql.Open("sqlite", "file:"+s.db)
	if err != nil {
		s.t.Fatal(err)
	}
	edit(db)
	db.Close()
	s.open()
	s.hs.CloseClientConnections()
}

func (s *logServer) create(t *testing.T, req *api.NewSession) (*api.Created, []string) {
	t.Helper()
	sc := defaultScenario(t)
	var ids []string
	for _, p := range sc.Parties {
		ids = append(ids, p.ID)
	}
	cr, err := s.c.CreateSession(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return cr, ids
}

func defaultScenario(t *testing.T) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func link(t *testing.T, s *logServer, u string) *client.Link {
	t.Helper()
	l, err := client.ParseLink(u)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestPlayVerifiesTheLog plays sessions of every protocol with remote
// agents: every receipt, checkpoint and event verifies on arrival and the
// final audit passes (Play returns no alarm); the owner's log opens every
// leaf and verifies; a seat's log opens only its own moves and the events
// shown to it, and verifies all the same.
func TestPlayVerifiesTheLog(t *testing.T) {
	s := startLogServer(t)
	ctx := context.Background()
	for _, proto := range protocol.Names() {
		t.Run(strings.ReplaceAll(proto, "/", "-"), func(t *testing.T) {
			seats := map[string]string{}
			sc := defaultScenario(t)
			for _, p := range sc.Parties {
				seats[p.ID] = api.SeatAgent
			}
			cr, ids := s.create(t, &api.NewSession{Scenario: "builtin:" + scenario.DefaultName, Protocol: proto,
				Deadline: api.Deadline{Rounds: 6}, Seats: seats})
			var wg sync.WaitGroup
			errs := make([]error, len(ids))
			for i, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					l := link(t, s, cr.Seats[id])
					l.LogKey = mustVKey(t, s.key)
					_, errs[i] = client.Play(ctx, l, func(*client.Seat) (mechanism.Party, error) {
						return strategy.ParseSpec([]string{"boulware", "conceder", "tit-for-tat"}[i%3])
					})
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("seat %s: %v", ids[i], err)
				}
			}
			owner, err := link(t, s, cr.Owner).Log(ctx)
			if err != nil {
				t.Fatal(err)
			}
			o, err := tlog.VerifyExport(owner, mustVKey(t, s.key))
			if err != nil {
				t.Fatal(err)
			}
			if o.OpenedCount() != len(owner.Leaves) || len(owner.Leaves) < 2 {
				t.Fatalf("the owner opens %d of %d leaves", o.OpenedCount(), len(owner.Leaves))
			}
			mutations(t, owner)
			for _, id := range ids {
				x, err := link(t, s, cr.Seats[id]).Log(ctx)
				if err != nil {
					t.Fatal(err)
				}
				v, err := tlog.VerifyExport(x, mustVKey(t, s.key))
				if err != nil {
					t.Fatalf("seat %s's view: %v", id, err)
				}
				if x.Checkpoint != owner.Checkpoint {
					t.Fatalf("seat %s is shown another checkpoint than the owner", id)
				}
				for k, e := range o.Entries {
					mine := (e.Type == tlog.TypeMove && e.Party == id) || (e.Type == tlog.TypeEvent && visible(e, id))
					if opened := v.Entries[k] != nil; opened != mine {
						t.Fatalf("seat %s: leaf %d (%s) opened %v, want %v", id, k, o.Texts[k], opened, mine)
					}
				}
			}
		})
	}
}

// otherOutcome returns an outcome that differs from o in one issue and
// keeps the scenario's rules.
func otherOutcome(t *testing.T, sp *outcome.Space, o outcome.Outcome) outcome.Outcome {
	t.Helper()
	for i := range sp.Issues {
		for v := range sp.Issues[i].Values {
			if int32(v) == o[i] {
				continue
			}
			p := o.Clone()
			p[i] = int32(v)
			ok := true
			for r := range sp.Rules {
				ok = ok && sp.Rules[r].Holds(p)
			}
			if ok {
				return p
			}
		}
	}
	t.Fatal("no other outcome keeps the rules")
	return nil
}

// mutations checks that the log x fails to verify, saying where, with any
// one leaf changed, dropped, moved or inserted (drawn at random).
func mutations(t *testing.T, x *api.LogExport) {
	t.Helper()
	rapid.Check(t, func(rt *rapid.T) {
		n := len(x.Leaves)
		i := rapid.IntRange(0, n-1).Draw(rt, "i")
		j := rapid.IntRange(0, n-1).Filter(func(j int) bool { return j != i }).Draw(rt, "j")
		y := *x
		y.Leaves = append([]api.LogLeaf(nil), x.Leaves...)
		switch rapid.SampledFrom([]string{"change", "drop", "move", "insert"}).Draw(rt, "how") {
		case "change":
			y.Leaves[i].Entry = strings.Replace(y.Leaves[i].Entry, `"kind":"`, `"kind":"x`, 1)
		case "drop":
			y.Leaves = append(y.Leaves[:i], y.Leaves[i+1:]...)
		case "move":
			lf := y.Leaves[i]
			y.Leaves = append(y.Leaves[:i], y.Leaves[i+1:]...)
			y.Leaves = append(y.Leaves[:j], append([]api.LogLeaf{lf}, y.Leaves[j:]...)...)
		case "insert":
			y.Leaves = append(y.Leaves[:j], append([]api.LogLeaf{x.Leaves[i]}, y.Leaves[j:]...)...)
		}
		_, err := tlog.VerifyExport(&y, "")
		var alarm *tlog.Alarm
		if !errors.As(err, &alarm) || !strings.Contains(err.Error(), "leaf") && !strings.Contains(err.Error(), "leaves") {
			rt.Fatalf("a changed log: %v, want an alarm that says where", err)
		}
	})
}

func visible(e *tlog.Entry, role string) bool {
	if e.Hidden {
		return false
	}
	if e.To == nil {
		return true
	}
	for _, r := range e.To {
		if r == role {
			return true
		}
	}
	return false
}

func mustVKey(t *testing.T, key ed25519.PrivateKey) string {
	t.Helper()
	s, err := tlog.NewSigner(session.LogKeyName, key)
	if err != nil {
		t.Fatal(err)
	}
	return s.VerifierKey()
}

// TestOpenToGrantsTheWholeLog: a session that grants its log to every
// seat opens every leaf to a seat once it has ended, and not before.
func TestOpenToGrantsTheWholeLog(t *testing.T) {
	s := startLogServer(t)
	ctx := context.Background()
	sc := defaultScenario(t)
	seats := map[string]string{sc.Parties[0].ID: api.SeatAgent, sc.Parties[1].ID: "boulware"}
	cr, _ := s.create(t, &api.NewSession{Scenario: "builtin:" + scenario.DefaultName, Protocol: "sao",
		Deadline: api.Deadline{Rounds: 4}, Seats: seats, OpenTo: []string{"all"}})
	l := link(t, s, cr.Seats[sc.Parties[0].ID])
	x, err := l.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o, err := tlog.VerifyExport(x, "")
	if err != nil {
		t.Fatal(err)
	}
	if o.OpenedCount() == len(x.Leaves) && len(x.Leaves) > 0 && hasOthersMove(o, sc.Parties[0].ID) {
		t.Fatal("a running session opened every leaf")
	}
	if _, err := client.Play(ctx, l, func(*client.Seat) (mechanism.Party, error) { return strategy.ParseSpec("conceder") }); err != nil {
		t.Fatal(err)
	}
	if x, err = l.Log(ctx); err != nil {
		t.Fatal(err)
	}
	if o, err = tlog.VerifyExport(x, ""); err != nil {
		t.Fatal(err)
	}
	if o.OpenedCount() != len(x.Leaves) {
		t.Fatalf("after the end the granted seat opens %d of %d leaves", o.OpenedCount(), len(x.Leaves))
	}
}

func hasOthersMove(o *tlog.Opened, role string) bool {
	for _, e := range o.Entries {
		if e != nil && e.Type == tlog.TypeMove && e.Party != role {
			return true
		}
	}
	return false
}

// TestClientStopsOnRewrittenLog: a seat has seen a checkpoint with its
// first offer; the server is stopped, the offer is rewritten in its
// database (move and event alike, so that the session still replays), and
// the server restarted. The seat's client reconnects, is shown a tree that
// does not extend the one it saw, and stops with a fork alarm.
func TestClientStopsOnRewrittenLog(t *testing.T) {
	s := startLogServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sc := defaultScenario(t)
	a, b := sc.Parties[0].ID, sc.Parties[1].ID
	cr, _ := s.create(t, &api.NewSession{Scenario: "builtin:" + scenario.DefaultName, Protocol: "sao",
		Deadline: api.Deadline{Rounds: 10}, Seats: map[string]string{a: api.SeatAgent, b: api.SeatAgent}})
	la := link(t, s, cr.Seats[a])
	seen := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		var seat *client.Seat
		var party mechanism.Party
		errc <- la.Follow(ctx, func(m client.Message) error {
			switch {
			case m.Snapshot != nil && seat == nil:
				var err error
				if seat, err = client.ReadSeat(m.Snapshot); err != nil {
					return err
				}
				p, err := strategy.ParseSpec("boulware")
				if err != nil {
					return err
				}
				party = seat.Protocol.Wrap(p)
				if err := party.Init(seat.Setup); err != nil {
					return err
				}
				if m.Snapshot.Turn != nil {
					var req mechanism.Request
					if err := seat.Request(m.Snapshot.Turn, &req); err != nil {
						return err
					}
					c := mechanism.Clock{Step: m.Snapshot.Turn.Step}
					_, err = la.Act(ctx, seat.Action(m.Snapshot.Turn.Step, party.Act(&c, &req)))
					return err
				}
			case m.Event != nil && m.Event.Kind == "offer" && m.Event.Party == a:
				once.Do(func() { close(seen) })
			}
			return nil
		})
	}()
	select {
	case <-seen:
	case err := <-errc:
		t.Fatalf("Follow ended before the offer was seen: %v", err)
	}
	s.restart(func(db *sql.DB) {
		var offer, body string
		if err := db.QueryRow("SELECT offer FROM session_moves WHERE session_id = ? AND step = 0", cr.Session).Scan(&offer); err != nil {
			t.Fatal(err)
		}
		var seq int
		if err := db.QueryRow(`SELECT seq, body FROM session_events WHERE session_id = ? AND body LIKE '%"kind":"offer"%' ORDER BY seq LIMIT 1`, cr.Session).Scan(&seq, &body); err != nil {
			t.Fatal(err)
		}
		var o outcome.Outcome
		if err := json.Unmarshal([]byte(offer), &o); err != nil {
			t.Fatal(err)
		}
		forged := otherOutcome(t, sc.Space, o)
		oldJSON, _ := json.Marshal(o)
		newJSON, _ := json.Marshal(forged)
		newOffer := string(newJSON)
		newBody := strings.Replace(body, `"outcome":`+string(oldJSON), `"outcome":`+newOffer, 1)
		if newBody == body {
			t.Fatalf("the stored event does not hold the offer %s: %s", offer, body)
		}
		if _, err := db.Exec("UPDATE session_moves SET offer = ? WHERE session_id = ? AND step = 0", newOffer, cr.Session); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("UPDATE session_events SET body = ? WHERE session_id = ? AND seq = ?", newBody, cr.Session, seq); err != nil {
			t.Fatal(err)
		}
	})
	var alarm *tlog.Alarm
	if err := <-errc; !errors.As(err, &alarm) || alarm.Kind != tlog.AlarmFork {
		t.Fatalf("after the rewrite Follow returned %v, want a fork alarm", err)
	} else {
		t.Logf("the client stopped: %v", err)
	}
	// The rewritten session still runs: the server itself sees nothing wrong.
	if _, err := link(t, s, cr.Owner).Status(ctx); err != nil {
		t.Fatalf("the rewritten session does not load: %v", err)
	}
	// The other seat, which connects only now, is shown the rewritten
	// history, which verifies on its own; the checkpoint the first seat
	// kept names the split view.
	kept := la.LogCheckpoint()
	if kept == "" {
		t.Fatal("the first seat kept no checkpoint")
	}
	x, err := link(t, s, cr.Seats[b]).Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o, err := tlog.VerifyExport(x, "")
	if err != nil {
		t.Fatalf("the rewritten log does not verify on its own: %v", err)
	}
	if err := o.CheckCheckpoint(kept); err == nil || !strings.Contains(err.Error(), "split view") {
		t.Fatalf("the first seat's checkpoint against the second seat's log: %v, want a split view", err)
	}
}

// TestSignedMoves: a seat whose client signs its moves has every move of
// its own in the log with its key and signature, which verify; the server
// refuses a move with a bad signature, and an unsigned move from a seat
// that has signed before.
func TestSignedMoves(t *testing.T) {
	s := startLogServer(t)
	ctx := context.Background()
	sc := defaultScenario(t)
	a, b := sc.Parties[0].ID, sc.Parties[1].ID
	cr, _ := s.create(t, &api.NewSession{Scenario: "builtin:" + scenario.DefaultName, Protocol: "sao",
		Deadline: api.Deadline{Rounds: 8}, Seats: map[string]string{a: api.SeatAgent, b: "boulware"}})
	l := link(t, s, cr.Seats[a])
	l.SignKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	if _, err := client.Play(ctx, l, func(*client.Seat) (mechanism.Party, error) { return strategy.ParseSpec("conceder") }); err != nil {
		t.Fatal(err)
	}
	x, err := link(t, s, cr.Owner).Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o, err := tlog.VerifyExport(x, "")
	if err != nil {
		t.Fatal(err)
	}
	signed := 0
	for _, e := range o.Entries {
		if e.Type == tlog.TypeMove && e.Party == a {
			if e.Sig == "" {
				t.Fatalf("an unsigned move of the signing seat: %+v", e)
			}
			signed++
		}
	}
	if signed == 0 {
		t.Fatal("no signed move")
	}

	cr, _ = s.create(t, &api.NewSession{Scenario: "builtin:" + scenario.DefaultName, Protocol: "sao",
		Deadline: api.Deadline{Rounds: 8}, Seats: map[string]string{a: api.SeatAgent, b: "boulware"}})
	l = link(t, s, cr.Seats[a])
	sn, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seat, err := client.ReadSeat(sn)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strategy.ParseSpec("boulware")
	party := seat.Protocol.Wrap(p)
	if err := party.Init(seat.Setup); err != nil {
		t.Fatal(err)
	}
	act := func(tu *api.Turn) *api.Action {
		var req mechanism.Request
		if err := seat.Request(tu, &req); err != nil {
			t.Fatal(err)
		}
		c := mechanism.Clock{Step: tu.Step, Round: tu.Round, T: tu.T}
		return seat.Action(tu.Step, party.Act(&c, &req))
	}
	first := act(sn.Turn)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	if err := client.SignAction(key, sn, first); err != nil {
		t.Fatal(err)
	}
	bad := *first
	bad.Signature = &api.MoveSignature{Key: first.Signature.Key, Sig: first.Signature.Key + first.Signature.Key[:44]}
	if _, err := l.Act(ctx, &bad); !client.IsCode(err, session.CodeRejected) {
		t.Fatalf("a bad signature: %v, want rejected", err)
	}
	ack, err := l.Act(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Receipt == nil || !strings.Contains(ack.Receipt.Entry, first.Signature.Sig) {
		t.Fatalf("the receipt does not hold the signature: %+v", ack.Receipt)
	}
	sn, err = l.Snapshot(ctx)
	if err != nil || sn.Turn == nil {
		t.Fatalf("no second turn: %v", err)
	}
	if _, err := l.Act(ctx, act(sn.Turn)); !client.IsCode(err, session.CodeRejected) {
		t.Fatalf("an unsigned move after a signed one: %v, want rejected", err)
	}
}

// TestMessagesLoggedAcrossRestart: messages between seats are leaves of
// the log like the mechanism's events, at the place they were written, so
// that a restarted server, which splices them back in while it replays the
// moves, rebuilds the very same log.
func TestMessagesLoggedAcrossRestart(t *testing.T) {
	s := startLogServer(t)
	ctx := context.Background()
	sc := defaultScenario(t)
	a, b := sc.Parties[0].ID, sc.Parties[1].ID
	cr, _ := s.create(t, &api.NewSession{Scenario: "builtin:" + scenario.DefaultName, Protocol: "sao",
		Deadline: api.Deadline{Rounds: 8}, Seats: map[string]string{a: api.SeatAgent, b: "boulware"}})
	l := link(t, s, cr.Seats[a])
	say := func(text string) {
		t.Helper()
		body, _ := json.Marshal(api.Message{To: []string{b}, Text: text})
		resp, err := http.Post(cr.Seats[a]+"/messages", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST messages: %d", resp.StatusCode)
		}
	}
	sn, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seat, err := client.ReadSeat(sn)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strategy.ParseSpec("boulware")
	party := seat.Protocol.Wrap(p)
	if err := party.Init(seat.Setup); err != nil {
		t.Fatal(err)
	}
	say("before the first offer")
	for range 2 {
		if sn.Turn == nil {
			break
		}
		var req mechanism.Request
		if err := seat.Request(sn.Turn, &req); err != nil {
			t.Fatal(err)
		}
		c := mechanism.Clock{Step: sn.Turn.Step, Round: sn.Turn.Round, T: sn.Turn.T}
		if _, err := l.Act(ctx, seat.Action(sn.Turn.Step, party.Act(&c, &req))); err != nil {
			t.Fatal(err)
		}
		say("after a move")
		if sn, err = l.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
	}
	before, err := link(t, s, cr.Owner).Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o, err := tlog.VerifyExport(before, "")
	if err != nil {
		t.Fatal(err)
	}
	messages := 0
	for _, e := range o.Entries {
		if e.Kind == session.MessageKind {
			messages++
		}
	}
	if messages < 2 {
		t.Fatalf("%d messages in the log", messages)
	}
	s.restart(func(*sql.DB) {})
	after, err := link(t, s, cr.Owner).Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Checkpoint != before.Checkpoint {
		t.Fatalf("the log rebuilt after a restart differs:\n%s\n%s", before.Checkpoint, after.Checkpoint)
	}
}

package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/server"
	"github.com/backchannel/backchannel/strategy"
)

// recordTo returns, from an owner's record, each event's number and the
// roles it was shown to (nil: everyone).
func recordTo(t *testing.T, trace []byte) (seqs []int, to [][]string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(string(trace)), "\n")[1:] {
		var ev struct {
			Seq  int       `json:"seq"`
			Kind string    `json:"kind"`
			To   *[]string `json:"to"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind == "seal" {
			continue
		}
		seqs = append(seqs, ev.Seq)
		if ev.To == nil {
			to = append(to, nil)
		} else {
			to = append(to, *ev.To)
		}
	}
	return seqs, to
}

// keys returns every object key in a JSON document.
func keys(v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			out[k] = true
			keys(y, out)
		}
	case []any:
		for _, y := range x {
			keys(y, out)
		}
	}
}

// TestSeatSeesOnlyWhatTheMechanismShows plays indirect and direct sessions
// with every seat remote (the mediator too, where the protocol lets a
// non-confidential mediator be remote) and checks, for every seat and
// every route a seat's link opens: its stream and its snapshot show
// exactly the events whose recipients include it, no other party's
// profile, and no request addressed to another seat; a seat's link reads
// neither the status nor the record; the owner's link reads no seat's view.
func TestSeatSeesOnlyWhatTheMechanismShows(t *testing.T) {
	e := newEnv(t)
	small := e.upload("small.yaml")
	for _, tc := range []struct {
		protocol    string
		rounds      int
		mediatorSet bool // the mediator is played remotely
	}{
		{"sao", 10, false},
		{"shuttle/relay", 10, true},
		{"shuttle/bridge", 10, true},
		{"single-text/annealer", 2, true},
		{"feedback/learner", 2, true},
		{"sao+post-settlement", 10, false},
		{"arbitration", 5, false},
	} {
		t.Run(strings.ReplaceAll(tc.protocol, "/", "-"), func(t *testing.T) {
			proto, _ := protocol.Lookup(tc.protocol)
			seats := map[string]string{"buyer": "agent", "seller": "agent"}
			if tc.mediatorSet {
				seats["mediator"] = "agent"
			}
			c := e.create(&api.NewSession{Scenario: small, Protocol: tc.protocol, Deadline: api.Deadline{Rounds: tc.rounds}, Seed: seed(11), Seats: seats})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// Watch every seat's stream from the start, separately from the
			// players' own streams.
			seen := map[string][]int{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for role, u := range c.Seats {
				wg.Add(2)
				go func() {
					defer wg.Done()
					err := link(t, u).Follow(ctx, func(m client.Message) error {
						mu.Lock()
						defer mu.Unlock()
						switch {
						case m.Snapshot != nil:
							if m.Snapshot.Seat.Role != role {
								t.Errorf("%s's link opens seat %s", role, m.Snapshot.Seat.Role)
							}
							for _, ev := range m.Snapshot.Events {
								seen[role] = append(seen[role], ev.Seq)
							}
						case m.Event != nil:
							seen[role] = append(seen[role], m.Event.Seq)
						}
						return nil
					})
					if err != nil {
						t.Errorf("%s's stream: %v", role, err)
					}
				}()
				go func() {
					defer wg.Done()
					_, err := client.Play(ctx, link(t, u), func(s *client.Seat) (mechanism.Party, error) {
						if role == "mediator" {
							m, _ := proto.NewMediator()
							return m, nil
						}
						return strategy.ParseSpec(map[string]string{"buyer": "conceder", "seller": "linear"}[role])
					})
					if err != nil {
						t.Errorf("%s: %v", role, err)
					}
				}()
			}
			wg.Wait()
			trace := ownerRecord(t, c)
			seqs, to := recordTo(t, trace)
			for role, u := range c.Seats {
				var want []int
				for i, s := range seqs {
					if to[i] == nil || slices.Contains(to[i], role) {
						want = append(want, s)
					}
				}
				if fmt.Sprint(seen[role]) != fmt.Sprint(want) {
					t.Errorf("%s's stream showed events %v; the mechanism addressed %v to it", role, seen[role], want)
				}
				sn, err := link(t, u).Snapshot(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				var doc any
				if err := json.Unmarshal(sn.Scenario, &doc); err != nil {
					t.Fatal(err)
				}
				ks := map[string]bool{}
				keys(doc, ks)
				for _, other := range []string{"buyer", "seller", "mediator"} {
					if other != role && ks[other] {
						t.Errorf("%s's view of the scenario holds a key %q", role, other)
					}
				}
				if role != "mediator" && !ks[role] {
					t.Errorf("%s's view of the scenario lacks its own profile", role)
				}
				raw := string(sn.Scenario)
				if role == "buyer" && strings.Contains(raw, "0.25") || role == "seller" && strings.Contains(raw, "0.3,") {
					t.Errorf("%s's view holds the other side's reservation value: %s", role, raw)
				}
				for _, path := range []string{"", "/record"} {
					owner := strings.Replace(u, "/api/seats/", "/api/owner/", 1) + path
					if status, er, _ := call(t, "GET", owner, "", ""); status != 403 || er.Code != "forbidden" {
						t.Errorf("%s's token on the owner's route %q: %d %+v, want 403", role, path, status, er)
					}
				}
			}
			ownerAsSeat := strings.Replace(c.Owner, "/api/owner/", "/api/seats/", 1)
			for _, p := range []string{"", "/stream"} {
				if status, er, _ := call(t, "GET", ownerAsSeat+p, "", ""); status != 403 || er.Code != "forbidden" {
					t.Errorf("the owner's token on a seat's route %q: %d %+v, want 403", p, status, er)
				}
			}
			if status, er, _ := call(t, "POST", ownerAsSeat+"/actions", "application/json", `{"step":0,"kind":"end"}`); status != 403 || er.Code != "forbidden" {
				t.Errorf("the owner acting for a seat: %d %+v, want 403", status, er)
			}
		})
	}
}

// TestHeadersAndLimits: security headers on every answer, no CORS unless
// configured, and a client that keeps sending bad requests is slowed down.
func TestHeadersAndLimits(t *testing.T) {
	e := startWith(t, filepath.Join(t.TempDir(), "s.db"), server.Options{})
	req, _ := http.NewRequest("GET", e.http.URL+"/api/scenarios", nil)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("CORS allowed %q without configuration", got)
	}
	limited := false
	for range 200 {
		status, _, _ := call(t, "GET", e.http.URL+"/api/seats/nope", "", "")
		if status == 429 {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("200 bad requests in a row were never rate-limited")
	}
	// Moves that break the rules count against their own link only: one
	// seat's slips do not lock out another seat on the same address.
	e2 := startWith(t, filepath.Join(t.TempDir(), "s.db"), server.Options{OperatorToken: "op"})
	e2.c.Token = "op"
	c := e2.create(&api.NewSession{Scenario: "builtin:iran-us", Seats: map[string]string{"iran": "agent", "usa": "agent"}})
	limited = false
	for range 200 {
		status, _, _ := call(t, "POST", c.Seats["iran"]+"/actions", "application/json", `{"step":0,"kind":"accept"}`)
		if status == 429 {
			limited = true
			break
		}
		if status != 422 {
			t.Fatalf("a wrong kind: %d", status)
		}
	}
	if !limited {
		t.Fatal("200 rule-breaking moves in a row were never rate-limited")
	}
	if _, err := link(t, c.Seats["usa"]).Snapshot(context.Background()); err != nil {
		t.Fatalf("another seat on the same address after one seat was limited: %v", err)
	}
}

// TestOperatorRoutes: whoever may create sessions on a scenario can seat
// themselves anywhere in it, so creating sessions and reading or
// analysing scenarios are the operator's: with a token configured, only
// requests bearing it; without one, only requests from loopback. Seats and
// owners need nothing but their links.
func TestOperatorRoutes(t *testing.T) {
	e := startWith(t, filepath.Join(t.TempDir(), "s.db"), server.Options{OperatorToken: "s3cret", BadRequestBurst: -1})
	body := `{"scenario":"builtin:iran-us","seats":{"iran":"agent","usa":"boulware"}}`
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/api/sessions", body}, {"GET", "/api/scenarios", ""}, {"POST", "/api/scenarios", "x"},
		{"GET", "/api/scenarios/builtin:iran-us/analysis", ""},
	} {
		ct := ""
		if r.body != "" {
			ct = "application/json"
		}
		if status, er, _ := call(t, r.method, e.http.URL+r.path, ct, r.body); status != 401 || er.Code != "unauthorized" {
			t.Errorf("%s %s without the token: %d %+v", r.method, r.path, status, er)
		}
	}
	e.c.Token = "wrong"
	if _, err := e.c.Scenarios(context.Background()); !client.IsCode(err, "unauthorized") {
		t.Fatalf("a wrong token: %v", err)
	}
	e.c.Token = "s3cret"
	c := e.create(&api.NewSession{Scenario: "builtin:iran-us", Seats: map[string]string{"iran": "agent", "usa": "boulware"}})
	if _, err := link(t, c.Seats["iran"]).Snapshot(context.Background()); err != nil {
		t.Fatalf("a seat's link without the operator token: %v", err)
	}
	if _, err := link(t, c.Owner).Status(context.Background()); err != nil {
		t.Fatalf("the owner's link without the operator token: %v", err)
	}
	// Without a token, only loopback.
	open := startWith(t, filepath.Join(t.TempDir(), "s.db"), server.Options{BadRequestBurst: -1})
	for addr, want := range map[string]int{"198.51.100.7:5000": 403, "[2001:db8::1]:5000": 403, "127.0.0.1:5000": 201, "[::1]:5000": 201} {
		req := httptest.NewRequest("POST", "/api/sessions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		open.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("a new session from %s: %d %s, want %d", addr, rec.Code, rec.Body, want)
		}
	}
}

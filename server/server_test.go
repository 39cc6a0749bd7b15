package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/record"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/server"
	"github.com/backchannel/backchannel/session"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/store/sqlite"
	"github.com/backchannel/backchannel/strategy"
)

// env is a real server over a real SQLite file, served over loopback HTTP.
type env struct {
	t    testing.TB
	db   string
	st   *sqlite.Store
	m    *session.Manager
	srv  *server.Server
	http *httptest.Server
	c    *client.Client
}

// testOptions are the server options of the tests: a keep-alive line every
// 200 ms, and no limit on bad requests, which the tests make on purpose
// (TestHeadersAndLimits tests the limit).
var testOptions = server.Options{Ping: 200 * time.Millisecond, BadRequestBurst: -1}

func start(t testing.TB, db string) *env { return startWith(t, db, testOptions) }

func startWith(t testing.TB, db string, o server.Options) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startOn(t, db, ln, o)
}

func startOn(t testing.TB, db string, ln net.Listener, o server.Options) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := session.Open(ctx, st, session.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	o.Logger = quiet
	srv := server.New(m, o)
	hs := httptest.NewUnstartedServer(srv.Handler())
	cfg := srv.HTTPServer()
	cfg.ReadTimeout = 300 * time.Millisecond // shorter than the stream tests last
	hs.Config = cfg
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	e := &env{t: t, db: db, st: st, m: m, srv: srv, http: hs, c: client.New(hs.URL)}
	t.Cleanup(e.stop)
	return e
}

func newEnv(t *testing.T) *env { return start(t, filepath.Join(t.TempDir(), "s.db")) }

func (e *env) stop() {
	if e.http == nil {
		return
	}
	e.srv.Drain()
	e.http.Close()
	e.m.Close()
	e.st.Close()
	e.http = nil
}

func (e *env) upload(name string) string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := e.c.Upload(context.Background(), map[string][]byte{name: b})
	if err != nil {
		e.t.Fatal(err)
	}
	return info.ID
}

func (e *env) create(req *api.NewSession) *api.Created {
	e.t.Helper()
	c, err := e.c.CreateSession(context.Background(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func link(t *testing.T, u string) *client.Link {
	t.Helper()
	l, err := client.ParseLink(u)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// play plays every listed seat of c with the named strategies, concurrently.
func play(t *testing.T, c *api.Created, strategies map[string]string) map[string]*api.End {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var mu sync.Mutex
	ends := map[string]*api.End{}
	var wg sync.WaitGroup
	for role, spec := range strategies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			end, err := client.Play(ctx, link(t, c.Seats[role]), func(*client.Seat) (mechanism.Party, error) { return strategy.ParseSpec(spec) })
			if err != nil {
				t.Errorf("%s: %v", role, err)
				return
			}
			mu.Lock()
			ends[role] = end
			mu.Unlock()
		}()
	}
	wg.Wait()
	return ends
}

// events returns a record's events without their chain fields.
func events(t *testing.T, trace []byte) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(trace)), "\n")[1:] {
		i := strings.Index(line, `,"prev":`)
		if i < 0 {
			t.Fatalf("not a trace line: %s", line)
		}
		if strings.Contains(line, `"kind":"seal"`) {
			continue
		}
		out = append(out, line[:i])
	}
	return out
}

// simTrace runs the same negotiation in the simulator, as 'backchannel run'
// does, and returns its trace.
func simTrace(t *testing.T, sc *scenario.Scenario, proto string, specs []string, rounds int, seed uint64) []byte {
	t.Helper()
	p, err := protocol.Lookup(proto)
	if err != nil {
		t.Fatal(err)
	}
	parties := make([]mechanism.Party, len(specs))
	for i, s := range specs {
		a, err := strategy.ParseSpec(s)
		if err != nil {
			t.Fatal(err)
		}
		parties[i] = p.Wrap(a)
	}
	med, conf := p.NewMediator()
	dl := mechanism.Deadline{Rounds: p.Rounds(rounds)}
	var b bytes.Buffer
	ids := make([]string, len(sc.Parties))
	for i, q := range sc.Parties {
		ids[i] = q.ID
	}
	rw := record.NewWriter(&b, sc.Space, record.Header{Scenario: sc.ID, Protocol: p.Name, Parties: ids, Seed: seed, Rounds: dl.Rounds})
	if _, err := sim.Run(context.Background(), &sim.Config{Mechanism: p.New(), Space: sc.Space, Profiles: sc.Profiles(), Parties: parties,
		Mediator: med, Confidential: conf, Deadline: dl, Seed: seed, Observer: rw}); err != nil {
		t.Fatal(err)
	}
	if err := rw.Close(nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ownerRecord(t *testing.T, c *api.Created) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := link(t, c.Owner).Record(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if _, err := record.Verify(bytes.NewReader(b.Bytes()), nil); err != nil {
		t.Fatalf("the session's record does not verify: %v", err)
	}
	return b.Bytes()
}

func seed(s uint64) *uint64 { return &s }

// TestSameAsSimulator: a session whose seats are played remotely, over HTTP,
// by built-in strategies makes exactly the events of the simulator with the
// same seed, in every protocol: the server and the simulator are two
// drivers of one mechanism.
func TestSameAsSimulator(t *testing.T) {
	e := newEnv(t)
	small := e.upload("small.yaml")
	smallSc, err := e.m.Scenario(context.Background(), small)
	if err != nil {
		t.Fatal(err)
	}
	iran, err := scenario.Builtin("iran-us")
	if err != nil {
		t.Fatal(err)
	}
	type run struct {
		scenario string
		sc       *scenario.Scenario
		protocol string
		rounds   int
	}
	runs := []run{{"builtin:iran-us", iran, "sao", 0}}
	for _, p := range protocol.All() { // every protocol of the registry
		rounds := 20
		if p.TextsPerRound > 1 {
			rounds = 2
		}
		runs = append(runs, run{small, smallSc, p.Name, rounds})
	}
	for _, tc := range runs {
		t.Run(strings.ReplaceAll(tc.protocol, "/", "-")+"-"+tc.sc.ID, func(t *testing.T) {
			ids := []string{tc.sc.Parties[0].ID, tc.sc.Parties[1].ID}
			specs := []string{"conceder", "linear"}
			c := e.create(&api.NewSession{Scenario: tc.scenario, Protocol: tc.protocol, Deadline: api.Deadline{Rounds: tc.rounds}, Seed: seed(7),
				Seats: map[string]string{ids[0]: "agent", ids[1]: "agent"}})
			ends := play(t, c, map[string]string{ids[0]: specs[0], ids[1]: specs[1]})
			rounds := tc.rounds
			if rounds == 0 {
				rounds = tc.sc.SuggestedDeadlineRounds
			}
			want := events(t, simTrace(t, tc.sc, tc.protocol, specs, rounds, 7))
			got := events(t, ownerRecord(t, c))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("the session's events differ from the simulator's:\n got %d events, first %.300q\nwant %d events, first %.300q", len(got), got, len(want), want)
			}
			if ends[ids[0]] == nil || ends[ids[0]].Status != ends[ids[1]].Status {
				t.Fatalf("ends: %+v", ends)
			}
		})
	}
}

// counting counts a party's moves on a channel.
type counting struct {
	mechanism.Party
	acted chan<- struct{}
}

func (c *counting) Act(cl *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	a := c.Party.Act(cl, r)
	select {
	case c.acted <- struct{}{}:
	default:
	}
	return a
}

// TestRestartResumes: a server stopped in the middle of a session and
// started again over the same store stands where it stood; the remote agent
// reconnects by itself, and the session ends exactly as in the simulator.
func TestRestartResumes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	e := start(t, db)
	addr := e.http.Listener.Addr().String()
	c := e.create(&api.NewSession{Scenario: "builtin:iran-us", Protocol: "sao", Seed: seed(3), Seats: map[string]string{"iran": "agent", "usa": "linear"}})
	acted := make(chan struct{}, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	var end *api.End
	go func() {
		var err error
		end, err = client.Play(ctx, link(t, c.Seats["iran"]), func(*client.Seat) (mechanism.Party, error) {
			a, err := strategy.ParseSpec("conceder")
			return &counting{Party: a, acted: acted}, err
		})
		done <- err
	}()
	for range 5 {
		<-acted
	}
	e.stop()
	time.Sleep(100 * time.Millisecond) // the agent finds the server gone and retries
	e2(t, db, addr)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if end == nil || end.Status != "agreement" {
		t.Fatalf("end %+v", end)
	}
	iran, _ := scenario.Builtin("iran-us")
	want := events(t, simTrace(t, iran, "sao", []string{"conceder", "linear"}, iran.SuggestedDeadlineRounds, 3))
	got := events(t, ownerRecord(t, c))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after a restart the session's %d events differ from the simulator's %d", len(got), len(want))
	}
}

// e2 starts a server over db on a fixed address.
func e2(t *testing.T, db, addr string) *env {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old listener's port may take a moment to free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	return startOn(t, db, ln, testOptions)
}

// TestStreamSSEResume: the stream speaks Server-Sent Events when asked, with
// each message's number as its id, and resumes after Last-Event-ID without
// repeating or losing an event.
func TestStreamSSEResume(t *testing.T) {
	e := newEnv(t)
	small := e.upload("small.yaml")
	c := e.create(&api.NewSession{Scenario: small, Protocol: "sao", Deadline: api.Deadline{Rounds: 10}, Seats: map[string]string{"buyer": "agent", "seller": "boulware"}})
	play(t, c, map[string]string{"buyer": "conceder"})
	get := func(lastID string) (ids []string, types []string) {
		req, _ := http.NewRequest("GET", c.Seats["buyer"]+"/stream", nil)
		req.Header.Set("Accept", "text/event-stream")
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("Content-Type %q", ct)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "id: "); ok {
				ids = append(ids, v)
			}
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				types = append(types, v)
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok && strings.HasPrefix(types[len(types)-1], "snapshot") {
				var sn api.Snapshot
				if err := json.Unmarshal([]byte(v), &sn); err != nil {
					t.Fatal(err)
				}
				for _, ev := range sn.Events {
					ids = append(ids, fmt.Sprint(ev.Seq))
				}
			}
		}
		return ids, types
	}
	all, types := get("")
	if len(types) != 1 || types[0] != "snapshot" || len(all) < 5 {
		t.Fatalf("an ended session's stream is one snapshot with its events; got types %v ids %v", types, all)
	}
	// Resume from the middle: exactly the events after it.
	mid := all[1+len(all)/2]
	rest, _ := get(mid)
	var want []string
	seen := false
	for _, id := range all[1:] {
		if seen {
			want = append(want, id)
		}
		if id == mid {
			seen = true
		}
	}
	if strings.Join(rest[1:], ",") != strings.Join(want, ",") {
		t.Fatalf("resumed after %s: got %v, want %v", mid, rest[1:], want)
	}
}

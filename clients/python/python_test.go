// Package python_test tests the Python client (backchannel.py) and its
// example agent (example_agent.py) against the Go engine and the real
// server: utilities computed in Python must equal Go's, and the example
// agent, run as a real process, must play whole sessions on a real
// 'backchannel serve' process to their end, also across a kill -9 and a
// restart of the server.
//
// python3 (3.9 or later, standard library only) must be on PATH; without it
// the tests skip, and under CI=true they fail.
package python_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/scenario"
)

// python returns the path of python3, or skips (fails under CI=true).
func python(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err == nil {
		return p
	}
	msg := "python3 is not on PATH: the Python client's tests need it (Debian: apt-get install python3)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// fixture is what test_backchannel.py's TestAgainstGo reads: a scenario in
// the native JSON format, every issue's value names as Go names them, and
// outcomes with what Go computes of them.
type fixture struct {
	Name     string          `json:"name"`
	Scenario json.RawMessage `json:"scenario"`
	Values   [][]string      `json:"values"` // per issue: its name, then its value names
	Parties  []string        `json:"parties"`
	Cases    []fixtureCase   `json:"cases"`
}

type fixtureCase struct {
	Outcome    map[string]string  `json:"outcome"`
	Feasible   bool               `json:"feasible"`
	Utility    map[string]float64 `json:"utility"`
	Violates   map[string]bool    `json:"violates"`
	Acceptable map[string]bool    `json:"acceptable"`
}

// newFixture evaluates n random outcomes of sc (and the first and last of
// the space) for every party of sc; raw is the scenario as Python reads it.
func newFixture(t *testing.T, name string, raw []byte, sc *scenario.Scenario, n int, seed uint64) fixture {
	t.Helper()
	sp := sc.Space
	fx := fixture{Name: name, Scenario: raw}
	for i := range sp.Issues {
		fx.Values = append(fx.Values, append([]string{sp.Issues[i].Name}, sp.Issues[i].Values...))
	}
	for _, p := range sc.Parties {
		fx.Parties = append(fx.Parties, p.ID)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	first, last := sp.New(), sp.New()
	for i := range sp.Issues {
		last[i] = int32(sp.Issues[i].Len() - 1)
	}
	outs := []outcome.Outcome{first, last}
	for range n {
		o := sp.New()
		for i := range sp.Issues {
			o[i] = int32(rng.IntN(sp.Issues[i].Len()))
		}
		outs = append(outs, o)
	}
	for _, o := range outs {
		c := fixtureCase{Outcome: sp.Map(o), Feasible: sp.Feasible(o), Utility: map[string]float64{},
			Violates: map[string]bool{}, Acceptable: map[string]bool{}}
		for _, p := range sc.Parties {
			c.Utility[p.ID] = p.Profile.Utility(o)
			c.Violates[p.ID] = p.Profile.Violates(o)
			c.Acceptable[p.ID] = p.Profile.Acceptable(sp, o)
		}
		fx.Cases = append(fx.Cases, c)
	}
	return fx
}

// seatView is the scenario as the seat of party i sees it: only its own
// profile, written in the native JSON format (as the server's snapshot).
func seatView(t *testing.T, sc *scenario.Scenario, i int) (*scenario.Scenario, []byte) {
	t.Helper()
	v := *sc
	v.Parties = []*scenario.Party{sc.Parties[i]}
	v.Variants, v.Themes, v.Mediator, v.Meta = nil, nil, nil, nil
	raw, err := scenario.Marshal(&v, "json")
	if err != nil {
		t.Fatal(err)
	}
	back, err := scenario.ParseView(raw, "view")
	if err != nil {
		t.Fatal(err)
	}
	return back, raw
}

// TestPythonUnit runs test_backchannel.py, with fixtures in which Go has
// computed the utilities, feasibility and red lines of random outcomes of
// the embedded Iran–US scenario (each party's seat view, as a snapshot
// holds it) and of testdata/numeric.json (integer and real issues, every
// numeric evaluator, weights that need normalising, red lines and rules by
// ranges), read by Python from the original file and from Go's own
// rewriting of it. Python must agree to 1e-12 (it agrees to the bit).
func TestPythonUnit(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	write := func(fx fixture) {
		b, err := json.Marshal(fx)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fx.Name+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	iran, err := scenario.Builtin("iran-us")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range iran.Parties {
		view, raw := seatView(t, iran, i)
		write(newFixture(t, "iran-us-"+p.ID, raw, view, 500, uint64(i)))
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "numeric.json"))
	if err != nil {
		t.Fatal(err)
	}
	num, err := scenario.Parse(raw, "numeric.json")
	if err != nil {
		t.Fatal(err)
	}
	write(newFixture(t, "numeric-file", raw, num, 2000, 7))
	again, err := scenario.Marshal(num, "json")
	if err != nil {
		t.Fatal(err)
	}
	write(newFixture(t, "numeric-marshalled", again, num, 2000, 8))
	for i, p := range num.Parties {
		view, raw := seatView(t, num, i)
		write(newFixture(t, "numeric-"+p.ID, raw, view, 500, uint64(10+i)))
	}

	cmd := exec.Command(py, "-m", "unittest", "-v", "test_backchannel")
	cmd.Env = append(os.Environ(), "BACKCHANNEL_GO_FIXTURES="+dir, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 -m unittest: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("test_fixtures (test_backchannel.TestAgainstGo")) || bytes.Contains(out, []byte("skipped")) {
		t.Fatalf("the fixture test did not run:\n%s", out)
	}
	t.Logf("%s", out)
}

// server is a 'backchannel serve' process on a loopback port with an
// SQLite file in a temporary folder; it can be killed and started again on
// the same address and store.
type server struct {
	bin, db, addr string
	base          string // http://HOST:PORT once started
	cmd           *exec.Cmd
	logs          *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for a process's output and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// newServer builds the binary and starts it on a free port.
func newServer(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{bin: filepath.Join(dir, "backchannel"), db: filepath.Join(dir, "sessions.db"), addr: "127.0.0.1:0", logs: &syncBuffer{}}
	if out, err := exec.Command("go", "build", "-o", s.bin, "github.com/backchannel/backchannel/cmd/backchannel").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if s.cmd == nil {
			return
		}
		s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	})
	s.start(t)
	return s
}

// start starts the server on s.addr and learns the address it listens on.
func (s *server) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command(s.bin, "serve", "--db", s.db, "--addr", s.addr)
	s.cmd.Stderr = s.logs
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The first line says where it listens: "backchannel serve: listening on http://HOST:PORT (store: …)".
	sc := bufio.NewScanner(stdout)
	s.base = ""
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "listening on "); i >= 0 {
			s.base = strings.Fields(line[i+len("listening on "):])[0]
			break
		}
	}
	if s.base == "" {
		t.Fatalf("the server did not say where it listens; its log:\n%s", s.logs)
	}
	s.addr = strings.TrimPrefix(s.base, "http://")
	go func() {
		for sc.Scan() {
		}
	}()
}

// kill ends the server with SIGKILL: no clean shutdown.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
	s.cmd = nil
}

// TestExampleAgent plays whole sessions on a real server process with the
// Python example agent, each a real python3 process: in one party's seat
// against a built-in strategy in every protocol of the registry, in both
// seats (direct talks, feedback mediation), and in the mediator's seat of
// shuttle talks. Every session must end: the agents exit 0 having printed
// the end, and the owner's link shows the session ended and judged.
func TestExampleAgent(t *testing.T) {
	py := python(t)
	srv := newServer(t)
	c := client.New(srv.base)
	cases := []struct {
		name     string
		protocol string
		rounds   int
		seats    map[string]string
	}{
		{"sao, python vs boulware", "sao", 30, map[string]string{"iran": api.SeatAgent, "usa": "boulware"}},
		{"single text, conceder vs python", "single-text", 4, map[string]string{"iran": "conceder", "usa": api.SeatAgent}},
		{"shuttle relay, python vs linear", "shuttle/relay", 20, map[string]string{"iran": api.SeatAgent, "usa": "linear"}},
		{"feedback, python vs python", "feedback", 3, map[string]string{"iran": api.SeatAgent, "usa": api.SeatAgent}},
		{"sao, python vs python", "sao", 40, map[string]string{"iran": api.SeatAgent, "usa": api.SeatAgent}},
		{"shuttle relay, python as the mediator", "shuttle/relay", 5, map[string]string{"iran": "conceder", "usa": "conceder", api.MediatorRole: api.SeatAgent}},
	}
	covered := map[string]bool{"sao": true, "single-text/annealer": true, "shuttle/relay": true, "feedback/learner": true}
	for _, name := range protocol.Names() { // every other protocol, python as iran
		if !covered[name] {
			cases = append(cases, struct {
				name     string
				protocol string
				rounds   int
				seats    map[string]string
			}{name + ", python vs conceder", name, 3, map[string]string{"iran": api.SeatAgent, "usa": "conceder"}})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a guard against hangs, not a timing assertion
			defer cancel()
			seed := uint64(3)
			cr, err := c.CreateSession(ctx, &api.NewSession{Scenario: "builtin:iran-us", Protocol: tc.protocol,
				Deadline: api.Deadline{Rounds: tc.rounds}, Seed: &seed, Seats: tc.seats})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			outs := map[string]*bytes.Buffer{}
			errs := map[string]error{}
			var mu sync.Mutex
			for role, link := range cr.Seats {
				var out bytes.Buffer
				outs[role] = &out
				cmd := exec.CommandContext(ctx, py, "example_agent.py", link)
				cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
				cmd.Stdout, cmd.Stderr = &out, &out
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := cmd.Run()
					mu.Lock()
					errs[role] = err
					mu.Unlock()
				}()
			}
			wg.Wait()
			for role, out := range outs {
				if errs[role] != nil {
					t.Fatalf("example_agent.py as %s: %v\n%s\nserver log:\n%s", role, errs[role], out, srv.logs)
				}
				if !strings.Contains(out.String(), "\nend: ") {
					t.Errorf("example_agent.py as %s did not print the end:\n%s", role, out)
				}
			}
			owner, err := client.ParseLink(cr.Owner)
			if err != nil {
				t.Fatal(err)
			}
			st, err := owner.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.End == nil || st.Status == "running" || st.Verdict == nil {
				t.Fatalf("the owner sees status %q, end %+v, verdict %v: want the session ended and judged", st.Status, st.End, st.Verdict)
			}
			if st.End.Fault != nil {
				t.Errorf("the session failed: %s: %s", st.End.Fault.Party, st.End.Fault.Reason)
			}
			for role, out := range outs {
				lines := strings.Split(strings.TrimSpace(out.String()), "\n")
				t.Logf("%s: %s", role, lines[len(lines)-1])
			}
			if !strings.Contains(outs[firstRole(cr.Seats)].String(), fmt.Sprintf("end: %s", st.End.Status)) {
				t.Errorf("the agent's end and the owner's (%s) differ:\n%s", st.End.Status, outs[firstRole(cr.Seats)])
			}
		})
	}
}

func firstRole(m map[string]string) string {
	best := ""
	for r := range m {
		if best == "" || r < best {
			best = r
		}
	}
	return best
}

// agentProcess is example_agent.py playing one seat.
type agentProcess struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

func startAgent(t *testing.T, ctx context.Context, py, link string) *agentProcess {
	t.Helper()
	a := &agentProcess{out: &syncBuffer{}, done: make(chan error, 1)}
	a.cmd = exec.CommandContext(ctx, py, "example_agent.py", link)
	a.cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.done <- a.cmd.Wait() }()
	return a
}

// TestExampleAgentRestart kills the server (SIGKILL) in the middle of a
// session while an example agent waits on its stream, starts it again on
// the same address and store, and then lets the other side play: the
// waiting agent must reconnect from its last event and both must play the
// session to its end.
func TestExampleAgentRestart(t *testing.T) {
	py := python(t)
	srv := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a guard against hangs, not a timing assertion
	defer cancel()
	cr, err := client.New(srv.base).CreateSession(ctx, &api.NewSession{Scenario: "builtin:iran-us", Protocol: "sao",
		Deadline: api.Deadline{Rounds: 20}, Seats: map[string]string{"iran": api.SeatAgent, "usa": api.SeatAgent}})
	if err != nil {
		t.Fatal(err)
	}
	owner, err := client.ParseLink(cr.Owner)
	if err != nil {
		t.Fatal(err)
	}
	iran := startAgent(t, ctx, py, cr.Seats["iran"])
	for { // wait until iran's first offer is stored and usa is asked
		st, err := owner.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Waiting != nil && st.Waiting.Role == "usa" {
			break
		}
		select {
		case err := <-iran.done:
			t.Fatalf("example_agent.py as iran ended before usa moved: %v\n%s", err, iran.out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	srv.kill(t)
	srv.start(t)
	usa := startAgent(t, ctx, py, cr.Seats["usa"])
	for role, a := range map[string]*agentProcess{"iran": iran, "usa": usa} {
		if err := <-a.done; err != nil {
			t.Fatalf("example_agent.py as %s: %v\n%s\nserver log:\n%s", role, err, a.out, srv.logs)
		}
		if !strings.Contains(a.out.String(), "\nend: ") {
			t.Errorf("example_agent.py as %s did not print the end:\n%s", role, a.out)
		}
	}
	st, err := owner.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.End == nil || st.End.Fault != nil {
		t.Fatalf("after the restart the session ended with %+v; want an end without fault", st.End)
	}
	if !strings.Contains(srv.logs.String(), "sessions restored") {
		t.Errorf("the server did not restore the session at its restart; its log:\n%s", srv.logs)
	}
	// The agent logs each event it is shown: across the reconnect none may
	// be missing or repeated.
	seen := map[string]bool{}
	for _, line := range strings.Split(iran.out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "event" {
			if seen[f[1]] {
				t.Errorf("iran saw %s twice:\n%s", line, iran.out)
			}
			seen[f[1]] = true
		}
	}
	if len(seen) == 0 {
		t.Errorf("iran saw none of usa's offers:\n%s", iran.out)
	}
}

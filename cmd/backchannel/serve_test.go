package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
)

// serverProc is a real 'backchannel serve' process.
type serverProc struct {
	cmd  *exec.Cmd
	url  string
	logs *strings.Builder
}

// startServe starts 'backchannel serve' on addr over db and waits until it
// listens.
func startServe(t *testing.T, db, addr string, extra ...string) *serverProc {
	t.Helper()
	for try := 0; ; try++ {
		cmd := exec.Command(bin, append([]string{"serve", "--db", db, "--addr", addr, "--log-level", "warn"}, extra...)...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		logs := &strings.Builder{}
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if _, rest, ok := strings.Cut(line, "listening on "); ok {
			p := &serverProc{cmd: cmd, url: strings.Fields(rest)[0], logs: logs}
			t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
			return p
		}
		cmd.Wait()
		if try == 50 || !strings.Contains(logs.String(), "address already in use") {
			t.Fatalf("serve did not start: %q %s", line, logs)
		}
		time.Sleep(50 * time.Millisecond) // the killed server's port is still held
	}
}

func (p *serverProc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// postgresDB creates a fresh database on the test server (scripts/postgres.sh)
// and returns its URL; skipped without one except under CI.
func postgresDB(t *testing.T) string {
	t.Helper()
	base := os.Getenv("BACKCHANNEL_TEST_POSTGRES")
	if base == "" {
		msg := "BACKCHANNEL_TEST_POSTGRES is not set: start a server with 'export BACKCHANNEL_TEST_POSTGRES=$(scripts/postgres.sh)'"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [6]byte
	rand.Read(b[:])
	name := "bc_serve_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", base); err == nil {
			a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			a.Close()
		}
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

// traceEvents returns the events of a trace file without chain fields.
func traceEvents(t *testing.T, trace string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(trace), "\n")[1:] {
		i := strings.Index(line, `,"prev":`)
		if i < 0 || strings.Contains(line, `"kind":"seal"`) {
			continue
		}
		out = append(out, line[:i])
	}
	return out
}

// TestServeSurvivesKill9 runs sessions between 'backchannel agent'
// processes on a real server process, kills the server with SIGKILL in the
// middle, starts it again over the same store, and checks that every
// session ends with exactly the events 'backchannel run' makes with the
// same seed (nothing lost or doubled), that the agents resumed by
// themselves, and that a client following a seat's stream across the crash
// saw every event addressed to it once, in order. On SQLite and PostgreSQL.
func TestServeSurvivesKill9(t *testing.T) {
	// The agents think 10 ms a move, so that the server is killed with
	// hundreds of moves (seconds) still to come even on a loaded machine.
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "sessions.db")
			if backend == "postgres" {
				db = postgresDB(t)
			}
			addr := freeAddr(t)
			key := filepath.Join(t.TempDir(), "server.key")
			srv := startServe(t, db, addr, "--key", key)
			type sess struct {
				protocol string
				rounds   string
				created  api.Created
			}
			sessions := []*sess{{protocol: "sao", rounds: "60"}, {protocol: "single-text/annealer", rounds: "2"}}
			for _, s := range sessions {
				out, stderr, code := runCLI(t, "", "session", "new", "--server", srv.url, "--protocol", s.protocol, "--deadline-rounds", s.rounds,
					"--seed", "5", "--seat", "iran=agent", "--seat", "usa=agent", "--json")
				if code != 0 {
					t.Fatalf("session new: %s", stderr)
				}
				if err := json.Unmarshal([]byte(out), &s.created); err != nil {
					t.Fatal(err)
				}
			}
			// A watcher follows iran's stream of the first session across the crash.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var watched []int
			watchDone := make(chan error, 1)
			go func() {
				l, err := client.ParseLink(sessions[0].created.Seats["iran"])
				if err != nil {
					watchDone <- err
					return
				}
				watchDone <- l.Follow(ctx, func(m client.Message) error {
					switch {
					case m.Snapshot != nil:
						for _, e := range m.Snapshot.Events {
							watched = append(watched, e.Seq)
						}
					case m.Event != nil:
						watched = append(watched, m.Event.Seq)
					}
					return nil
				})
			}()
			var agents sync.WaitGroup
			agentErr := make(chan string, 8)
			for _, s := range sessions {
				for role, strat := range map[string]string{"iran": "conceder", "usa": "linear"} {
					agents.Add(1)
					go func() {
						defer agents.Done()
						cmd := exec.CommandContext(ctx, bin, "agent", "--seat", s.created.Seats[role], "--strategy", strat, "--think", "10ms")
						if out, err := cmd.CombinedOutput(); err != nil {
							agentErr <- fmt.Sprintf("agent %s %s: %v: %s", s.protocol, role, err, out)
						}
					}()
				}
			}
			owner, err := client.ParseLink(sessions[0].created.Owner)
			if err != nil {
				t.Fatal(err)
			}
			for {
				st, err := owner.Status(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.Status != "running" {
					t.Fatalf("session ended (%s) before the server could be killed", st.Status)
				}
				if st.Step >= 10 {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			srv.kill9(t)
			time.Sleep(200 * time.Millisecond) // agents and the watcher find the server gone
			startServe(t, db, addr, "--key", key)
			agents.Wait()
			close(agentErr)
			for e := range agentErr {
				t.Error(e)
			}
			if err := <-watchDone; err != nil {
				t.Fatalf("watcher: %v", err)
			}
			for _, s := range sessions {
				path := filepath.Join(t.TempDir(), "session.jsonl")
				if _, stderr, code := runCLI(t, "", "session", "record", s.created.Owner, "-o", path); code != 0 {
					t.Fatalf("session record: %s", stderr)
				}
				if out, stderr, code := runCLI(t, "", "record", "verify", path); code != 0 || !strings.Contains(out, "sealed") {
					t.Fatalf("record verify: %s %s", out, stderr)
				}
				if out, stderr, code := runCLI(t, "", "record", "replay", path); code != 0 {
					t.Fatalf("record replay: %s %s", out, stderr)
				}
				runTrace := filepath.Join(t.TempDir(), "run.jsonl")
				if _, stderr, code := runCLI(t, "", "run", "--protocol", s.protocol, "--deadline-rounds", s.rounds, "--seed", "5",
					"--parties", "conceder,linear", "--trace", runTrace); code != 0 {
					t.Fatalf("run: %s", stderr)
				}
				got, _ := os.ReadFile(path)
				want, _ := os.ReadFile(runTrace)
				g, w := traceEvents(t, string(got)), traceEvents(t, string(want))
				if strings.Join(g, "\n") != strings.Join(w, "\n") {
					t.Fatalf("%s: after SIGKILL the session's %d events differ from run's %d", s.protocol, len(g), len(w))
				}
				if s == sessions[0] {
					var want []int
					for i, line := range g {
						var ev struct {
							To *[]string `json:"to"`
						}
						json.Unmarshal([]byte(line+"}"), &ev)
						if ev.To == nil || strings.Contains(strings.Join(*ev.To, ","), "iran") {
							want = append(want, i+1)
						}
					}
					if fmt.Sprint(watched) != fmt.Sprint(want) {
						t.Fatalf("the watcher saw events %v across the crash; want %v", watched, want)
					}
				}
			}
		})
	}
}

// TestServeStopsOnSIGTERM: SIGTERM ends open streams and stops the server
// cleanly (exit 0), and the sessions stand where they stood at the next
// start.
func TestServeStopsOnSIGTERM(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sessions.db")
	addr := freeAddr(t)
	srv := startServe(t, db, addr)
	out, stderr, code := runCLI(t, "", "session", "new", "--server", srv.url, "--seat", "iran=agent", "--seat", "usa=boulware", "--json")
	if code != 0 {
		t.Fatal(stderr)
	}
	var c api.Created
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	l, err := client.ParseLink(c.Seats["iran"])
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	streamDone := make(chan error, 1)
	go func() {
		streamDone <- l.Stream(context.Background(), 0, func(m client.Message) error {
			if m.Snapshot != nil {
				close(opened)
			}
			return nil
		})
	}()
	<-opened
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, srv.logs)
	}
	if err := <-streamDone; err == nil {
		t.Fatal("the open stream did not end when the server stopped")
	}
	startServe(t, db, addr)
	sn, err := l.Snapshot(context.Background())
	if err != nil || sn.Turn == nil || sn.Turn.Step != 0 {
		t.Fatalf("after a clean restart: %+v %v", sn, err)
	}
}

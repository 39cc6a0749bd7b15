package python_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/scenario"
)

// TestExampleAgentStopsOnRewrittenLog: the example agent (a real python3
// process) verifies its seat's stream against the session log as it
// arrives. It makes the first offer and verifies the checkpoint holding
// it; the server is killed, the offer is rewritten in its SQLite database
// (move and event alike, so that the session still replays) and the
// server started again. The agent reconnects, is shown a tree that does
// not extend the one it verified, and stops with a fork alarm (exit 3),
// printing the checkpoint it kept.
func TestExampleAgentStopsOnRewrittenLog(t *testing.T) {
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
	wait := func(what string, done func() bool) {
		for !done() {
			select {
			case err := <-iran.done:
				t.Fatalf("example_agent.py as iran ended before %s: %v\n%s", what, err, iran.out)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	wait("usa was asked", func() bool {
		st, err := owner.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.Waiting != nil && st.Waiting.Role == "usa"
	})
	x, err := owner.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("log: checkpoint of %d leaves verified", len(x.Leaves))
	wait("it verified the log with its offer", func() bool { return strings.Contains(iran.out.String(), line) })

	srv.kill(t)
	rewriteFirstOffer(t, srv.db, cr.Session)
	srv.start(t)

	err = <-iran.done
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("after the rewrite example_agent.py ended with %v, want exit status 3 (an alarm)\n%s", err, iran.out)
	}
	out := iran.out.String()
	if !strings.Contains(out, "ALARM (fork): ") || !strings.Contains(out, "the newest checkpoint this seat verified:\nbackchannel/sessions/"+cr.Session+"\n") {
		t.Fatalf("example_agent.py did not name the fork and the checkpoint it kept:\n%s", out)
	}
	if strings.Contains(out, "\nend: ") {
		t.Fatalf("example_agent.py went on after the alarm:\n%s", out)
	}
	t.Logf("the agent stopped: %s", out[strings.Index(out, "ALARM"):])
	// The rewritten session still loads: the server itself sees nothing wrong.
	if _, err := owner.Status(ctx); err != nil {
		t.Fatalf("the rewritten session does not load: %v", err)
	}
}

// rewriteFirstOffer changes the first offer of session id in the server's
// database, in its stored move and in its stored event.
func rewriteFirstOffer(t *testing.T, path, id string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var offer, body string
	if err := db.QueryRow("SELECT offer FROM session_moves WHERE session_id = ? AND step = 0", id).Scan(&offer); err != nil {
		t.Fatal(err)
	}
	var seq int
	if err := db.QueryRow(`SELECT seq, body FROM session_events WHERE session_id = ? AND body LIKE '%"kind":"offer"%' ORDER BY seq LIMIT 1`, id).Scan(&seq, &body); err != nil {
		t.Fatal(err)
	}
	var o outcome.Outcome
	if err := json.Unmarshal([]byte(offer), &o); err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	forged := otherOutcome(t, sc.Space, o)
	oldJSON, _ := json.Marshal(o)
	newJSON, _ := json.Marshal(forged)
	newBody := strings.Replace(body, `"outcome":`+string(oldJSON), `"outcome":`+string(newJSON), 1)
	if newBody == body {
		t.Fatalf("the stored event does not hold the offer %s: %s", offer, body)
	}
	if _, err := db.Exec("UPDATE session_moves SET offer = ? WHERE session_id = ? AND step = 0", string(newJSON), id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE session_events SET body = ? WHERE session_id = ? AND seq = ?", newBody, id, seq); err != nil {
		t.Fatal(err)
	}
}

// otherOutcome is o with one value changed, keeping the space's rules.
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

package web_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/record/tlog"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/server"
)

// TestRoomSignsAndVerifies: a person's room signs the person's moves with
// a key WebCrypto made and IndexedDB keeps (Ed25519): the owner's session
// log holds the person's offer with a signature that verifies. The room
// verifies its stream against the log (checkpoints, consistency and
// inclusion proofs). Then the server is stopped, the other side's offer,
// which the room had verified, is rewritten in the SQLite database, and the
// server started again: the room reconnects, raises the alarm (role=alert)
// and stops acting.
func TestRoomSignsAndVerifies(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close()
	path := filepath.Join(t.TempDir(), "v.db")
	ts, stop := serveStore(t, path, server.Options{BaseURL: base})
	c := twoPeople(t, ts, "sao")
	b := newBrowser(t, 1280, 1000)
	b.run(t, chromedp.Navigate(base+"/#/seat/"+tokenOf(c.Seats["iran"])), chromedp.WaitVisible(chromedp.CSS(`section.request`)))
	_, step := waitState(t, b, "none", "turn")
	b.run(t, chromedp.Click(chromedp.CSS(`button[data-action=find]`)), chromedp.WaitVisible(chromedp.CSS(`table.packages tbody tr`)),
		chromedp.Click(chromedp.CSS(`table.packages tbody tr:last-child button`)), chromedp.WaitVisible(chromedp.CSS(`.breaches li.good`)),
		chromedp.Click(chromedp.CSS(`button[data-action=offer]`)))
	waitState(t, b, step, "wait")

	// The person's offer is in the log, signed by the person's key.
	owner, err := client.ParseLink(c.Owner)
	if err != nil {
		t.Fatal(err)
	}
	x, err := owner.Log(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	o, err := tlog.VerifyExport(x, "") // checks every signed move's signature
	if err != nil {
		t.Fatalf("the session log does not verify: %v", err)
	}
	signed := 0
	for _, e := range o.Entries {
		if e != nil && e.Type == tlog.TypeMove && e.Party == "iran" {
			if k, err := base64.StdEncoding.DecodeString(e.Key); err != nil || len(k) != 32 || e.Sig == "" {
				t.Fatalf("the person's move is not signed: %+v", e)
			}
			signed++
		}
	}
	if signed != 1 {
		t.Fatalf("%d signed moves of the person in the log", signed)
	}

	// The other side offers; the room verifies the log that holds it.
	var sn api.Snapshot
	do(t, "GET", c.Seats["usa"], nil, http.StatusOK, &sn)
	do(t, "POST", c.Seats["usa"]+"/actions", api.Action{Step: sn.Turn.Step, Kind: "offer", Outcome: nash(t)}, http.StatusOK, nil)
	waitState(t, b, step, "turn")
	if x, err = owner.Log(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint(len(x.Leaves))
	b.run(t, chromedp.WaitVisible(chromedp.CSS(`main[data-tree="`+want+`"]`)))
	if n := eval[int](t, b, `document.querySelectorAll(".alarm:not([hidden])").length`); n != 0 {
		t.Fatal("the room raised an alarm on an honest log")
	}

	stop()
	rewriteOffer(t, path, c.Session, sn.Turn.Step)
	_, stop = serveStore(t, path, server.Options{BaseURL: base})
	defer stop()

	b.run(t, chromedp.WaitVisible(chromedp.CSS(`.alarm[role=alert]`)))
	msg := eval[string](t, b, `document.querySelector(".alarm").textContent`)
	if !strings.Contains(msg, "ALARM (fork)") || !strings.Contains(msg, "backchannel/sessions/"+c.Session) {
		t.Fatalf("the alarm says %q", msg)
	}
	b.screenshot(t, "room-alarm")
	if n := eval[int](t, b, `[...document.querySelectorAll("section.request button, form button")].filter(b => !b.disabled).length`); n != 0 {
		t.Errorf("after the alarm %d buttons still act", n)
	}
	t.Logf("the room stopped: %s", msg)
}

// rewriteOffer changes the offer made at step in session id, in its stored
// move and in its stored event, as a server rewriting history would.
func rewriteOffer(t *testing.T, path, id string, step int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var offer string
	if err := db.QueryRow("SELECT offer FROM session_moves WHERE session_id = ? AND step = ?", id, step).Scan(&offer); err != nil {
		t.Fatal(err)
	}
	var o outcome.Outcome
	if err := json.Unmarshal([]byte(offer), &o); err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Builtin("iran-us")
	if err != nil {
		t.Fatal(err)
	}
	forged := otherOutcome(t, sc.Space, o)
	oldJSON, _ := json.Marshal(o)
	newJSON, _ := json.Marshal(forged)
	var seq int
	var body string
	if err := db.QueryRow(`SELECT seq, body FROM session_events WHERE session_id = ? AND body LIKE ? ORDER BY seq DESC LIMIT 1`,
		id, `%"outcome":`+string(oldJSON)+`%`).Scan(&seq, &body); err != nil {
		t.Fatal(err)
	}
	newBody := strings.Replace(body, `"outcome":`+string(oldJSON), `"outcome":`+string(newJSON), 1)
	if _, err := db.Exec("UPDATE session_moves SET offer = ? WHERE session_id = ? AND step = ?", string(newJSON), id, step); err != nil {
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

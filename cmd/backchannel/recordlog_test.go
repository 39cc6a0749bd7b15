package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/record/tlog"
	"github.com/backchannel/backchannel/server"
	"github.com/backchannel/backchannel/session"
	"github.com/backchannel/backchannel/store/sqlite"
	"github.com/backchannel/backchannel/strategy"
)

// signedSession plays a session on an in-process server: seat 0 is played
// here with a conceder that signs its moves, seat 1 by a built-in
// conceder. It returns the server's key, the owner's log, the acks of seat
// 0's actions, the agreement signed by the server and seat 0, and seat 0's
// stream read again from the start with the log's proofs (NDJSON).
func signedSession(t *testing.T) (ed25519.PrivateKey, *api.LogExport, []*api.Ack, *api.Agreement, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, 32))
	m, err := session.Open(ctx, st, session.Options{Key: key, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	hs := httptest.NewServer(server.New(m, server.Options{}).Handler())
	defer hs.Close()
	defer hs.CloseClientConnections()
	c := client.New(hs.URL)
	cr, err := c.CreateSession(ctx, &api.NewSession{Scenario: "builtin:iran-us", Protocol: "sao", Deadline: api.Deadline{Rounds: 30},
		Seats: map[string]string{"iran": api.SeatAgent, "usa": "conceder"}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := client.ParseLink(cr.Seats["iran"])
	if err != nil {
		t.Fatal(err)
	}
	party := bytes.Repeat([]byte{6}, 32)
	signKey := ed25519.NewKeyFromSeed(party)
	var acks []*api.Ack
	var seat *client.Seat
	var p mechanism.Party
	turn := func(tu *api.Turn) error {
		var req mechanism.Request
		if err := seat.Request(tu, &req); err != nil {
			return err
		}
		clock := mechanism.Clock{Step: tu.Step, Round: tu.Round, T: tu.T}
		a := seat.Action(tu.Step, p.Act(&clock, &req))
		if err := client.SignAction(signKey, seat.Snapshot, a); err != nil {
			return err
		}
		ack, err := l.Act(ctx, a)
		if err != nil {
			return err
		}
		acks = append(acks, ack)
		return nil
	}
	err = l.Follow(ctx, func(msg client.Message) error {
		switch {
		case msg.Snapshot != nil && seat == nil:
			if seat, err = client.ReadSeat(msg.Snapshot); err != nil {
				return err
			}
			a, err := strategy.ParseSpec("conceder")
			if err != nil {
				return err
			}
			p = seat.Protocol.Wrap(a)
			if err := p.Init(seat.Setup); err != nil {
				return err
			}
			if msg.Snapshot.Turn != nil {
				return turn(msg.Snapshot.Turn)
			}
		case msg.Turn != nil:
			return turn(msg.Turn)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ol, err := client.ParseLink(cr.Owner)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ol.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	agr, err := l.Agreement(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tlog.SignAgreement(agr, "iran", signKey)
	resp, err := http.Get(cr.Seats["iran"] + "/stream?since=0&tree=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	stream, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return key, x, acks, agr, stream
}

func writeJSONFile(t *testing.T, dir, name string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRecordVerifySessionLog: 'record verify' checks a session log with
// signed moves, receipts and an agreement offline, and names what is wrong
// with an edited log, a forged signed move, a dropped signature, a split
// view and a foreign agreement.
func TestRecordVerifySessionLog(t *testing.T) {
	key, x, acks, agr, stream := signedSession(t)
	if len(acks) < 2 {
		t.Fatalf("%d acks", len(acks))
	}
	dir := t.TempDir()
	logf := writeJSONFile(t, dir, "log.json", x)
	r1 := writeJSONFile(t, dir, "ack1.json", acks[0])
	r2 := writeJSONFile(t, dir, "ack2.json", acks[len(acks)-1])
	af := writeJSONFile(t, dir, "agreement.json", agr)
	out, errOut, code := runCLI(t, "", "record", "verify", logf, "--receipt", r1, "--receipt", r2, "--agreement", af)
	if code != 0 || !strings.Contains(out, "intact session log") || !strings.Contains(out, "signed by 1 of 2 parties") {
		t.Fatalf("verify: code %d\n%s%s", code, out, errOut)
	}
	if py, err := exec.LookPath("python3"); err == nil {
		// The Python verifier, written from docs/commitments.md, agrees.
		out, err := exec.Command(py, filepath.Join("..", "..", "clients", "python", "backchannel_log.py"), logf).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "intact session log") {
			t.Fatalf("the Python verifier: %v\n%s", err, out)
		}
		// … and its stream Follower checks the seat's stream.
		sf := filepath.Join(dir, "stream.ndjson")
		if err := os.WriteFile(sf, stream, 0o644); err != nil {
			t.Fatal(err)
		}
		check := "import json, sys; sys.path.insert(0, sys.argv[1]); import backchannel_log as b\n" +
			"f = b.Follower()\nfor line in open(sys.argv[2]):\n    line.strip() and f.check(json.loads(line))\nprint('ok', f.size)"
		out, err = exec.Command(py, "-c", check, filepath.Join("..", "..", "clients", "python"), sf).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "ok ") || strings.HasPrefix(string(out), "ok 0") {
			t.Fatalf("the Python Follower on the seat's stream: %v\n%s", err, out)
		}
		bad := writeJSONFile(t, dir, "bad.json", rewriteNoResign(x))
		if out, err := exec.Command(py, filepath.Join("..", "..", "clients", "python", "backchannel_log.py"), bad).CombinedOutput(); err == nil {
			t.Fatalf("the Python verifier passed an edited log:\n%s", out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("python3 is not on PATH")
	}
	out, _, code = runCLI(t, "", "record", "verify", "--json", logf, "--receipt", r1)
	var rep logReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.OK || rep.Size != int64(len(x.Leaves)) || int64(rep.Opened) != rep.Size || len(rep.Receipts) != 1 {
		t.Fatalf("verify --json: code %d: %s", code, out)
	}

	signer, err := tlog.NewSigner(session.LogKeyName, key)
	if err != nil {
		t.Fatal(err)
	}
	// resign rebuilds the log's tree over its commitments and signs it, as
	// a server rewriting its log with its own key would.
	resign := func(y *api.LogExport) {
		var tr tlog.Tree
		for _, lf := range y.Leaves {
			h, err := tlog.DecodeHash(lf.Commitment)
			if err != nil {
				t.Fatal(err)
			}
			tr.Append(h[:])
		}
		root, _ := tr.Root(tr.Size())
		cp, err := signer.Sign(tlog.Checkpoint{Origin: tlog.Origin(session.LogKeyName, y.Session), Size: tr.Size(), Root: root})
		if err != nil {
			t.Fatal(err)
		}
		y.Checkpoint = cp
	}
	// rewrite replaces leaf i's entry (re-committed) and re-signs the log.
	rewrite := func(i int, edit func(e *tlog.Entry)) *api.LogExport {
		y := *x
		y.Leaves = append([]api.LogLeaf(nil), x.Leaves...)
		var e tlog.Entry
		if err := json.Unmarshal([]byte(y.Leaves[i].Entry), &e); err != nil {
			t.Fatal(err)
		}
		edit(&e)
		salt := bytes.Repeat([]byte{1}, tlog.SaltSize)
		text := e.Marshal()
		c := tlog.Commit(salt, text)
		y.Leaves[i] = api.LogLeaf{Commitment: b64(c[:]), Salt: b64(salt), Entry: string(text)}
		resign(&y)
		return &y
	}
	signedMove := -1
	for i, lf := range x.Leaves {
		if strings.Contains(lf.Entry, `"sig":`) {
			signedMove = i
			break
		}
	}
	if signedMove < 0 {
		t.Fatal("no signed move in the log")
	}
	edited := rewriteNoResign(x)
	for _, tc := range []struct {
		name string
		log  *api.LogExport
		args []string
		want string
	}{
		{"edited entry", edited, nil, "leaf 1: its salt and entry do not give its commitment"},
		{"forged signed move", rewrite(signedMove, func(e *tlog.Entry) { e.Kind = "end"; e.Outcome = nil }), nil, "a forged signed move"},
		{"dropped signature", rewrite(signedMove, func(e *tlog.Entry) { e.Key, e.Sig = "", "" }), nil, "carries no signature"},
		{"split view", rewrite(len(x.Leaves)-1, func(e *tlog.Entry) { e.Note = "rewritten" }), []string{"--receipt", r2}, "split view"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := writeJSONFile(t, t.TempDir(), "log.json", tc.log)
			out, errOut, code := runCLI(t, "", append([]string{"record", "verify", f}, tc.args...)...)
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("code %d, want 1 and %q:\n%s%s", code, tc.want, out, errOut)
			}
		})
	}
	// A split view between two receipts of the same size.
	rc := *acks[0].Receipt
	cp0, _ := tlog.ParseCheckpoint(strings.SplitN(rc.Checkpoint, "\n\n", 2)[0] + "\n")
	other := rc.Index + 1 // a leaf other than the receipt's, in its tree
	if other == cp0.Size {
		other = rc.Index - 1
	}
	var tr tlog.Tree
	for i, lf := range x.Leaves {
		h, _ := tlog.DecodeHash(lf.Commitment)
		if int64(i) == other {
			h = tlog.Hash{1}
		}
		tr.Append(h[:])
	}
	root, _ := tr.Root(cp0.Size)
	rc.Checkpoint, _ = signer.Sign(tlog.Checkpoint{Origin: cp0.Origin, Size: cp0.Size, Root: root})
	p, _ := tr.Inclusion(rc.Index, cp0.Size)
	rc.Inclusion = tlog.EncodeHashes(p)
	forked := writeJSONFile(t, dir, "forked.json", &rc)
	_, errOut, code = runCLI(t, "", "record", "verify", logf, "--receipt", r1, "--receipt", forked)
	if code != 1 || !strings.Contains(errOut, "split view") {
		t.Fatalf("two receipts of a split view: code %d: %s", code, errOut)
	}
	// A checkpoint a party kept, of the forked tree.
	kept := filepath.Join(dir, "kept.txt")
	if err := os.WriteFile(kept, []byte(rc.Checkpoint), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code = runCLI(t, "", "record", "verify", logf, "--checkpoint", kept); code != 1 || !strings.Contains(errOut, "split view") {
		t.Fatalf("a kept checkpoint of a split view: code %d: %s", code, errOut)
	}
	good := filepath.Join(dir, "good.txt")
	if err := os.WriteFile(good, []byte(acks[0].Receipt.Checkpoint), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runCLI(t, "", "record", "verify", logf, "--checkpoint", good, "--receipt", r2); code != 0 {
		t.Fatalf("a kept checkpoint of the log: code %d: %s%s", code, out, errOut)
	}
	// An agreement whose checkpoint is not the log's.
	bad := *agr
	bad.Statement = strings.Replace(agr.Statement, "checkpoint ", "checkpoint 1", 1)
	bf := writeJSONFile(t, dir, "bad-agreement.json", &bad)
	if _, errOut, code = runCLI(t, "", "record", "verify", logf, "--agreement", bf); code != 1 {
		t.Fatalf("a changed agreement verified: %s", errOut)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// rewriteNoResign returns x with its second leaf's entry edited.
func rewriteNoResign(x *api.LogExport) *api.LogExport {
	y := *x
	y.Leaves = append([]api.LogLeaf(nil), x.Leaves...)
	y.Leaves[1].Entry = strings.Replace(y.Leaves[1].Entry, `"step":`, `"step":9`, 1)
	return &y
}

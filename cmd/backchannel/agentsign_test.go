package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/api"
)

// TestAgentSignKey: 'backchannel agent --sign-key' signs every move of its
// seat with the key 'record keygen' wrote, on a real server process; the
// owner's session log verifies ('record verify') and each of the seat's
// moves in it holds the agent's key and signature, the other seat's none.
func TestAgentSignKey(t *testing.T) {
	dir := t.TempDir()
	keyf := filepath.Join(dir, "agent.key")
	if _, e, c := runCLI(t, "", "record", "keygen", keyf); c != 0 {
		t.Fatal(e)
	}
	pubHex, err := os.ReadFile(keyf + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := hex.DecodeString(strings.TrimSpace(string(pubHex)))
	if err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, filepath.Join(dir, "sessions.db"), freeAddr(t))
	out, stderr, code := runCLI(t, "", "session", "new", "--server", srv.url, "--seed", "3", "--deadline-rounds", "30",
		"--seat", "iran=agent", "--seat", "usa=conceder", "--json")
	if code != 0 {
		t.Fatal(stderr)
	}
	var c api.Created
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if _, e, code := runCLI(t, "", "agent", "--seat", c.Seats["iran"], "--strategy", "conceder", "--sign-key", filepath.Join(dir, "missing.key")); code != 2 || !strings.Contains(e, "--sign-key") {
		t.Fatalf("a missing key: code %d: %s", code, e)
	}
	if out, e, code := runCLI(t, "", "agent", "--seat", c.Seats["iran"], "--strategy", "conceder", "--sign-key", keyf, "--json"); code != 0 {
		t.Fatalf("agent: code %d\n%s%s", code, out, e)
	}

	resp, err := http.Get(c.Owner + "/log")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET log: %d %v", resp.StatusCode, err)
	}
	logf := filepath.Join(dir, "log.json")
	if err := os.WriteFile(logf, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, e, code := runCLI(t, "", "record", "verify", "--json", logf)
	var rep logReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.OK || int64(rep.Opened) != rep.Size {
		t.Fatalf("record verify: code %d\n%s%s", code, out, e)
	}

	var x api.LogExport
	if err := json.Unmarshal(body, &x); err != nil {
		t.Fatal(err)
	}
	signed := 0
	for i, lf := range x.Leaves {
		var en struct {
			Type, Party, Kind, Key, Sig string
		}
		if err := json.Unmarshal([]byte(lf.Entry), &en); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
		if en.Type != "move" {
			continue
		}
		switch {
		case en.Party == "iran":
			k, err := base64.StdEncoding.DecodeString(en.Key)
			if err != nil || !bytes.Equal(k, pub) || en.Sig == "" {
				t.Fatalf("leaf %d: iran's move is not signed by the agent's key: %s", i, lf.Entry)
			}
			signed++
		case en.Key != "" || en.Sig != "":
			t.Fatalf("leaf %d: a move of %q holds a signature: %s", i, en.Party, lf.Entry)
		}
	}
	if signed < 2 {
		t.Fatalf("%d signed moves of iran in the log", signed)
	}
}

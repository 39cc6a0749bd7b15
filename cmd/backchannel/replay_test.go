package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/record"
	"github.com/backchannel/backchannel/scenario"
)

// TestRecordReplay records negotiations under direct and indirect protocols
// (one with a time deadline, one sealed) and replays each through the CLI:
// the outcome must be the recorded one and the trace byte-identical.
func TestRecordReplay(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if _, e, c := runCLI(t, "", "record", "keygen", key); c != 0 {
		t.Fatalf("keygen: %s", e)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"sao", []string{"--protocol", "sao", "--parties", "boulware,conceder", "--seed", "7"}},
		{"sao sealed", []string{"--protocol", "sao", "--parties", "micro,frequency", "--seed", "2", "--sign-key", key}},
		{"shuttle", []string{"--protocol", "shuttle/relay", "--parties", "conceder,linear", "--seed", "3"}},
		{"single-text", []string{"--protocol", "single-text/annealer", "--parties", "boulware,conceder", "--seed", "5", "--deadline-rounds", "10"}},
		{"post-settlement", []string{"--protocol", "sao+post-settlement", "--parties", "conceder,conceder", "--seed", "4"}},
		{"time deadline", []string{"--protocol", "shuttle/relay", "--parties", "hardliner,hardliner", "--seed", "1", "--deadline-time", "20ms"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			trace := filepath.Join(dir, "t"+string(rune('a'+i))+".jsonl")
			if _, e, c := runCLI(t, "", append([]string{"run", "--trace", trace}, tc.args...)...); c != 0 {
				t.Fatalf("run: exit %d: %s", c, e)
			}
			o, e, c := runCLI(t, "", "record", "replay", trace)
			if c != 0 {
				t.Fatalf("replay: exit %d\n%s%s", c, o, e)
			}
			for _, want := range []string{"chain intact", "outcome:     same as recorded", "trace:       byte-identical"} {
				if !strings.Contains(o, want) {
					t.Errorf("replay output lacks %q:\n%s", want, o)
				}
			}
			if strings.Contains(strings.Join(tc.args, " "), "sign-key") && !strings.Contains(o, "sealed by ") {
				t.Errorf("sealed trace not reported as sealed:\n%s", o)
			}
		})
	}
}

// TestRecordReplayRefuses checks the failures: a tampered trace, another
// scenario, and a re-chained trace whose header names another protocol (it
// verifies, but its moves do not reproduce it).
func TestRecordReplayRefuses(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "t.jsonl")
	if _, e, c := runCLI(t, "", "run", "--seed", "9", "--parties", "boulware,linear", "--trace", trace); c != 0 {
		t.Fatalf("run: %s", e)
	}
	orig, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(dir, "tampered.jsonl")
	os.WriteFile(tampered, bytes.Replace(orig, []byte(`"kind":"reject"`), []byte(`"kind":"accept"`), 1), 0o644)

	other := filepath.Join(dir, "other.yaml")
	os.WriteFile(other, []byte(`schema_version: 1
scenario: {id: other}
issues:
  - id: x
    options: [a, b]
parties:
  p:
    reservation_value: 0
    weights: {x: 1}
    values: {x: {a: 0, b: 1}}
  q:
    reservation_value: 0
    weights: {x: 1}
    values: {x: {a: 1, b: 0}}
`), 0o644)

	// The same moves under a header that claims shuttle talks: the chain is
	// rebuilt, so it verifies, but the replay cannot reproduce it.
	sc, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	l, err := record.Read(bytes.NewReader(orig), sc.Space)
	if err != nil {
		t.Fatal(err)
	}
	h := l.Header
	h.Protocol, h.Mediator = "shuttle/relay", "shuttle/relay"
	var buf bytes.Buffer
	w := record.NewWriter(&buf, sc.Space, h)
	for i := range l.Events {
		w.Observe(&l.Events[i])
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	relabelled := filepath.Join(dir, "relabelled.jsonl")
	os.WriteFile(relabelled, buf.Bytes(), 0o644)

	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout+stderr
	}{
		{"tampered", []string{tampered}, 1, "does not verify"},
		{"other scenario", []string{trace, "--scenario", other}, 2, "pass the scenario the trace was recorded on"},
		{"relabelled", []string{relabelled}, 1, "trace:       DIFFERS at line"},
		{"no file", []string{}, 2, "needs one TRACE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, e, c := runCLI(t, "", append([]string{"record", "replay"}, tc.args...)...)
			if c != tc.code || !strings.Contains(o+e, tc.want) {
				t.Errorf("exit %d, output\n%s%s\nwant exit %d containing %q", c, o, e, tc.code, tc.want)
			}
		})
	}
}

package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestReplayAndConvertSpeakJSON: 'record replay --json' and 'convert
// --json' print one JSON object a program can read.
func TestReplayAndConvertSpeakJSON(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "t.jsonl")
	if _, e, c := runCLI(t, "", "run", "--seed", "3", "--trace", trace); c != 0 {
		t.Fatal(e)
	}
	out, e, c := runCLI(t, "", "record", "replay", "--json", trace)
	var rep struct {
		SameOutcome bool   `json:"same_outcome"`
		SameTrace   bool   `json:"same_trace"`
		Replayed    string `json:"replayed_status"`
		Events      int    `json:"events"`
	}
	if c != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.SameOutcome || !rep.SameTrace || rep.Replayed != "agreement" || rep.Events == 0 {
		t.Fatalf("record replay --json: exit %d, %+v\n%s%s", c, rep, out, e)
	}
	out, e, c = runCLI(t, "", "convert", "--json", "--to", "genius", "builtin:iran-us", filepath.Join(dir, "g"))
	var conv struct {
		Wrote   string   `json:"wrote"`
		Format  string   `json:"format"`
		NotKept []string `json:"not_kept"`
	}
	if c != 0 || json.Unmarshal([]byte(out), &conv) != nil || conv.Format != "genius" || len(conv.NotKept) == 0 {
		t.Fatalf("convert --json: exit %d, %+v\n%s%s", c, conv, out, e)
	}
}

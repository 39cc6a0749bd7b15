package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoCommandDestroysData runs the commands that write or open files on
// names that exist already or do not exist: a refused command leaves every
// file as it was and makes none.
func TestNoCommandDestroysData(t *testing.T) {
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("my notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "key")
	if _, errOut, code := runCLI(t, "", "record", "keygen", key); code != 0 {
		t.Fatalf("keygen: exit %d: %s", code, errOut)
	}
	priv, _ := os.ReadFile(key)
	pub, _ := os.ReadFile(key + ".pub")
	// A lone public key (or private key) is not replaced either.
	lone := filepath.Join(dir, "lone")
	if err := os.WriteFile(lone+".pub", []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"analyze --frontier with a wrong extension", []string{"analyze", "--frontier", notes}, ".csv or .json"},
		{"keygen over a key", []string{"record", "keygen", key}, "exists"},
		{"keygen over a public key", []string{"record", "keygen", lone}, "exists"},
		{"report from a missing database", []string{"tournament", "report", "--db", filepath.Join(dir, "typo.db")}, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, "", tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want a refusal saying %q", code, errOut, tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(notes); string(b) != "my notes\n" {
		t.Errorf("notes.txt now holds %q", b)
	}
	if b, _ := os.ReadFile(key); string(b) != string(priv) {
		t.Error("the private key was replaced")
	}
	if b, _ := os.ReadFile(key + ".pub"); string(b) != string(pub) {
		t.Error("the public key was replaced")
	}
	if _, err := os.Stat(lone); err == nil {
		t.Error("keygen wrote a private key beside an existing public key")
	}
	if _, err := os.Stat(filepath.Join(dir, "typo.db")); err == nil {
		t.Error("tournament report created the database it was asked to read")
	}
}

// TestAnalyzeJSONCapsTheFrontier: --pareto leaves the frontier out or
// keeps N points spread along it (both ends kept); the output stays one
// JSON object with the outcome count as a number.
func TestAnalyzeJSONCapsTheFrontier(t *testing.T) {
	type doc struct {
		Outcomes       float64 `json:"outcomes"`
		ParetoSize     int     `json:"pareto_size"`
		ParetoIncluded int     `json:"pareto_included"`
		Pareto         []struct {
			Utility []float64 `json:"utility"`
		} `json:"pareto"`
	}
	read := func(args ...string) doc {
		t.Helper()
		out, errOut, code := runCLI(t, "", append([]string{"analyze", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var d doc
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("not one JSON object: %v\n%.300s", err, out)
		}
		return d
	}
	all := read()
	if all.Outcomes != 552960 || all.ParetoIncluded != all.ParetoSize || len(all.Pareto) != all.ParetoSize || all.ParetoSize < 3 {
		t.Fatalf("all: outcomes %v, %d of %d points listed (%d)", all.Outcomes, all.ParetoIncluded, all.ParetoSize, len(all.Pareto))
	}
	if d := read("--pareto", "none"); len(d.Pareto) != 0 || d.ParetoIncluded != 0 || d.ParetoSize != all.ParetoSize {
		t.Errorf("none: %d points listed, size %d", len(d.Pareto), d.ParetoSize)
	}
	d := read("--pareto", "3")
	if len(d.Pareto) != 3 || d.ParetoIncluded != 3 {
		t.Fatalf("3: %d points listed", len(d.Pareto))
	}
	if fmt.Sprint(d.Pareto[0].Utility) != fmt.Sprint(all.Pareto[0].Utility) || fmt.Sprint(d.Pareto[2].Utility) != fmt.Sprint(all.Pareto[len(all.Pareto)-1].Utility) {
		t.Errorf("3 points %v do not keep the frontier's ends", d.Pareto)
	}
	if _, errOut, code := runCLI(t, "", "analyze", "--json", "--pareto", "-2"); code == 0 || !strings.Contains(errOut, "--pareto") {
		t.Errorf("--pareto -2: exit %d, %s", code, errOut)
	}
}

// TestVerifySaysIncomplete: a trace cut short verifies line by line but is
// reported incomplete (exit 1, and "complete": false in JSON); the whole
// trace is intact.
func TestVerifySaysIncomplete(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "run.jsonl")
	if _, errOut, code := runCLI(t, "", "run", "--trace", full); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	cut := filepath.Join(dir, "cut.jsonl")
	if err := os.WriteFile(cut, []byte(strings.Join(lines[:len(lines)/2], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runCLI(t, "", "record", "verify", full); code != 0 || !strings.Contains(out, "intact") {
		t.Errorf("whole trace: exit %d, %s%s", code, out, errOut)
	}
	out, errOut, code := runCLI(t, "", "record", "verify", cut)
	if code != 1 || !strings.Contains(out, "INCOMPLETE") || !strings.Contains(errOut, "incomplete") {
		t.Errorf("cut trace: exit %d, %s%s", code, out, errOut)
	}
	out, _, code = runCLI(t, "", "record", "verify", "--json", cut)
	var v struct {
		Complete *bool `json:"complete"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 1 || v.Complete == nil || *v.Complete {
		t.Errorf("cut trace --json: exit %d, %s (%v)", code, out, err)
	}
}

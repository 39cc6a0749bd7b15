package main

import (
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

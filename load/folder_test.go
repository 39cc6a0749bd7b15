package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/internal/corpus"
)

// copyDir copies the files of src into a new temporary folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestFolderReportsEveryFile breaks one profile of a GENIUS and of a
// GeniusWeb folder in each way a file gets broken: the folder must not load
// with that profile silently left out, and the error names the file.
// Files that are plainly not part of the scenario (GENIUS's pareto.xml,
// the ANL's specials.json) are reported as ignored.
func TestFolderReportsEveryFile(t *testing.T) {
	genius := corpus.Dir(t, "genius/anac/y2010/Travel")
	web := corpus.Dir(t, "anl2023/domain00")
	tests := []struct {
		name, src, file string
		damage          func([]byte) []byte
	}{
		{"genius doctype", genius, "travel_fanny.xml", func(b []byte) []byte {
			return append([]byte("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]>\n"), b[strings.Index(string(b), "<utility_space"):]...)
		}},
		{"genius truncated", genius, "travel_fanny.xml", func(b []byte) []byte { return b[:len(b)/2] }},
		{"genius empty", genius, "travel_fanny.xml", func([]byte) []byte { return nil }},
		{"geniusweb truncated", web, "profileB.json", func(b []byte) []byte { return b[:len(b)/2] }},
		{"geniusweb empty", web, "profileB.json", func([]byte) []byte { return nil }},
		{"geniusweb NaN", web, "profileB.json", func(b []byte) []byte {
			s := string(b)
			i := strings.Index(s, "0.")
			return []byte(s[:i] + "NaN" + s[i+2:])
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, tc.src)
			p := filepath.Join(dir, tc.file)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, tc.damage(b), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Scenario(dir)
			if err == nil {
				t.Fatalf("loaded with %d parties; want an error naming %s", len(s.Parties), tc.file)
			}
			if !strings.Contains(err.Error(), tc.file) {
				t.Errorf("error %q does not name %s", err, tc.file)
			}
		})
	}
	for _, tc := range []struct{ dir, ignored string }{
		{corpus.Dir(t, "genius/anac/y2014/10issues"), "pareto.xml"},
		{web, "specials.json"},
	} {
		s, err := Scenario(tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(s.Warnings, "\n"), tc.ignored+": ignored") {
			t.Errorf("%s: warnings %q do not report %s as ignored", tc.dir, s.Warnings, tc.ignored)
		}
	}
}

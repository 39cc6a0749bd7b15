// Package corpus locates the shared scenario corpora (../shared/scenarios
// beside the repository) for tests and benchmarks.
package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the absolute path of the shared scenarios folder, or "" if it
// cannot be found. BACKCHANNEL_CORPUS overrides the search.
func Root() string {
	if d := os.Getenv("BACKCHANNEL_CORPUS"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			c := filepath.Join(dir, "..", "shared", "scenarios")
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				abs, _ := filepath.Abs(c)
				return abs
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Dir returns the absolute path of sub (slash-separated) inside the corpus. If
// the corpus is missing it skips the test with a clear message, except under
// CI (CI=true), where a missing corpus fails the test.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	root := Root()
	if root != "" {
		p := filepath.Join(root, filepath.FromSlash(sub))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "shared scenario corpus not found (expected ../shared/scenarios/" + sub + " beside the repository; set BACKCHANNEL_CORPUS to its path)"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

package scenario

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// DefaultName is the name of the built-in scenario Default returns: the
// Iran–US nuclear talks of spring 2025 through Omani mediation.
const DefaultName = "iran-us"

// Builtin returns a fresh copy of the built-in scenario called name (see
// BuiltinNames); the caller may change it freely. Returns an error listing
// the built-in names if there is none called name.
func Builtin(name string) (*Scenario, error) {
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no built-in scenario %q (built-in: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	s, err := Parse(data, name+".yaml")
	if err != nil {
		return nil, fmt.Errorf("built-in scenario %q: %w", name, err)
	}
	s.Source = "builtin:" + name
	return s, nil
}

// Default returns a fresh copy of the embedded default scenario, DefaultName.
func Default() (*Scenario, error) { return Builtin(DefaultName) }

// BuiltinNames returns the names of the built-in scenarios, sorted.
func BuiltinNames() []string {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); path.Ext(n) == ".yaml" {
			names = append(names, strings.TrimSuffix(n, ".yaml"))
		}
	}
	sort.Strings(names)
	return names
}

var builtinTitles = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, n := range BuiltinNames() {
		if s, err := Builtin(n); err == nil {
			m[n] = s.Title
		}
	}
	return m
})

// BuiltinTitle returns the one-line title of the built-in scenario called
// name and whether there is one.
func BuiltinTitle(name string) (string, bool) {
	t, ok := builtinTitles()[name]
	return t, ok
}

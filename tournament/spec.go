package tournament

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Spec names a strategy and its parameters. Its text form is NAME or
// NAME:KEY=VALUE:KEY=VALUE…; String gives the canonical form (keys sorted,
// numbers in %g), which is what job ids and results carry.
type Spec struct {
	Name   string
	Params map[string]float64
}

// ParseSpec reads a spec in its text form. It checks the syntax only; whether
// the strategy exists is the plan's check.
func ParseSpec(s string) (Spec, error) {
	fields := strings.Split(strings.TrimSpace(s), ":")
	sp := Spec{Name: strings.TrimSpace(fields[0])}
	if sp.Name == "" {
		return Spec{}, fmt.Errorf("strategy %q: empty name (write NAME or NAME:KEY=VALUE)", s)
	}
	for _, kv := range fields[1:] {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || k == "" || err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return Spec{}, fmt.Errorf("strategy %q: parameter %q must be KEY=NUMBER", s, kv)
		}
		if sp.Params == nil {
			sp.Params = map[string]float64{}
		}
		if _, dup := sp.Params[k]; dup {
			return Spec{}, fmt.Errorf("strategy %q: parameter %q given twice", s, k)
		}
		sp.Params[k] = x
	}
	return sp, nil
}

// String returns the canonical text form.
func (s Spec) String() string {
	if len(s.Params) == 0 {
		return s.Name
	}
	keys := make([]string, 0, len(s.Params))
	for k := range s.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(s.Name)
	for _, k := range keys {
		fmt.Fprintf(&b, ":%s=%s", k, strconv.FormatFloat(s.Params[k], 'g', -1, 64))
	}
	return b.String()
}

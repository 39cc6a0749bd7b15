package load

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/genius"
	"github.com/backchannel/backchannel/geniusweb"
	"github.com/backchannel/backchannel/scenario"
)

// genNative draws a small native scenario: discrete and integer issues,
// value tables and linear evaluators, two parties.
func genNative(t *rapid.T) *scenario.Scenario {
	var b strings.Builder
	b.WriteString("scenario: {id: rt}\nissues:\n")
	n := rapid.IntRange(1, 4).Draw(t, "issues")
	type iss struct {
		name    string
		values  []string
		integer bool
		lo, hi  int
	}
	issues := make([]iss, n)
	for i := range issues {
		is := &issues[i]
		is.name = fmt.Sprintf("i%d", i)
		if rapid.Bool().Draw(t, "integer") {
			is.integer = true
			is.lo = rapid.IntRange(-3, 3).Draw(t, "lo")
			is.hi = is.lo + rapid.IntRange(1, 5).Draw(t, "span")
			fmt.Fprintf(&b, "  - {id: %s, type: integer, min: %d, max: %d}\n", is.name, is.lo, is.hi)
			for v := is.lo; v <= is.hi; v++ {
				is.values = append(is.values, fmt.Sprint(v))
			}
		} else {
			k := rapid.IntRange(2, 5).Draw(t, "values")
			for v := range k {
				is.values = append(is.values, fmt.Sprintf("v%d", v))
			}
			fmt.Fprintf(&b, "  - {id: %s, options: [%s]}\n", is.name, strings.Join(is.values, ", "))
		}
	}
	b.WriteString("parties:\n")
	for p := range 2 {
		fmt.Fprintf(&b, "  p%d:\n    reservation_value: %g\n    weights: {", p, rapid.Float64Range(0, 0.5).Draw(t, "rv"))
		ws := make([]float64, n)
		var sum float64
		for i := range ws {
			ws[i] = rapid.Float64Range(0.01, 1).Draw(t, "w")
			sum += ws[i]
		}
		for i := range ws {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s: %v", issues[i].name, ws[i]/sum)
		}
		b.WriteString("}\n    values:\n")
		for i := range issues {
			is := &issues[i]
			if is.integer && rapid.Bool().Draw(t, "linear") {
				span := float64(is.hi - is.lo)
				slope := rapid.Float64Range(-1/span, 1/span).Draw(t, "slope")
				offset := 0.0
				if slope < 0 {
					offset = -slope * span
				}
				fmt.Fprintf(&b, "      %s: {type: linear, slope: %v, offset: %v}\n", is.name, slope, offset)
				continue
			}
			fmt.Fprintf(&b, "      %s: {", is.name)
			for v, name := range is.values {
				if v > 0 {
					b.WriteString(", ")
				}
				e := rapid.Float64Range(0, 1).Draw(t, "e")
				if rapid.IntRange(0, 5).Draw(t, "zero") == 0 {
					e = 0
				}
				fmt.Fprintf(&b, "%q: %v", name, e)
			}
			b.WriteString("}\n")
		}
	}
	s, err := scenario.Parse([]byte(b.String()), "rt.yaml")
	if err != nil {
		t.Fatalf("generated scenario does not parse: %v\n%s", err, b.String())
	}
	return s
}

// sameUtilities checks every outcome of a against b (matched by issue and
// value names) for every party, within 1e-12.
func sameUtilities(t *rapid.T, a, b *scenario.Scenario) {
	if len(a.Parties) != len(b.Parties) {
		t.Fatalf("%d parties became %d", len(a.Parties), len(b.Parties))
	}
	o := a.Space.New()
	for {
		ob, err := b.Space.Parse(a.Space.Map(o))
		if err != nil {
			t.Fatalf("outcome %v: %v", a.Space.Map(o), err)
		}
		for pi := range a.Parties {
			ua, ub := a.Parties[pi].Profile.Utility(o), b.Parties[pi].Profile.Utility(ob)
			if math.Abs(ua-ub) > 1e-12 {
				t.Fatalf("party %d outcome %v: utility %.17g became %.17g", pi, a.Space.Map(o), ua, ub)
			}
		}
		if !a.Space.Next(o) {
			break
		}
	}
}

// viaNative writes s in the native format and parses it back.
func viaNative(t *rapid.T, s *scenario.Scenario) *scenario.Scenario {
	n, _, err := Native(s)
	if err != nil {
		t.Fatal(err)
	}
	data, err := scenario.Marshal(n, "yaml")
	if err != nil {
		t.Fatal(err)
	}
	back, err := scenario.Parse(data, "back.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return back
}

func TestRoundTripGenius(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genNative(t)
		out, err := genius.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		files := make([]genius.File, len(out.Profiles))
		for i, p := range out.Profiles {
			files[i] = genius.File{Name: s.Parties[i].ID + ".xml", Data: p}
		}
		g, err := genius.Parse(genius.File{Name: "rt_domain.xml", Data: out.Domain}, files...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out.Domain)
		}
		sameUtilities(t, s, g)
		for i := range s.Parties {
			if g.Parties[i].Profile.Reservation != s.Parties[i].Profile.Reservation {
				t.Fatalf("reservation %v became %v", s.Parties[i].Profile.Reservation, g.Parties[i].Profile.Reservation)
			}
		}
		sameUtilities(t, s, viaNative(t, g))
	})
}

func TestRoundTripGeniusWeb(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genNative(t)
		out, err := geniusweb.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		files := make([]geniusweb.File, len(out.Profiles))
		for i, p := range out.Profiles {
			files[i] = geniusweb.File{Name: s.Parties[i].ID + ".json", Data: p}
		}
		w, err := geniusweb.Parse(geniusweb.File{Name: "rt.json", Data: out.Domain}, files...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out.Profiles[0])
		}
		sameUtilities(t, s, w)
		sameUtilities(t, s, viaNative(t, w))
	})
}

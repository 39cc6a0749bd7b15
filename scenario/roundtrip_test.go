package scenario

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// awkward names that must survive quoting in YAML and JSON.
var awkward = []string{"true", "null", "1", "0.5", "a.b", "x y", "é", "-", "10y", "#c", "'q'", `"d"`, "k: v", "[l]"}

func genName(t *rapid.T, label string, i int) string {
	if rapid.Bool().Draw(t, label+"-awkward") {
		return rapid.SampledFrom(awkward).Draw(t, label) + "_" + strconv.Itoa(i)
	}
	return label + strconv.Itoa(i)
}

func genText(t *rapid.T, label string) string {
	return rapid.SampledFrom([]string{"", "plain", "two\nlines\n", "colon: here", "quote ' and \"", "  lead", "tab\there", "ünï", "# not a comment", "1e5", "yes"}).Draw(t, label)
}

func genIssue(t *rapid.T, i int) outcome.Issue {
	name := genName(t, "issue", i)
	var is outcome.Issue
	switch rapid.IntRange(0, 2).Draw(t, "kind") {
	case 0:
		n := rapid.IntRange(1, 5).Draw(t, "options")
		vals := make([]string, n)
		labels := make([]string, n)
		labelled := false
		for v := range vals {
			vals[v] = genName(t, "opt", v)
			labels[v] = genText(t, "label")
			labelled = labelled || labels[v] != ""
		}
		is = outcome.NewDiscrete(name, vals...)
		if labelled {
			is.Labels = labels
		}
	case 1:
		lo := rapid.IntRange(-3, 3).Draw(t, "lo")
		is = outcome.NewInteger(name, lo, lo+rapid.IntRange(0, 5).Draw(t, "span"))
	default:
		lo := float64(rapid.IntRange(-5, 5).Draw(t, "rlo"))
		is = outcome.NewReal(name, lo, lo+rapid.Float64Range(0.5, 10).Draw(t, "rspan"), rapid.IntRange(2, 6).Draw(t, "steps"))
	}
	is.Description = genText(t, "description")
	return is
}

func genEval(t *rapid.T, is *outcome.Issue) ([]float64, *preference.Numeric) {
	eval := make([]float64, is.Len())
	if is.Kind != outcome.Discrete && rapid.Bool().Draw(t, "evaluator") {
		num := &preference.Numeric{Min: is.Min, Clamp: true}
		switch rapid.IntRange(0, 3).Draw(t, "evalkind") {
		case 0:
			a, b := rapid.Float64Range(0, 1).Draw(t, "a"), rapid.Float64Range(0, 1).Draw(t, "b")
			num.Kind, num.Offset = preference.Linear, a
			if is.Max > is.Min {
				num.Slope = (b - a) / (is.Max - is.Min)
			}
		case 1:
			x := []float64{is.Min, (is.Min + is.Max) / 2, is.Max}
			num.Kind, num.Lo, num.Top, num.Hi = preference.Triangular, x[rapid.IntRange(0, 1).Draw(t, "tlo")], x[1], x[rapid.IntRange(1, 2).Draw(t, "thi")]
		case 2:
			num.Kind, num.Offset = preference.Constant, rapid.Float64Range(0, 1).Draw(t, "c")
		default:
			num.Kind, num.X, num.Y = preference.Points, []float64{is.Min, is.Max}, []float64{rapid.Float64Range(0, 1).Draw(t, "y0"), rapid.Float64Range(0, 1).Draw(t, "y1")}
		}
		for v := range eval {
			x := num.At(is.Number(int32(v)))
			eval[v] = x
		}
		return eval, num
	}
	for v := range eval {
		eval[v] = rapid.Float64Range(0, 1).Draw(t, "eval")
	}
	return eval, nil
}

func genWeights(t *rapid.T, n int) []float64 {
	w := make([]float64, n)
	var sum float64
	for sum == 0 {
		sum = 0
		for i := range w {
			w[i] = rapid.Float64Range(0, 1).Draw(t, "w")
			sum += w[i]
		}
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

func genSet(t *rapid.T, is *outcome.Issue, label string) []bool {
	set := make([]bool, is.Len())
	for v := range set {
		set[v] = rapid.IntRange(0, 2).Draw(t, label) == 0
	}
	return set
}

func genProfile(t *rapid.T, sp *outcome.Space, id string) *Party {
	w := genWeights(t, sp.NumIssues())
	p := &preference.Profile{Name: id, Semantics: preference.Native, Discount: 1, Reservation: rapid.Float64Range(0, 1).Draw(t, "rv")}
	if rapid.Bool().Draw(t, "discounted") {
		p.Discount = rapid.Float64Range(0.01, 1).Draw(t, "discount")
	}
	for i := range sp.Issues {
		eval, num := genEval(t, &sp.Issues[i])
		p.Issues = append(p.Issues, preference.IssueUtility{Weight: w[i], Eval: eval, Numeric: num})
	}
	if rapid.Bool().Draw(t, "redlines") {
		p.RedLines = make([][]bool, sp.NumIssues())
		for i := range sp.Issues {
			if rapid.Bool().Draw(t, "rl") {
				p.RedLines[i] = genSet(t, &sp.Issues[i], "rlv")
			}
		}
		if !p.HasRedLines() {
			p.RedLines = nil
		}
		for i, rl := range p.RedLines {
			if rl != nil && !slicesHasTrue(rl) {
				p.RedLines[i] = nil
			}
		}
	}
	if err := p.Prepare(sp); err != nil {
		t.Fatal(err)
	}
	party := &Party{ID: id, Name: genText(t, "pname"), Profile: p}
	if rapid.Bool().Draw(t, "rationale") {
		party.Rationale = map[string]string{sp.Issues[0].Name: genText(t, "why")}
	}
	return party
}

func slicesHasTrue(b []bool) bool {
	for _, x := range b {
		if x {
			return true
		}
	}
	return false
}

func genPatch(t *rapid.T, sp *outcome.Space) Patch {
	var pt Patch
	if rapid.Bool().Draw(t, "prv") {
		v := rapid.Float64Range(0, 1).Draw(t, "prvv")
		pt.Reservation = &v
	}
	if rapid.Bool().Draw(t, "pdisc") {
		v := rapid.Float64Range(0.01, 1).Draw(t, "pdiscv")
		pt.Discount = &v
	}
	if rapid.Bool().Draw(t, "pw") {
		w := genWeights(t, sp.NumIssues())
		pt.Weights = map[string]float64{}
		for i := range sp.Issues {
			pt.Weights[sp.Issues[i].Name] = w[i]
		}
	}
	for i := range sp.Issues {
		is := &sp.Issues[i]
		if rapid.IntRange(0, 2).Draw(t, "pv") == 0 {
			if pt.Values == nil {
				pt.Values = map[string]map[string]float64{}
			}
			m := map[string]float64{}
			for _, v := range is.Values {
				if rapid.Bool().Draw(t, "pvv") {
					m[v] = rapid.Float64Range(0, 1).Draw(t, "pvx")
				}
			}
			pt.Values[is.Name] = m
		}
		if rapid.IntRange(0, 2).Draw(t, "prl") == 0 {
			if pt.RedLines == nil {
				pt.RedLines = map[string][]string{}
			}
			vals := []string{}
			for v, b := range genSet(t, is, "prlv") {
				if b {
					vals = append(vals, is.Values[v])
				}
			}
			pt.RedLines[is.Name] = vals
		}
	}
	return pt
}

func genRaw(t *rapid.T, depth int) any {
	k := rapid.IntRange(0, 6).Draw(t, "raw")
	if depth > 2 {
		k %= 5
	}
	switch k {
	case 0:
		return nil
	case 1:
		return genText(t, "rawtext")
	case 2:
		return int64(rapid.IntRange(-5, 5).Draw(t, "rawint"))
	case 3:
		return rapid.SampledFrom([]float64{0, 1, -2.5, 1e-7, 3e21, 0.1}).Draw(t, "rawfloat")
	case 4:
		return rapid.Bool().Draw(t, "rawbool")
	case 5:
		l := []any{}
		for range rapid.IntRange(0, 3).Draw(t, "rawlen") {
			l = append(l, genRaw(t, depth+1))
		}
		return l
	}
	m := map[string]any{}
	for i := range rapid.IntRange(0, 3).Draw(t, "rawlen") {
		m[genName(t, "k", i)] = genRaw(t, depth+1)
	}
	return m
}

func genScenario(t *rapid.T) *Scenario {
	var issues []outcome.Issue
	for i := range rapid.IntRange(1, 4).Draw(t, "issues") {
		issues = append(issues, genIssue(t, i))
	}
	var rules []outcome.Rule
	for r := range rapid.IntRange(0, 2).Draw(t, "rules") {
		rule := outcome.Rule{Name: genName(t, "rule", r), Note: genText(t, "note")}
		for i := range issues {
			switch rapid.IntRange(0, 2).Draw(t, "cond") {
			case 0:
				rule.If = append(rule.If, outcome.Condition{Issue: i, Allowed: genSet(t, &issues[i], "if")})
			case 1:
				rule.Then = append(rule.Then, outcome.Condition{Issue: i, Allowed: genSet(t, &issues[i], "then")})
			}
		}
		if len(rule.Then) > 0 {
			rules = append(rules, rule)
		}
	}
	sp, err := outcome.NewSpace(issues, rules)
	if err != nil {
		t.Fatal(err)
	}
	s := &Scenario{ID: genName(t, "id", 0), Title: genText(t, "title"), Description: genText(t, "desc"), Space: sp, Format: "native"}
	for p := range rapid.IntRange(2, 3).Draw(t, "parties") {
		s.Parties = append(s.Parties, genProfile(t, sp, genName(t, "party", p)))
	}
	if rapid.Bool().Draw(t, "mediator") {
		s.Mediator = genProfile(t, sp, "mediator_x")
	}
	ids := []string{}
	for _, p := range s.Parties {
		ids = append(ids, p.ID)
	}
	if s.Mediator != nil {
		ids = append(ids, s.Mediator.ID)
	}
	for v := range rapid.IntRange(0, 2).Draw(t, "variants") {
		va := Variant{Name: genName(t, "variant", v), Description: genText(t, "vdesc"), Patches: map[string]Patch{}}
		for _, id := range ids {
			if rapid.Bool().Draw(t, "patched") {
				va.Patches[id] = genPatch(t, sp)
			}
		}
		s.Variants = append(s.Variants, va)
	}
	if rapid.Bool().Draw(t, "sources") {
		s.Sources = []Reference{{ID: "S1", Title: genText(t, "st"), Date: "2015-07-14", URL: "https://example.org/a?b=c&d"}, {ID: "S2", Also: []string{"u1", "u2"}}}
		s.Variants = append(s.Variants, Variant{Name: "cited", Patches: map[string]Patch{}, Refs: []string{"S2", "S1"}})
		s.Parties[0].Refs = []string{"S1"}
	}
	if rapid.Bool().Draw(t, "themes") {
		s.Themes = map[string]any{"t": genRaw(t, 0)}
	}
	s.SuggestedDeadlineRounds = rapid.IntRange(0, 100).Draw(t, "deadline")
	return s
}

// sameScenario reports the first difference between a and b in what the
// engine uses.
func sameScenario(a, b *Scenario) error {
	if a.ID != b.ID || a.Title != b.Title || a.Description != b.Description || a.SuggestedDeadlineRounds != b.SuggestedDeadlineRounds {
		return fmt.Errorf("header %q/%q/%q/%d vs %q/%q/%q/%d", a.ID, a.Title, a.Description, a.SuggestedDeadlineRounds, b.ID, b.Title, b.Description, b.SuggestedDeadlineRounds)
	}
	if !reflect.DeepEqual(a.Space.Issues, b.Space.Issues) {
		return fmt.Errorf("issues %+v vs %+v", a.Space.Issues, b.Space.Issues)
	}
	if !reflect.DeepEqual(a.Space.Rules, b.Space.Rules) {
		return fmt.Errorf("rules %+v vs %+v", a.Space.Rules, b.Space.Rules)
	}
	pa, pb := append([]*Party(nil), a.Parties...), append([]*Party(nil), b.Parties...)
	if (a.Mediator == nil) != (b.Mediator == nil) {
		return fmt.Errorf("mediator present %v vs %v", a.Mediator != nil, b.Mediator != nil)
	}
	if a.Mediator != nil {
		pa, pb = append(pa, a.Mediator), append(pb, b.Mediator)
	}
	if len(pa) != len(pb) {
		return fmt.Errorf("%d vs %d parties", len(pa), len(pb))
	}
	for i := range pa {
		x, y := pa[i], pb[i]
		if x.ID != y.ID || x.Name != y.Name || !reflect.DeepEqual(x.Rationale, y.Rationale) || !reflect.DeepEqual(x.Refs, y.Refs) {
			return fmt.Errorf("party %q vs %q", x.ID, y.ID)
		}
		px, py := x.Profile, y.Profile
		if px.Reservation != py.Reservation || px.Discount != py.Discount || !reflect.DeepEqual(px.RedLines, py.RedLines) || !reflect.DeepEqual(px.Issues, py.Issues) {
			return fmt.Errorf("party %q: profile differs: %+v vs %+v", x.ID, px, py)
		}
		o := a.Space.New()
		for {
			if ux, uy := px.Utility(o), py.Utility(o); ux != uy {
				return fmt.Errorf("party %q: U(%v) = %v vs %v", x.ID, o, ux, uy)
			}
			if !a.Space.Next(o) {
				break
			}
		}
	}
	if !reflect.DeepEqual(a.Variants, b.Variants) {
		return fmt.Errorf("variants %+v vs %+v", a.Variants, b.Variants)
	}
	if !reflect.DeepEqual(a.Sources, b.Sources) || !reflect.DeepEqual(a.Themes, b.Themes) || !reflect.DeepEqual(a.Meta, b.Meta) {
		return fmt.Errorf("sources, themes or meta differ: %+v %+v %+v vs %+v %+v %+v", a.Sources, a.Themes, a.Meta, b.Sources, b.Themes, b.Meta)
	}
	return nil
}

func TestMarshalRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genScenario(t)
		for _, format := range []string{"yaml", "json"} {
			data, err := Marshal(s, format)
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			back, err := Parse(data, "rt."+format)
			if err != nil {
				t.Fatalf("%s: %v\n%s", format, err, data)
			}
			if len(back.Warnings) != 0 {
				t.Fatalf("%s: warnings %v", format, back.Warnings)
			}
			if err := sameScenario(s, back); err != nil {
				t.Fatalf("%s: %v\n%s", format, err, data)
			}
			for _, v := range s.Variants {
				x, err1 := s.WithVariant(v.Name)
				y, err2 := back.WithVariant(v.Name)
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: variant %q: %v / %v", format, v.Name, err1, err2)
				}
				if err := sameScenario(x, y); err != nil {
					t.Fatalf("%s: variant %q: %v", format, v.Name, err)
				}
			}
		}
	})
}

func TestMarshalBuiltinRoundTrip(t *testing.T) {
	s := mustDefault(t)
	for _, format := range []string{"yaml", "json"} {
		data, err := Marshal(s, format)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(data, "iran-us."+format)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameScenario(s, back); err != nil {
			t.Errorf("%s: %v", format, err)
		}
	}
	if _, err := Marshal(s, "xml"); err == nil || err.Error() != `unknown scenario format "xml" (want yaml or json)` {
		t.Errorf("Marshal(xml) error %v", err)
	}
}

// FuzzParse feeds arbitrary bytes to Parse. It must never panic; every error
// must be a non-empty "file…: problem" line; and whatever parses must write
// and read back to the same scenario in both formats.
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	if data, err := builtinFS.ReadFile("builtin/iran-us.yaml"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "f.yaml")
		if err != nil {
			msg := err.Error()
			if msg == "" {
				t.Fatal("empty error")
			}
			for _, line := range strings.Split(msg, "\n") {
				if !strings.HasPrefix(line, "f.yaml") || len(line) <= len("f.yaml: ") {
					t.Fatalf("error line %q does not name the file and a problem", line)
				}
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			return
		}
		if n, ok := s.Space.Size(); !ok || n > 1<<16 {
			return // comparing every outcome would be too slow
		}
		for _, format := range []string{"yaml", "json"} {
			out, err := Marshal(s, format)
			if err != nil {
				t.Fatalf("Marshal %s: %v", format, err)
			}
			back, err := Parse(out, "rt."+format)
			if err != nil {
				t.Fatalf("re-Parse %s: %v\n%s", format, err, out)
			}
			if err := sameScenario(s, back); err != nil {
				t.Fatalf("%s round trip: %v", format, err)
			}
		}
	})
}

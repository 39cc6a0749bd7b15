package scenario

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

// base is a small valid scenario; the error cases below edit it. Its line
// numbers matter: the expected messages name them.
const base = `scenario:
  id: t
issues:
  - id: a
    options: [x, y]
  - id: b
    type: integer
    min: 0
    max: 2
parties:
  p:
    reservation_value: 0.5
    weights: {a: 0.5, b: 0.5}
    values:
      a: {x: 0, y: 1}
      b: {type: linear, slope: 0.5, offset: 0}
  q:
    reservation_value: 0.5
    weights: {a: 0.5, b: 0.5}
    values:
      a: {x: 1, y: 0}
      b: {0: 1, 1: 0.5, 2: 0}
`

func TestParseBase(t *testing.T) {
	s, err := Parse([]byte(base), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Parties[0].Profile.Utility([]int32{1, 2}); got != 1 {
		t.Errorf("U_p(y, 2) = %v, want 1", got)
	}
	if got := s.Parties[1].Profile.Utility([]int32{0, 1}); got != 0.75 {
		t.Errorf("U_q(x, 1) = %v, want 0.75", got)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings %v", s.Warnings)
	}
	if s.Parties[0].Profile.Semantics != "native" {
		t.Errorf("semantics %q", s.Parties[0].Profile.Semantics)
	}
}

func TestParseErrors(t *testing.T) {
	type edit struct{ old, new string }
	cases := []struct {
		name  string
		edits []edit
		want  []string
		raw   string // used instead of base+edits when set
	}{
		{"negative weight", []edit{{"weights: {a: 0.5, b: 0.5}\n    values:\n      a: {x: 0", "weights: {a: -0.2, b: 0.5}\n    values:\n      a: {x: 0"}},
			[]string{"t.yaml:13: parties.p.weights.a: -0.2 is negative"}, ""},
		{"value above 1", []edit{{"a: {x: 0, y: 1}", "a: {x: 0, y: 1.5}"}},
			[]string{"t.yaml:15: parties.p.values.a.y: 1.5 is outside [0,1]"}, ""},
		{"NaN", []edit{{"a: {x: 0, y: 1}", "a: {x: .nan, y: 1}"}},
			[]string{"t.yaml:15: parties.p.values.a.x: .nan is not a finite number"}, ""},
		{"Inf reservation", []edit{{"  p:\n    reservation_value: 0.5", "  p:\n    reservation_value: .inf"}},
			[]string{"t.yaml:12: parties.p.reservation_value: .inf is not a finite number"}, ""},
		{"reservation above 1", []edit{{"  p:\n    reservation_value: 0.5", "  p:\n    reservation_value: 2"}},
			[]string{"t.yaml:12: parties.p.reservation_value: 2 is outside [0,1]"}, ""},
		{"string for number", []edit{{"a: {x: 0, y: 1}", `a: {x: "0", y: 1}`}},
			[]string{`t.yaml:15: parties.p.values.a.x: want a number, got a string "0"`}, ""},
		{"unknown key", []edit{{"  p:\n    reservation_value: 0.5", "  p:\n    reservaton_value: 0.5\n    reservation_value: 0.5"}},
			[]string{`t.yaml:12: parties.p.reservaton_value: unknown key "reservaton_value" (allowed here: name, description, reservation_value, discount, weights, values, red_lines, red_line_refs, rationale, refs, no_deal_values, reservation_derivation)`}, ""},
		{"unknown top key", []edit{{"scenario:\n", "scenari0: 1\nscenario:\n"}},
			[]string{`t.yaml:1: scenari0: unknown key "scenari0" (allowed here: schema_version, scenario, protocol, issues, constraints, parties, mediator, themes, variants, sources)`}, ""},
		{"duplicate key", []edit{{"  q:\n", "  p:\n"}},
			[]string{"t.yaml:17: parties.p: duplicate key (first at line 11)"}, ""},
		{"missing reservation", []edit{{"  q:\n    reservation_value: 0.5\n", "  q:\n"}},
			[]string{`t.yaml:18: parties.q: missing key "reservation_value"`}, ""},
		{"missing top key", []edit{{"scenario:\n  id: t\n", ""}},
			[]string{`t.yaml:1: missing key "scenario"`}, ""},
		{"missing weight", []edit{{"weights: {a: 0.5, b: 0.5}\n    values:\n      a: {x: 1", "weights: {a: 0.5}\n    values:\n      a: {x: 1"}},
			[]string{`t.yaml:19: parties.q.weights: no weight for issue "b"`}, ""},
		{"missing value", []edit{{"a: {x: 1, y: 0}", "a: {x: 1}"}},
			[]string{`t.yaml:21: parties.q.values.a: no value for option "y"`}, ""},
		{"missing issue values", []edit{{"      b: {0: 1, 1: 0.5, 2: 0}\n", ""}},
			[]string{`t.yaml:21: parties.q.values: no values for issue "b"`}, ""},
		{"unknown issue in weights", []edit{{"weights: {a: 0.5, b: 0.5}\n    values:\n      a: {x: 0", "weights: {a: 0.5, b: 0.5, c: 0}\n    values:\n      a: {x: 0"}},
			[]string{`t.yaml:13: parties.p.weights.c: unknown issue "c"`}, ""},
		{"unknown option in values", []edit{{"a: {x: 0, y: 1}", "a: {x: 0, y: 1, z: 1}"}},
			[]string{`t.yaml:15: parties.p.values.a.z: unknown option "z" of issue "a"`}, ""},
		{"unknown issue and option in red lines", []edit{{"      b: {type: linear, slope: 0.5, offset: 0}\n", "      b: {type: linear, slope: 0.5, offset: 0}\n    red_lines: {c: [x], a: [w], b: [7]}\n"}},
			[]string{`t.yaml:17: parties.p.red_lines.c: unknown issue "c"`, `t.yaml:17: parties.p.red_lines.a[0]: unknown option "w" of issue "a"`, `t.yaml:17: parties.p.red_lines.b[0]: unknown option "7" of issue "b"`}, ""},
		{"rule references", []edit{{"parties:\n", "constraints:\n  - id: r\n    if: {c: [x]}\n    then: {a: [w]}\nparties:\n"}},
			[]string{`t.yaml:12: constraints.r.if.c: unknown issue "c"`, `t.yaml:13: constraints.r.then.a[0]: unknown option "w" of issue "a"`}, ""},
		{"rule without then", []edit{{"parties:\n", "constraints:\n  - id: r\n    if: {a: [x]}\nparties:\n"}},
			[]string{`t.yaml:11: constraints[0]: missing key "then"`}, ""},
		{"variant references", []edit{{"", "variants:\n  v:\n    z: {reservation_value: 0.1}\n    p: {weights: {a: 1, c: 1}, values: {a: {w: 1}}, red_lines: {a: [w]}, discount: 0}\n"}},
			[]string{
				`t.yaml:25: variants.v.z: unknown key "z" (allowed here: description, refs, or a party id: p, q)`,
				`t.yaml:26: variants.v.p.discount: 0 is outside (0,1]; 1 means no discounting`,
				`t.yaml:26: variants.v.p.weights.c: unknown issue "c"`,
				`t.yaml:26: variants.v.p.weights: no weight for issue "b"`,
				`t.yaml:26: variants.v.p.values.a.w: unknown option "w" of issue "a"`,
				`t.yaml:26: variants.v.p.red_lines.a[0]: unknown option "w" of issue "a"`}, ""},
		{"wrong type", []edit{{"    options: [x, y]", "    options: x"}},
			[]string{`t.yaml:5: issues.a.options: want a non-empty list of options, got a string "x"`}, ""},
		{"unknown issue type", []edit{{"type: integer", "type: complex"}},
			[]string{`t.yaml:7: issues.b.type: unknown issue type "complex" (want discrete, integer or real)`}, ""},
		{"duplicate issue", []edit{{"  - id: b\n", "  - id: a\n"}},
			[]string{`t.yaml:6: issues[1].id: issue "a" appears twice (first at line 4)`}, ""},
		{"duplicate option", []edit{{"options: [x, y]", "options: [x, x]"}},
			[]string{`t.yaml:5: issues.a.options[1]: option "x" appears twice (first at line 5)`}, ""},
		{"integer range reversed", []edit{{"max: 2", "max: -1"}},
			[]string{`t.yaml:9: issues.b.max: max -1 is below min 0`}, ""},
		{"integer range huge", []edit{{"max: 2", "max: 1e12"}},
			[]string{`t.yaml:9: issues.b.max: the range 0..1000000000000 has more than 1000000 values`}, ""},
		{"evaluator out of range", []edit{{"slope: 0.5, offset: 0", "slope: 0.75, offset: 0"}},
			[]string{`t.yaml:16: parties.p.values.b: the evaluator gives 1.5 at 2, outside [0,1]`}, ""},
		{"evaluator wrong keys", []edit{{"slope: 0.5, offset: 0", "lo: 0, offset: 0"}},
			[]string{`t.yaml:16: parties.p.values.b.lo: a linear evaluator takes slope and offset, not lo`}, ""},
		{"weights sum to zero", []edit{{"weights: {a: 0.5, b: 0.5}\n    values:\n      a: {x: 0", "weights: {a: 0, b: 0}\n    values:\n      a: {x: 0"}},
			[]string{`t.yaml:13: parties.p.weights: weights sum to 0; give at least one issue a positive weight`}, ""},
		{"one party", []edit{{"  q:\n    reservation_value: 0.5\n    weights: {a: 0.5, b: 0.5}\n    values:\n      a: {x: 1, y: 0}\n      b: {0: 1, 1: 0.5, 2: 0}\n", ""}},
			[]string{`t.yaml:11: parties: 1 parties; a negotiation needs at least two`}, ""},
		{"schema version", []edit{{"scenario:\n", "schema_version: 2\nscenario:\n"}},
			[]string{`t.yaml:1: schema_version: version 2 is not supported; this backchannel reads version 1`}, ""},
		{"unknown source", []edit{{"", "sources:\n  S1: {title: x}\n"}, {"  q:\n", "  q:\n    refs: [S1, S2]\n"}},
			[]string{`t.yaml:18: parties.q.refs[1]: unknown source "S2" (not in sources)`}, ""},
		{"header parties mismatch", []edit{{"  id: t\n", "  id: t\n  parties: [q, p]\n"}},
			[]string{`t.yaml:3: scenario.parties: lists [q p] but the parties section defines [p q] (same ids, same order)`}, ""},
		{"mediator id taken", []edit{{"", "mediator: {id: p, reservation_value: 0, weights: {a: 1, b: 0}, values: {a: {x: 1, y: 1}, b: {type: constant, value: 1}}}\n"}},
			[]string{`t.yaml:23: mediator.id: "p" is already a party; the mediator needs its own id`}, ""},
		{"alias", []edit{{"weights: {a: 0.5, b: 0.5}\n    values:\n      a: {x: 1", "weights: *w\n    values:\n      a: {x: 1"}, {"weights: {a: 0.5, b: 0.5}", "weights: &w {a: 0.5, b: 0.5}"}},
			[]string{`t.yaml:13: parties.p.weights: YAML anchors (&w) are not supported; write the value out`, `t.yaml:19: parties.q.weights: YAML aliases (*w) are not supported; write the value out`}, ""},
		{"malformed", nil, []string{`t.yaml:2: malformed YAML: did not find expected node content`}, "scenario:\n  id: [\n"},
		{"tabs", nil, []string{`t.yaml:2: malformed YAML: found character that cannot start any token`}, "scenario:\n\tid: t\n"},
		{"empty", nil, []string{`t.yaml: file is empty; a scenario needs at least scenario, issues and parties`}, ""},
		{"comment only", nil, []string{`t.yaml: file is empty; a scenario needs at least scenario, issues and parties`}, "# nothing\n"},
		{"not a mapping", nil, []string{`t.yaml:1: want a mapping, got a list`}, "- 1\n- 2\n"},
		{"two documents", nil, []string{`t.yaml:23: more than one YAML document; a scenario file holds exactly one`}, base + "---\nx: 1\n"},
		{"deep nesting", nil, []string{`t.yaml:1: themes[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nesting deeper than 64 levels`}, "themes: " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n"},
		{"json duplicate", nil, []string{`t.yaml:2: scenario: duplicate key (first at line 1)`}, "{\"scenario\": {\"id\": \"t\"},\n \"scenario\": {}}"},
		{"json deep", nil, []string{`t.yaml:1: nesting deeper than 64 levels`}, strings.Repeat("{\"a\":", 70) + "1" + strings.Repeat("}", 70)},
		{"too large", nil, []string{`t.yaml: file is larger than 16777216 bytes; native scenarios are limited to 16 MiB`}, strings.Repeat("#", MaxFileSize+1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := c.raw
			if doc == "" && c.edits != nil {
				doc = base
				for _, e := range c.edits {
					if e.old == "" {
						doc += e.new
						continue
					}
					if !strings.Contains(doc, e.old) {
						t.Fatalf("edit %q does not apply", e.old)
					}
					doc = strings.Replace(doc, e.old, e.new, 1)
				}
			}
			_, err := Parse([]byte(doc), "t.yaml")
			if err == nil {
				t.Fatalf("no error for\n%s", doc)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s\ndocument:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"), doc)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "t.yaml" {
				t.Errorf("error %T is not a *ParseError for t.yaml", err)
			}
		})
	}
}

func TestWeightsNormalised(t *testing.T) {
	doc := strings.Replace(base, "weights: {a: 0.5, b: 0.5}", "weights: {a: 3, b: 1}", 1)
	s, err := Parse([]byte(doc), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	iu := s.Parties[0].Profile.Issues
	if iu[0].Weight != 0.75 || iu[1].Weight != 0.25 {
		t.Errorf("weights %v, %v; want 0.75, 0.25", iu[0].Weight, iu[1].Weight)
	}
	want := "t.yaml:13: parties.p.weights: weights sum to 4, not 1; they are used divided by their sum"
	if len(s.Warnings) != 1 || s.Warnings[0] != want {
		t.Errorf("warnings %q, want %q", s.Warnings, want)
	}
	// Decimal noise within 1e-6 of 1 keeps the weights as written.
	doc = strings.Replace(base, "weights: {a: 0.5, b: 0.5}", "weights: {a: 0.1, b: 0.9000001}", 1)
	s, err = Parse([]byte(doc), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if w := s.Parties[0].Profile.Issues[1].Weight; w != 0.9000001 || len(s.Warnings) != 0 {
		t.Errorf("weight %v, warnings %v; want 0.9000001 as written, none", w, s.Warnings)
	}
}

func TestNumericIssues(t *testing.T) {
	doc := `scenario: {id: n}
issues:
  - {id: price, type: real, min: 10, max: 20, steps: 5}
  - {id: qty, type: integer, min: 1, max: 5}
constraints:
  - {id: cheap_means_few, if: {price: {min: 10, max: 12.5}}, then: {qty: [1, 2]}}
parties:
  buyer:
    reservation_value: 0.1
    discount: 0.9
    weights: {price: 0.6, qty: 0.4}
    values:
      price: {type: linear, slope: -0.1, offset: 1}
      qty: {type: triangular, lo: 1, top: 3, hi: 5}
    red_lines: {price: {min: 19, max: 20}}
  seller:
    reservation_value: 0.2
    weights: {price: 1, qty: 0}
    values:
      price: {type: points, x: [10, 20], y: [0, 1]}
      qty: {type: constant, value: 0.5}
`
	s, err := Parse([]byte(doc), "n.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sp := s.Space
	if got := sp.Issues[0].Values; strings.Join(got, ",") != "10,12.5,15,17.5,20" {
		t.Errorf("price grid %v", got)
	}
	b := s.Parties[0].Profile
	o, err := sp.Parse(map[string]string{"price": "15", "qty": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if u := b.Utility(o); math.Abs(u-(0.6*0.5+0.4*1)) > 1e-12 {
		t.Errorf("U_buyer(15, 3) = %v, want 0.7", u)
	}
	if b.Discount != 0.9 {
		t.Errorf("discount %v", b.Discount)
	}
	if !b.Violates([]int32{4, 0}) || b.Violates([]int32{3, 0}) {
		t.Errorf("red line at price 20 not seen")
	}
	if sp.Feasible([]int32{1, 2}) || !sp.Feasible([]int32{2, 2}) {
		t.Errorf("rule cheap_means_few misapplied")
	}
	if u := s.Parties[1].Profile.Utility([]int32{3, 0}); math.Abs(u-0.75) > 1e-12 {
		t.Errorf("U_seller(17.5, 1) = %v, want 0.75", u)
	}
}

// TestDocExample parses the first YAML example of docs/scenario-format.md.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenario-format.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml example in docs/scenario-format.md")
	}
	s, err := Parse([]byte(example), "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 0 || s.IssueTitle(0) != "Model" || s.IssueTitle(1) != "price" {
		t.Errorf("warnings %v, titles %q %q", s.Warnings, s.IssueTitle(0), s.IssueTitle(1))
	}
	if _, err := s.WithVariant("desperate_seller"); err != nil {
		t.Error(err)
	}
}

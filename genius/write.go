package genius

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
)

// evalTolerance is how closely a GENIUS evaluator written for a numeric issue
// must reproduce the profile's evaluations before it is used instead of a
// value table.
const evalTolerance = 1e-12

// Output is a scenario written as GENIUS XML.
type Output struct {
	Domain   []byte
	Profiles [][]byte // one per party, in party order
	// Lossy lists, one sentence each, what the scenario holds that GENIUS
	// cannot express and that the files therefore leave out or change.
	Lossy []string
}

// Marshal writes s as a GENIUS domain and one profile per party, keeping
// every outcome's utility for every party: discrete evaluations are written
// divided by their issue's maximum with the weight multiplied by it (GENIUS
// divides by the maximum again when reading), integer and real issues keep a
// GENIUS evaluator when one reproduces the profile's evaluations to 1e-12
// (and RealSteps grid points for real issues) and otherwise become discrete
// issues with one item per value. Non-linear profiles read from GENIUS
// (*Nonlinear) are written back as nonlinear profiles.
//
// What GENIUS cannot express is listed in Output.Lossy: feasibility rules,
// red lines, the mediator, variants, numeric issues turned discrete. It
// returns an error if a party has no profile or a non-linear profile GENIUS
// cannot express.
func Marshal(s *scenario.Scenario) (*Output, error) {
	if s == nil || s.Space == nil {
		return nil, fmt.Errorf("scenario has no outcome space; nothing to write")
	}
	sp := s.Space
	out := &Output{}
	if len(sp.Rules) > 0 {
		out.Lossy = append(out.Lossy, fmt.Sprintf("%d feasibility rule(s) dropped: GENIUS has no constraints across issues", len(sp.Rules)))
	}
	if s.Mediator != nil {
		out.Lossy = append(out.Lossy, fmt.Sprintf("mediator %q dropped: GENIUS scenarios have no mediator profile", s.Mediator.ID))
	}
	if len(s.Variants) > 0 {
		out.Lossy = append(out.Lossy, fmt.Sprintf("%d variant(s) dropped: GENIUS has one profile per party", len(s.Variants)))
	}
	kinds := make([]outcome.Kind, sp.NumIssues())
	for i := range sp.Issues {
		kinds[i] = writtenKind(s, i)
		if kinds[i] != sp.Issues[i].Kind {
			out.Lossy = append(out.Lossy, fmt.Sprintf("issue %q written as a discrete issue with its %d values: no GENIUS %s evaluator reproduces every party's evaluations", sp.Issues[i].Name, sp.Issues[i].Len(), sp.Issues[i].Kind))
		}
	}
	out.Domain = marshalDomain(sp, kinds)
	for _, p := range s.Parties {
		if p.Profile == nil {
			return nil, fmt.Errorf("party %q has no profile", p.ID)
		}
		b, lossy, err := marshalProfile(sp, kinds, p)
		if err != nil {
			return nil, err
		}
		out.Profiles = append(out.Profiles, b)
		out.Lossy = append(out.Lossy, lossy...)
	}
	return out, nil
}

// Write writes s into folder dir (created if needed) as <id>_domain.xml and
// one <party id>.xml per party, and returns the paths written and what was
// lossy (see Marshal).
func Write(s *scenario.Scenario, dir string) ([]string, []string, error) {
	out, err := Marshal(s)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	id := s.ID
	if id == "" {
		id = "scenario"
	}
	paths := []string{filepath.Join(dir, safeName(id)+"_domain.xml")}
	for _, p := range s.Parties {
		paths = append(paths, filepath.Join(dir, safeName(p.ID)+".xml"))
	}
	data := append([][]byte{out.Domain}, out.Profiles...)
	for i, p := range paths {
		if err := os.WriteFile(p, data[i], 0o644); err != nil {
			return nil, nil, err
		}
	}
	return paths, out.Lossy, nil
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '/' || c == '\\' || c == 0 || c == ':' {
			b[i] = '_'
		}
	}
	if len(b) == 0 || string(b) == "." || string(b) == ".." {
		return "party"
	}
	return string(b)
}

// writtenKind decides how issue i is written: as its own kind when every
// party's evaluations are reproduced by a GENIUS evaluator, else discrete.
func writtenKind(s *scenario.Scenario, i int) outcome.Kind {
	is := &s.Space.Issues[i]
	if is.Kind == outcome.Discrete {
		return outcome.Discrete
	}
	if is.Kind == outcome.Real && is.Len() != RealSteps {
		return outcome.Discrete
	}
	for _, p := range s.Parties {
		if p.Profile == nil || p.Profile.Custom != nil {
			continue
		}
		if numericEvaluator(is, &p.Profile.Issues[i]) == nil {
			return outcome.Discrete
		}
	}
	return is.Kind
}

// numericEvaluator returns the GENIUS evaluator that reproduces iu on is, or
// nil.
func numericEvaluator(is *outcome.Issue, iu *preference.IssueUtility) *preference.Numeric {
	n := iu.Numeric
	if n == nil {
		return nil
	}
	var f func(x float64) float64
	switch {
	case is.Kind == outcome.Integer && n.Kind == preference.Linear && n.Min == math.Trunc(n.Min) && math.Abs(n.Min) < 1<<31:
		c := *n
		c.Clamp = true
		f = c.At
	case is.Kind == outcome.Real && n.Kind == preference.Linear && n.Min == 0:
		c := *n
		c.Clamp = true
		f = c.At
	case is.Kind == outcome.Real && n.Kind == preference.Constant && n.Offset >= 0:
		f = func(float64) float64 { return n.Offset }
	case is.Kind == outcome.Real && n.Kind == preference.Triangular && n.Lo <= n.Top && n.Top < n.Hi:
		f = func(x float64) float64 { return geniusTriangle(x, n.Lo, n.Hi, n.Top) }
	default:
		return nil
	}
	for v, e := range iu.Eval {
		if math.Abs(f(is.Number(int32(v)))-e) > evalTolerance {
			return nil
		}
	}
	return n
}

type xmlWriter struct{ b bytes.Buffer }

func (w *xmlWriter) open(indent int, name string, attrs ...string) {
	w.tag(indent, name, false, attrs...)
}

func (w *xmlWriter) empty(indent int, name string, attrs ...string) {
	w.tag(indent, name, true, attrs...)
}

func (w *xmlWriter) tag(indent int, name string, empty bool, attrs ...string) {
	for range indent {
		w.b.WriteString("  ")
	}
	w.b.WriteByte('<')
	w.b.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteByte(' ')
		w.b.WriteString(attrs[i])
		w.b.WriteString(`="`)
		xml.EscapeText(&w.b, []byte(attrs[i+1]))
		w.b.WriteByte('"')
	}
	if empty {
		w.b.WriteString("/>\n")
	} else {
		w.b.WriteString(">\n")
	}
}

func (w *xmlWriter) close(indent int, name string) {
	for range indent {
		w.b.WriteString("  ")
	}
	w.b.WriteString("</" + name + ">\n")
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func issueAttrs(i int, is *outcome.Issue, kind outcome.Kind) []string {
	k := kind.String()
	a := []string{"index", strconv.Itoa(i + 1), "name", is.Name, "type", k, "etype", k, "vtype", k}
	if kind == outcome.Integer {
		a = append(a, "lowerbound", num(is.Min), "upperbound", num(is.Max))
	}
	return a
}

func marshalDomain(sp *outcome.Space, kinds []outcome.Kind) []byte {
	var w xmlWriter
	w.b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	w.open(0, "negotiation_template")
	w.open(1, "utility_space", "number_of_issues", strconv.Itoa(sp.NumIssues()))
	w.open(2, "objective", "index", "0", "name", "root", "type", "objective", "etype", "objective", "description", "")
	for i := range sp.Issues {
		is := &sp.Issues[i]
		w.open(3, "issue", issueAttrs(i, is, kinds[i])...)
		switch kinds[i] {
		case outcome.Discrete:
			for v, name := range is.Values {
				w.empty(4, "item", "index", strconv.Itoa(v+1), "value", name)
			}
		case outcome.Real:
			w.empty(4, "range", "lowerbound", num(is.Min), "upperbound", num(is.Max))
		}
		w.close(3, "issue")
	}
	w.close(2, "objective")
	w.close(1, "utility_space")
	w.close(0, "negotiation_template")
	return w.b.Bytes()
}

func marshalProfile(sp *outcome.Space, kinds []outcome.Kind, party *scenario.Party) ([]byte, []string, error) {
	p := party.Profile
	var lossy []string
	if p.HasRedLines() {
		lossy = append(lossy, fmt.Sprintf("party %q: red lines dropped: GENIUS profiles have none (its utilities stay, so red-line outcomes become acceptable)", party.ID))
	}
	var w xmlWriter
	w.b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	if p.Custom != nil {
		nl, ok := p.Custom.(*Nonlinear)
		if !ok {
			return nil, nil, fmt.Errorf("party %q: its non-linear profile (%T) cannot be written as GENIUS XML", party.ID, p.Custom)
		}
		w.open(0, "utility_space", "type", "nonlinear")
		w.open(1, "objective", "index", "0", "name", "root", "type", "objective", "etype", "objective", "description", "")
		for i := range sp.Issues {
			w.empty(2, "issue", issueAttrs(i, &sp.Issues[i], kinds[i])...)
		}
		w.open(2, "utility", "maxutility", num(nl.MaxUtility))
		writeUfun(&w, 3, nl.Root, sp)
		w.close(2, "utility")
		w.close(1, "objective")
	} else {
		if len(p.Issues) != sp.NumIssues() {
			return nil, nil, fmt.Errorf("party %q: profile has %d issues, the space %d", party.ID, len(p.Issues), sp.NumIssues())
		}
		if !p.CapAtOne {
			if _, hi := p.Range(); hi > 1+1e-12 {
				lossy = append(lossy, fmt.Sprintf("party %q: its utilities reach %g; GENIUS caps them at 1", party.ID, hi))
			}
		}
		w.open(0, "utility_space")
		w.open(1, "objective", "index", "0", "name", "root", "type", "objective", "etype", "objective", "description", "")
		for i := range sp.Issues {
			is := &sp.Issues[i]
			iu := &p.Issues[i]
			weight := iu.Weight
			switch kinds[i] {
			case outcome.Discrete:
				mx := 0.0
				for _, e := range iu.Eval {
					if e < 0 {
						return nil, nil, fmt.Errorf("party %q: issue %q: evaluation %g is negative; GENIUS evaluations must not be", party.ID, is.Name, e)
					}
					mx = max(mx, e)
				}
				w.open(2, "issue", issueAttrs(i, is, outcome.Discrete)...)
				for v, name := range is.Values {
					e := 0.0
					if mx > 0 {
						e = iu.Eval[v] / mx
					}
					w.empty(3, "item", "index", strconv.Itoa(v+1), "value", name, "evaluation", num(e))
				}
				if mx > 0 {
					// GENIUS divides by the maximum; an all-zero issue
					// keeps its weight and evaluates to 0 either way.
					weight = iu.Weight * mx
				}
			case outcome.Integer:
				n := numericEvaluator(is, iu)
				a := issueAttrs(i, is, outcome.Integer)
				a[len(a)-3] = num(n.Min) // the profile's lowerbound anchors the slope
				w.open(2, "issue", a...)
				w.empty(3, "evaluator", "ftype", "linear", "slope", num(n.Slope), "offset", num(n.Offset))
			case outcome.Real:
				n := numericEvaluator(is, iu)
				w.open(2, "issue", issueAttrs(i, is, outcome.Real)...)
				w.empty(3, "range", "lowerbound", num(is.Min), "upperbound", num(is.Max))
				switch n.Kind {
				case preference.Linear:
					w.empty(3, "evaluator", "ftype", "linear", "parameter0", num(n.Offset), "parameter1", num(n.Slope))
				case preference.Constant:
					w.empty(3, "evaluator", "ftype", "constant", "parameter0", num(n.Offset))
				case preference.Triangular:
					w.empty(3, "evaluator", "ftype", "triangular", "parameter0", num(n.Lo), "parameter1", num(n.Hi), "parameter2", num(n.Top))
				}
			}
			w.close(2, "issue")
			if weight < 0 || math.IsNaN(weight) {
				return nil, nil, fmt.Errorf("party %q: issue %q: weight %g is not a non-negative number", party.ID, is.Name, weight)
			}
			w.empty(2, "weight", "index", strconv.Itoa(i+1), "value", num(weight))
		}
		w.close(1, "objective")
	}
	d := p.Discount
	if d <= 0 || d > 1 {
		d = 1
	}
	w.empty(1, "discount_factor", "value", num(d))
	w.empty(1, "reservation", "value", num(p.Reservation))
	w.close(0, "utility_space")
	return w.b.Bytes(), lossy, nil
}

func writeUfun(w *xmlWriter, indent int, u *Ufun, sp *outcome.Space) {
	w.open(indent, "ufun", "type", "PlainUfun", "weight", num(u.Weight), "aggregation", "sum")
	for _, r := range u.Rectangles {
		tag := "INCLUDES"
		if r.Exclusive {
			tag = "EXCLUDES"
		}
		w.open(indent+1, "hyperRectangle", "utility", num(r.Utility), "weight", num(r.Weight))
		for _, b := range r.Bounds {
			base := int64(sp.Issues[b.Issue].Min)
			w.empty(indent+2, tag, "index", strconv.Itoa(b.Issue+1), "min", strconv.FormatInt(b.Lo+base, 10), "max", strconv.FormatInt(b.Hi+base, 10))
		}
		w.close(indent+1, "hyperRectangle")
	}
	for _, k := range u.Ufuns {
		writeUfun(w, indent+1, k, sp)
	}
	w.close(indent, "ufun")
}

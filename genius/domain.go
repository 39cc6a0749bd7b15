package genius

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/backchannel/backchannel/outcome"
)

// RealSteps is the number of grid points GENIUS 10.4 enumerates on a real
// issue (IssueReal's discretisation: lower + i·(upper−lower)/20, i = 0…20).
// The space built for a real issue uses the same 21 points, both bounds
// included; off-grid numbers are still evaluated exactly through the
// profile's preference.Numeric.
const RealSteps = 21

// MaxValues is the largest number of values all issues of a domain may have
// together (the sum of the issues' value counts, not their product).
const MaxValues = 1_000_000

// Domain is a GENIUS domain: its outcome space and the GENIUS number (the
// index attribute) of each issue, in space order. Profiles bind their
// weights and evaluators to issues by that number, not by name.
type Domain struct {
	Name    string
	Space   *outcome.Space
	Numbers []int

	objectives map[int]bool // numbers of the <objective> elements
}

// issue returns the position in the space of the issue numbered num, or -1.
func (d *Domain) issue(num int) int {
	for i, n := range d.Numbers {
		if n == num {
			return i
		}
	}
	return -1
}

// IsDomain reports whether data looks like a GENIUS domain file: an XML
// document whose root element has a <utility_space> child. It reads only as
// much as it must and never fails; use ParseDomain for the errors.
func IsDomain(data []byte) bool {
	root, err := parseXML(data, "")
	return err == nil && root.child("utility_space") != nil
}

// IsProfile reports whether data looks like a GENIUS profile file: an XML
// document whose root element is <utility_space>.
func IsProfile(data []byte) bool {
	root, err := parseXML(data, "")
	return err == nil && root.name == "utility_space"
}

// ParseDomain reads a GENIUS domain (negotiation template) the way GENIUS
// 10.4's DomainImpl does: the first <utility_space> child of the root, its
// first <objective>, and the issues below it in preorder (the issues of
// nested objectives before the issues of their parent, as GENIUS's
// getIssues lists them). file names the data in errors.
//
// Discrete issues take the value attributes of their <item>s; integer issues
// the lowerbound and upperbound attributes of the <issue> element (a <range>
// child is ignored, as GENIUS ignores it); real issues the lowerbound and
// upperbound of their <range> child, enumerated on RealSteps points. The
// deprecated cost and description attributes, <agent> and
// <similarity_function> elements are ignored.
//
// It returns an *Error naming the file and element for a missing or bad
// index, an unknown issue type, missing or inverted bounds, an item without
// a value, two values or two issues with the same name or number, and for
// anything the XML reader rejects (see parseXML).
func ParseDomain(data []byte, file string) (*Domain, error) {
	root, err := parseXML(data, file)
	if err != nil {
		return nil, err
	}
	us := root.child("utility_space")
	if us == nil {
		return nil, errAt(file, root, "no <utility_space> element; a GENIUS domain is <negotiation_template><utility_space><objective>…")
	}
	obj := us.child("objective")
	if obj == nil {
		return nil, errAt(file, us, "no <objective> element holding the issues")
	}
	d := &Domain{Name: strings.TrimSuffix(strings.TrimSuffix(baseName(file), ".xml"), "_domain")}
	if v, ok := obj.attr("name"); ok && v != "" && v != "root" {
		d.Name = v
	}
	d.objectives = map[int]bool{}
	seen := map[int]*node{}
	var issues []outcome.Issue
	total := 0
	var walk func(n *node, depth int) error
	walk = func(n *node, depth int) error {
		num, err := intAttr(file, n, "index")
		if err != nil {
			return err
		}
		if prev, dup := seen[num]; dup {
			return errAt(file, n, fmt.Sprintf("index %d is already used by %s on line %d", num, prev.tag(), prev.line))
		}
		seen[num] = n
		d.objectives[num] = true
		for _, o := range n.children("objective") {
			if err := walk(o, depth+1); err != nil {
				return err
			}
		}
		for _, is := range n.children("issue") {
			num, err := intAttr(file, is, "index")
			if err != nil {
				return err
			}
			if prev, dup := seen[num]; dup {
				return errAt(file, is, fmt.Sprintf("index %d is already used by %s on line %d", num, prev.tag(), prev.line))
			}
			seen[num] = is
			iss, err := domainIssue(file, is)
			if err != nil {
				return err
			}
			total += iss.Len()
			if total > MaxValues {
				return errAt(file, is, fmt.Sprintf("the issues have more than %d values together", MaxValues))
			}
			issues = append(issues, iss)
			d.Numbers = append(d.Numbers, num)
		}
		return nil
	}
	if err := walk(obj, 0); err != nil {
		return nil, err
	}
	if len(issues) == 0 {
		return nil, errAt(file, obj, "the domain has no issues")
	}
	names := map[string]int{}
	for i, is := range issues {
		if j, dup := names[is.Name]; dup {
			return nil, &Error{File: file, Problem: fmt.Sprintf("issues %d and %d are both named %q; issue names must differ", d.Numbers[j], d.Numbers[i], is.Name)}
		}
		names[is.Name] = i
	}
	sp, err := outcome.NewSpace(issues, nil)
	if err != nil {
		return nil, &Error{File: file, Problem: err.Error()}
	}
	d.Space = sp
	return d, nil
}

// issueKind reads GENIUS's type/vtype (domain) or type/etype (profile)
// attributes: a missing type means discrete; when both are present and differ,
// GENIUS uses type.
func issueKind(file string, n *node) (outcome.Kind, bool, error) {
	t, ok := n.attr("type")
	if !ok {
		return outcome.Discrete, false, nil
	}
	switch strings.ToLower(t) {
	case "discrete":
		return outcome.Discrete, false, nil
	case "integer":
		return outcome.Integer, false, nil
	case "real":
		return outcome.Real, false, nil
	case "objective":
		return 0, true, nil
	}
	return 0, false, errAt(file, n, fmt.Sprintf("unknown issue type %q (GENIUS knows discrete, integer and real)", t))
}

func domainIssue(file string, n *node) (outcome.Issue, error) {
	name, ok := n.attr("name")
	if !ok || name == "" {
		return outcome.Issue{}, errAt(file, n, "issue has no name attribute")
	}
	kind, objective, err := issueKind(file, n)
	if err != nil {
		return outcome.Issue{}, err
	}
	if objective {
		return outcome.Issue{}, errAt(file, n, "an <issue> of type objective; objectives are <objective> elements")
	}
	switch kind {
	case outcome.Integer:
		lo, err := intAttr(file, n, "lowerbound")
		if err != nil {
			return outcome.Issue{}, err
		}
		hi, err := intAttr(file, n, "upperbound")
		if err != nil {
			return outcome.Issue{}, err
		}
		if hi < lo {
			return outcome.Issue{}, errAt(file, n, fmt.Sprintf("upperbound %d is below lowerbound %d", hi, lo))
		}
		if int64(hi)-int64(lo) >= MaxValues {
			return outcome.Issue{}, errAt(file, n, fmt.Sprintf("%d to %d is more than %d values", lo, hi, MaxValues))
		}
		return outcome.NewInteger(name, lo, hi), nil
	case outcome.Real:
		r := n.child("range")
		if r == nil {
			return outcome.Issue{}, errAt(file, n, "real issue has no <range lowerbound=… upperbound=…> child")
		}
		lo, err := floatAttr(file, r, "lowerbound")
		if err != nil {
			return outcome.Issue{}, err
		}
		hi, err := floatAttr(file, r, "upperbound")
		if err != nil {
			return outcome.Issue{}, err
		}
		if !(hi > lo) {
			return outcome.Issue{}, errAt(file, n, fmt.Sprintf("upperbound %g is not above lowerbound %g", hi, lo))
		}
		is := outcome.NewReal(name, lo, hi, RealSteps)
		for i := 1; i < len(is.Values); i++ {
			if is.Values[i] == is.Values[i-1] {
				return outcome.Issue{}, errAt(file, n, fmt.Sprintf("the range %g to %g is too narrow for %d distinct grid points", lo, hi, RealSteps))
			}
		}
		return is, nil
	}
	items := n.children("item")
	vals := make([]string, 0, len(items))
	seen := make(map[string]*node, len(items))
	for _, it := range items {
		v, ok := it.attr("value")
		if !ok {
			return outcome.Issue{}, errAt(file, it, fmt.Sprintf("item of issue %q has no value attribute", name))
		}
		if prev, dup := seen[v]; dup {
			return outcome.Issue{}, errAt(file, it, fmt.Sprintf("value %q of issue %q is already given on line %d; value names must differ", v, name, prev.line))
		}
		seen[v] = it
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		return outcome.Issue{}, errAt(file, n, fmt.Sprintf("discrete issue %q has no <item value=…> elements", name))
	}
	return outcome.NewDiscrete(name, vals...), nil
}

// intAttr reads an integer attribute as Java's Integer.parseInt does.
func intAttr(file string, n *node, name string) (int, error) {
	v, ok := n.attr(name)
	if !ok {
		return 0, errAt(file, n, fmt.Sprintf("missing %s attribute", name))
	}
	i, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, errAt(file, n, fmt.Sprintf("%s %q is not a whole number", name, v))
	}
	return int(i), nil
}

// floatAttr reads a finite number attribute as Java's Double.valueOf does
// (surrounding blanks and a trailing d or f allowed; NaN and infinities are
// rejected).
func floatAttr(file string, n *node, name string) (float64, error) {
	v, ok := n.attr(name)
	if !ok {
		return 0, errAt(file, n, fmt.Sprintf("missing %s attribute", name))
	}
	f, ok := javaDouble(v)
	if !ok {
		return 0, errAt(file, n, fmt.Sprintf("%s %q is not a finite number", name, v))
	}
	return f, nil
}

func javaDouble(s string) (float64, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if n := len(s); n > 1 && strings.ContainsRune("dDfF", rune(s[n-1])) {
		s = s[:n-1]
	}
	if s == "" || strings.ContainsAny(s, "xXpP_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func baseName(file string) string {
	if i := strings.LastIndexAny(file, `/\`); i >= 0 {
		return file[i+1:]
	}
	return file
}

package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// MaxFileSize is the largest native scenario file Parse and Load accept, in
// bytes (16 MiB).
const MaxFileSize = 16 << 20

// MaxValues is the largest number of values all issues of a native scenario
// may have together (the sum of the issues' value counts, not their product):
// it bounds the memory the value tables of one profile take.
const MaxValues = 1_000_000

// maxDepth bounds the nesting of mappings and lists in a file.
const maxDepth = 64

// maxErrors bounds how many problems one Parse call reports.
const maxErrors = 100

// weightTolerance is how far from 1 a weight sum may be and still be used as
// written (decimal weights such as 0.18 + 0.08 + … rarely sum to exactly 1).
const weightTolerance = 1e-6

// evalTolerance is how far outside [0,1] a numeric evaluator may stray on the
// grid through rounding before it is an error; such values are clamped.
const evalTolerance = 1e-9

// Load reads the native scenario file at path (YAML or JSON) with Parse.
// Errors name the file by its base name and line.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open scenario: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read scenario %s: %w", path, err)
	}
	s, err := Parse(data, filepath.Base(path))
	if err != nil {
		return nil, err
	}
	s.Source = path
	return s, nil
}

// Parse reads a native scenario (YAML, or JSON with the same schema) and
// returns it with its space built, every profile prepared (Semantics
// preference.Native) and every variant checked. name labels the data in
// error messages (usually the file's base name).
//
// It returns every problem it finds, joined with errors.Join; each is a
// *ParseError "name:line: path: problem". It never panics and rejects files
// larger than MaxFileSize, YAML anchors and aliases, nesting deeper than 64
// levels and more than MaxValues issue values. The schema and the
// normalisation rules are in docs/scenario-format.md.
func Parse(data []byte, name string) (*Scenario, error) {
	return parse(data, name, false)
}

// ParseView is Parse for a seat's view of a scenario, as the server hands
// it to a seat: the same schema, with only the profiles the seat may see
// (its own; none, or every party's, for a mediator), so fewer than two
// parties are allowed.
func ParseView(data []byte, name string) (*Scenario, error) {
	return parse(data, name, true)
}

func parse(data []byte, name string, view bool) (*Scenario, error) {
	if name == "" {
		name = "scenario"
	}
	if len(data) > MaxFileSize {
		return nil, &ParseError{File: name, Problem: fmt.Sprintf("file is larger than %d bytes; native scenarios are limited to 16 MiB", MaxFileSize)}
	}
	root, err := parseTree(data)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.File = name
			return nil, pe
		}
		return nil, &ParseError{File: name, Problem: err.Error()}
	}
	d := &decoder{file: name, view: view}
	d.check(root, "", 0)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	s := d.scenario(root)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	return s, nil
}

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseTree turns data into the root mapping node. JSON documents go through
// encoding/json; everything else through yaml.v3.
func parseTree(data []byte) (root *yaml.Node, err error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' && json.Valid(data) {
		doc, err := parseJSON(data)
		if err != nil {
			return nil, err
		}
		return doc.Content[0], nil
	}
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &ParseError{Problem: fmt.Sprintf("malformed YAML (the YAML reader failed: %v)", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &ParseError{Problem: "file is empty; a scenario needs at least scenario, issues and parties"}
		}
		msg := err.Error()
		if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &ParseError{Line: line, Problem: "malformed YAML: " + m[2]}
		}
		return nil, &ParseError{Problem: "malformed YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		line := extra.Line
		if err != nil {
			line = 0
		}
		return nil, &ParseError{Line: line, Problem: "more than one YAML document; a scenario file holds exactly one"}
	}
	if len(doc.Content) == 0 {
		return nil, &ParseError{Problem: "file is empty; a scenario needs at least scenario, issues and parties"}
	}
	return doc.Content[0], nil
}

// decoder walks the node tree and collects problems.
type decoder struct {
	file     string
	view     bool // a seat's view: fewer than two parties are allowed (ParseView)
	errs     []error
	warnings []string
	refs     []refUse
}

type refUse struct {
	n    *yaml.Node
	path string
	id   string
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	if len(d.errs) > maxErrors {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	if len(d.errs) == maxErrors {
		d.errs = append(d.errs, &ParseError{File: d.file, Line: line, Problem: fmt.Sprintf("more than %d problems; fix these first", maxErrors)})
		return
	}
	d.errs = append(d.errs, &ParseError{File: d.file, Line: line, Path: path, Problem: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// check rejects what no part of the schema accepts: anchors and aliases
// (expansion bombs), merge keys, non-scalar or duplicate mapping keys, and
// nesting deeper than maxDepth.
func (d *decoder) check(n *yaml.Node, path string, depth int) {
	if depth > maxDepth {
		d.fail(n, path, "nesting deeper than %d levels", maxDepth)
		return
	}
	if n.Kind == yaml.AliasNode {
		d.fail(n, path, "YAML aliases (*%s) are not supported; write the value out", n.Value)
		return
	}
	if n.Anchor != "" {
		d.fail(n, path, "YAML anchors (&%s) are not supported; write the value out", n.Anchor)
	}
	switch n.Kind {
	case yaml.MappingNode:
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				d.fail(k, path, "mapping keys must be plain names, not a %s", kindName(k))
				continue
			}
			kp := join(path, k.Value)
			if k.Tag == "!!merge" {
				d.fail(k, kp, "YAML merge keys (<<) are not supported; write the keys out")
				continue
			}
			if first, dup := seen[k.Value]; dup {
				d.fail(k, kp, "duplicate key (first at line %d)", first)
			} else {
				seen[k.Value] = k.Line
			}
			d.check(v, kp, depth+1)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.check(c, index(path, i), depth+1)
		}
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!int", "!!float":
			return "number " + n.Value
		case "!!bool":
			return "boolean " + n.Value
		}
		return fmt.Sprintf("string %q", n.Value)
	}
	return "empty node"
}

// pair is one key and value of a mapping.
type pair struct {
	key  string
	k, v *yaml.Node
}

// pairs returns the entries of mapping n in document order; a null node is an
// empty mapping.
func (d *decoder) pairs(n *yaml.Node, path string) ([]pair, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got a %s", kindName(n))
		return nil, false
	}
	ps := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		ps = append(ps, pair{n.Content[i].Value, n.Content[i], n.Content[i+1]})
	}
	return ps, true
}

// fields returns the entries of mapping n by key, reporting keys not in known.
func (d *decoder) fields(n *yaml.Node, path string, known ...string) (map[string]pair, bool) {
	ps, ok := d.pairs(n, path)
	if !ok {
		return nil, false
	}
	m := make(map[string]pair, len(ps))
	for _, p := range ps {
		if !contains(known, p.key) {
			d.fail(p.k, join(path, p.key), "unknown key %q (allowed here: %s)", p.key, strings.Join(known, ", "))
			continue
		}
		m[p.key] = p
	}
	return m, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// require reports the keys of known that m lacks.
func (d *decoder) require(n *yaml.Node, path string, m map[string]pair, keys ...string) bool {
	ok := true
	for _, k := range keys {
		if _, has := m[k]; !has {
			d.fail(n, path, "missing key %q", k)
			ok = false
		}
	}
	return ok
}

// text returns a scalar's text; null is "".
func (d *decoder) text(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "want text, got a %s", kindName(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

// id returns a non-empty identifier.
// entry reads item i of the list named list: its fields (only known keys,
// the required ones present) and its id, unique among those in seen (id →
// line, updated). ok is false, with the problem recorded, otherwise.
func (d *decoder) entry(n *yaml.Node, list string, i int, what string, seen map[string]int, known []string, required ...string) (map[string]pair, string, bool) {
	path := index(list, i)
	f, ok := d.fields(n, path, known...)
	if !ok || !d.require(n, path, f, required...) {
		return nil, "", false
	}
	id, ok := d.id(f["id"].v, join(path, "id"))
	if !ok {
		return nil, "", false
	}
	if first, dup := seen[id]; dup {
		d.fail(f["id"].v, join(path, "id"), "%s %q appears twice (first at line %d)", what, id, first)
		return nil, "", false
	}
	seen[id] = f["id"].v.Line
	return f, id, true
}

func (d *decoder) id(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.fail(n, path, "want a name, got a %s", kindName(n))
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		d.fail(n, path, "name is empty")
		return "", false
	}
	return n.Value, true
}

func (d *decoder) ids(n *yaml.Node, path string) ([]string, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want a list, got a %s", kindName(n))
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for i, c := range n.Content {
		s, good := d.id(c, index(path, i))
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

// refList reads a list of source ids and remembers them for checking against
// the sources section.
func (d *decoder) refList(n *yaml.Node, path string) ([]string, bool) {
	ids, ok := d.ids(n, path)
	if ok {
		for i, id := range ids {
			d.refs = append(d.refs, refUse{n.Content[i], index(path, i), id})
		}
	}
	return ids, ok
}

func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		d.fail(n, path, "want a number, got a %s", kindName(n))
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		d.fail(n, path, "%s is not a number", n.Value)
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(n, path, "%s is not a finite number", n.Value)
		return 0, false
	}
	return f, true
}

func (d *decoder) unit(n *yaml.Node, path string) (float64, bool) {
	f, ok := d.number(n, path)
	if ok && (f < 0 || f > 1) {
		d.fail(n, path, "%s is outside [0,1]", n.Value)
		return 0, false
	}
	return f, ok
}

func (d *decoder) integer(n *yaml.Node, path string) (int, bool) {
	f, ok := d.number(n, path)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > 1e15 {
		d.fail(n, path, "%s is not a whole number", n.Value)
		return 0, false
	}
	return int(f), true
}

// raw converts a free-form subtree (metadata) into plain Go values.
func (d *decoder) raw(n *yaml.Node, path string) (any, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			v, good := d.raw(n.Content[i+1], join(path, k))
			ok = ok && good
			m[k] = v
		}
		return m, ok
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		ok := true
		for i, c := range n.Content {
			v, good := d.raw(c, index(path, i))
			ok = ok && good
			l[i] = v
		}
		return l, ok
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, true
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b, true
			}
		case "!!int":
			var i int64
			if n.Decode(&i) == nil {
				return i, true
			}
			return d.number(n, path)
		case "!!float":
			return d.number(n, path)
		}
		return n.Value, true
	}
	d.fail(n, path, "unexpected %s", kindName(n))
	return nil, false
}

func (d *decoder) rawMap(n *yaml.Node, path string) (map[string]any, bool) {
	if _, ok := d.pairs(n, path); !ok {
		return nil, false
	}
	v, ok := d.raw(n, path)
	m, _ := v.(map[string]any)
	return m, ok
}

// meta is the nested map being built for Scenario.Meta.
type meta map[string]any

func (m meta) sub(keys ...string) meta {
	cur := m
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	return cur
}

// keepRaw stores p's value as raw metadata under key in m.
func (d *decoder) keepRaw(m meta, p pair, path string) {
	if v, ok := d.raw(p.v, join(path, p.key)); ok {
		m[p.key] = v
	}
}

// prune removes empty maps from the metadata tree.
func prune(m map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			prune(sub)
			if len(sub) == 0 {
				delete(m, k)
			}
		}
	}
}

var (
	topKeys      = []string{"schema_version", "scenario", "protocol", "issues", "constraints", "parties", "mediator", "themes", "variants", "sources"}
	headerKeys   = []string{"id", "title", "description", "parties", "mediator", "as_of", "anchor_article", "anchor_refs", "note_on_later_events"}
	protocolKeys = []string{"default", "formats", "party_format_preferences", "suggested_deadline_rounds"}
	issueKeys    = []string{"id", "name", "description", "type", "options", "min", "max", "steps", "no_deal_option", "refs"}
	optionKeys   = []string{"id", "label", "description", "refs"}
	ruleKeys     = []string{"id", "if", "then", "note", "refs"}
	partyKeys    = []string{"name", "description", "reservation_value", "discount", "weights", "values", "red_lines", "red_line_refs", "rationale", "refs", "no_deal_values", "reservation_derivation"}
	mediatorKeys = append([]string{"id", "role"}, partyKeys...)
	patchKeys    = []string{"reservation_value", "discount", "weights", "values", "red_lines"}
	variantKeys  = []string{"description", "refs"}
	sourceKeys   = []string{"title", "date", "url", "also"}
	evalKeys     = []string{"type", "slope", "offset", "lo", "top", "hi", "value", "x", "y"}
)

func (d *decoder) scenario(root *yaml.Node) *Scenario {
	top, ok := d.fields(root, "", topKeys...)
	if !ok {
		return nil
	}
	required := []string{"scenario", "issues", "parties"}
	if d.view {
		required = required[:2]
	}
	if !d.require(root, "", top, required...) {
		return nil
	}
	s := &Scenario{Format: "native", Source: d.file}
	md := meta{}
	if p, has := top["schema_version"]; has {
		if v, ok := d.integer(p.v, "schema_version"); ok && v != 1 {
			d.fail(p.v, "schema_version", "version %d is not supported; this backchannel reads version 1", v)
		}
	}
	hdr := d.header(top["scenario"], s, md)

	issues, imeta := d.issues(top["issues"].v)
	if len(d.errs) > 0 {
		return nil
	}
	if len(imeta) > 0 {
		md["issues"] = imeta
	}
	var rules []outcome.Rule
	if p, has := top["constraints"]; has {
		rules = d.rules(p.v, issues, md)
	}
	sp, err := outcome.NewSpace(issues, rules)
	if err != nil {
		d.fail(top["issues"].v, "issues", "%v", err)
		return nil
	}
	s.Space = sp

	if p, has := top["protocol"]; has {
		d.protocol(p.v, s, md)
	}
	if p, has := top["parties"]; has {
		s.Parties = d.parties(p.v, sp, md)
	}
	if hdr.parties != nil && len(d.errs) == 0 {
		var got []string
		for _, p := range s.Parties {
			got = append(got, p.ID)
		}
		if strings.Join(got, "\x00") != strings.Join(hdr.parties, "\x00") {
			d.fail(hdr.partiesNode, "scenario.parties", "lists %v but the parties section defines %v (same ids, same order)", hdr.parties, got)
		}
	}
	if p, has := top["mediator"]; has {
		s.Mediator = d.mediator(p.v, sp, s, md)
	}
	switch {
	case hdr.mediator != "" && s.Mediator == nil && len(d.errs) == 0:
		d.fail(hdr.mediatorNode, "scenario.mediator", "names mediator %q but there is no mediator section", hdr.mediator)
	case hdr.mediator != "" && s.Mediator != nil && s.Mediator.ID != hdr.mediator:
		d.fail(hdr.mediatorNode, "scenario.mediator", "names mediator %q but the mediator section's id is %q", hdr.mediator, s.Mediator.ID)
	}
	if p, has := top["themes"]; has {
		if m, ok := d.rawMap(p.v, "themes"); ok {
			s.Themes = m
		}
	}
	var variantNodes []*yaml.Node
	if p, has := top["variants"]; has {
		s.Variants, variantNodes = d.variants(p.v, s)
	}
	if p, has := top["sources"]; has {
		s.Sources = d.sources(p.v)
		known := make(map[string]bool, len(s.Sources))
		for _, r := range s.Sources {
			known[r.ID] = true
		}
		for _, r := range d.refs {
			if !known[r.id] {
				d.fail(r.n, r.path, "unknown source %q (not in sources)", r.id)
			}
		}
	}
	if len(d.errs) > 0 {
		return nil
	}
	for i := range s.Variants {
		if _, err := s.WithVariant(s.Variants[i].Name); err != nil {
			d.fail(variantNodes[i], join("variants", s.Variants[i].Name), "%v", err)
		}
	}
	prune(md)
	if len(md) > 0 {
		s.Meta = md
	}
	s.Warnings = d.warnings
	return s
}

type header struct {
	parties      []string
	partiesNode  *yaml.Node
	mediator     string
	mediatorNode *yaml.Node
}

func (d *decoder) header(p pair, s *Scenario, md meta) header {
	var h header
	const path = "scenario"
	f, ok := d.fields(p.v, path, headerKeys...)
	if !ok {
		return h
	}
	if !d.require(p.v, path, f, "id") {
		return h
	}
	s.ID, _ = d.id(f["id"].v, "scenario.id")
	if q, has := f["title"]; has {
		s.Title, _ = d.text(q.v, "scenario.title")
	}
	if q, has := f["description"]; has {
		s.Description, _ = d.text(q.v, "scenario.description")
	}
	if q, has := f["parties"]; has {
		h.parties, _ = d.ids(q.v, "scenario.parties")
		h.partiesNode = q.v
	}
	if q, has := f["mediator"]; has {
		h.mediator, _ = d.id(q.v, "scenario.mediator")
		h.mediatorNode = q.v
	}
	if q, has := f["anchor_refs"]; has {
		d.refList(q.v, "scenario.anchor_refs")
	}
	for _, k := range []string{"as_of", "anchor_article", "anchor_refs", "note_on_later_events"} {
		if q, has := f[k]; has {
			d.keepRaw(md.sub("scenario"), q, path)
		}
	}
	return h
}

func (d *decoder) protocol(n *yaml.Node, s *Scenario, md meta) {
	f, ok := d.fields(n, "protocol", protocolKeys...)
	if !ok {
		return
	}
	for k, p := range f {
		if k == "suggested_deadline_rounds" {
			if v, ok := d.integer(p.v, "protocol.suggested_deadline_rounds"); ok {
				if v < 0 || v > math.MaxInt32 {
					d.fail(p.v, "protocol.suggested_deadline_rounds", "%d is not a round count (0 to %d)", v, math.MaxInt32)
				} else {
					s.SuggestedDeadlineRounds = v
				}
			}
			continue
		}
		d.keepRaw(md.sub("protocol"), p, "protocol")
	}
}

// issues reads the issues list.
func (d *decoder) issues(n *yaml.Node) ([]outcome.Issue, map[string]any) {
	md := meta{}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "issues", "want a list of issues, got a %s", kindName(n))
		return nil, nil
	}
	if len(n.Content) == 0 {
		d.fail(n, "issues", "no issues; a scenario needs at least one")
		return nil, nil
	}
	var out []outcome.Issue
	seen := map[string]int{}
	total := 0
	for i, in := range n.Content {
		f, id, ok := d.entry(in, "issues", i, "issue", seen, issueKeys, "id")
		if !ok {
			continue
		}
		path := join("issues", id)
		is := outcome.Issue{Name: id}
		im := md.sub(id)
		if p, has := f["name"]; has {
			if t, ok := d.text(p.v, join(path, "name")); ok && t != "" {
				im["name"] = t
			}
		}
		if p, has := f["description"]; has {
			is.Description, _ = d.text(p.v, join(path, "description"))
		}
		kind := "discrete"
		if p, has := f["type"]; has {
			kind, _ = d.text(p.v, join(path, "type"))
		}
		switch kind {
		case "discrete":
			for _, k := range []string{"min", "max", "steps"} {
				if p, has := f[k]; has {
					d.fail(p.k, join(path, k), "only integer and real issues have %s", k)
				}
			}
			if !d.require(in, path, f, "options") {
				continue
			}
			d.options(f["options"].v, join(path, "options"), &is, im)
		case "integer", "real":
			if p, has := f["options"]; has {
				d.fail(p.k, join(path, "options"), "a %s issue has min and max, not options", kind)
				continue
			}
			if !d.require(in, path, f, "min", "max") {
				continue
			}
			if !d.numericIssue(f, path, kind, &is) {
				continue
			}
		default:
			d.fail(f["type"].v, join(path, "type"), "unknown issue type %q (want discrete, integer or real)", kind)
			continue
		}
		if len(is.Values) == 0 {
			continue
		}
		total += len(is.Values)
		if total > MaxValues {
			d.fail(in, path, "the issues have more than %d values in all; a native scenario is limited to that", MaxValues)
			return nil, nil
		}
		if p, has := f["no_deal_option"]; has {
			if p.v.Kind == yaml.ScalarNode && p.v.Tag != "!!null" && is.ValueIndex(p.v.Value) < 0 {
				d.fail(p.v, join(path, "no_deal_option"), "unknown option %q of issue %q", p.v.Value, id)
			} else {
				d.keepRaw(im, p, path)
			}
		}
		if p, has := f["refs"]; has {
			if _, ok := d.refList(p.v, join(path, "refs")); ok {
				d.keepRaw(im, p, path)
			}
		}
		out = append(out, is)
	}
	return out, md
}

func (d *decoder) options(n *yaml.Node, path string, is *outcome.Issue, im meta) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.fail(n, path, "want a non-empty list of options, got a %s", kindName(n))
		return
	}
	if len(n.Content) > MaxValues {
		d.fail(n, path, "more than %d options", MaxValues)
		return
	}
	seen := map[string]int{}
	labelled := false
	var labels []string
	for i, on := range n.Content {
		op := index(path, i)
		var id, label string
		var f map[string]pair
		if on.Kind == yaml.MappingNode {
			var ok bool
			if f, ok = d.fields(on, op, optionKeys...); !ok || !d.require(on, op, f, "id") {
				continue
			}
			if id, ok = d.id(f["id"].v, join(op, "id")); !ok {
				continue
			}
			if p, has := f["label"]; has {
				label, _ = d.text(p.v, join(op, "label"))
			}
		} else {
			var ok bool
			if id, ok = d.id(on, op); !ok {
				continue
			}
		}
		if first, dup := seen[id]; dup {
			d.fail(on, op, "option %q appears twice (first at line %d)", id, first)
			continue
		}
		seen[id] = on.Line
		is.Values = append(is.Values, id)
		labels = append(labels, label)
		labelled = labelled || label != ""
		for _, k := range []string{"description", "refs"} {
			if p, has := f[k]; has {
				if k == "refs" {
					if _, ok := d.refList(p.v, join(op, k)); !ok {
						continue
					}
				}
				d.keepRaw(im.sub("options", id), p, op)
			}
		}
	}
	if labelled {
		is.Labels = labels
	}
}

func (d *decoder) numericIssue(f map[string]pair, path, kind string, is *outcome.Issue) bool {
	if kind == "integer" {
		if p, has := f["steps"]; has {
			d.fail(p.k, join(path, "steps"), "integer issues take every whole number from min to max; steps is for real issues")
			return false
		}
		lo, ok1 := d.integer(f["min"].v, join(path, "min"))
		hi, ok2 := d.integer(f["max"].v, join(path, "max"))
		if !ok1 || !ok2 {
			return false
		}
		if lo > hi {
			d.fail(f["max"].v, join(path, "max"), "max %d is below min %d", hi, lo)
			return false
		}
		if hi-lo >= MaxValues {
			d.fail(f["max"].v, join(path, "max"), "the range %d..%d has more than %d values", lo, hi, MaxValues)
			return false
		}
		*is = outcome.Issue{Name: is.Name, Description: is.Description, Kind: outcome.Integer}
		ni := outcome.NewInteger(is.Name, lo, hi)
		is.Values, is.Min, is.Max = ni.Values, ni.Min, ni.Max
		return true
	}
	lo, ok1 := d.number(f["min"].v, join(path, "min"))
	hi, ok2 := d.number(f["max"].v, join(path, "max"))
	if !ok1 || !ok2 {
		return false
	}
	if !(lo < hi) {
		d.fail(f["max"].v, join(path, "max"), "max %s must be above min %s", f["max"].v.Value, f["min"].v.Value)
		return false
	}
	if !d.require(f["min"].k, path, f, "steps") {
		return false
	}
	steps, ok := d.integer(f["steps"].v, join(path, "steps"))
	if !ok {
		return false
	}
	if steps < 2 || steps > MaxValues {
		d.fail(f["steps"].v, join(path, "steps"), "%d grid points; want 2 to %d", steps, MaxValues)
		return false
	}
	nr := outcome.NewReal(is.Name, lo, hi, steps)
	is.Kind, is.Values, is.Min, is.Max = outcome.Real, nr.Values, nr.Min, nr.Max
	seen := make(map[string]bool, len(is.Values))
	for _, v := range is.Values {
		if seen[v] {
			d.fail(f["steps"].v, join(path, "steps"), "%d grid points between %s and %s are too close to tell apart", steps, f["min"].v.Value, f["max"].v.Value)
			return false
		}
		seen[v] = true
	}
	return true
}

// valueSet reads a condition or red-line list: value names of issue is (or,
// for numeric issues, a {min, max} range) → one flag per value.
func (d *decoder) valueSet(n *yaml.Node, path string, is *outcome.Issue) ([]bool, bool) {
	set := make([]bool, is.Len())
	if n.Kind == yaml.MappingNode && is.Kind != outcome.Discrete {
		f, ok := d.fields(n, path, "min", "max")
		if !ok || !d.require(n, path, f, "min", "max") {
			return nil, false
		}
		lo, ok1 := d.number(f["min"].v, join(path, "min"))
		hi, ok2 := d.number(f["max"].v, join(path, "max"))
		if !ok1 || !ok2 {
			return nil, false
		}
		for v := range set {
			x := is.Number(int32(v))
			set[v] = x >= lo && x <= hi
		}
		return set, true
	}
	names, ok := d.ids(n, path)
	if !ok {
		return nil, false
	}
	for i, name := range names {
		vi := is.ValueIndex(name)
		if vi < 0 {
			d.fail(n.Content[i], index(path, i), "unknown option %q of issue %q", name, is.Name)
			ok = false
			continue
		}
		set[vi] = true
	}
	return set, ok
}

func issueByName(issues []outcome.Issue, name string) int {
	for i := range issues {
		if issues[i].Name == name {
			return i
		}
	}
	return -1
}

func (d *decoder) rules(n *yaml.Node, issues []outcome.Issue, md meta) []outcome.Rule {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "constraints", "want a list of rules, got a %s", kindName(n))
		return nil
	}
	var out []outcome.Rule
	seen := map[string]int{}
	for i, rn := range n.Content {
		f, id, ok := d.entry(rn, "constraints", i, "rule", seen, ruleKeys, "id", "then")
		if !ok {
			continue
		}
		path := join("constraints", id)
		r := outcome.Rule{Name: id}
		if p, has := f["note"]; has {
			r.Note, _ = d.text(p.v, join(path, "note"))
		}
		good := true
		if p, has := f["if"]; has {
			r.If, ok = d.conditions(p.v, join(path, "if"), issues)
			good = good && ok
		}
		r.Then, ok = d.conditions(f["then"].v, join(path, "then"), issues)
		good = good && ok
		if good && len(r.Then) == 0 {
			d.fail(f["then"].v, join(path, "then"), "a rule needs at least one condition under then")
			good = false
		}
		if p, has := f["refs"]; has {
			if _, ok := d.refList(p.v, join(path, "refs")); ok {
				d.keepRaw(md.sub("constraints", id), p, path)
			}
		}
		if good {
			out = append(out, r)
		}
	}
	return out
}

func (d *decoder) conditions(n *yaml.Node, path string, issues []outcome.Issue) ([]outcome.Condition, bool) {
	ps, ok := d.pairs(n, path)
	if !ok {
		return nil, false
	}
	var out []outcome.Condition
	for _, p := range ps {
		ii := issueByName(issues, p.key)
		if ii < 0 {
			d.fail(p.k, join(path, p.key), "unknown issue %q", p.key)
			ok = false
			continue
		}
		set, good := d.valueSet(p.v, join(path, p.key), &issues[ii])
		if !good {
			ok = false
			continue
		}
		out = append(out, outcome.Condition{Issue: ii, Allowed: set})
	}
	return out, ok
}

func (d *decoder) parties(n *yaml.Node, sp *outcome.Space, md meta) []*Party {
	ps, ok := d.pairs(n, "parties")
	if !ok {
		return nil
	}
	if len(ps) < 2 && !d.view {
		d.fail(n, "parties", "%d parties; a negotiation needs at least two", len(ps))
	}
	var out []*Party
	for _, p := range ps {
		path := join("parties", p.key)
		if contains(variantKeys, p.key) {
			d.fail(p.k, path, "%q cannot be a party id: variants use it as a key", p.key)
			continue
		}
		f, ok := d.fields(p.v, path, partyKeys...)
		if !ok {
			continue
		}
		if party := d.party(p.v, f, path, p.key, sp, md.sub("parties", p.key)); party != nil {
			out = append(out, party)
		}
	}
	return out
}

func (d *decoder) mediator(n *yaml.Node, sp *outcome.Space, s *Scenario, md meta) *Party {
	const path = "mediator"
	f, ok := d.fields(n, path, mediatorKeys...)
	if !ok || !d.require(n, path, f, "id") {
		return nil
	}
	id, ok := d.id(f["id"].v, "mediator.id")
	if !ok {
		return nil
	}
	if s.PartyIndex(id) >= 0 {
		d.fail(f["id"].v, "mediator.id", "%q is already a party; the mediator needs its own id", id)
		return nil
	}
	if contains(variantKeys, id) {
		d.fail(f["id"].v, "mediator.id", "%q cannot be a mediator id: variants use it as a key", id)
		return nil
	}
	m := md.sub("mediator")
	if p, has := f["role"]; has {
		d.keepRaw(m, p, path)
	}
	delete(f, "id")
	delete(f, "role")
	return d.party(n, f, path, id, sp, m)
}

// party reads one profile (a party's or the mediator's).
func (d *decoder) party(n *yaml.Node, f map[string]pair, path, id string, sp *outcome.Space, pm meta) *Party {
	if !d.require(n, path, f, "reservation_value", "weights", "values") {
		return nil
	}
	party := &Party{ID: id}
	prof := &preference.Profile{Name: id, Discount: 1, Semantics: preference.Native, Issues: make([]preference.IssueUtility, sp.NumIssues())}
	ok := true
	if p, has := f["name"]; has {
		party.Name, _ = d.text(p.v, join(path, "name"))
	}
	rv, good := d.unit(f["reservation_value"].v, join(path, "reservation_value"))
	ok = ok && good
	prof.Reservation = rv
	if p, has := f["discount"]; has {
		dv, good := d.discount(p.v, join(path, "discount"))
		ok = ok && good
		prof.Discount = dv
	}
	w, good := d.weights(f["weights"].v, join(path, "weights"), sp, true)
	ok = ok && good
	if good {
		for i := range prof.Issues {
			prof.Issues[i].Weight = w[sp.Issues[i].Name]
		}
	}
	ok = d.values(f["values"].v, join(path, "values"), sp, prof) && ok
	if p, has := f["red_lines"]; has {
		rl, good := d.redLines(p.v, join(path, "red_lines"), sp)
		ok = ok && good
		for i, issue := range sp.Issues {
			if set, has := rl[issue.Name]; has {
				if prof.RedLines == nil {
					prof.RedLines = make([][]bool, sp.NumIssues())
				}
				prof.RedLines[i] = set
			}
		}
		if !prof.HasRedLines() {
			prof.RedLines = nil
		}
	}
	if p, has := f["rationale"]; has {
		ps, good := d.pairs(p.v, join(path, "rationale"))
		ok = ok && good
		for _, q := range ps {
			if sp.IssueIndex(q.key) < 0 {
				d.fail(q.k, join(join(path, "rationale"), q.key), "unknown issue %q", q.key)
				ok = false
				continue
			}
			t, good := d.text(q.v, join(join(path, "rationale"), q.key))
			ok = ok && good
			if party.Rationale == nil {
				party.Rationale = map[string]string{}
			}
			party.Rationale[q.key] = t
		}
	}
	if p, has := f["refs"]; has {
		party.Refs, good = d.refList(p.v, join(path, "refs"))
		ok = ok && good
	}
	if p, has := f["red_line_refs"]; has {
		if _, good := d.refList(p.v, join(path, "red_line_refs")); good {
			d.keepRaw(pm, p, path)
		}
	}
	if p, has := f["no_deal_values"]; has {
		np := join(path, "no_deal_values")
		ps, good := d.pairs(p.v, np)
		for _, q := range ps {
			if sp.IssueIndex(q.key) < 0 {
				d.fail(q.k, join(np, q.key), "unknown issue %q", q.key)
				good = false
				continue
			}
			_, g := d.unit(q.v, join(np, q.key))
			good = good && g
		}
		if good {
			d.keepRaw(pm, p, path)
		}
	}
	for _, k := range []string{"description", "reservation_derivation"} {
		if p, has := f[k]; has {
			d.keepRaw(pm, p, path)
		}
	}
	if !ok {
		return nil
	}
	if err := prof.Prepare(sp); err != nil {
		d.fail(n, path, "%v", err)
		return nil
	}
	party.Profile = prof
	return party
}

func (d *decoder) discount(n *yaml.Node, path string) (float64, bool) {
	v, ok := d.number(n, path)
	if ok && (v <= 0 || v > 1) {
		d.fail(n, path, "%s is outside (0,1]; 1 means no discounting", n.Value)
		return 1, false
	}
	return v, ok
}

// weights reads issue → weight. With all set every issue must be named. The
// result is normalised (see docs/scenario-format.md).
func (d *decoder) weights(n *yaml.Node, path string, sp *outcome.Space, all bool) (map[string]float64, bool) {
	ps, ok := d.pairs(n, path)
	if !ok {
		return nil, false
	}
	w := make(map[string]float64, len(ps))
	var sum float64
	for _, p := range ps {
		if sp.IssueIndex(p.key) < 0 {
			d.fail(p.k, join(path, p.key), "unknown issue %q", p.key)
			ok = false
			continue
		}
		v, good := d.number(p.v, join(path, p.key))
		if good && v < 0 {
			d.fail(p.v, join(path, p.key), "%s is negative", p.v.Value)
			good = false
		}
		ok = ok && good
		w[p.key] = v
		sum += v
	}
	if all {
		for _, is := range sp.Issues {
			if _, has := w[is.Name]; !has {
				d.fail(n, path, "no weight for issue %q", is.Name)
				ok = false
			}
		}
	}
	if !ok {
		return nil, false
	}
	if sum <= 0 {
		d.fail(n, path, "weights sum to 0; give at least one issue a positive weight")
		return nil, false
	}
	if math.Abs(sum-1) > weightTolerance {
		for k := range w {
			w[k] /= sum
		}
		d.warnings = append(d.warnings, fmt.Sprintf("%s:%d: %s: weights sum to %s, not 1; they are used divided by their sum", d.file, n.Line, path, strconv.FormatFloat(sum, 'g', 10, 64)))
	}
	return w, true
}

// values reads issue → evaluations into prof (every issue, every value).
func (d *decoder) values(n *yaml.Node, path string, sp *outcome.Space, prof *preference.Profile) bool {
	ps, ok := d.pairs(n, path)
	if !ok {
		return false
	}
	done := make([]bool, sp.NumIssues())
	for _, p := range ps {
		ii := sp.IssueIndex(p.key)
		if ii < 0 {
			d.fail(p.k, join(path, p.key), "unknown issue %q", p.key)
			ok = false
			continue
		}
		done[ii] = true
		eval, num, good := d.evaluation(p.v, join(path, p.key), &sp.Issues[ii], true)
		ok = ok && good
		prof.Issues[ii].Eval, prof.Issues[ii].Numeric = eval, num
	}
	for i, is := range sp.Issues {
		if !done[i] {
			d.fail(n, path, "no values for issue %q", is.Name)
			ok = false
		}
	}
	return ok
}

// evaluation reads one issue's values: a table value → [0,1] (complete when
// all is set) or, for numeric issues, an evaluator. Missing table entries are
// NaN when all is false.
func (d *decoder) evaluation(n *yaml.Node, path string, is *outcome.Issue, all bool) ([]float64, *preference.Numeric, bool) {
	if is.Kind != outcome.Discrete && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "type" {
				return d.evaluator(n, path, is)
			}
		}
	}
	ps, ok := d.pairs(n, path)
	if !ok {
		return nil, nil, false
	}
	eval := make([]float64, is.Len())
	set := make([]bool, is.Len())
	for _, p := range ps {
		vi := is.ValueIndex(p.key)
		if vi < 0 {
			d.fail(p.k, join(path, p.key), "unknown option %q of issue %q", p.key, is.Name)
			ok = false
			continue
		}
		if set[vi] {
			d.fail(p.k, join(path, p.key), "value %q of issue %q is given twice", is.Values[vi], is.Name)
			ok = false
			continue
		}
		set[vi] = true
		v, good := d.unit(p.v, join(path, p.key))
		ok = ok && good
		eval[vi] = v
	}
	for vi, has := range set {
		if has {
			continue
		}
		if all {
			d.fail(n, path, "no value for option %q", is.Values[vi])
			ok = false
		} else {
			eval[vi] = math.NaN()
		}
	}
	return eval, nil, ok
}

// evaluator reads a numeric evaluator and tabulates it on the issue's grid.
func (d *decoder) evaluator(n *yaml.Node, path string, is *outcome.Issue) ([]float64, *preference.Numeric, bool) {
	f, ok := d.fields(n, path, evalKeys...)
	if !ok {
		return nil, nil, false
	}
	kind, _ := d.text(f["type"].v, join(path, "type"))
	num := &preference.Numeric{Kind: preference.NumericKind(kind), Min: is.Min, Clamp: true}
	want := map[string][]string{
		"linear":     {"slope", "offset"},
		"triangular": {"lo", "top", "hi"},
		"constant":   {"value"},
		"points":     {"x", "y"},
	}[kind]
	if want == nil {
		d.fail(f["type"].v, join(path, "type"), "unknown evaluator %q (want linear, triangular, constant or points)", kind)
		return nil, nil, false
	}
	for k, p := range f {
		if k != "type" && !contains(want, k) {
			d.fail(p.k, join(path, k), "a %s evaluator takes %s, not %s", kind, strings.Join(want, " and "), k)
			ok = false
		}
	}
	if !ok || !d.require(n, path, f, want...) {
		return nil, nil, false
	}
	num1 := func(k string) float64 {
		v, good := d.number(f[k].v, join(path, k))
		ok = ok && good
		return v
	}
	switch kind {
	case "linear":
		num.Slope, num.Offset = num1("slope"), num1("offset")
	case "triangular":
		num.Lo, num.Top, num.Hi = num1("lo"), num1("top"), num1("hi")
		if ok && !(num.Lo <= num.Top && num.Top <= num.Hi) {
			d.fail(n, path, "want lo ≤ top ≤ hi, got %g, %g, %g", num.Lo, num.Top, num.Hi)
			ok = false
		}
	case "constant":
		num.Offset = num1("value")
	case "points":
		num.X, ok = d.numbers(f["x"].v, join(path, "x"))
		var good bool
		num.Y, good = d.numbers(f["y"].v, join(path, "y"))
		ok = ok && good
		if ok && (len(num.X) == 0 || len(num.X) != len(num.Y)) {
			d.fail(n, path, "x and y need the same number of points, at least one (got %d and %d)", len(num.X), len(num.Y))
			ok = false
		}
		for i := 1; ok && i < len(num.X); i++ {
			if num.X[i] < num.X[i-1] {
				d.fail(f["x"].v.Content[i], index(join(path, "x"), i), "x must not decrease (%g after %g)", num.X[i], num.X[i-1])
				ok = false
			}
		}
	}
	if !ok {
		return nil, nil, false
	}
	eval := make([]float64, is.Len())
	for v := range eval {
		num.Clamp = false
		e := num.At(is.Number(int32(v)))
		if e < -evalTolerance || e > 1+evalTolerance {
			d.fail(n, path, "the evaluator gives %g at %s, outside [0,1]", e, is.Values[v])
			return nil, nil, false
		}
		num.Clamp = true
		eval[v] = num.At(is.Number(int32(v)))
	}
	return eval, num, true
}

func (d *decoder) numbers(n *yaml.Node, path string) ([]float64, bool) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want a list of numbers, got a %s", kindName(n))
		return nil, false
	}
	out := make([]float64, len(n.Content))
	ok := true
	for i, c := range n.Content {
		v, good := d.number(c, index(path, i))
		ok = ok && good
		out[i] = v
	}
	return out, ok
}

func (d *decoder) redLines(n *yaml.Node, path string, sp *outcome.Space) (map[string][]bool, bool) {
	ps, ok := d.pairs(n, path)
	if !ok {
		return nil, false
	}
	out := make(map[string][]bool, len(ps))
	for _, p := range ps {
		ii := sp.IssueIndex(p.key)
		if ii < 0 {
			d.fail(p.k, join(path, p.key), "unknown issue %q", p.key)
			ok = false
			continue
		}
		set, good := d.valueSet(p.v, join(path, p.key), &sp.Issues[ii])
		ok = ok && good
		out[p.key] = set
	}
	return out, ok
}

func (d *decoder) variants(n *yaml.Node, s *Scenario) ([]Variant, []*yaml.Node) {
	ps, ok := d.pairs(n, "variants")
	if !ok {
		return nil, nil
	}
	var out []Variant
	var nodes []*yaml.Node
	for _, p := range ps {
		path := join("variants", p.key)
		vps, ok := d.pairs(p.v, path)
		if !ok {
			continue
		}
		v := Variant{Name: p.key, Patches: map[string]Patch{}}
		good := true
		for _, q := range vps {
			qp := join(path, q.key)
			switch {
			case q.key == "description":
				v.Description, _ = d.text(q.v, qp)
			case q.key == "refs":
				v.Refs, _ = d.refList(q.v, qp)
			case s.PartyIndex(q.key) >= 0 || (s.Mediator != nil && s.Mediator.ID == q.key):
				patch, ok := d.patch(q.v, qp, s.Space)
				good = good && ok
				v.Patches[q.key] = patch
			default:
				var ids []string
				for _, pt := range s.Parties {
					ids = append(ids, pt.ID)
				}
				if s.Mediator != nil {
					ids = append(ids, s.Mediator.ID)
				}
				d.fail(q.k, qp, "unknown key %q (allowed here: description, refs, or a party id: %s)", q.key, strings.Join(ids, ", "))
				good = false
			}
		}
		if good {
			out = append(out, v)
			nodes = append(nodes, p.k)
		}
	}
	return out, nodes
}

func (d *decoder) patch(n *yaml.Node, path string, sp *outcome.Space) (Patch, bool) {
	var pt Patch
	f, ok := d.fields(n, path, patchKeys...)
	if !ok {
		return pt, false
	}
	if p, has := f["reservation_value"]; has {
		v, good := d.unit(p.v, join(path, "reservation_value"))
		ok = ok && good
		pt.Reservation = &v
	}
	if p, has := f["discount"]; has {
		v, good := d.discount(p.v, join(path, "discount"))
		ok = ok && good
		pt.Discount = &v
	}
	if p, has := f["weights"]; has {
		w, good := d.weights(p.v, join(path, "weights"), sp, true)
		ok = ok && good
		pt.Weights = w
	}
	if p, has := f["values"]; has {
		vp := join(path, "values")
		ps, good := d.pairs(p.v, vp)
		ok = ok && good
		for _, q := range ps {
			ii := sp.IssueIndex(q.key)
			if ii < 0 {
				d.fail(q.k, join(vp, q.key), "unknown issue %q", q.key)
				ok = false
				continue
			}
			is := &sp.Issues[ii]
			eval, _, good := d.evaluation(q.v, join(vp, q.key), is, false)
			ok = ok && good
			if !good {
				continue
			}
			if pt.Values == nil {
				pt.Values = map[string]map[string]float64{}
			}
			m := map[string]float64{}
			for vi, e := range eval {
				if !math.IsNaN(e) {
					m[is.Values[vi]] = e
				}
			}
			pt.Values[q.key] = m
		}
	}
	if p, has := f["red_lines"]; has {
		rl, good := d.redLines(p.v, join(path, "red_lines"), sp)
		ok = ok && good
		pt.RedLines = map[string][]string{}
		for name, set := range rl {
			is := &sp.Issues[sp.IssueIndex(name)]
			vals := []string{}
			for vi, b := range set {
				if b {
					vals = append(vals, is.Values[vi])
				}
			}
			pt.RedLines[name] = vals
		}
	}
	return pt, ok
}

func (d *decoder) sources(n *yaml.Node) []Reference {
	ps, ok := d.pairs(n, "sources")
	if !ok {
		return nil
	}
	out := make([]Reference, 0, len(ps))
	for _, p := range ps {
		path := join("sources", p.key)
		f, ok := d.fields(p.v, path, sourceKeys...)
		if !ok {
			continue
		}
		r := Reference{ID: p.key}
		if q, has := f["title"]; has {
			r.Title, _ = d.text(q.v, join(path, "title"))
		}
		if q, has := f["date"]; has {
			r.Date, _ = d.text(q.v, join(path, "date"))
		}
		if q, has := f["url"]; has {
			r.URL, _ = d.text(q.v, join(path, "url"))
		}
		if q, has := f["also"]; has {
			r.Also, _ = d.ids(q.v, join(path, "also"))
		}
		out = append(out, r)
	}
	return out
}

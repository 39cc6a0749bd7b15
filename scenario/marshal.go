package scenario

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// Marshal writes s in the native format, format "yaml" or "json". Parse of the
// result gives the same space, rules, utilities, red lines, reservation
// values, discounts, variants, sources, themes and metadata (Meta). Numbers
// are written in the shortest form that reads back to the same float64.
//
// It returns an error if s has no space, a profile is not linear additive
// (Custom set) or does not match the space, or Meta or Themes hold a value
// the format cannot carry (anything but string, number, bool, nil, lists and
// string-keyed maps).
func Marshal(s *Scenario, format string) ([]byte, error) {
	if format != "yaml" && format != "json" {
		return nil, fmt.Errorf("unknown scenario format %q (want yaml or json)", format)
	}
	root, err := encodeScenario(s)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if format == "json" {
		if err := writeJSON(&b, root, 0); err != nil {
			return nil, err
		}
		b.WriteByte('\n')
		return b.Bytes(), nil
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("write scenario %q as YAML: %w", s.ID, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func strNode(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func numNode(f float64) *yaml.Node {
	v := strconv.FormatFloat(f, 'g', -1, 64)
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: numberTag(v), Value: v}
}

func mapNode(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func listNode(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, it := range items {
		n.Content = append(n.Content, strNode(it))
	}
	return n
}

func put(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, strNode(key), v)
}

// rawNode converts a raw metadata value back into a node.
func rawNode(v any, path string) (*yaml.Node, error) {
	switch x := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	case string:
		return strNode(x), nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}, nil
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(x)}, nil
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(x, 10)}, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: %v is not a finite number", path, x)
		}
		n := numNode(x)
		if n.Tag == "!!int" { // keep a raw float a float when read back
			n.Value += ".0"
			n.Tag = "!!float"
		}
		return n, nil
	case []string:
		return listNode(x), nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		flat := true
		for i, e := range x {
			c, err := rawNode(e, path+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			flat = flat && c.Kind == yaml.ScalarNode && len(c.Value) < 40
			n.Content = append(n.Content, c)
		}
		if flat {
			n.Style = yaml.FlowStyle
		}
		return n, nil
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return rawNode(m, path)
	case map[string]any:
		n := mapNode(false)
		for _, k := range sortedKeys(x) {
			c, err := rawNode(x[k], join(path, k))
			if err != nil {
				return nil, err
			}
			put(n, k, c)
		}
		return n, nil
	}
	return nil, fmt.Errorf("%s: a %T cannot be written in a native scenario", path, v)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// metaAt returns the metadata map at the nested keys, or nil.
func (s *Scenario) metaAt(keys ...string) map[string]any {
	cur := s.Meta
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

// putMeta appends the entries of m (sorted, skipping keys in skip) to n.
func putMeta(n *yaml.Node, m map[string]any, path string, skip ...string) error {
	for _, k := range sortedKeys(m) {
		if contains(skip, k) {
			continue
		}
		c, err := rawNode(m[k], join(path, k))
		if err != nil {
			return err
		}
		put(n, k, c)
	}
	return nil
}

func encodeScenario(s *Scenario) (*yaml.Node, error) {
	if s == nil || s.Space == nil {
		return nil, fmt.Errorf("scenario has no outcome space; nothing to write")
	}
	sp := s.Space
	root := mapNode(false)
	put(root, "schema_version", numNode(1))

	hdr := mapNode(false)
	put(hdr, "id", strNode(s.ID))
	if s.Title != "" {
		put(hdr, "title", strNode(s.Title))
	}
	if s.Description != "" {
		put(hdr, "description", strNode(s.Description))
	}
	ids := make([]string, len(s.Parties))
	for i, p := range s.Parties {
		ids[i] = p.ID
	}
	put(hdr, "parties", listNode(ids))
	if s.Mediator != nil {
		put(hdr, "mediator", strNode(s.Mediator.ID))
	}
	if err := putMeta(hdr, s.metaAt("scenario"), "scenario", "id", "title", "description", "parties", "mediator"); err != nil {
		return nil, err
	}
	put(root, "scenario", hdr)

	proto := mapNode(false)
	if err := putMeta(proto, s.metaAt("protocol"), "protocol", "suggested_deadline_rounds"); err != nil {
		return nil, err
	}
	if s.SuggestedDeadlineRounds > 0 {
		put(proto, "suggested_deadline_rounds", numNode(float64(s.SuggestedDeadlineRounds)))
	}
	if len(proto.Content) > 0 {
		put(root, "protocol", proto)
	}

	issues := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for i := range sp.Issues {
		n, err := encodeIssue(s, &sp.Issues[i])
		if err != nil {
			return nil, err
		}
		issues.Content = append(issues.Content, n)
	}
	put(root, "issues", issues)

	if len(sp.Rules) > 0 {
		rules := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := range sp.Rules {
			r := &sp.Rules[i]
			n := mapNode(false)
			put(n, "id", strNode(r.Name))
			if len(r.If) > 0 {
				put(n, "if", encodeConditions(sp, r.If))
			}
			put(n, "then", encodeConditions(sp, r.Then))
			if r.Note != "" {
				put(n, "note", strNode(r.Note))
			}
			if err := putMeta(n, s.metaAt("constraints", r.Name), join("constraints", r.Name), ruleKeys[:4]...); err != nil {
				return nil, err
			}
			rules.Content = append(rules.Content, n)
		}
		put(root, "constraints", rules)
	}

	parties := mapNode(false)
	for _, p := range s.Parties {
		n, err := encodeParty(s, p, false)
		if err != nil {
			return nil, err
		}
		put(parties, p.ID, n)
	}
	put(root, "parties", parties)
	if s.Mediator != nil {
		n, err := encodeParty(s, s.Mediator, true)
		if err != nil {
			return nil, err
		}
		put(root, "mediator", n)
	}
	if len(s.Themes) > 0 {
		n, err := rawNode(s.Themes, "themes")
		if err != nil {
			return nil, err
		}
		put(root, "themes", n)
	}
	if len(s.Variants) > 0 {
		vs := mapNode(false)
		for i := range s.Variants {
			n, err := encodeVariant(s, &s.Variants[i])
			if err != nil {
				return nil, err
			}
			put(vs, s.Variants[i].Name, n)
		}
		put(root, "variants", vs)
	}
	if len(s.Sources) > 0 {
		src := mapNode(false)
		for _, r := range s.Sources {
			n := mapNode(true)
			if r.Title != "" {
				put(n, "title", strNode(r.Title))
			}
			if r.Date != "" {
				put(n, "date", strNode(r.Date))
			}
			if r.URL != "" {
				put(n, "url", strNode(r.URL))
			}
			if len(r.Also) > 0 {
				put(n, "also", listNode(r.Also))
			}
			put(src, r.ID, n)
		}
		put(root, "sources", src)
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}, nil
}

func encodeIssue(s *Scenario, is *outcome.Issue) (*yaml.Node, error) {
	im := s.metaAt("issues", is.Name)
	n := mapNode(false)
	put(n, "id", strNode(is.Name))
	if t, ok := im["name"].(string); ok {
		put(n, "name", strNode(t))
	}
	if is.Description != "" {
		put(n, "description", strNode(is.Description))
	}
	switch is.Kind {
	case outcome.Integer:
		put(n, "type", strNode("integer"))
		put(n, "min", numNode(is.Min))
		put(n, "max", numNode(is.Max))
	case outcome.Real:
		put(n, "type", strNode("real"))
		put(n, "min", numNode(is.Min))
		put(n, "max", numNode(is.Max))
		put(n, "steps", numNode(float64(is.Len())))
	default:
		opts := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for vi, v := range is.Values {
			om, _ := im["options"].(map[string]any)
			omv, _ := om[v].(map[string]any)
			label := ""
			if vi < len(is.Labels) {
				label = is.Labels[vi]
			}
			if label == "" && len(omv) == 0 {
				opts.Content = append(opts.Content, strNode(v))
				continue
			}
			o := mapNode(false)
			put(o, "id", strNode(v))
			if label != "" {
				put(o, "label", strNode(label))
			}
			if err := putMeta(o, omv, join(join("issues", is.Name), v), "id", "label"); err != nil {
				return nil, err
			}
			opts.Content = append(opts.Content, o)
		}
		put(n, "options", opts)
	}
	if err := putMeta(n, im, join("issues", is.Name), "id", "name", "description", "type", "min", "max", "steps", "options"); err != nil {
		return nil, err
	}
	return n, nil
}

func encodeConditions(sp *outcome.Space, cs []outcome.Condition) *yaml.Node {
	n := mapNode(true)
	for _, c := range cs {
		is := &sp.Issues[c.Issue]
		var vals []string
		for vi, ok := range c.Allowed {
			if ok {
				vals = append(vals, is.Values[vi])
			}
		}
		put(n, is.Name, listNode(vals))
	}
	return n
}

func encodeParty(s *Scenario, p *Party, mediator bool) (*yaml.Node, error) {
	sp := s.Space
	prof := p.Profile
	path := join("parties", p.ID)
	pm := s.metaAt("parties", p.ID)
	if mediator {
		path = "mediator"
		pm = s.metaAt("mediator")
	}
	if prof == nil || prof.Custom != nil {
		return nil, fmt.Errorf("%s: only linear-additive profiles can be written in the native format", path)
	}
	if len(prof.Issues) != sp.NumIssues() {
		return nil, fmt.Errorf("%s: profile has %d issues, the space %d", path, len(prof.Issues), sp.NumIssues())
	}
	n := mapNode(false)
	if mediator {
		put(n, "id", strNode(p.ID))
	}
	if p.Name != "" {
		put(n, "name", strNode(p.Name))
	}
	put(n, "reservation_value", numNode(prof.Reservation))
	if prof.Discount > 0 && prof.Discount < 1 {
		put(n, "discount", numNode(prof.Discount))
	}
	w := mapNode(true)
	for i := range sp.Issues {
		put(w, sp.Issues[i].Name, numNode(prof.Issues[i].Weight))
	}
	put(n, "weights", w)
	vals := mapNode(false)
	for i := range sp.Issues {
		is := &sp.Issues[i]
		iu := &prof.Issues[i]
		if len(iu.Eval) != is.Len() {
			return nil, fmt.Errorf("%s: issue %q: %d evaluations for %d values", path, is.Name, len(iu.Eval), is.Len())
		}
		put(vals, is.Name, encodeEvaluation(is, iu))
	}
	put(n, "values", vals)
	if prof.RedLines != nil {
		rl := mapNode(false)
		for i, set := range prof.RedLines {
			var names []string
			for vi, b := range set {
				if b {
					names = append(names, sp.Issues[i].Values[vi])
				}
			}
			if len(names) > 0 {
				put(rl, sp.Issues[i].Name, listNode(names))
			}
		}
		if len(rl.Content) > 0 {
			put(n, "red_lines", rl)
		}
	}
	if len(p.Rationale) > 0 {
		r := mapNode(false)
		for i := range sp.Issues {
			if t, ok := p.Rationale[sp.Issues[i].Name]; ok {
				put(r, sp.Issues[i].Name, strNode(t))
			}
		}
		put(n, "rationale", r)
	}
	if len(p.Refs) > 0 {
		put(n, "refs", listNode(p.Refs))
	}
	if err := putMeta(n, pm, path, "id", "name", "reservation_value", "discount", "weights", "values", "red_lines", "rationale", "refs"); err != nil {
		return nil, err
	}
	return n, nil
}

// encodeEvaluation writes a numeric evaluator when it reproduces the table
// exactly, and the table otherwise.
func encodeEvaluation(is *outcome.Issue, iu *preference.IssueUtility) *yaml.Node {
	if num := iu.Numeric; num != nil && is.Kind != outcome.Discrete && num.Min == is.Min && evaluatorMatches(is, iu) {
		n := mapNode(true)
		put(n, "type", strNode(string(num.Kind)))
		switch num.Kind {
		case preference.Linear:
			put(n, "slope", numNode(num.Slope))
			put(n, "offset", numNode(num.Offset))
		case preference.Triangular:
			put(n, "lo", numNode(num.Lo))
			put(n, "top", numNode(num.Top))
			put(n, "hi", numNode(num.Hi))
		case preference.Constant:
			put(n, "value", numNode(num.Offset))
		case preference.Points:
			xs := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
			ys := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
			for i := range num.X {
				xs.Content = append(xs.Content, numNode(num.X[i]))
				ys.Content = append(ys.Content, numNode(num.Y[i]))
			}
			put(n, "x", xs)
			put(n, "y", ys)
		}
		return n
	}
	n := mapNode(true)
	for vi, e := range iu.Eval {
		put(n, is.Values[vi], numNode(e))
	}
	return n
}

func evaluatorMatches(is *outcome.Issue, iu *preference.IssueUtility) bool {
	switch iu.Numeric.Kind {
	case preference.Linear, preference.Triangular, preference.Constant, preference.Points:
	default:
		return false
	}
	c := *iu.Numeric
	c.Clamp = true
	for vi, e := range iu.Eval {
		if c.At(is.Number(int32(vi))) != e {
			return false
		}
	}
	return true
}

func encodeVariant(s *Scenario, v *Variant) (*yaml.Node, error) {
	sp := s.Space
	n := mapNode(false)
	if v.Description != "" {
		put(n, "description", strNode(v.Description))
	}
	order := make([]string, 0, len(s.Parties)+1)
	for _, p := range s.Parties {
		order = append(order, p.ID)
	}
	if s.Mediator != nil {
		order = append(order, s.Mediator.ID)
	}
	for id := range v.Patches {
		if !contains(order, id) {
			return nil, fmt.Errorf("variant %q: unknown party %q", v.Name, id)
		}
	}
	for _, id := range order {
		pt, ok := v.Patches[id]
		if !ok {
			continue
		}
		path := join(join("variants", v.Name), id)
		pn := mapNode(false)
		if pt.Reservation != nil {
			put(pn, "reservation_value", numNode(*pt.Reservation))
		}
		if pt.Discount != nil {
			put(pn, "discount", numNode(*pt.Discount))
		}
		if pt.Weights != nil {
			w := mapNode(true)
			for i := range sp.Issues {
				if x, ok := pt.Weights[sp.Issues[i].Name]; ok {
					put(w, sp.Issues[i].Name, numNode(x))
				}
			}
			for k := range pt.Weights {
				if sp.IssueIndex(k) < 0 {
					return nil, fmt.Errorf("%s.weights: unknown issue %q", path, k)
				}
			}
			put(pn, "weights", w)
		}
		if pt.Values != nil {
			vals := mapNode(false)
			for _, name := range sortedIssueKeys(sp, pt.Values) {
				ii := sp.IssueIndex(name)
				if ii < 0 {
					return nil, fmt.Errorf("%s.values: unknown issue %q", path, name)
				}
				is := &sp.Issues[ii]
				t := mapNode(true)
				for _, val := range is.Values {
					if e, ok := pt.Values[name][val]; ok {
						put(t, val, numNode(e))
					}
				}
				if len(t.Content) != 2*len(pt.Values[name]) {
					return nil, fmt.Errorf("%s.values.%s: a value names no option of the issue", path, name)
				}
				put(vals, name, t)
			}
			put(pn, "values", vals)
		}
		if pt.RedLines != nil {
			rl := mapNode(false)
			for _, name := range sortedIssueKeys(sp, pt.RedLines) {
				put(rl, name, listNode(pt.RedLines[name]))
			}
			put(pn, "red_lines", rl)
		}
		put(n, id, pn)
	}
	if len(v.Refs) > 0 {
		put(n, "refs", listNode(v.Refs))
	}
	return n, nil
}

// sortedIssueKeys returns the keys of m in the space's issue order (unknown
// names last, sorted).
func sortedIssueKeys[V any](sp *outcome.Space, m map[string]V) []string {
	ks := sortedKeys(m)
	sort.SliceStable(ks, func(i, j int) bool {
		a, b := sp.IssueIndex(ks[i]), sp.IssueIndex(ks[j])
		if a < 0 {
			a = math.MaxInt
		}
		if b < 0 {
			b = math.MaxInt
		}
		return a < b
	})
	return ks
}

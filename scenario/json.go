package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// JSON files are read with encoding/json's strict grammar (YAML's reading of
// JSON rejects valid escapes such as "\/") and turned into the same yaml.Node
// tree the YAML reader yields, positions included, so one schema walker serves
// both formats.

// jsonReader builds a yaml.Node tree from a JSON document.
type jsonReader struct {
	data  []byte
	dec   *json.Decoder
	lines []int // byte offset at which each line starts
}

func parseJSON(data []byte) (*yaml.Node, error) {
	r := &jsonReader{data: data, dec: json.NewDecoder(bytes.NewReader(data)), lines: []int{0}}
	r.dec.UseNumber()
	for i, c := range data {
		if c == '\n' {
			r.lines = append(r.lines, i+1)
		}
	}
	n, err := r.value(0)
	if err != nil {
		return nil, err
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}, Line: 1, Column: 1}, nil
}

// pos returns the 1-based line and column of the next token after offset off.
func (r *jsonReader) pos(off int64) (int, int) {
	i := int(off)
	for i < len(r.data) {
		switch r.data[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
			continue
		}
		break
	}
	line := sort.Search(len(r.lines), func(k int) bool { return r.lines[k] > i })
	return line, i - r.lines[line-1] + 1
}

func (r *jsonReader) value(depth int) (*yaml.Node, error) {
	line, col := r.pos(r.dec.InputOffset())
	if depth > maxDepth {
		return nil, &ParseError{Line: line, Problem: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
	}
	tok, err := r.dec.Token()
	if err != nil {
		return nil, &ParseError{Line: line, Problem: "malformed JSON: " + err.Error()}
	}
	n := &yaml.Node{Line: line, Column: col}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
			for r.dec.More() {
				kl, kc := r.pos(r.dec.InputOffset())
				kt, err := r.dec.Token()
				if err != nil {
					return nil, &ParseError{Line: kl, Problem: "malformed JSON: " + err.Error()}
				}
				ks, ok := kt.(string)
				if !ok {
					return nil, &ParseError{Line: kl, Problem: "malformed JSON: object key is not a string"}
				}
				v, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ks, Line: kl, Column: kc}, v)
			}
		case '[':
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			for r.dec.More() {
				v, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
		default:
			return nil, &ParseError{Line: line, Problem: fmt.Sprintf("malformed JSON: unexpected %q", t)}
		}
		if _, err := r.dec.Token(); err != nil { // the closing delimiter
			return nil, &ParseError{Line: line, Problem: "malformed JSON: " + err.Error()}
		}
	case string:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!str", t
	case json.Number:
		n.Kind, n.Value = yaml.ScalarNode, string(t)
		n.Tag = numberTag(n.Value)
	case bool:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!bool", fmt.Sprint(t)
	case nil:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!null", "null"
	}
	return n, nil
}

// numberTag returns the YAML tag under which a decimal number text resolves.
func numberTag(s string) string {
	if strings.ContainsAny(s, ".eEnN") {
		return "!!float"
	}
	return "!!int"
}

// writeJSON writes the node tree n (as built by Marshal: mappings with string
// keys, sequences, and tagged scalars) as indented JSON.
func writeJSON(b *bytes.Buffer, n *yaml.Node, indent int) error {
	pad := func(k int) {
		b.WriteByte('\n')
		for range k {
			b.WriteString("  ")
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("document with %d roots", len(n.Content))
		}
		return writeJSON(b, n.Content[0], indent)
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			pad(indent + 1)
			writeJSONString(b, n.Content[i].Value)
			b.WriteString(": ")
			if err := writeJSON(b, n.Content[i+1], indent+1); err != nil {
				return err
			}
		}
		pad(indent)
		b.WriteByte('}')
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			pad(indent + 1)
			if err := writeJSON(b, c, indent+1); err != nil {
				return err
			}
		}
		pad(indent)
		b.WriteByte(']')
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int", "!!float", "!!bool":
			b.WriteString(n.Value)
		case "!!null":
			b.WriteString("null")
		default:
			writeJSONString(b, n.Value)
		}
	default:
		return fmt.Errorf("cannot write node kind %d as JSON", n.Kind)
	}
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	var sb bytes.Buffer
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	b.Write(bytes.TrimRight(sb.Bytes(), "\n"))
}

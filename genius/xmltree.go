package genius

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on the XML this package reads. GENIUS files are small (the largest
// ANAC profile is about 2 MB); the limits stop hostile input from taking
// the memory or time of the process.
const (
	// MaxFileSize is the largest GENIUS XML file accepted, in bytes (32 MiB).
	MaxFileSize = 32 << 20
	// MaxDepth is the deepest element nesting accepted.
	MaxDepth = 64
	// MaxAttrLen is the longest attribute value accepted, in bytes.
	MaxAttrLen = 64 << 10
	// MaxElements is the largest number of elements in one file.
	MaxElements = 2_000_000
)

// node is one element of a parsed XML document.
type node struct {
	name  string
	attrs []xml.Attr
	kids  []*node
	line  int
}

// attr returns the value of the attribute named name and whether it exists.
func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// children returns the child elements named name, in document order.
func (n *node) children(name string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// child returns the first child element named name, or nil.
func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// tag renders the element's opening tag with its identifying attributes
// (index, name, value), for error messages: <issue index="3" name="x">.
func (n *node) tag() string {
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(n.name)
	for _, k := range []string{"index", "name", "value"} {
		if v, ok := n.attr(k); ok {
			if len(v) > 60 {
				v = v[:57] + "..."
			}
			fmt.Fprintf(&b, " %s=%q", k, v)
		}
	}
	b.WriteByte('>')
	return b.String()
}

// parseXML reads data into an element tree. It rejects DOCTYPE and other
// directives (and so every entity declaration), undefined entities, more than
// MaxDepth levels, attribute values longer than MaxAttrLen, duplicate
// attributes, more than MaxElements elements and files over MaxFileSize.
// Errors are *Error values naming file and line.
func parseXML(data []byte, file string) (*node, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: file, Problem: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	var root *node
	var stack []*node
	count := 0
	for {
		line, _ := d.InputPos()
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &Error{File: file, Line: se.Line, Problem: "malformed XML: " + se.Msg}
			}
			return nil, &Error{File: file, Line: line, Problem: "malformed XML: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > MaxElements {
				return nil, &Error{File: file, Line: line, Problem: fmt.Sprintf("more than %d elements", MaxElements)}
			}
			if len(stack) >= MaxDepth {
				return nil, &Error{File: file, Line: line, Problem: fmt.Sprintf("elements nested deeper than %d levels", MaxDepth)}
			}
			n := &node{name: t.Name.Local, line: line}
			for _, a := range t.Attr {
				if len(a.Value) > MaxAttrLen {
					return nil, &Error{File: file, Line: line, Element: "<" + n.name + ">", Problem: fmt.Sprintf("attribute %s is longer than %d bytes", a.Name.Local, MaxAttrLen)}
				}
				if _, dup := n.attr(a.Name.Local); dup {
					return nil, &Error{File: file, Line: line, Element: "<" + n.name + ">", Problem: fmt.Sprintf("attribute %s is given twice", a.Name.Local)}
				}
				n.attrs = append(n.attrs, xml.Attr{Name: a.Name, Value: a.Value})
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, &Error{File: file, Line: line, Problem: "more than one root element"}
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, &Error{File: file, Line: line, Problem: "unexpected closing tag </" + t.Name.Local + ">"}
			}
			stack = stack[:len(stack)-1]
		case xml.Directive:
			return nil, &Error{File: file, Line: line, Problem: "DOCTYPE and entity declarations are not accepted (GENIUS files never need them)"}
		case xml.CharData:
			if len(stack) == 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, &Error{File: file, Line: line, Problem: "text outside the root element; this is not an XML file"}
			}
		}
	}
	if len(stack) > 0 {
		return nil, &Error{File: file, Problem: "unexpected end of file inside <" + stack[len(stack)-1].name + ">"}
	}
	if root == nil {
		return nil, &Error{File: file, Problem: "no XML element; this is not a GENIUS file"}
	}
	return root, nil
}

// charsetReader accepts the single-byte encodings older GENIUS files declare.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "latin1", "iso8859-1":
		b, err := io.ReadAll(io.LimitReader(input, MaxFileSize))
		if err != nil {
			return nil, err
		}
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return strings.NewReader(string(r)), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (use UTF-8)", charset)
}

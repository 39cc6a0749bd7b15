package genius

import (
	"strconv"
	"strings"
)

// Error is one problem in a GENIUS file. Its message has the form
//
//	profile.xml:12: <issue index="3" name="x">: evaluation -0.2 of value "y" is negative
//
// Line is 1-based and 0 when the problem concerns the whole file; Element is
// the opening tag of the offending element with its index, name and value
// attributes, empty for file-level problems.
type Error struct {
	File    string
	Line    int
	Element string
	Problem string
}

// Error returns "file:line: element: problem", dropping the parts that are empty.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Element != "" {
		b.WriteString(e.Element)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// errAt returns an *Error about element n of file.
func errAt(file string, n *node, problem string) *Error {
	return &Error{File: file, Line: n.line, Element: n.tag(), Problem: problem}
}

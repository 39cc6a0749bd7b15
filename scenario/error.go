package scenario

import (
	"strconv"
	"strings"
)

// ParseError is one problem found in a native scenario file. Its message has
// the form "file:line: path: problem", for example
//
//	iran_us.yaml:48: parties.iran.weights.fordow: -0.2 is negative
//
// Line is 1-based and 0 when the problem concerns the whole file (size,
// syntax without a position). Path is the dotted chain of keys and list
// positions from the document root to the offending field ("issues[3].options"),
// empty for file-level problems. Parse returns every ParseError it finds,
// joined with errors.Join; use errors.As to recover the first.
type ParseError struct {
	File    string
	Line    int
	Path    string
	Problem string
}

// Error returns "file:line: path: problem" (dropping the parts that are empty).
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

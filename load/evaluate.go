package load

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/scenario"
)

// maxLine is the longest input line Evaluate evaluates (1 MiB); a longer
// line gets an error and evaluation goes on after it.
const maxLine = 1 << 20

// Failed is returned by Evaluate when some input lines could not be
// evaluated; their {"error": …} lines are in the output.
type Failed struct {
	Lines, Bad int // lines read (not blank), lines that failed
}

func (e *Failed) Error() string {
	if e.Bad == e.Lines {
		return fmt.Sprintf("none of the %d lines could be evaluated (each got an {\"error\": …} line)", e.Lines)
	}
	return fmt.Sprintf("%d of %d lines could not be evaluated (each got an {\"error\": …} line; the others were evaluated)", e.Bad, e.Lines)
}

// Evaluate implements `backchannel evaluate`: each input line is a JSON
// object {ISSUE: VALUE, …} naming every issue once (values as strings, or
// as numbers for numeric issues); for each it writes one line
// {"utility": [u1, u2, …]} with the parties' utilities in party order
// (undiscounted, as the profile's semantics define them). A numeric value
// off the issue's grid is evaluated through the profile's numeric evaluator.
// An outcome that breaks a feasibility rule also gets "infeasible": [RULE,
// …], and one that crosses a party's red line "red_line": [PARTY, …]: the
// utility alone would read as a possible deal. (Rules and red lines are
// checked on the grid; an off-grid value is checked at the grid value at or
// below it.)
//
// A line that is not such an object, names an issue twice, names an unknown
// issue or value, leaves an issue out or is longer than 1 MiB gets
// {"error": "line N: …"} instead, and evaluation goes on. Blank lines are
// skipped. It returns read and write errors, and a *Failed after the whole
// input if any line failed.
func Evaluate(s *scenario.Scenario, r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriter(w)
	sp := s.Space
	o := sp.New()
	off := make([]float64, sp.NumIssues())
	isOff := make([]bool, sp.NumIssues())
	line, lines, bad := 0, 0, 0
	var out, buf []byte
	for {
		buf = buf[:0]
		long, eof := false, false
		for {
			chunk, err := br.ReadSlice('\n')
			if len(buf)+len(chunk) <= maxLine+1 {
				buf = append(buf, chunk...)
			} else {
				long = true
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				eof = true
			} else if err != nil {
				return fmt.Errorf("line %d: %w", line+1, err)
			}
			break
		}
		if eof && len(buf) == 0 && !long {
			break
		}
		line++
		text := bytes.TrimSpace(buf)
		if len(text) == 0 && !long {
			if eof {
				break
			}
			continue
		}
		lines++
		var us []float64
		var err error
		if long {
			err = fmt.Errorf("longer than %d bytes; one outcome per line", maxLine)
		} else {
			us, err = evalLine(s, text, o, off, isOff)
		}
		out = out[:0]
		if err != nil {
			bad++
			msg, _ := json.Marshal(fmt.Sprintf("line %d: %v", line, err))
			out = append(out, `{"error":`...)
			out = append(out, msg...)
			out = append(out, "}\n"...)
		} else {
			out = append(out, `{"utility":[`...)
			for i, u := range us {
				if i > 0 {
					out = append(out, ',')
				}
				out = strconv.AppendFloat(out, u, 'g', -1, 64)
			}
			out = append(out, ']')
			out = appendBreaches(out, s, o)
			out = append(out, "}\n"...)
		}
		if _, err := bw.Write(out); err != nil {
			return err
		}
		if eof {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if bad > 0 {
		return &Failed{Lines: lines, Bad: bad}
	}
	return nil
}

// appendBreaches appends the "infeasible" and "red_line" fields for o, if
// it breaks a rule or crosses a red line.
func appendBreaches(out []byte, s *scenario.Scenario, o outcome.Outcome) []byte {
	list := func(key string, names []string) {
		if len(names) == 0 {
			return
		}
		out = append(out, `,"`+key+`":`...)
		b, _ := json.Marshal(names)
		out = append(out, b...)
	}
	var rules, parties []string
	for i := range s.Space.Rules {
		if r := &s.Space.Rules[i]; !r.Holds(o) {
			rules = append(rules, r.Name)
		}
	}
	for _, p := range s.Parties {
		if p.Profile.Violates(o) {
			parties = append(parties, p.ID)
		}
	}
	list("infeasible", rules)
	list("red_line", parties)
	return out
}

// objectFields decodes one JSON object into its fields, refusing a key
// named twice (encoding/json would keep the last silently).
func objectFields(text []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		if err == nil {
			err = fmt.Errorf("found %v", t)
		}
		return nil, fmt.Errorf("not a JSON object {ISSUE: VALUE, …}: %v", err)
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not a JSON object {ISSUE: VALUE, …}: %v", err)
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("not a JSON object {ISSUE: VALUE, …}: %v", err)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("issue %q is named twice", k)
		}
		m[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not a JSON object {ISSUE: VALUE, …}: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a JSON object {ISSUE: VALUE, …}: more after the object")
	}
	return m, nil
}

func evalLine(s *scenario.Scenario, text []byte, o outcome.Outcome, off []float64, isOff []bool) ([]float64, error) {
	m, err := objectFields(text)
	if err != nil {
		return nil, err
	}
	sp := s.Space
	var unknown []string
	for k := range m {
		if sp.IssueIndex(k) < 0 {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown issue %q", unknown[0])
	}
	anyOff := false
	for i := range sp.Issues {
		is := &sp.Issues[i]
		raw, ok := m[is.Name]
		if !ok {
			return nil, fmt.Errorf("issue %q has no value", is.Name)
		}
		var v string
		numeric := false
		if err := json.Unmarshal(raw, &v); err != nil {
			var n json.Number
			if err := json.Unmarshal(raw, &n); err != nil {
				return nil, fmt.Errorf("issue %q: value %s is neither a string nor a number", is.Name, raw)
			}
			v, numeric = n.String(), true
		}
		isOff[i] = false
		vi := is.ValueIndex(v)
		if vi >= 0 {
			o[i] = vi
			continue
		}
		if is.Kind == outcome.Discrete || (!numeric && !looksNumeric(v)) {
			return nil, fmt.Errorf("issue %q: unknown value %q", is.Name, v)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < is.Min || x > is.Max {
			return nil, fmt.Errorf("issue %q: value %s is outside [%g, %g]", is.Name, v, is.Min, is.Max)
		}
		// Rules and red lines are checked at the grid value at or below x.
		k := sort.Search(is.Len(), func(v int) bool { return is.Number(int32(v)) > x })
		off[i], isOff[i], o[i] = x, true, int32(max(k-1, 0))
		anyOff = true
	}
	us := make([]float64, len(s.Parties))
	for pi, p := range s.Parties {
		prof := p.Profile
		if !anyOff {
			us[pi] = prof.Utility(o)
			continue
		}
		if prof.Custom != nil {
			return nil, fmt.Errorf("party %q: its non-linear profile evaluates only values on the issues' grid", p.ID)
		}
		var u float64
		for i := range sp.Issues {
			if !isOff[i] {
				u += prof.Contribution(i, o[i])
				continue
			}
			n := prof.Issues[i].Numeric
			if n == nil {
				return nil, fmt.Errorf("party %q: issue %q: %g is off the grid and the profile has no numeric evaluator for it; use one of %s", p.ID, sp.Issues[i].Name, off[i], strings.Join(sp.Issues[i].Values[:min(3, sp.Issues[i].Len())], ", "))
			}
			u += prof.Issues[i].Weight * n.At(off[i])
		}
		if prof.CapAtOne && u > 1 {
			u = 1
		}
		us[pi] = u
	}
	return us, nil
}

func looksNumeric(v string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return err == nil
}

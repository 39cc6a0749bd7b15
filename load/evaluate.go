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

// maxLine is the longest input line Evaluate reads (1 MiB).
const maxLine = 1 << 20

// Evaluate implements `backchannel evaluate`: each input line is a JSON
// object {ISSUE: VALUE, …} naming every issue once (values as strings, or
// as numbers for numeric issues); for each it writes one line
// {"utility": [u1, u2, …]} with the parties' utilities in party order
// (undiscounted, as the profile's semantics define them). A numeric value
// off the issue's grid is evaluated through the profile's numeric evaluator.
// A line that is not such an object, names an unknown issue or value, or
// leaves an issue out gets {"error": "line N: …"} instead, and evaluation
// goes on. Blank lines are skipped. It returns only read and write errors.
func Evaluate(s *scenario.Scenario, r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	bw := bufio.NewWriter(w)
	sp := s.Space
	o := sp.New()
	off := make([]float64, sp.NumIssues())
	isOff := make([]bool, sp.NumIssues())
	line := 0
	var out []byte
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		us, err := evalLine(s, text, o, off, isOff)
		out = out[:0]
		if err != nil {
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
			out = append(out, "]}\n"...)
		}
		if _, err := bw.Write(out); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return bw.Flush()
}

func evalLine(s *scenario.Scenario, text []byte, o outcome.Outcome, off []float64, isOff []bool) ([]float64, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(text, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object {ISSUE: VALUE, …}: %v", err)
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
		off[i], isOff[i], o[i] = x, true, 0
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

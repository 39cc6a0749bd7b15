package geniusweb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
)

// evalTolerance is how closely a number-range utility must reproduce a
// profile's evaluations before it is used instead of a value set.
const evalTolerance = 1e-12

// maxSearch bounds the outcomes searched for a reservation bid.
const maxSearch = 1_000_000

// Output is a scenario written as GeniusWeb JSON.
type Output struct {
	Domain   []byte
	Profiles [][]byte // one per party, in party order
	// Lossy lists what the scenario holds that GeniusWeb cannot express.
	Lossy []string
}

var simpleName = regexp.MustCompile(`^[a-zA-Z0-9]+$`)

// Marshal writes s as a GeniusWeb domain and one LinearAdditiveUtilitySpace
// per party, keeping every outcome's utility: each profile's weights are
// divided by their sum S and its evaluations multiplied by S, so that the
// weights sum to 1 as GeniusWeb requires (a GENIUS profile, whose discrete
// evaluations are already divided by their maximum, is thereby rescaled).
// Integer issues whose evaluations every party gives as a straight line
// become number ranges; other numeric issues become value sets of their grid
// values. The reservation value becomes a reservation bid: the bid the
// profile was read with when it still has that utility, else the outcome of
// smallest utility not below it (searched in spaces of at most a million
// outcomes).
//
// Output.Lossy lists what cannot be kept: rules, red lines, mediator,
// variants, discounts, a reservation value no bid has, utilities above 1 or
// GENIUS's cap at 1 where it binds. It returns an error for a party without
// a profile or with a non-linear one.
func Marshal(s *scenario.Scenario) (*Output, error) {
	if s == nil || s.Space == nil {
		return nil, fmt.Errorf("scenario has no outcome space; nothing to write")
	}
	sp := s.Space
	out := &Output{}
	if len(sp.Rules) > 0 {
		out.Lossy = append(out.Lossy, fmt.Sprintf("%d feasibility rule(s) dropped: GeniusWeb linear profiles have no constraints", len(sp.Rules)))
	}
	if s.Mediator != nil {
		out.Lossy = append(out.Lossy, fmt.Sprintf("mediator %q dropped: GeniusWeb scenarios have no mediator profile", s.Mediator.ID))
	}
	if len(s.Variants) > 0 {
		out.Lossy = append(out.Lossy, fmt.Sprintf("%d variant(s) dropped", len(s.Variants)))
	}
	scaled := make([]*preference.Profile, len(s.Parties))
	for pi, p := range s.Parties {
		if p.Profile == nil {
			return nil, fmt.Errorf("party %q has no profile", p.ID)
		}
		if p.Profile.Custom != nil {
			return nil, fmt.Errorf("party %q: a non-linear profile cannot be written as a GeniusWeb LinearAdditiveUtilitySpace", p.ID)
		}
		q, lossy := Normalised(sp, p.ID, p.Profile)
		scaled[pi] = q
		out.Lossy = append(out.Lossy, lossy...)
	}
	ranges := make([]bool, sp.NumIssues())
	for i := range sp.Issues {
		ranges[i] = sp.Issues[i].Kind == outcome.Integer
		for _, q := range scaled {
			if !fitsRange(&sp.Issues[i], &q.Issues[i]) {
				ranges[i] = false
			}
		}
		if sp.Issues[i].Kind != outcome.Discrete && !ranges[i] {
			out.Lossy = append(out.Lossy, fmt.Sprintf("issue %q written as a value set of its %d values: GeniusWeb number utilities are straight lines over integer steps here", sp.Issues[i].Name, sp.Issues[i].Len()))
		}
	}
	name := s.ID
	if !simpleName.MatchString(name) {
		name = "domain"
	}
	dom := domainJSON(sp, ranges)
	var b bytes.Buffer
	b.WriteString(`{"name":` + str(name) + `,"issuesValues":` + dom + "}\n")
	out.Domain = b.Bytes()
	for pi, p := range s.Parties {
		q := scaled[pi]
		var w bytes.Buffer
		w.WriteString(`{"LinearAdditiveUtilitySpace":{"issueUtilities":{`)
		for i := range sp.Issues {
			is := &sp.Issues[i]
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(str(is.Name) + ":")
			if ranges[i] {
				n := len(q.Issues[i].Eval)
				fmt.Fprintf(&w, `{"NumberValueSetUtilities":{"lowValue":%s,"lowUtility":%s,"highValue":%s,"highUtility":%s}}`,
					numStr(is.Min), numStr(q.Issues[i].Eval[0]), numStr(is.Max), numStr(q.Issues[i].Eval[n-1]))
				continue
			}
			w.WriteString(`{"DiscreteValueSetUtilities":{"valueUtilities":{`)
			for v, val := range is.Values {
				if v > 0 {
					w.WriteByte(',')
				}
				w.WriteString(str(val) + ":" + numStr(q.Issues[i].Eval[v]))
			}
			w.WriteString("}}}")
		}
		w.WriteString(`},"issueWeights":{`)
		for i := range sp.Issues {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(str(sp.Issues[i].Name) + ":" + numStr(q.Issues[i].Weight))
		}
		w.WriteString(`},"domain":{"name":` + str(name) + `,"issuesValues":` + dom + "}")
		pname := p.ID
		if !simpleName.MatchString(pname) {
			out.Lossy = append(out.Lossy, fmt.Sprintf("party %q: GeniusWeb profile names are letters and digits only; named %q", p.ID, fmt.Sprintf("party%d", pi+1)))
			pname = fmt.Sprintf("party%d", pi+1)
		}
		w.WriteString(`,"name":` + str(pname))
		bid, lossy := reservationBid(s, p.ID, q)
		out.Lossy = append(out.Lossy, lossy...)
		if bid != nil {
			w.WriteString(`,"reservationBid":{"issuevalues":{`)
			for i := range sp.Issues {
				if i > 0 {
					w.WriteByte(',')
				}
				w.WriteString(str(sp.Issues[i].Name) + ":")
				val := sp.Issues[i].Values[bid[i]]
				if ranges[i] {
					w.WriteString(val)
				} else {
					w.WriteString(str(val))
				}
			}
			w.WriteString("}}")
		}
		w.WriteString("}}\n")
		out.Profiles = append(out.Profiles, w.Bytes())
	}
	return out, nil
}

// Normalised returns a copy of p (prepared for sp) whose weights sum to 1 and
// whose utilities equal p's, as GeniusWeb and the native format require:
// weights divided by their sum S, evaluations multiplied by S, no cap, no
// numeric evaluator (the table is kept). The sentences list what could not
// be kept: evaluations above 1 after scaling (clamped), a binding cap at 1,
// red lines, a discount.
func Normalised(sp *outcome.Space, id string, p *preference.Profile) (*preference.Profile, []string) {
	var lossy []string
	q := p.Clone()
	q.Semantics = preference.GeniusWeb
	var sum float64
	for _, iu := range q.Issues {
		sum += iu.Weight
	}
	if p.CapAtOne {
		var raw float64
		for _, iu := range p.Issues {
			mx := 0.0
			for _, e := range iu.Eval {
				mx = max(mx, iu.Weight*e)
			}
			raw += mx
		}
		if raw > 1+1e-12 {
			lossy = append(lossy, fmt.Sprintf("party %q: GENIUS caps its utility at 1 but the weighted sum reaches %g; outcomes above 1 lose the cap", id, raw))
		}
	}
	if sum > 0 && math.Abs(sum-1) > 1e-15 {
		clamped := false
		for i := range q.Issues {
			q.Issues[i].Weight /= sum
			for v := range q.Issues[i].Eval {
				e := q.Issues[i].Eval[v] * sum
				if e > 1 {
					e, clamped = 1, true
				}
				q.Issues[i].Eval[v] = e
			}
			q.Issues[i].Numeric = nil
		}
		if clamped {
			lossy = append(lossy, fmt.Sprintf("party %q: weights sum to %g; with them rescaled to 1 some evaluations exceed 1 and are clamped", id, sum))
		}
	}
	// Evaluations read from a number range (lowUtility + slope·…), and a
	// reservation value computed from a reservation bid, can miss [0, 1] by
	// a rounding (1 + 9e-13): put them on the bound, as the native format
	// takes values in [0, 1] only.
	for i := range q.Issues {
		iu := &q.Issues[i]
		for v, e := range iu.Eval {
			if (e > 1 && e-1 <= evalRounding) || (e < 0 && e >= -evalRounding) {
				iu.Eval[v] = min(1, max(0, e))
				iu.Numeric = nil
			}
		}
	}
	if r := q.Reservation; (r > 1 && r-1 <= evalRounding) || (r < 0 && r >= -evalRounding) {
		q.Reservation = min(1, max(0, r))
	}
	q.CapAtOne = false
	if p.HasRedLines() {
		lossy = append(lossy, fmt.Sprintf("party %q: red lines dropped", id))
		q.RedLines = nil
	}
	if p.Discount > 0 && p.Discount < 1 {
		lossy = append(lossy, fmt.Sprintf("party %q: discount factor %g dropped: GeniusWeb profiles have none", id, p.Discount))
	}
	if err := q.Prepare(sp); err != nil {
		lossy = append(lossy, fmt.Sprintf("party %q: %v", id, err))
	}
	return q, lossy
}

// evalRounding is how far outside [0, 1] an evaluation may fall by rounding
// alone.
const evalRounding = 1e-9

// fitsRange reports whether a number range utility reproduces iu on is.
func fitsRange(is *outcome.Issue, iu *preference.IssueUtility) bool {
	if is.Kind != outcome.Integer || is.Len() < 2 {
		return false
	}
	n := len(iu.Eval)
	lu, hu := iu.Eval[0], iu.Eval[n-1]
	for v, e := range iu.Eval {
		if math.Abs(NumberUtility(is.Number(int32(v)), is.Min, lu, is.Max, hu)-e) > evalTolerance {
			return false
		}
	}
	return true
}

// reservationBid picks the reservation bid for party id with profile q.
func reservationBid(s *scenario.Scenario, id string, q *preference.Profile) (outcome.Outcome, []string) {
	sp := s.Space
	if m := ReservationBid(s, id); m != nil {
		if o, err := sp.Parse(m); err == nil && math.Abs(q.Utility(o)-q.Reservation) <= evalTolerance {
			return o, nil
		}
	}
	if q.Reservation <= 0 {
		return nil, nil
	}
	if err := sp.CheckEnumerable(maxSearch); err != nil {
		return nil, []string{fmt.Sprintf("party %q: reservation value %g dropped: GeniusWeb needs a reservation bid and the space is too large to search for one", id, q.Reservation)}
	}
	o := sp.New()
	var best outcome.Outcome
	bestU := math.Inf(1)
	for {
		if u := q.Utility(o); u >= q.Reservation && u < bestU {
			best, bestU = o.Clone(), u
		}
		if !sp.Next(o) {
			break
		}
	}
	if best == nil {
		return nil, []string{fmt.Sprintf("party %q: reservation value %g dropped: no outcome reaches it", id, q.Reservation)}
	}
	if bestU-q.Reservation > evalTolerance {
		return best, []string{fmt.Sprintf("party %q: reservation value %g becomes %g, the utility of the nearest reservation bid", id, q.Reservation, bestU)}
	}
	return best, nil
}

func domainJSON(sp *outcome.Space, ranges []bool) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range sp.Issues {
		is := &sp.Issues[i]
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(str(is.Name) + ":")
		if ranges[i] {
			fmt.Fprintf(&b, `{"range":{"low":%s,"high":%s,"step":1}}`, numStr(is.Min), numStr(is.Max))
			continue
		}
		b.WriteString(`{"values":[`)
		for v, val := range is.Values {
			if v > 0 {
				b.WriteByte(',')
			}
			b.WriteString(str(val))
		}
		b.WriteString("]}")
	}
	b.WriteByte('}')
	return b.String()
}

func str(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func numStr(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Write writes s into folder dir (created if needed) as <id>.json (the
// domain) and one <party id>.json per party, and returns the paths written
// and what was lossy (see Marshal).
func Write(s *scenario.Scenario, dir string) ([]string, []string, error) {
	out, err := Marshal(s)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	id := s.ID
	if !simpleName.MatchString(id) {
		id = "domain"
	}
	paths := []string{filepath.Join(dir, id+".json")}
	for pi, p := range s.Parties {
		name := p.ID
		if !simpleName.MatchString(name) || name == id {
			name = fmt.Sprintf("party%d", pi+1)
		}
		paths = append(paths, filepath.Join(dir, name+".json"))
	}
	data := append([][]byte{out.Domain}, out.Profiles...)
	for i, p := range paths {
		if err := os.WriteFile(p, data[i], 0o644); err != nil {
			return nil, nil, err
		}
	}
	return paths, out.Lossy, nil
}

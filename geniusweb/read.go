// Package geniusweb reads and writes the JSON scenarios of GeniusWeb (the
// format of the ANAC Automated Negotiation League since 2020): a domain
// file ({"name", "issuesValues"}) and one LinearAdditiveUtilitySpace profile
// per party.
//
// Utilities are computed as GeniusWeb computes them: Σ wᵢ·uᵢ(vᵢ) with the
// weights and value utilities as written (no rescaling, no cap). Number
// issues interpolate linearly between (lowValue, lowUtility) and
// (highValue, highUtility), give 0 outside, and round the interpolated term
// to 8 decimals as GeniusWeb does. The reservation is a bid; its utility is
// the profile's reservation value and the bid itself is kept in
// Scenario.Meta["geniusweb"]["reservation_bids"][party id].
package geniusweb

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
)

// MaxFileSize is the largest GeniusWeb file accepted, in bytes (32 MiB).
const MaxFileSize = 32 << 20

// MaxValues is the largest number of values all issues of a domain may have
// together.
const MaxValues = 1_000_000

// maxWeightSum is the largest weight sum read (with a warning past
// weightTolerance): a larger one, up to infinity, is refused.
const maxWeightSum = 2

// weightTolerance is how far from 1 the weights may sum before a warning.
const weightTolerance = 1e-6

// File is the name and content of one file of a scenario.
type File struct {
	Name string
	Data []byte
}

// ReadFile reads path into a File, refusing files over MaxFileSize.
func ReadFile(path string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return File{}, fmt.Errorf("%s: file is larger than %d bytes", filepath.Base(path), MaxFileSize)
	}
	return File{Name: filepath.Base(path), Data: data}, nil
}

// Domain is a GeniusWeb domain: its name and outcome space (issues in file
// order).
type Domain struct {
	Name  string
	Space *outcome.Space
}

// IsDomain reports whether data is a JSON object with an "issuesValues" key.
func IsDomain(data []byte) bool {
	o, err := parseObject(data, "")
	if err != nil {
		return false
	}
	_, ok := o.vals["issuesValues"]
	return ok
}

// IsProfile reports whether data is a JSON object holding a
// "LinearAdditiveUtilitySpace".
func IsProfile(data []byte) bool {
	o, err := parseObject(data, "")
	if err != nil {
		return false
	}
	_, ok := o.vals["LinearAdditiveUtilitySpace"]
	return ok
}

// ParseDomain reads a GeniusWeb domain {"name": …, "issuesValues": {issue:
// {"values": [...]} | {"range": {"low", "high", "step"}}}}. Range bounds
// may be numbers or strings. A range with integer bounds and step 1 is an
// integer issue; any other range is a real issue whose grid is low, low+step,
// … up to high (values named by their exact decimals). Errors name the file
// and the JSON path.
func ParseDomain(data []byte, file string) (*Domain, error) {
	o, err := parseObject(data, file)
	if err != nil {
		return nil, err
	}
	return domainFrom(o, file)
}

func domainFrom(o *object, path string) (*Domain, error) {
	d := &Domain{}
	if raw, ok := o.vals["name"]; ok {
		if err := json.Unmarshal(raw, &d.Name); err != nil {
			return nil, fmt.Errorf("%s.name: want a string", path)
		}
	}
	iv, err := o.sub("issuesValues", path)
	if err != nil {
		return nil, err
	}
	if len(iv.keys) == 0 {
		return nil, fmt.Errorf("%s.issuesValues: no issues", path)
	}
	var issues []outcome.Issue
	total := 0
	for _, name := range iv.keys {
		ip := path + ".issuesValues." + name
		vs, err := parseObject(iv.vals[name], ip)
		if err != nil {
			return nil, err
		}
		var is outcome.Issue
		switch {
		case vs.vals["values"] != nil:
			var vals []string
			if err := json.Unmarshal(vs.vals["values"], &vals); err != nil {
				return nil, fmt.Errorf("%s.values: want a list of strings", ip)
			}
			if len(vals) == 0 {
				return nil, fmt.Errorf("%s.values: empty", ip)
			}
			seen := map[string]bool{}
			for _, v := range vals {
				if seen[v] {
					return nil, fmt.Errorf("%s.values: value %q appears twice", ip, v)
				}
				seen[v] = true
			}
			is = outcome.NewDiscrete(name, vals...)
		case vs.vals["range"] != nil:
			is, err = rangeIssue(name, vs.vals["range"], ip+".range")
			if err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: want {\"values\": [...]} or {\"range\": {...}}", ip)
		}
		total += is.Len()
		if total > MaxValues {
			return nil, fmt.Errorf("%s: the issues have more than %d values together", ip, MaxValues)
		}
		issues = append(issues, is)
	}
	sp, err := outcome.NewSpace(issues, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	d.Space = sp
	return d, nil
}

func rangeIssue(name string, raw json.RawMessage, path string) (outcome.Issue, error) {
	r, err := parseObject(raw, path)
	if err != nil {
		return outcome.Issue{}, err
	}
	var lo, hi, step *big.Rat
	var flo, fhi float64
	for _, k := range []string{"low", "high", "step"} {
		v, ok := r.vals[k]
		if !ok {
			return outcome.Issue{}, fmt.Errorf("%s: missing %q", path, k)
		}
		q, f, err := decimal(v, path+"."+k)
		if err != nil {
			return outcome.Issue{}, err
		}
		switch k {
		case "low":
			lo, flo = q, f
		case "high":
			hi, fhi = q, f
		case "step":
			step = q
		}
	}
	if step.Sign() <= 0 {
		return outcome.Issue{}, fmt.Errorf("%s.step: %s is not positive", path, step.FloatString(8))
	}
	if hi.Cmp(lo) < 0 {
		return outcome.Issue{}, fmt.Errorf("%s: high %s is below low %s", path, hi.RatString(), lo.RatString())
	}
	span := new(big.Rat).Quo(new(big.Rat).Sub(hi, lo), step)
	nInt := new(big.Int).Quo(span.Num(), span.Denom())
	if !nInt.IsInt64() || nInt.Int64() >= MaxValues {
		return outcome.Issue{}, fmt.Errorf("%s: more than %d values", path, MaxValues)
	}
	n := int(nInt.Int64()) + 1
	if lo.IsInt() && step.IsInt() && step.Num().Int64() == 1 && lo.Num().IsInt64() && math.Abs(flo) < 1<<31 && math.Abs(fhi) < 1<<31 {
		l := int(lo.Num().Int64())
		return outcome.NewInteger(name, l, l+n-1), nil
	}
	is := outcome.Issue{Name: name, Kind: outcome.Real, Values: make([]string, n)}
	last := new(big.Rat).Add(lo, new(big.Rat).Mul(step, new(big.Rat).SetInt64(int64(n-1))))
	is.Min = flo
	is.Max, _ = last.Float64()
	v := new(big.Rat).Set(lo)
	for i := range n {
		is.Values[i] = ratDecimal(v)
		v.Add(v, step)
	}
	if n == 1 {
		is.Max = is.Min
	}
	return is, nil
}

// ratDecimal writes r as the shortest decimal that denotes it exactly, or
// with 17 significant digits when it has no finite decimal form.
func ratDecimal(r *big.Rat) string {
	for prec := 0; prec <= 30; prec++ {
		s := r.FloatString(prec)
		if q, ok := new(big.Rat).SetString(s); ok && q.Cmp(r) == 0 {
			return s
		}
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// Parse builds a scenario from a GeniusWeb domain and its profiles, one party
// per profile in the order given (id: the profile's name, else its file's
// base name). domain may have no Data: the first profile's embedded domain is
// then used. Every profile's embedded domain, when present, must have the
// same issues and values. Format is "geniusweb".
func Parse(domain File, profiles ...File) (*scenario.Scenario, error) {
	var d *Domain
	var err error
	if len(domain.Data) > 0 {
		if d, err = ParseDomain(domain.Data, domain.Name); err != nil {
			return nil, err
		}
	}
	s := &scenario.Scenario{Format: "geniusweb"}
	ids := map[string]int{}
	for _, pf := range profiles {
		pr, err := ParseProfile(pf.Data, pf.Name, d)
		if err != nil {
			return nil, err
		}
		if d == nil {
			d = pr.Domain
		}
		id := pr.Profile.Name
		if id == "" {
			id = strings.TrimSuffix(pf.Name, filepath.Ext(pf.Name))
		}
		ids[id]++
		if n := ids[id]; n > 1 {
			id += "-" + strconv.Itoa(n)
		}
		pr.Profile.Name = id
		s.Parties = append(s.Parties, &scenario.Party{ID: id, Name: id, Profile: pr.Profile})
		s.Warnings = append(s.Warnings, pr.Warnings...)
		if pr.ReservationBid != nil {
			setReservationBid(s, id, pr.ReservationBid)
		}
	}
	if d == nil {
		return nil, fmt.Errorf("%s: no profile and no domain", domain.Name)
	}
	s.ID, s.Title, s.Space = d.Name, d.Name, d.Space
	return s, nil
}

// setReservationBid keeps a party's reservation bid in s.Meta.
func setReservationBid(s *scenario.Scenario, party string, bid map[string]string) {
	if s.Meta == nil {
		s.Meta = map[string]any{}
	}
	gw, _ := s.Meta["geniusweb"].(map[string]any)
	if gw == nil {
		gw = map[string]any{}
		s.Meta["geniusweb"] = gw
	}
	rb, _ := gw["reservation_bids"].(map[string]any)
	if rb == nil {
		rb = map[string]any{}
		gw["reservation_bids"] = rb
	}
	m := make(map[string]any, len(bid))
	for k, v := range bid {
		m[k] = v
	}
	rb[party] = m
}

// ReservationBid returns the reservation bid GeniusWeb gave party (issue →
// value name), or nil.
func ReservationBid(s *scenario.Scenario, party string) map[string]string {
	gw, _ := s.Meta["geniusweb"].(map[string]any)
	rb, _ := gw["reservation_bids"].(map[string]any)
	m, _ := rb[party].(map[string]any)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// Read reads a GeniusWeb domain file and profile files (see Parse). An empty
// domainPath takes the domain embedded in the first profile.
func Read(domainPath string, profilePaths ...string) (*scenario.Scenario, error) {
	var dom File
	var err error
	if domainPath != "" {
		if dom, err = ReadFile(domainPath); err != nil {
			return nil, err
		}
	}
	profs := make([]File, len(profilePaths))
	for i, p := range profilePaths {
		if profs[i], err = ReadFile(p); err != nil {
			return nil, err
		}
	}
	s, err := Parse(dom, profs...)
	if err != nil {
		return nil, err
	}
	s.Source = domainPath
	if s.Source == "" && len(profilePaths) > 0 {
		s.Source = profilePaths[0]
	}
	return s, nil
}

// Profile is one parsed GeniusWeb profile.
type Profile struct {
	Profile *preference.Profile
	// Domain is the profile's embedded domain (nil if it has none).
	Domain *Domain
	// ReservationBid is the reservation bid (issue → value name), nil if none.
	ReservationBid map[string]string
	Warnings       []string
}

// ParseProfile reads {"LinearAdditiveUtilitySpace": {"issueUtilities",
// "issueWeights", "domain", "name", "reservationBid"}} for domain d (nil: use
// the embedded domain). Value utilities appear under
// "DiscreteValueSetUtilities" or the older "discreteutils" ({"valueUtilities":
// {value: u}}), number utilities under "NumberValueSetUtilities" or
// "numberutils" ({"lowValue", "lowUtility", "highValue", "highUtility"}).
// Utilities must lie in [0,1] and weights be non-negative; weights that do not
// sum to 1 are used as written with a warning (GeniusWeb itself refuses
// them). The reservation value is the utility of the reservation bid, 0
// without one. Errors name the file and JSON path.
func ParseProfile(data []byte, file string, d *Domain) (*Profile, error) {
	top, err := parseObject(data, file)
	if err != nil {
		return nil, err
	}
	path := file + ".LinearAdditiveUtilitySpace"
	if _, ok := top.vals["LinearAdditiveUtilitySpace"]; !ok {
		if len(top.keys) > 0 {
			return nil, fmt.Errorf("%s: profile type %q is not supported (only LinearAdditiveUtilitySpace)", file, top.keys[0])
		}
		return nil, fmt.Errorf("%s: not a GeniusWeb profile (no LinearAdditiveUtilitySpace)", file)
	}
	o, err := top.sub("LinearAdditiveUtilitySpace", file)
	if err != nil {
		return nil, err
	}
	out := &Profile{}
	if _, ok := o.vals["domain"]; ok {
		dom, err := o.sub("domain", path)
		if err != nil {
			return nil, err
		}
		if out.Domain, err = domainFrom(dom, path+".domain"); err != nil {
			return nil, err
		}
		if d != nil {
			if err := sameSpace(d.Space, out.Domain.Space); err != nil {
				return nil, fmt.Errorf("%s.domain: differs from the domain file: %v", path, err)
			}
		}
	}
	if d == nil {
		d = out.Domain
	}
	if d == nil {
		return nil, fmt.Errorf("%s: no domain given and none embedded", path)
	}
	sp := d.Space
	p := &preference.Profile{Discount: 1, Semantics: preference.GeniusWeb, Issues: make([]preference.IssueUtility, sp.NumIssues())}
	if raw, ok := o.vals["name"]; ok {
		if err := json.Unmarshal(raw, &p.Name); err != nil {
			return nil, fmt.Errorf("%s.name: want a string", path)
		}
	}
	ws, err := o.sub("issueWeights", path)
	if err != nil {
		return nil, err
	}
	var sum float64
	seen := make([]bool, sp.NumIssues())
	for _, k := range ws.keys {
		i := sp.IssueIndex(k)
		if i < 0 {
			return nil, fmt.Errorf("%s.issueWeights.%s: the domain has no issue %q", path, k, k)
		}
		_, w, err := decimal(ws.vals[k], path+".issueWeights."+k)
		if err != nil {
			return nil, err
		}
		if w < 0 {
			return nil, fmt.Errorf("%s.issueWeights.%s: weight %g is negative", path, k, w)
		}
		p.Issues[i].Weight, seen[i] = w, true
		sum += w
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("%s.issueWeights: no weight for issue %q", path, sp.Issues[i].Name)
		}
	}
	if math.IsInf(sum, 0) || sum > maxWeightSum {
		return nil, fmt.Errorf("%s.issueWeights: weights sum to %s; GeniusWeb weights sum to 1, and past %g this is no rounding slip (utilities would reach %s)", path, strconv.FormatFloat(sum, 'g', 10, 64), float64(maxWeightSum), strconv.FormatFloat(sum, 'g', 3, 64))
	}
	if math.Abs(sum-1) > weightTolerance {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s.issueWeights: weights sum to %s, not 1; used as written (GeniusWeb itself refuses such a profile)", path, strconv.FormatFloat(sum, 'g', 10, 64)))
	}
	us, err := o.sub("issueUtilities", path)
	if err != nil {
		return nil, err
	}
	for i := range seen {
		seen[i] = false
	}
	for _, k := range us.keys {
		i := sp.IssueIndex(k)
		ip := path + ".issueUtilities." + k
		if i < 0 {
			return nil, fmt.Errorf("%s: the domain has no issue %q", ip, k)
		}
		vsu, err := parseObject(us.vals[k], ip)
		if err != nil {
			return nil, err
		}
		if err := issueUtilities(vsu, ip, &sp.Issues[i], &p.Issues[i]); err != nil {
			return nil, err
		}
		seen[i] = true
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("%s.issueUtilities: no utilities for issue %q", path, sp.Issues[i].Name)
		}
	}
	if err := p.Prepare(sp); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if raw, ok := o.vals["reservationBid"]; ok && strings.TrimSpace(string(raw)) != "null" {
		rb, err := parseObject(raw, path+".reservationBid")
		if err != nil {
			return nil, err
		}
		bid, o, err := parseBid(rb, path+".reservationBid", sp)
		if err != nil {
			return nil, err
		}
		out.ReservationBid = bid
		p.Reservation = p.Utility(o)
	}
	out.Profile = p
	return out, nil
}

// parseBid reads {"issuevalues": {issue: value}} where a value is a string
// (discrete) or a number.
func parseBid(o *object, path string, sp *outcome.Space) (map[string]string, outcome.Outcome, error) {
	iv, err := o.sub("issuevalues", path)
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]string, len(iv.keys))
	for _, k := range iv.keys {
		raw := iv.vals[k]
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			r, _, err := decimal(raw, path+".issuevalues."+k)
			if err != nil {
				return nil, nil, err
			}
			s = ratDecimal(r)
		}
		m[k] = s
	}
	oc, err := sp.Parse(m)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	return m, oc, nil
}

func issueUtilities(o *object, path string, is *outcome.Issue, iu *preference.IssueUtility) error {
	for _, k := range []string{"DiscreteValueSetUtilities", "discreteutils"} {
		if _, ok := o.vals[k]; !ok {
			continue
		}
		if is.Kind != outcome.Discrete {
			return fmt.Errorf("%s.%s: issue %q is a number range, not a value set", path, k, is.Name)
		}
		d, err := o.sub(k, path)
		if err != nil {
			return err
		}
		vu, err := d.sub("valueUtilities", path+"."+k)
		if err != nil {
			return err
		}
		vp := path + "." + k + ".valueUtilities"
		iu.Eval = make([]float64, is.Len())
		set := make([]bool, is.Len())
		for _, v := range vu.keys {
			vi := is.ValueIndex(v)
			if vi < 0 {
				return fmt.Errorf("%s.%s: issue %q has no value %q", vp, v, is.Name, v)
			}
			_, u, err := decimal(vu.vals[v], vp+"."+v)
			if err != nil {
				return err
			}
			if u < 0 || u > 1 {
				return fmt.Errorf("%s.%s: utility %g is outside [0,1]", vp, v, u)
			}
			iu.Eval[vi], set[vi] = u, true
		}
		for vi, ok := range set {
			if !ok {
				return fmt.Errorf("%s: no utility for value %q", vp, is.Values[vi])
			}
		}
		return nil
	}
	for _, k := range []string{"NumberValueSetUtilities", "numberutils"} {
		if _, ok := o.vals[k]; !ok {
			continue
		}
		if is.Kind == outcome.Discrete {
			return fmt.Errorf("%s.%s: issue %q is a value set, not a number range", path, k, is.Name)
		}
		n, err := o.sub(k, path)
		if err != nil {
			return err
		}
		np := path + "." + k
		var f [4]float64
		for j, name := range []string{"lowValue", "lowUtility", "highValue", "highUtility"} {
			raw, ok := n.vals[name]
			if !ok {
				return fmt.Errorf("%s: missing %q", np, name)
			}
			if _, f[j], err = decimal(raw, np+"."+name); err != nil {
				return err
			}
		}
		lv, lu, hv, hu := f[0], f[1], f[2], f[3]
		if lu < 0 || lu > 1 || hu < 0 || hu > 1 {
			return fmt.Errorf("%s: utilities %g and %g must lie in [0,1]", np, lu, hu)
		}
		if !(hv > lv) {
			return fmt.Errorf("%s: highValue %g must be above lowValue %g", np, hv, lv)
		}
		if lv != is.Min || hv != is.Max {
			return fmt.Errorf("%s: utilities span %g to %g but the issue's range is %g to %g (GeniusWeb requires them equal)", np, lv, hv, is.Min, is.Max)
		}
		iu.Numeric = &preference.Numeric{Kind: preference.Points, X: []float64{lv, hv}, Y: []float64{lu, hu}}
		iu.Eval = make([]float64, is.Len())
		for v := range iu.Eval {
			x, err := strconv.ParseFloat(is.Values[v], 64)
			if err != nil {
				x = is.Number(int32(v))
			}
			iu.Eval[v] = NumberUtility(x, lv, lu, hv, hu)
		}
		return nil
	}
	if len(o.keys) > 0 {
		return fmt.Errorf("%s: unknown value-set utilities %q (want DiscreteValueSetUtilities, discreteutils, NumberValueSetUtilities or numberutils)", path, o.keys[0])
	}
	return fmt.Errorf("%s: empty utilities", path)
}

// NumberUtility is GeniusWeb's NumberValueSetUtilities.getUtility: 0 outside
// [lowValue, highValue], else lowUtility + (highUtility − lowUtility)·(x −
// lowValue)/(highValue − lowValue) with that interpolated term rounded half
// up to 8 decimals (GeniusWeb computes in BigDecimal; this rounds the float64
// result, which agrees except at exact ties).
func NumberUtility(x, lowValue, lowUtility, highValue, highUtility float64) float64 {
	if x < lowValue || x > highValue {
		return 0
	}
	t := (highUtility - lowUtility) * (x - lowValue) / (highValue - lowValue)
	return lowUtility + math.Floor(t*1e8+0.5)/1e8
}

// sameSpace reports how a and b differ in issues or values, or nil.
func sameSpace(a, b *outcome.Space) error {
	if a.NumIssues() != b.NumIssues() {
		return fmt.Errorf("%d issues, not %d", b.NumIssues(), a.NumIssues())
	}
	for _, ib := range b.Issues {
		i := a.IssueIndex(ib.Name)
		if i < 0 {
			return fmt.Errorf("issue %q is not in the domain", ib.Name)
		}
		ia := &a.Issues[i]
		if ia.Len() != ib.Len() {
			return fmt.Errorf("issue %q has %d values, not %d", ib.Name, ib.Len(), ia.Len())
		}
		for _, v := range ib.Values {
			if ia.ValueIndex(v) < 0 {
				return fmt.Errorf("issue %q: value %q is not in the domain", ib.Name, v)
			}
		}
	}
	return nil
}

// Package outcome defines the outcome space of a negotiation: the issues under
// discussion, the values each can take, and the outcomes (one value per issue).
//
// An outcome is held as a small slice of value indices ([Outcome]) or, in spaces
// small enough to enumerate, as a dense mixed-radix [Index]. Conversions between
// the two never allocate when the caller supplies the buffer.
package outcome

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// Kind says what sort of values an issue takes.
type Kind uint8

const (
	// Discrete issues take one of a list of labelled options.
	Discrete Kind = iota
	// Integer issues take every integer in [Min, Max].
	Integer
	// Real issues take a real number in [Min, Max]; the space holds a grid of
	// Steps evenly spaced values (both ends included) so it can be enumerated.
	Real
)

// String returns "discrete", "integer" or "real".
func (k Kind) String() string {
	switch k {
	case Discrete:
		return "discrete"
	case Integer:
		return "integer"
	case Real:
		return "real"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Issue is one dimension of the outcome space.
//
// Values lists the value names in index order: the option ids of a discrete
// issue, the decimal integers of an integer issue, the grid points of a real
// issue. Labels, when present, holds a human-readable label per value.
type Issue struct {
	Name        string
	Description string
	Kind        Kind
	Values      []string
	Labels      []string
	Min, Max    float64 // numeric issues only
}

// Len returns the number of values the issue can take.
func (is *Issue) Len() int { return len(is.Values) }

// Number returns the numeric value of value index v of a numeric issue.
func (is *Issue) Number(v int32) float64 {
	switch is.Kind {
	case Integer:
		return is.Min + float64(v)
	case Real:
		n := len(is.Values)
		if n <= 1 {
			return is.Min
		}
		return is.Min + (is.Max-is.Min)*float64(v)/float64(n-1)
	}
	return float64(v)
}

// ValueIndex returns the index of the value named name, or -1. For numeric issues
// a number within the range that is not on the grid is matched to the nearest
// grid value only if exact is false.
func (is *Issue) ValueIndex(name string) int32 {
	for i, v := range is.Values {
		if v == name {
			return int32(i)
		}
	}
	if is.Kind != Discrete {
		f, err := strconv.ParseFloat(name, 64)
		if err == nil {
			for i := range is.Values {
				if is.Number(int32(i)) == f {
					return int32(i)
				}
			}
		}
	}
	return -1
}

// NewDiscrete returns a discrete issue with the given value names.
func NewDiscrete(name string, values ...string) Issue {
	return Issue{Name: name, Kind: Discrete, Values: values}
}

// NewInteger returns an integer issue over [lo, hi].
func NewInteger(name string, lo, hi int) Issue {
	vals := make([]string, 0, hi-lo+1)
	for v := lo; v <= hi; v++ {
		vals = append(vals, strconv.Itoa(v))
	}
	return Issue{Name: name, Kind: Integer, Values: vals, Min: float64(lo), Max: float64(hi)}
}

// NewReal returns a real issue over [lo, hi] discretised into steps grid points
// (steps ≥ 2).
func NewReal(name string, lo, hi float64, steps int) Issue {
	if steps < 2 {
		steps = 2
	}
	is := Issue{Name: name, Kind: Real, Min: lo, Max: hi}
	is.Values = make([]string, steps)
	for i := range steps {
		is.Values[i] = strconv.FormatFloat(is.Number(int32(i)), 'g', -1, 64)
	}
	return is
}

// Outcome is one value index per issue, in the space's issue order. A nil or
// short Outcome is never valid. The mechanism and strategies treat an Outcome
// they are handed as read-only and valid only until their next call.
type Outcome []int32

// Equal reports whether o and p choose the same value on every issue.
func (o Outcome) Equal(p Outcome) bool {
	if len(o) != len(p) {
		return false
	}
	for i := range o {
		if o[i] != p[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of o.
func (o Outcome) Clone() Outcome { return append(Outcome(nil), o...) }

// Index is the dense mixed-radix number of an outcome in an enumerable space:
// the first issue varies slowest.
type Index int64

// MaxEnumerable is the largest outcome count the enumerating algorithms accept.
const MaxEnumerable = 100_000_000

// ErrTooLarge is returned when an operation would enumerate a space larger than
// MaxEnumerable (or a limit the caller gave).
var ErrTooLarge = errors.New("outcome space too large to enumerate")

// Space is an ordered set of issues plus the feasibility rules that apply to
// every party. A Space is immutable after construction and safe for concurrent
// use.
type Space struct {
	Issues []Issue
	Rules  []Rule

	radix  []int64 // stride of each issue in the dense index
	size   int64   // -1 if it overflows int64
	log10  float64
	bigCnt *big.Int
}

// NewSpace builds a space from issues and rules. It returns an error if an issue
// has no values, two issues share a name, two values of an issue share a name,
// or a rule names an unknown issue or value.
func NewSpace(issues []Issue, rules []Rule) (*Space, error) {
	s := &Space{Issues: issues, Rules: rules}
	seen := make(map[string]bool, len(issues))
	for i := range issues {
		is := &issues[i]
		if is.Name == "" {
			return nil, fmt.Errorf("issue %d has no name", i+1)
		}
		if seen[is.Name] {
			return nil, fmt.Errorf("issue %q appears twice", is.Name)
		}
		seen[is.Name] = true
		if len(is.Values) == 0 {
			return nil, fmt.Errorf("issue %q has no values", is.Name)
		}
		vs := make(map[string]bool, len(is.Values))
		for _, v := range is.Values {
			if vs[v] {
				return nil, fmt.Errorf("issue %q: value %q appears twice", is.Name, v)
			}
			vs[v] = true
		}
	}
	for ri := range rules {
		if err := rules[ri].check(s); err != nil {
			return nil, err
		}
	}
	s.radix = make([]int64, len(issues))
	s.size = 1
	s.bigCnt = big.NewInt(1)
	for i := len(issues) - 1; i >= 0; i-- {
		s.radix[i] = s.size
		n := int64(len(issues[i].Values))
		s.log10 += math.Log10(float64(n))
		s.bigCnt.Mul(s.bigCnt, big.NewInt(n))
		if s.size >= 0 {
			if s.size > math.MaxInt64/n {
				s.size = -1
			} else {
				s.size *= n
			}
		}
	}
	return s, nil
}

// NumIssues returns the number of issues.
func (s *Space) NumIssues() int { return len(s.Issues) }

// Size returns the number of outcomes and true, or 0 and false if the count
// does not fit in an int64.
func (s *Space) Size() (int64, bool) {
	if s.size < 0 {
		return 0, false
	}
	return s.size, true
}

// Count returns the exact number of outcomes, however large.
func (s *Space) Count() *big.Int { return new(big.Int).Set(s.bigCnt) }

// Log10Size returns log10 of the number of outcomes.
func (s *Space) Log10Size() float64 { return s.log10 }

// CheckEnumerable returns nil if the space has at most limit outcomes (limit ≤ 0
// means MaxEnumerable) and an error wrapping ErrTooLarge otherwise.
func (s *Space) CheckEnumerable(limit int64) error {
	if limit <= 0 {
		limit = MaxEnumerable
	}
	if n, ok := s.Size(); ok && n <= limit {
		return nil
	}
	return fmt.Errorf("%w: %s outcomes (limit %d)", ErrTooLarge, s.CountText(), limit)
}

// CountText returns the number of outcomes for people to read: exact up to
// 20 digits, else rounded in scientific notation ("about 1.15e602").
func (s *Space) CountText() string {
	t := s.bigCnt.String()
	if len(t) <= 20 {
		return t
	}
	return fmt.Sprintf("about %s.%se%d", t[:1], t[1:3], len(t)-1)
}

// Index returns the dense index of o. The space must be enumerable.
func (s *Space) Index(o Outcome) Index {
	var idx int64
	for i, v := range o {
		idx += int64(v) * s.radix[i]
	}
	return Index(idx)
}

// Decode writes the outcome with dense index idx into dst (len NumIssues) and
// returns it.
func (s *Space) Decode(idx Index, dst Outcome) Outcome {
	x := int64(idx)
	for i := range s.Issues {
		r := s.radix[i]
		dst[i] = int32(x / r)
		x %= r
	}
	return dst
}

// New returns a zeroed outcome of the right length.
func (s *Space) New() Outcome { return make(Outcome, len(s.Issues)) }

// Next advances o to the next outcome in index order and reports false when o
// was the last one (o is then reset to all zeros). It never allocates.
func (s *Space) Next(o Outcome) bool {
	for i := len(o) - 1; i >= 0; i-- {
		o[i]++
		if int(o[i]) < len(s.Issues[i].Values) {
			return true
		}
		o[i] = 0
	}
	return false
}

// Valid reports whether o has one in-range value index per issue.
func (s *Space) Valid(o Outcome) bool {
	if len(o) != len(s.Issues) {
		return false
	}
	for i, v := range o {
		if v < 0 || int(v) >= len(s.Issues[i].Values) {
			return false
		}
	}
	return true
}

// Feasible reports whether o satisfies every rule of the space.
func (s *Space) Feasible(o Outcome) bool {
	for i := range s.Rules {
		if !s.Rules[i].Holds(o) {
			return false
		}
	}
	return true
}

// IssueIndex returns the position of the issue named name, or -1.
func (s *Space) IssueIndex(name string) int {
	for i := range s.Issues {
		if s.Issues[i].Name == name {
			return i
		}
	}
	return -1
}

// Parse converts a map of issue name → value name into an outcome. Every issue
// must be named exactly once and every value must exist.
func (s *Space) Parse(m map[string]string) (Outcome, error) {
	o := s.New()
	for k := range m {
		if s.IssueIndex(k) < 0 {
			return nil, fmt.Errorf("unknown issue %q", k)
		}
	}
	for i := range s.Issues {
		is := &s.Issues[i]
		v, ok := m[is.Name]
		if !ok {
			return nil, fmt.Errorf("issue %q has no value", is.Name)
		}
		vi := is.ValueIndex(v)
		if vi < 0 {
			return nil, fmt.Errorf("issue %q: unknown value %q", is.Name, v)
		}
		o[i] = vi
	}
	return o, nil
}

// Map returns o as issue name → value name.
func (s *Space) Map(o Outcome) map[string]string {
	m := make(map[string]string, len(o))
	for i, v := range o {
		m[s.Issues[i].Name] = s.Issues[i].Values[v]
	}
	return m
}

// Rule is a scenario-wide feasibility rule: whenever every condition in If
// holds, every condition in Then must hold too. A condition restricts one issue
// to a set of values.
type Rule struct {
	Name string
	Note string
	If   []Condition
	Then []Condition
}

// Condition restricts issue Issue (an index into the space) to the values whose
// Allowed entry is true.
type Condition struct {
	Issue   int
	Allowed []bool
}

// Holds reports whether o satisfies the rule.
func (r *Rule) Holds(o Outcome) bool {
	for _, c := range r.If {
		if !c.Allowed[o[c.Issue]] {
			return true
		}
	}
	for _, c := range r.Then {
		if !c.Allowed[o[c.Issue]] {
			return false
		}
	}
	return true
}

func (r *Rule) check(s *Space) error {
	for _, cs := range [][]Condition{r.If, r.Then} {
		for _, c := range cs {
			if c.Issue < 0 || c.Issue >= len(s.Issues) {
				return fmt.Errorf("rule %q: issue index %d out of range", r.Name, c.Issue)
			}
			if len(c.Allowed) != len(s.Issues[c.Issue].Values) {
				return fmt.Errorf("rule %q: issue %q: condition has %d entries, want %d", r.Name, s.Issues[c.Issue].Name, len(c.Allowed), len(s.Issues[c.Issue].Values))
			}
		}
	}
	return nil
}

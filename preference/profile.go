// Package preference holds what a party wants: its utility function over an
// outcome space, its red lines, its reservation value and its discount factor.
//
// A [Profile] is private to its party: the mechanisms hand each party its own
// profile and never another's.
package preference

import (
	"fmt"
	"math"

	"github.com/backchannel/backchannel/outcome"
)

// Semantics names the rules a profile was read under. Utilities of the same
// file differ between peers (GENIUS rescales discrete evaluations by their
// maximum and caps at 1; GeniusWeb does neither), so the origin is kept.
type Semantics string

const (
	// Native is backchannel's own format: Σ wᵢ·vᵢ, values used as written.
	Native Semantics = "native"
	// Genius is GENIUS 10.4's reading of its XML files.
	Genius Semantics = "genius"
	// GeniusWeb is GeniusWeb's reading of its JSON profiles.
	GeniusWeb Semantics = "geniusweb"
)

// Func is a utility function that is not linear additive (for example the
// hyperrectangle profiles of ANAC 2014). It must be safe for concurrent use.
type Func interface {
	Utility(o outcome.Outcome) float64
}

// IssueUtility is one issue's part of a linear-additive profile: its weight
// and the evaluation of each value index of the issue.
type IssueUtility struct {
	Weight float64
	// Eval holds the evaluation of each value index, already normalised as the
	// profile's semantics require; the issue contributes Weight·Eval[v].
	Eval []float64
	// Numeric, when non-nil, evaluates off-grid numbers of a numeric issue.
	Numeric *Numeric
}

// NumericKind names the shape of a numeric evaluator.
type NumericKind string

// The numeric evaluator shapes.
const (
	Linear     NumericKind = "linear"     // Slope·(x − Min) + Offset
	Triangular NumericKind = "triangular" // 0 at Lo and Hi, 1 at Top, linear between
	Constant   NumericKind = "constant"   // Offset everywhere
	Points     NumericKind = "points"     // piecewise linear through (X[i], Y[i]); 0 outside
)

// Numeric is an evaluator of a numeric issue's values.
type Numeric struct {
	Kind        NumericKind
	Slope       float64
	Offset      float64
	Min         float64 // origin of a linear evaluator
	Lo, Top, Hi float64 // triangular
	X, Y        []float64
	Clamp       bool // clamp the result to [0,1]
}

// At evaluates the numeric evaluator at x.
func (n *Numeric) At(x float64) float64 {
	var y float64
	switch n.Kind {
	case Linear:
		y = n.Slope*(x-n.Min) + n.Offset
	case Triangular:
		switch {
		case x <= n.Lo || x >= n.Hi:
			if x == n.Top {
				y = 1
			}
		case x <= n.Top:
			if n.Top > n.Lo {
				y = (x - n.Lo) / (n.Top - n.Lo)
			} else {
				y = 1
			}
		default:
			if n.Hi > n.Top {
				y = (n.Hi - x) / (n.Hi - n.Top)
			} else {
				y = 1
			}
		}
	case Constant:
		y = n.Offset
	case Points:
		if len(n.X) == 0 || x < n.X[0] || x > n.X[len(n.X)-1] {
			return 0
		}
		for i := 1; i < len(n.X); i++ {
			if x <= n.X[i] {
				x0, x1 := n.X[i-1], n.X[i]
				if x1 == x0 {
					return n.Y[i]
				}
				return n.Y[i-1] + (n.Y[i]-n.Y[i-1])*(x-x0)/(x1-x0)
			}
		}
		y = n.Y[len(n.Y)-1]
	}
	if n.Clamp {
		y = min(max(y, 0), 1)
	}
	return y
}

// Profile is one party's preferences over a space.
//
// Utility is Σ Weight·Eval over issues (or Custom's value when Custom is set),
// capped at 1 when CapAtOne is set. A profile is immutable once Prepare has
// run; its methods are then safe for concurrent use.
type Profile struct {
	Name   string
	Issues []IssueUtility // one per issue of the space, in space order
	// Custom, when non-nil, replaces the linear-additive part.
	Custom Func
	// Reservation is the utility of no agreement; an agreement below it is
	// unacceptable to the party.
	Reservation float64
	// Discount is the per-unit-time discount factor in (0,1]; 1 means none.
	Discount float64
	// RedLines[i][v] is true when the party never accepts value v of issue i,
	// whatever the utility. Nil means no red lines.
	RedLines [][]bool
	// CapAtOne caps utilities at 1 (GENIUS).
	CapAtOne  bool
	Semantics Semantics

	flat []float64 // Weight·Eval, all issues back to back
	off  []int32   // offset of each issue in flat
}

// Prepare validates p against space s and builds its look-up tables. It must
// be called after any change to Issues and before Utility.
func (p *Profile) Prepare(s *outcome.Space) error {
	if p.Custom == nil && len(p.Issues) != s.NumIssues() {
		return fmt.Errorf("profile %q: has %d issues, the space has %d", p.Name, len(p.Issues), s.NumIssues())
	}
	if p.Discount == 0 {
		p.Discount = 1
	}
	if math.IsNaN(p.Reservation) || math.IsInf(p.Reservation, 0) {
		return fmt.Errorf("profile %q: reservation value %v is not a number", p.Name, p.Reservation)
	}
	if p.RedLines != nil {
		if len(p.RedLines) != s.NumIssues() {
			return fmt.Errorf("profile %q: red lines cover %d issues, want %d", p.Name, len(p.RedLines), s.NumIssues())
		}
		for i, rl := range p.RedLines {
			if rl != nil && len(rl) != s.Issues[i].Len() {
				return fmt.Errorf("profile %q: issue %q: red lines cover %d values, want %d", p.Name, s.Issues[i].Name, len(rl), s.Issues[i].Len())
			}
		}
	}
	p.flat = p.flat[:0]
	p.off = p.off[:0]
	for i := range p.Issues {
		iu := &p.Issues[i]
		if len(iu.Eval) != s.Issues[i].Len() {
			return fmt.Errorf("profile %q: issue %q: %d evaluations for %d values", p.Name, s.Issues[i].Name, len(iu.Eval), s.Issues[i].Len())
		}
		if math.IsNaN(iu.Weight) || math.IsInf(iu.Weight, 0) {
			return fmt.Errorf("profile %q: issue %q: weight %v is not a number", p.Name, s.Issues[i].Name, iu.Weight)
		}
		p.off = append(p.off, int32(len(p.flat)))
		for v, e := range iu.Eval {
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return fmt.Errorf("profile %q: issue %q value %q: evaluation %v is not a number", p.Name, s.Issues[i].Name, s.Issues[i].Values[v], e)
			}
			p.flat = append(p.flat, iu.Weight*e)
		}
	}
	return nil
}

// Utility returns the party's utility of o (undiscounted). o must be valid for
// the space the profile was prepared with. It never allocates.
func (p *Profile) Utility(o outcome.Outcome) float64 {
	var u float64
	if p.Custom != nil {
		u = p.Custom.Utility(o)
	} else {
		flat, off := p.flat, p.off
		for i, v := range o {
			u += flat[int(off[i])+int(v)]
		}
	}
	if p.CapAtOne && u > 1 {
		u = 1
	}
	return u
}

// Contribution returns Weight·Eval of value v of issue i (linear profiles only).
func (p *Profile) Contribution(i int, v int32) float64 { return p.flat[int(p.off[i])+int(v)] }

// IsLinear reports whether the utility is linear additive (no Custom part and
// no cap that can bind).
func (p *Profile) IsLinear() bool { return p.Custom == nil }

// Violates reports whether o crosses one of the party's red lines.
func (p *Profile) Violates(o outcome.Outcome) bool {
	if p.RedLines == nil {
		return false
	}
	for i, v := range o {
		if rl := p.RedLines[i]; rl != nil && rl[v] {
			return true
		}
	}
	return false
}

// HasRedLines reports whether any value is marked as a red line.
func (p *Profile) HasRedLines() bool {
	for _, rl := range p.RedLines {
		for _, b := range rl {
			if b {
				return true
			}
		}
	}
	return false
}

// Tolerance is the slack of every utility comparison against a reservation
// value: u reaches rv when u ≥ rv − Tolerance. Scenario numbers are written
// in decimal, and a sum such as 0.18·0.7 + … that equals 0.48 in decimal can
// land one ulp below 0.48 in binary; without the slack such outcomes would
// wrongly be unacceptable (63,365 instead of 63,430 acceptable outcomes in the
// Iran–US baseline).
const Tolerance = 1e-9

// Reaches reports whether utility u reaches the reservation value (within
// Tolerance).
func (p *Profile) Reaches(u float64) bool { return u >= p.Reservation-Tolerance }

// Acceptable reports whether the party could agree to o at all: o is feasible
// in s, crosses none of its red lines, and its utility reaches the
// reservation value.
func (p *Profile) Acceptable(s *outcome.Space, o outcome.Outcome) bool {
	return !p.Violates(o) && s.Feasible(o) && p.Reaches(p.Utility(o))
}

// Discounted returns u discounted to normalised time t in [0,1]: u·Discount^t.
func (p *Profile) Discounted(u, t float64) float64 {
	if p.Discount >= 1 || p.Discount <= 0 {
		return u
	}
	return u * math.Pow(p.Discount, t)
}

// Clone returns a deep copy of p that can be modified and prepared anew.
func (p *Profile) Clone() *Profile {
	q := *p
	q.Issues = make([]IssueUtility, len(p.Issues))
	for i, iu := range p.Issues {
		q.Issues[i] = IssueUtility{Weight: iu.Weight, Eval: append([]float64(nil), iu.Eval...), Numeric: iu.Numeric}
	}
	if p.RedLines != nil {
		q.RedLines = make([][]bool, len(p.RedLines))
		for i, rl := range p.RedLines {
			if rl != nil {
				q.RedLines[i] = append([]bool(nil), rl...)
			}
		}
	}
	q.flat, q.off = nil, nil
	return &q
}

// Range returns the smallest and largest utility over all outcomes of a
// linear profile, ignoring red lines and rules (issue by issue, no enumeration).
func (p *Profile) Range() (lo, hi float64) {
	for i := range p.Issues {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, e := range p.Issues[i].Eval {
			c := p.Issues[i].Weight * e
			mn = min(mn, c)
			mx = max(mx, c)
		}
		lo += mn
		hi += mx
	}
	if p.CapAtOne {
		lo, hi = min(lo, 1), min(hi, 1)
	}
	return lo, hi
}

package frontier

import (
	"errors"
	"fmt"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// MaxPieces bounds the number of rule-consistent sub-spaces a space is split
// into (see [Split]). A rule with m if-conditions splits each piece into at
// most m+1 pieces, so R such rules give at most Π(mᵣ+1) pieces.
const MaxPieces = 1 << 12

// ErrTooManyPieces is returned when the feasibility rules split the space into
// more than MaxPieces products.
var ErrTooManyPieces = errors.New("frontier: feasibility rules split the space into too many pieces")

// Piece is a product of per-issue value subsets: Values[i] lists, ascending,
// the value indices of issue i the piece allows. Every outcome of a piece
// satisfies every rule of the space and crosses no red line of the profiles
// it was split for.
type Piece struct {
	Values [][]int32
}

// Size returns the number of outcomes of the piece as a float64 (exact up to
// 2⁵³, approximate above).
func (pc Piece) Size() float64 {
	n := 1.0
	for _, vs := range pc.Values {
		n *= float64(len(vs))
	}
	return n
}

// Split returns the space's outcomes that satisfy every feasibility rule and
// cross no red line of any of the profiles, as a list of disjoint products of
// per-issue value subsets.
//
// Red lines forbid one value of one issue, so they are removed from that
// issue's value list (exact). A rule "if c₁ ∧ … ∧ cₘ then d₁ ∧ … ∧ dₖ" holds on
// exactly the disjoint union of ¬c₁, c₁∧¬c₂, …, c₁∧…∧cₘ₋₁∧¬cₘ and
// c₁∧…∧cₘ∧d₁∧…∧dₖ, each a product when intersected with a product; Split
// applies that case split rule by rule, dropping empty products and never
// splitting a piece on which a condition is already decided. It costs
// O(P·R·I) for P resulting pieces, R rules and I issues; P ≤ Π(mᵣ+1).
// An empty result means no outcome is acceptable to all the profiles.
func Split(sp *outcome.Space, profiles ...*preference.Profile) ([]Piece, error) {
	base := Piece{Values: make([][]int32, sp.NumIssues())}
	for i := range sp.Issues {
		vs := make([]int32, 0, sp.Issues[i].Len())
	values:
		for v := range sp.Issues[i].Len() {
			for _, p := range profiles {
				if p.RedLines != nil && p.RedLines[i] != nil && p.RedLines[i][v] {
					continue values
				}
			}
			vs = append(vs, int32(v))
		}
		if len(vs) == 0 {
			return nil, nil
		}
		base.Values[i] = vs
	}
	ps := []Piece{base}
	for ri := range sp.Rules {
		r := &sp.Rules[ri]
		var next []Piece
		for _, pc := range ps {
			next = splitRule(next, pc, r)
			if len(next) > MaxPieces {
				return nil, fmt.Errorf("%w (more than %d after rule %q); drop or merge rules, or enumerate the space if it is small", ErrTooManyPieces, MaxPieces, r.Name)
			}
		}
		ps = next
	}
	return ps, nil
}

// restrict returns pc with issue i limited to the values where allowed is
// want, and whether that left any value. It shares the other issues' slices.
func restrict(pc Piece, i int, allowed []bool, want bool) (Piece, bool) {
	vs := pc.Values[i]
	n := 0
	for _, v := range vs {
		if allowed[v] == want {
			n++
		}
	}
	if n == 0 {
		return Piece{}, false
	}
	if n == len(vs) {
		return pc, true
	}
	out := make([]int32, 0, n)
	for _, v := range vs {
		if allowed[v] == want {
			out = append(out, v)
		}
	}
	q := Piece{Values: append([][]int32(nil), pc.Values...)}
	q.Values[i] = out
	return q, true
}

func splitRule(dst []Piece, pc Piece, r *outcome.Rule) []Piece {
	prefix := pc
	for _, c := range r.If {
		if not, ok := restrict(prefix, c.Issue, c.Allowed, false); ok {
			dst = append(dst, not)
		}
		var ok bool
		if prefix, ok = restrict(prefix, c.Issue, c.Allowed, true); !ok {
			return dst // the condition never holds on the rest: the rule is vacuous there
		}
	}
	for _, c := range r.Then {
		var ok bool
		if prefix, ok = restrict(prefix, c.Issue, c.Allowed, true); !ok {
			return dst
		}
	}
	return append(dst, prefix)
}

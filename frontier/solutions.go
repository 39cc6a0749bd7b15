package frontier

import (
	"math"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// Nash returns the index of the frontier point that maximises the product of
// gains Π(uᵢ − rvᵢ) over the points with uᵢ ≥ rvᵢ for every party (the
// textbook Nash bargaining solution with disagreement point rv, gains below
// zero by less than the tolerance counting as zero; unlike
// GENIUS, points below a reservation value are excluded). Ties go to the
// first point in frontier order (party 0 ascending). ok is false if no point
// is individually rational. len(rv) must be Parties. "uᵢ ≥ rvᵢ" is read
// within [preference.Tolerance], as everywhere in backchannel. O(F·d).
func (f *Frontier) Nash(rv []float64) (k int, ok bool) {
	best := math.Inf(-1)
	k = -1
	for i := range f.Len() {
		u := f.Utilities(i)
		if !rational(u, rv) {
			continue
		}
		p := 1.0
		for j := range u {
			p *= max(u[j]-rv[j], 0) // within the tolerance a gain may be a hair below 0
		}
		if p > best {
			best, k = p, i
		}
	}
	return k, k >= 0
}

// Kalai returns the index of the Kalai–Smorodinsky point: among the
// individually rational frontier points (uᵢ ≥ rvᵢ), the one with the largest
// λ such that uᵢ − rvᵢ ≥ λ·(idealᵢ − rvᵢ) for every party, where idealᵢ is
// the largest utility of party i over the individually rational points
// (Kalai & Smorodinsky 1975; not GENIUS's "smallest |u₁ − u₂|"). A party whose
// ideal equals its reservation value constrains nothing. Ties go to the first
// point in frontier order. ok is false if no point is individually rational.
// O(F·d).
func (f *Frontier) Kalai(rv []float64) (k int, ok bool) {
	ideal := f.Ideal(rv)
	if ideal == nil {
		return -1, false
	}
	best := math.Inf(-1)
	k = -1
	for i := range f.Len() {
		u := f.Utilities(i)
		if !rational(u, rv) {
			continue
		}
		lam := math.Inf(1)
		for j := range u {
			if span := ideal[j] - rv[j]; span > 0 {
				lam = min(lam, max(u[j]-rv[j], 0)/span)
			}
		}
		if lam > best {
			best, k = lam, i
		}
	}
	return k, true
}

// Ideal returns each party's largest utility over the individually rational
// frontier points (uᵢ ≥ rvᵢ), or nil if there is none. This equals the
// largest utility over all individually rational outcomes.
func (f *Frontier) Ideal(rv []float64) []float64 {
	var ideal []float64
	for i := range f.Len() {
		u := f.Utilities(i)
		if !rational(u, rv) {
			continue
		}
		if ideal == nil {
			ideal = append([]float64(nil), u...)
		}
		for j := range u {
			ideal[j] = max(ideal[j], u[j])
		}
	}
	return ideal
}

// MaxWelfare returns the index of the frontier point with the largest sum of
// utilities (ties to the first in frontier order), or false if the frontier
// is empty. Every outcome of maximal welfare is on the frontier.
func (f *Frontier) MaxWelfare() (k int, ok bool) {
	best := math.Inf(-1)
	k = -1
	for i := range f.Len() {
		s := 0.0
		for _, x := range f.Utilities(i) {
			s += x
		}
		if s > best {
			best, k = s, i
		}
	}
	return k, k >= 0
}

func rational(u, rv []float64) bool {
	for j := range u {
		if u[j] < rv[j]-preference.Tolerance {
			return false
		}
	}
	return true
}

// Solution is one named point of an analysis.
type Solution struct {
	// Found is false when no individually rational outcome exists.
	Found bool
	// Point is the index of the point in the frontier.
	Point     int
	Utilities []float64
	Outcome   outcome.Outcome
}

// Analysis is what [Analyze] returns.
type Analysis struct {
	Frontier *Frontier
	// Reservation holds the disagreement point used (the profiles'
	// reservation values).
	Reservation []float64
	Nash        Solution
	Kalai       Solution
	MaxWelfare  Solution
}

// Analyze computes, without enumerating sp, the Pareto frontier of the
// linear-additive profiles ps ([Linear]) and on it the Nash,
// Kalai–Smorodinsky and maximum-welfare points, with the profiles'
// reservation values as the disagreement point. It is the path for spaces too
// large to enumerate (any size: 10¹⁰⁰ outcomes cost what the frontier costs).
//
// Returns an error wrapping ErrNotLinear for a non-linear profile,
// ErrTooManyPieces if the rules split the space too finely, and
// ErrFrontierTooLarge if the exact frontier exceeds opt.MaxPoints (retry with
// opt.Epsilon > 0 for an ε-approximate one).
func Analyze(sp *outcome.Space, ps []*preference.Profile, opt Options) (*Analysis, error) {
	f, err := Linear(sp, ps, opt)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Frontier: f, Reservation: make([]float64, len(ps))}
	for j, p := range ps {
		a.Reservation[j] = p.Reservation
	}
	sol := func(k int, ok bool) Solution {
		if !ok {
			return Solution{Point: -1}
		}
		return Solution{Found: true, Point: k, Utilities: append([]float64(nil), f.Utilities(k)...), Outcome: f.Outcome(k, sp.New())}
	}
	a.Nash = sol(f.Nash(a.Reservation))
	a.Kalai = sol(f.Kalai(a.Reservation))
	a.MaxWelfare = sol(f.MaxWelfare())
	return a, nil
}

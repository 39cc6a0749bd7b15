package analysis

import (
	"math"

	"github.com/backchannel/backchannel/preference"
)

// Solutions holds the solution concepts of a negotiation problem, each a
// point of the Pareto frontier it was computed from (nil when it does not
// exist). "Acceptable" means uᵢ ≥ rvᵢ for every party, within
// preference.Tolerance. Frontier order is the order of Report.Pareto (party
// 0's utility ascending, …, then outcome index).
//
// The textbook concepts (Nash, Kalai, Egalitarian) break ties by the larger
// utility sum, then by frontier order; MaxWelfare and the GENIUS variants
// break ties by frontier order alone, as GENIUS does.
type Solutions struct {
	// ParetoAcceptable counts the frontier points acceptable to all parties.
	ParetoAcceptable int
	// Ideal holds each party's largest utility over the acceptable points
	// (the ideal or utopia point of the bargaining problem); nil if none.
	Ideal []float64
	// Nash maximises Π(uᵢ − rvᵢ) over the acceptable points (Nash 1950,
	// "The bargaining problem").
	Nash *Point
	// Kalai is the Kalai–Smorodinsky solution (Kalai & Smorodinsky 1975,
	// "Other solutions to Nash's bargaining problem"): the acceptable point
	// with the largest λ such that uᵢ − rvᵢ ≥ λ·(Idealᵢ − rvᵢ) for every
	// party; a party whose ideal equals its reservation value constrains
	// nothing.
	Kalai *Point
	// Egalitarian maximises the smallest gain minᵢ(uᵢ − rvᵢ) over the
	// acceptable points (Kalai 1977, "Proportional solutions to bargaining
	// situations").
	Egalitarian *Point
	// MaxWelfare maximises the utility sum Σuᵢ over the acceptable points
	// (utilitarian solution).
	MaxWelfare *Point
	// NashGenius is GENIUS 10.4's "Nash point" (BidSpace.getNash): the frontier point with the
	// largest Π(uᵢ − rvᵢ) over the whole frontier, points below a
	// reservation value included; the product must exceed −1 (GENIUS starts
	// its search there).
	NashGenius *Point
	// KalaiGenius is GENIUS 10.4's "Kalai point" (BidSpace.getKalaiSmorodinsky):
	// the frontier point with the smallest Σ_{i<j}|uᵢ − uⱼ| (for two parties
	// |u₁ − u₂|), not the Kalai–Smorodinsky solution. GENIUS starts its search
	// at 2, so a point needs a sum below 2 (always true for two parties with
	// utilities in [0, 1]).
	KalaiGenius *Point
	// MaxWelfareGenius is GENIUS 10.4's "social welfare point": the largest
	// Σuᵢ over the whole frontier, points below a reservation value included.
	MaxWelfareGenius *Point
	// OppositionANL is the "opposition" of the ANAC 2023 Automated
	// Negotiation League's specials.json: the Euclidean distance from
	// KalaiGenius to (1, …, 1) (not the smallest distance of any outcome,
	// which is Report.Opposition); +Inf for an empty frontier.
	OppositionANL float64
}

// Solve computes every solution concept over a Pareto frontier (in frontier
// order, as Report.Pareto holds it) under the reservation values rv, one per
// party. Every acceptable outcome is weakly dominated by an acceptable
// frontier point, so maxima over the frontier are maxima over all acceptable
// outcomes. O(F·n). The returned points alias pareto's elements.
func Solve(pareto []Point, rv []float64) Solutions {
	s := Solutions{OppositionANL: math.Inf(1)}
	var (
		bestNash, bestKalai, bestEgal, bestWelfare = math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1)
		wNash, wKalai, wEgal                       float64
		bestNashG                                  = -1.0
		bestKalaiG                                 = 2.0 // GENIUS's starting asymmetry
		bestWelfareG                               = math.Inf(-1)
	)
	for k := range pareto {
		if acceptable(pareto[k].Utility, rv) {
			s.ParetoAcceptable++
			if s.Ideal == nil {
				s.Ideal = append([]float64(nil), pareto[k].Utility...)
			}
			for i, v := range pareto[k].Utility {
				s.Ideal[i] = max(s.Ideal[i], v)
			}
		}
	}
	for k := range pareto {
		p := &pareto[k]
		u := p.Utility
		w := welfare(u)

		prodG, asym := 1.0, 0.0
		for i := range u {
			prodG *= u[i] - rv[i]
			for j := i + 1; j < len(u); j++ {
				asym += math.Abs(u[i] - u[j])
			}
		}
		if prodG > bestNashG {
			bestNashG, s.NashGenius = prodG, p
		}
		if asym < bestKalaiG {
			bestKalaiG, s.KalaiGenius = asym, p
		}
		if w > bestWelfareG {
			bestWelfareG, s.MaxWelfareGenius = w, p
		}

		if !acceptable(u, rv) {
			continue
		}
		if w > bestWelfare {
			bestWelfare, s.MaxWelfare = w, p
		}
		prod, lam, egal := 1.0, math.Inf(1), math.Inf(1)
		for i := range u {
			g := max(u[i]-rv[i], 0) // within the tolerance a gain may be a hair below 0
			prod *= g
			egal = min(egal, g)
			if span := s.Ideal[i] - rv[i]; span > 0 {
				lam = min(lam, g/span)
			}
		}
		if better(prod, w, bestNash, wNash) {
			bestNash, wNash, s.Nash = prod, w, p
		}
		if better(lam, w, bestKalai, wKalai) {
			bestKalai, wKalai, s.Kalai = lam, w, p
		}
		if better(egal, w, bestEgal, wEgal) {
			bestEgal, wEgal, s.Egalitarian = egal, w, p
		}
	}
	if s.KalaiGenius != nil {
		var d float64
		for _, v := range s.KalaiGenius.Utility {
			d += (1 - v) * (1 - v)
		}
		s.OppositionANL = math.Sqrt(d)
	}
	return s
}

// better reports whether criterion value v with welfare w beats the best so
// far: a larger value, or an equal value with a larger welfare (an earlier
// point wins full ties).
func better(v, w, best, bestW float64) bool {
	return v > best || (v == best && w > bestW)
}

func welfare(u []float64) float64 {
	var s float64
	for _, v := range u {
		s += v
	}
	return s
}

func acceptable(u, rv []float64) bool {
	for i, v := range u {
		if v < rv[i]-preference.Tolerance {
			return false
		}
	}
	return true
}

package analysis

import "math"

// Distance returns the Euclidean distance between two utility vectors of the
// same length.
func Distance(a, b []float64) float64 {
	var d float64
	for i := range a {
		x := a[i] - b[i]
		d += x * x
	}
	return math.Sqrt(d)
}

// DistanceToPareto returns the Euclidean distance from utility vector u to
// the nearest point of the frontier (its points, not the segments between
// them: GENIUS's BidSpace.distanceToNearestParetoBid) and that point's
// position in Pareto, or (+Inf, -1) if the frontier is empty. An agreement
// on the frontier is at distance 0. O(F·n).
func (r *Report) DistanceToPareto(u []float64) (float64, int) {
	best, at := math.Inf(1), -1
	for k := range r.Pareto {
		if d := Distance(u, r.Pareto[k].Utility); d < best {
			best, at = d, k
		}
	}
	return best, at
}

// DistanceToNash returns the Euclidean distance from utility vector u to the
// Nash point, or +Inf if no outcome is acceptable to all parties.
func (r *Report) DistanceToNash(u []float64) float64 {
	if r.Nash == nil {
		return math.Inf(1)
	}
	return Distance(u, r.Nash.Utility)
}

// DistanceToKalai returns the Euclidean distance from utility vector u to the
// Kalai–Smorodinsky point, or +Inf if no outcome is acceptable to all
// parties.
func (r *Report) DistanceToKalai(u []float64) float64 {
	if r.Kalai == nil {
		return math.Inf(1)
	}
	return Distance(u, r.Kalai.Utility)
}

package analysis

import (
	"context"
	"errors"
	"math"
	"sort"
)

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
	if r.Parties == 2 && len(u) == 2 {
		return nearest2(r.Pareto, u)
	}
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

// nearest2 finds the frontier point nearest to u for two parties: the
// frontier is sorted by u₀, so the search starts where u₀ would be inserted
// and walks outwards until the u₀ gap alone exceeds the best distance.
// Exact; O(log F + k) for the k points inspected.
func nearest2(pareto []Point, u []float64) (float64, int) {
	best2, at := math.Inf(1), -1
	start := sort.Search(len(pareto), func(k int) bool { return pareto[k].Utility[0] >= u[0] })
	lo, hi := start-1, start
	for lo >= 0 || hi < len(pareto) {
		if hi < len(pareto) {
			if dx := pareto[hi].Utility[0] - u[0]; dx*dx > best2 {
				hi = len(pareto)
			} else {
				if dy := pareto[hi].Utility[1] - u[1]; dx*dx+dy*dy < best2 || (dx*dx+dy*dy == best2 && hi < at) {
					best2, at = dx*dx+dy*dy, hi
				}
				hi++
			}
		}
		if lo >= 0 {
			if dx := u[0] - pareto[lo].Utility[0]; dx*dx > best2 {
				lo = -1
			} else {
				if dy := pareto[lo].Utility[1] - u[1]; dx*dx+dy*dy < best2 || (dx*dx+dy*dy == best2 && lo < at) {
					best2, at = dx*dx+dy*dy, lo
				}
				lo--
			}
		}
	}
	if at < 0 {
		return math.Inf(1), -1
	}
	return Distance(u, pareto[at].Utility), at
}

// Distribution returns the mean, over the admissible outcomes of the
// analysed space, of each outcome's distance to the nearest frontier point:
// the "distribution" of the ANAC 2023 Automated Negotiation League's
// specials.json (how far the outcomes lie from the frontier; 0 when every
// outcome is Pareto-optimal). It enumerates the space once more with the
// report's profiles, which must not have changed since Analyze; it checks
// ctx every 65,536 outcomes. NaN when no outcome is admissible. Cost
// O(N·c) for two parties, c the candidates of a nearestGrid cell (one or
// two on the ANAC scenarios), O(N·F·n) for more. When Analyze took
// its two-party additive path, it computed the distribution in its one pass
// (bit-identical to this enumeration) and Distribution returns it at once.
func (r *Report) Distribution(ctx context.Context) (float64, error) {
	if r.hasDistribution {
		return r.distribution, nil
	}
	if r.sc.sp == nil {
		return math.NaN(), errors.New("analysis: Distribution needs a report made by Analyze")
	}
	var sum float64
	var n int64
	visit := func(_ int64, u []float64) {
		d, _ := r.DistanceToPareto(u)
		sum += d
		n++
	}
	if r.Parties == 2 && len(r.Pareto) > 0 {
		// The nearest point's square distance from the grid, the same
		// number nearest2 finds.
		var fu0, fu1 []float64
		for k := range r.Pareto {
			if u := r.Pareto[k].Utility; k == 0 || u[0] != fu0[len(fu0)-1] || u[1] != fu1[len(fu1)-1] {
				fu0, fu1 = append(fu0, u[0]), append(fu1, u[1])
			}
		}
		g := newNearestGrid(fu0, fu1, r.box[0], r.box[1], r.box[2], r.box[3])
		visit = func(_ int64, u []float64) {
			sum += math.Sqrt(g.dist2(u[0], u[1]))
			n++
		}
	}
	err := r.sc.run(ctx, visit, nil, nil)
	if err != nil {
		return math.NaN(), err
	}
	if n == 0 {
		return math.NaN(), nil
	}
	return sum / float64(n), nil
}

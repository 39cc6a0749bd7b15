package frontier

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/internal/synth"
)

// TestFilterSortedMatchesScan holds the bitset filter to the plain
// sort-filter-skyline scan on random points (coarse values, so ties and
// equal vectors are common), with and without slack, below and above the
// size where the bitsets take over.
func TestFilterSortedMatchesScan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := rapid.IntRange(3, 8).Draw(t, "d")
		m := rapid.SampledFrom([]int{1, 10, 600, 2000}).Draw(t, "m")
		levels := rapid.SampledFrom([]int{3, 10, 1000}).Draw(t, "levels")
		delta := rapid.SampledFrom([]float64{0, 0.01}).Draw(t, "delta")
		seed := rapid.Uint64().Draw(t, "seed")
		pts := make([][]float64, m)
		x := seed | 1
		for k := range pts {
			pts[k] = make([]float64, d)
			for j := range pts[k] {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				pts[k][j] = float64(x%uint64(levels)) / float64(levels)
			}
		}
		sum := func(p []float64) float64 {
			s := 0.0
			for _, v := range p {
				s += v
			}
			return s
		}
		slices.SortFunc(pts, func(a, b []float64) int {
			if c := cmp.Compare(sum(b), sum(a)); c != 0 {
				return c
			}
			return slices.Compare(b, a)
		})
		got := make([]bool, m)
		filterSorted(d, m, func(k int) []float64 { return pts[k] }, delta, got, nil)
		var kept []int
		for k := range m {
			drop := false
			for _, q := range kept {
				if covers(pts[q], pts[k], delta) {
					drop = true
					break
				}
			}
			if !drop {
				kept = append(kept, k)
			}
			if got[k] == drop {
				t.Fatalf("point %d %v: kept %v, the scan says %v", k, pts[k], got[k], !drop)
			}
		}
	})
}

// TestLinearContextCancelled: a cancelled context stops the n-party
// frontier with the context's error.
func TestLinearContextCancelled(t *testing.T) {
	sc := synth.Scenario(synth.Config{Parties: 4, Issues: 3, Values: 5, Seed: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LinearContext(ctx, sc.Space, sc.Profiles(), Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("LinearContext with a cancelled context: %v", err)
	}
}

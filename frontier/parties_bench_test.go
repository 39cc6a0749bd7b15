package frontier

import (
	"fmt"
	"testing"

	"github.com/backchannel/backchannel/internal/synth"
)

// BenchmarkLinearManyParties is the exact n-party frontier, issue by issue,
// of issue 16's test scenarios (random linear additive, 6 issues × 10
// options = 10⁶ outcomes, seed 1). Reproduce with
// go test -run '^$' -bench LinearManyParties -benchmem -timeout 30m ./frontier/
func BenchmarkLinearManyParties(b *testing.B) {
	for _, n := range []int{3, 4, 5, 6, 7, 8} {
		sc := synth.Scenario(synth.Config{Parties: n, Seed: 1})
		b.Run(fmt.Sprintf("parties=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := synth.CPUSeconds()
			var f *Frontier
			for b.Loop() {
				var err error
				if f, err = Linear(sc.Space, sc.Profiles(), Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(f.Len()), "frontier")
			b.ReportMetric(float64(f.MaxHeld), "held")
			b.ReportMetric((synth.CPUSeconds()-cpu)/float64(b.N), "cpu-s/op")
		})
	}
}

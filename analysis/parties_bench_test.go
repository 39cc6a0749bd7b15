package analysis

import (
	"context"
	"fmt"
	"testing"

	"github.com/backchannel/backchannel/internal/synth"
)

// BenchmarkManyParties measures, on issue 16's test scenarios (random
// linear additive, 6 issues × 10 options = 10⁶ outcomes, reservation 0.3,
// seed 1), what 'run' needs to judge an agreement: Summarize (counts, Nash,
// Kalai, welfare in two passes) plus the distance of one agreement, the
// Nash point, to the frontier. Reproduce with
// go test -run '^$' -bench ManyParties -benchmem -timeout 30m ./analysis/
func BenchmarkManyParties(b *testing.B) {
	for _, n := range []int{2, 3, 6, 8, 10} {
		sc := synth.Scenario(synth.Config{Parties: n, Seed: 1})
		b.Run(fmt.Sprintf("judge/parties=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := synth.CPUSeconds()
			for b.Loop() {
				s, err := Summarize(context.Background(), sc.Space, sc.Profiles(), Options{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.DistanceToPareto(context.Background(), s.Kalai.Utility); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((synth.CPUSeconds()-cpu)/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkManyPartiesAnalyze is what 'analyze' computes (Auto: the exact
// frontier with every tied outcome and everything Solve derives from it, or,
// where the frontier is too large to build, every figure that needs none) on
// the same scenarios. Reproduce with
// go test -run '^$' -bench ManyPartiesAnalyze -benchmem -timeout 30m ./analysis/
func BenchmarkManyPartiesAnalyze(b *testing.B) {
	for _, n := range []int{2, 3, 6, 8, 10} {
		sc := synth.Scenario(synth.Config{Parties: n, Seed: 1})
		b.Run(fmt.Sprintf("parties=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := synth.CPUSeconds()
			var r *Report
			for b.Loop() {
				var err error
				if r, err = Auto(context.Background(), sc.Space, sc.Profiles(), Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(r.Pareto)), "frontier")
			b.ReportMetric((synth.CPUSeconds()-cpu)/float64(b.N), "cpu-s/op")
		})
	}
}

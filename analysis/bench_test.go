package analysis

import (
	"context"
	"testing"

	"github.com/backchannel/backchannel/scenario"
)

// BenchmarkAnalyzeIranUS is the full analysis of the embedded Iran–US
// scenario (552,960 outcomes, 2 parties, 10 issues): counts, frontier, Nash,
// Kalai and the rest. Reproduce with
// go test -run '^$' -bench AnalyzeIranUS -benchmem ./analysis/
func BenchmarkAnalyzeIranUS(b *testing.B) {
	s, err := scenario.Default()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"linear", Options{IgnoreConstraints: true}},
		{"redlines", Options{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Analyze(context.Background(), s.Space, s.Profiles(), bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAnalyzeIranUSThreeParties adds the Omani mediator's profile as a
// third party: the n-party path (sort-filter-skyline with compaction).
// Reproduce with go test -run '^$' -bench AnalyzeIranUSThree -benchmem ./analysis/
func BenchmarkAnalyzeIranUSThreeParties(b *testing.B) {
	s, err := scenario.Default()
	if err != nil {
		b.Fatal(err)
	}
	if s.Mediator == nil {
		b.Fatal("the built-in Iran–US scenario has no mediator profile")
	}
	ps := append(s.Profiles(), s.Mediator.Profile)
	b.ReportAllocs()
	var r *Report
	for b.Loop() {
		if r, err = Analyze(context.Background(), s.Space, ps, Options{IgnoreConstraints: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.Pareto)), "frontier")
}

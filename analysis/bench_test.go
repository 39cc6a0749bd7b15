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

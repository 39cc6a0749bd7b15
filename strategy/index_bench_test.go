package strategy_test

import (
	"testing"

	"github.com/backchannel/backchannel/internal/synth"
	"github.com/backchannel/backchannel/strategy"
)

// BenchmarkIndexManyParties builds one party's offer index on issue 16's
// test scenario (6 issues × 10 options, 10⁶ outcomes) and answers what a
// Boulware strategy asks of it in a 100-round negotiation: the best
// outcome, then one AtLeast per round at a target falling from the best
// utility towards the reservation value. Reproduce with
// go test -run '^$' -bench IndexManyParties -benchmem ./strategy/
func BenchmarkIndexManyParties(b *testing.B) {
	sc := synth.Scenario(synth.Config{Parties: 2, Seed: 1})
	sp, p := sc.Space, sc.Parties[0].Profile
	dst := sp.New()
	for _, mode := range []string{"build", "build+boulware"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			cpu := synth.CPUSeconds()
			for b.Loop() {
				ix, err := strategy.NewIndex(sp, p)
				if err != nil {
					b.Fatal(err)
				}
				if mode == "build" {
					continue
				}
				off := ix.Above(p.Reservation)
				best := off.Best()
				for r := range 100 {
					t := float64(r) / 100
					off.AtLeast(best-(best-p.Reservation)*t*t*t*t*t, dst)
				}
			}
			b.ReportMetric((synth.CPUSeconds()-cpu)/float64(b.N), "cpu-s/op")
		})
	}
}

package sim_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
)

// BenchmarkParallelNegotiations runs independent bilateral SAO negotiations
// (the embedded Iran–US scenario, 552,960 outcomes; Boulware vs Conceder;
// deadline 1,000 rounds) on 1 and on 2 goroutines. Each goroutine owns its
// mechanism and agents, as a tournament worker does; they share only the
// read-only scenario and the cached offer indices, so nothing is locked
// per negotiation. ns/op is the wall time per negotiation; the speed-up
// with cores is ns/op of goroutines=1 over ns/op of goroutines=2 (issue 5
// asks ≥ 1.8× on 2 cores). Run it with GOMAXPROCS ≥ 2 on a quiet machine:
//
//	go test ./sim -run '^$' -bench ParallelNegotiations -count 5
func BenchmarkParallelNegotiations(b *testing.B) {
	sc, err := scenario.Default()
	if err != nil {
		b.Fatal(err)
	}
	sp, ps := sc.Space, sc.Profiles()
	for _, p := range ps { // build the shared indices outside the timing
		if _, err := strategy.IndexOf(sp, p); err != nil {
			b.Fatal(err)
		}
	}
	for _, g := range []int{1, 2} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			workers := make([]*sim.Config, g)
			for w := range workers {
				x, err := strategy.New("boulware", nil)
				if err != nil {
					b.Fatal(err)
				}
				y, err := strategy.New("conceder", nil)
				if err != nil {
					b.Fatal(err)
				}
				workers[w] = &sim.Config{Mechanism: mechanism.NewSAO(), Space: sp, Profiles: ps,
					Parties: []mechanism.Party{x, y}, Deadline: mechanism.Deadline{Rounds: 1000}}
			}
			var next, rounds atomic.Int64
			var failed atomic.Value
			n := int64(b.N)
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, cfg := range workers {
				wg.Go(func() {
					local := 0
					for {
						i := next.Add(1)
						if i > n {
							break
						}
						cfg.Seed = uint64(i)
						res, err := sim.Run(context.Background(), cfg)
						if err != nil || res.Status == mechanism.Failed {
							failed.Store(fmt.Sprintf("negotiation %d: %v %s", i, err, res.Reason))
							break
						}
						local += res.Rounds
					}
					rounds.Add(int64(local))
				})
			}
			wg.Wait()
			b.StopTimer()
			if f := failed.Load(); f != nil {
				b.Fatal(f)
			}
			b.ReportMetric(float64(rounds.Load())/b.Elapsed().Seconds(), "rounds/s")
			b.ReportMetric(float64(rounds.Load())/float64(b.N), "rounds/op")
		})
	}
}

package distributed

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/backchannel/backchannel/store/sqlite"
	"github.com/backchannel/backchannel/tournament"
)

// benchStrategies are the nine strategies of the registry, in the order of
// the ring of pairings benchTournament keeps.
var benchStrategies = []string{"boulware", "conceder", "frequency", "hardliner", "linear", "micro", "random", "tft-absolute", "tft-relative"}

// benchTournament is the tournament of tournament's BenchmarkTournament
// (docs/benchmarks.md): 10 pairings (the ring of the nine strategies and
// the chord boulware–linear) × 2 roles × the 10 fixtures of
// tournament/testdata/bench × 10 repetitions = 2,000 negotiations of up to
// rounds rounds, with plan seed seed.
func benchTournament(b *testing.B, rounds int, seed uint64) *tournament.Tournament {
	scens, err := filepath.Glob(filepath.Join("..", "tournament", "testdata", "bench", "bench*.yaml"))
	if err != nil || len(scens) != 10 {
		b.Fatalf("../tournament/testdata/bench: %d fixtures (%v), want 10", len(scens), err)
	}
	tr, err := tournament.Compile(context.Background(), nil, tournament.Plan{Strategies: benchStrategies, Scenarios: scens,
		Repetitions: 10, Seed: seed, DeadlineRounds: rounds})
	if err != nil {
		b.Fatal(err)
	}
	keep := map[[2]string]bool{{"boulware", "linear"}: true, {"linear", "boulware"}: true}
	for i, s := range benchStrategies {
		t := benchStrategies[(i+1)%len(benchStrategies)]
		keep[[2]string{s, t}], keep[[2]string{t, s}] = true, true
	}
	jobs := tr.Jobs[:0]
	for _, j := range tr.Jobs {
		if keep[[2]string{j.Strategies[0], j.Strategies[1]}] {
			jobs = append(jobs, j)
		}
	}
	tr.Jobs = jobs
	if len(tr.Jobs) != 2000 {
		b.Fatalf("%d jobs, want 2,000", len(tr.Jobs))
	}
	return tr
}

// BenchmarkNATS runs the benchmark tournament through an embedded JetStream
// server with 1 and 2 in-process workers (jobs per second end to end,
// results stored in SQLite), and for comparison the same plans with
// tournament.Run on 1 and 2 local workers: "rounds=1" (one-round
// negotiations) shows the per-job overhead of the queue, "rounds=1000" the
// tournament of docs/benchmarks.md. Each iteration compiles the plan with a
// new seed (so that no job is deduplicated against an earlier one) and
// opens its SQLite store, outside the timer.
func BenchmarkNATS(b *testing.B) {
	url := startNATS(b)
	for _, rounds := range []int{1, 1000} {
		for _, workers := range []int{-1, 1, -2, 2} {
			name := fmt.Sprintf("rounds=%d/nats/workers=%d", rounds, workers)
			if workers < 0 {
				name = fmt.Sprintf("rounds=%d/local/workers=%d", rounds, -workers)
			}
			b.Run(name, func(b *testing.B) {
				jobs := 0
				for i := 0; b.Loop(); i++ {
					b.StopTimer()
					tr := benchTournament(b, rounds, uint64(i+1000*rounds))
					jobs += len(tr.Jobs)
					st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "t.db"))
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if workers < 0 { // the same plan run locally, for comparison
						if _, err := tournament.Run(context.Background(), tr, st, nil, tournament.Options{Workers: -workers}); err != nil {
							b.Fatal(err)
						}
						b.StopTimer()
						st.Close()
						b.StartTimer()
						continue
					}
					ctx, cancel := context.WithCancel(context.Background())
					cfg := Config{URL: url, AckWait: time.Second}
					for range workers {
						go Work(ctx, cfg, WorkerOptions{Concurrency: 1})
					}
					if _, err := Coordinate(ctx, cfg, tr, st, tournament.Options{}); err != nil {
						b.Fatal(err)
					}
					cancel()
					b.StopTimer()
					st.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(jobs)/b.Elapsed().Seconds(), "jobs/s")
			})
		}
	}
}

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

// BenchmarkNATS runs tournaments through an embedded JetStream server with
// in-process workers (jobs per second end to end, results stored in SQLite):
// "trivial" is 2,000 one-round negotiations (the per-job overhead of the
// queue), "rounds=1000" is the same plan with up to 1,000 rounds; "local"
// runs the same plans with tournament.Run for comparison.
func BenchmarkNATS(b *testing.B) {
	url := startNATS(b)
	for _, rounds := range []int{1, 1000} {
		for _, workers := range []int{-1, 1, -2, 2} {
			name := fmt.Sprintf("rounds=%d/nats/workers=%d", rounds, workers)
			if workers < 0 {
				name = fmt.Sprintf("rounds=%d/local/workers=%d", rounds, -workers)
			}
			b.Run(name, func(b *testing.B) {
				plan := tournament.Plan{Strategies: []string{"boulware", "conceder", "linear", "micro", "frequency"},
					Scenarios: []string{"", "builtin:iran-us#usa_hardline"}, Repetitions: 100, DeadlineRounds: rounds}
				jobs := 0
				for i := 0; b.Loop(); i++ {
					plan.Seed = uint64(i + 1000*rounds)
					tr, err := tournament.Compile(context.Background(), nil, plan)
					if err != nil {
						b.Fatal(err)
					}
					jobs += len(tr.Jobs)
					st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "t.db"))
					if err != nil {
						b.Fatal(err)
					}
					if workers < 0 { // the same plan run locally, for comparison
						if _, err := tournament.Run(context.Background(), tr, st, nil, tournament.Options{Workers: -workers}); err != nil {
							b.Fatal(err)
						}
						st.Close()
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
					st.Close()
				}
				b.ReportMetric(float64(jobs)/b.Elapsed().Seconds(), "jobs/s")
			})
		}
	}
}

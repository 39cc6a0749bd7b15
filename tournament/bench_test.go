package tournament

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/sqlite"
)

// benchScenarios writes n bilateral fixtures (4 issues × 6 values, random
// linear preferences from a fixed seed) and returns their paths.
func benchScenarios(b *testing.B, n int) []string {
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(42, 7))
	var paths []string
	for s := range n {
		var y strings.Builder
		fmt.Fprintf(&y, "scenario:\n  id: bench%d\nissues:\n", s)
		for i := range 4 {
			fmt.Fprintf(&y, "  - id: i%d\n    options: [v0, v1, v2, v3, v4, v5]\n", i)
		}
		y.WriteString("parties:\n")
		for _, p := range []string{"a", "b"} {
			fmt.Fprintf(&y, "  %s:\n    reservation_value: %.2f\n    weights: {", p, 0.2+0.2*rng.Float64())
			ws := make([]float64, 4)
			sum := 0.0
			for i := range ws {
				ws[i] = 0.1 + rng.Float64()
				sum += ws[i]
			}
			for i := range ws {
				if i > 0 {
					y.WriteString(", ")
				}
				fmt.Fprintf(&y, "i%d: %.4f", i, ws[i]/sum)
			}
			y.WriteString("}\n    values:\n")
			for i := range 4 {
				fmt.Fprintf(&y, "      i%d: {", i)
				for v := range 6 {
					if v > 0 {
						y.WriteString(", ")
					}
					fmt.Fprintf(&y, "v%d: %.3f", v, rng.Float64())
				}
				y.WriteString("}\n")
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("bench%d.yaml", s))
		if err := os.WriteFile(path, []byte(y.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// discard is a store that keeps only job ids: the baseline without storage.
type discard struct {
	mu   sync.Mutex
	done map[string]struct{}
}

func (d *discard) Put(_ context.Context, rs []store.Result) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done == nil {
		d.done = map[string]struct{}{}
	}
	n := 0
	for i := range rs {
		if _, ok := d.done[rs[i].JobID]; !ok {
			d.done[rs[i].JobID] = struct{}{}
			n++
		}
	}
	return n, nil
}
func (d *discard) PutScenario(context.Context, store.Scenario) error { return nil }
func (d *discard) Done(context.Context) (map[string]struct{}, error) {
	return map[string]struct{}{}, nil
}
func (d *discard) Scan(context.Context, string, func(*store.Result) error) error { return nil }
func (d *discard) Scenarios(context.Context) (map[string]store.Scenario, error) {
	return nil, nil
}
func (d *discard) Trace(context.Context, string) ([]byte, error) { return nil, store.ErrNotFound }
func (d *discard) Count(context.Context) (int, error)            { return len(d.done), nil }
func (d *discard) Close() error                                  { return nil }

// benchPlan is the tournament of docs/benchmarks.md: 5 strategies (10
// pairings) × 2 roles × 10 scenarios × 10 repetitions = 2,000 negotiations
// of up to 1,000 rounds.
func benchPlan(b *testing.B) Plan {
	return Plan{Strategies: []string{"boulware", "conceder", "linear", "micro", "frequency"},
		Scenarios: benchScenarios(b, 10), Repetitions: 10, Seed: 1, DeadlineRounds: 1000}
}

// BenchmarkTournament runs the benchmark tournament on 1 and 2 workers,
// without storage and with SQLite, and reports negotiations per second.
func BenchmarkTournament(b *testing.B) {
	tr := compile(b, nil, benchPlan(b))
	if len(tr.Jobs) != 2000 {
		b.Fatalf("%d jobs", len(tr.Jobs))
	}
	for _, workers := range []int{1, 2} {
		for _, kind := range []string{"nostore", "sqlite"} {
			b.Run(fmt.Sprintf("workers=%d/%s", workers, kind), func(b *testing.B) {
				for b.Loop() {
					var st store.Store = &discard{}
					if kind == "sqlite" {
						s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "t.db"))
						if err != nil {
							b.Fatal(err)
						}
						st = s
					}
					if _, err := Run(context.Background(), tr, st, nil, Options{Workers: workers}); err != nil {
						b.Fatal(err)
					}
					st.Close()
				}
				b.ReportMetric(float64(len(tr.Jobs)*b.N)/b.Elapsed().Seconds(), "negotiations/s")
			})
		}
	}
}

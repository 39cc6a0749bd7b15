package distributed

import (
	"testing"
	"time"
)

// TestPrefetchLimit checks how many jobs a worker holds: its runners plus
// about backlog of work waiting, between one and maxWaiting per runner, or
// exactly WorkerOptions.Prefetch when that is set.
func TestPrefetchLimit(t *testing.T) {
	for _, c := range []struct {
		name     string
		n, fixed int
		mean     time.Duration
		want     int
	}{
		{"no job run yet", 1, 0, 0, 2},
		{"no job run yet, 4 runners", 4, 0, 0, 8},
		{"half-millisecond jobs", 1, 0, 500 * time.Microsecond, 1 + 41},
		{"one-millisecond jobs, 4 runners", 4, 0, time.Millisecond, 4 + 81},
		{"trivial jobs hit the cap", 1, 0, 10 * time.Microsecond, 1 + maxWaiting},
		{"trivial jobs, 2 runners", 2, 0, time.Microsecond, 2 + 2*maxWaiting},
		{"minute-long jobs: one waiting per runner", 3, 0, time.Minute, 6},
		{"fixed", 2, 5, time.Microsecond, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := &puller{n: c.n, fixed: c.fixed, mean: c.mean}
			if got := w.limit(); got != c.want {
				t.Errorf("limit() = %d, want %d", got, c.want)
			}
		})
	}
}

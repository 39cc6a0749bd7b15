package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/internal/storetest"
)

func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "results.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestReopenKeepsResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, []store.Result{storetest.Result(1)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path) // migrations already applied: a no-op
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.Count(ctx); n != 1 {
		t.Fatalf("reopened store has %d results", n)
	}
}

func BenchmarkPut(b *testing.B) {
	for _, size := range []int{1, 256} {
		b.Run(map[int]string{1: "batch1", 256: "batch256"}[size], func(b *testing.B) {
			storetest.Bench(b, open(b), size)
		})
	}
}

// BenchmarkAppend measures the group commit of live sessions' actions
// (docs/benchmarks.md, "Live sessions").
func BenchmarkAppend(b *testing.B) {
	for _, c := range []struct{ sessions, group int }{{1, 1}, {1000, 10}, {1000, 100}, {1000, 1000}} {
		b.Run(fmt.Sprintf("sessions=%d/group=%d", c.sessions, c.group), func(b *testing.B) {
			storetest.BenchAppend(b, open(b), c.sessions, c.group)
		})
	}
}

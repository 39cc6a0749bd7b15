// Package storetest is the behaviour every store.Store must have, run by
// each implementation's tests against a real database.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/backchannel/backchannel/store"
)

// Result returns a distinct, fully populated result for index i.
func Result(i int) store.Result {
	r := store.Result{
		JobID: fmt.Sprintf("job-%06d", i), Plan: "plan-a", Scenario: "small", ScenarioKey: "k1", Protocol: "sao",
		Roles: []string{"buyer", "seller"}, Strategies: []string{"linear", "boulware:e=0.1"}, Repetition: i % 7,
		Seed: math.MaxUint64 - uint64(i), Status: "agreement", Agreement: map[string]string{"price": "p2", "warranty": "one"},
		Utilities: []float64{0.5 + float64(i%10)/100, 0.25}, Welfare: 0.75 + float64(i%10)/100, ParetoDistance: 0.01, NashDistance: 0.2,
		Rounds: 10 + i%50, Steps: 20 + i%100, Elapsed: time.Duration(i) * time.Microsecond, Worker: "w1",
	}
	if i%5 == 0 {
		r.Status, r.Agreement = "failed", nil
		r.Fault, r.FaultRole, r.FaultStrategy = "panic: boom", "buyer", "linear"
		r.ParetoDistance, r.NashDistance = math.NaN(), math.NaN()
	}
	return r
}

func scanAll(t *testing.T, s store.Store, plan string) []store.Result {
	t.Helper()
	var out []store.Result
	if err := s.Scan(context.Background(), plan, func(r *store.Result) error { out = append(out, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func same(a, b store.Result) bool {
	if math.IsNaN(a.ParetoDistance) != math.IsNaN(b.ParetoDistance) || math.IsNaN(a.NashDistance) != math.IsNaN(b.NashDistance) {
		return false
	}
	a.ParetoDistance, b.ParetoDistance, a.NashDistance, b.NashDistance = 0, 0, 0, 0
	a.Trace, b.Trace = nil, nil
	return reflect.DeepEqual(a, b)
}

// Run runs the behaviour tests against fresh stores made by open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		var in []store.Result
		for i := range 23 {
			in = append(in, Result(i))
		}
		in[3].Trace = []byte("{\"seq\":0}\n")
		n, err := s.Put(ctx, in)
		if err != nil || n != len(in) {
			t.Fatalf("Put: %d new, %v", n, err)
		}
		out := scanAll(t, s, "")
		if len(out) != len(in) {
			t.Fatalf("Scan: %d results, want %d", len(out), len(in))
		}
		for i := range in {
			if !same(in[i], out[i]) {
				t.Fatalf("result %d changed in the store:\n in %+v\nout %+v", i, in[i], out[i])
			}
		}
		tr, err := s.Trace(ctx, in[3].JobID)
		if err != nil || string(tr) != string(in[3].Trace) {
			t.Fatalf("Trace: %q, %v", tr, err)
		}
		if _, err := s.Trace(ctx, in[4].JobID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Trace of a job without one: %v, want ErrNotFound", err)
		}
		if got := scanAll(t, s, "other-plan"); len(got) != 0 {
			t.Fatalf("Scan of another plan: %d results", len(got))
		}
	})
	t.Run("Idempotent", func(t *testing.T) {
		s := open(t)
		a := []store.Result{Result(1), Result(2), Result(3)}
		if n, err := s.Put(ctx, a); err != nil || n != 3 {
			t.Fatalf("first Put: %d, %v", n, err)
		}
		changed := Result(2)
		changed.Utilities = []float64{0, 0}
		n, err := s.Put(ctx, []store.Result{changed, Result(4), Result(1)})
		if err != nil || n != 1 {
			t.Fatalf("second Put: %d new, %v; want 1", n, err)
		}
		out := scanAll(t, s, "plan-a")
		if len(out) != 4 || !same(out[1], Result(2)) {
			t.Fatalf("after re-Put: %d results, job 2 = %+v", len(out), out[1])
		}
		done, err := s.Done(ctx)
		if err != nil || len(done) != 4 {
			t.Fatalf("Done: %v, %v", done, err)
		}
	})
	t.Run("ConcurrentWriters", func(t *testing.T) {
		// Writers racing with overlapping batches store each job once.
		s := open(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range 10 {
					var batch []store.Result
					for i := range 20 {
						batch = append(batch, Result((b*20+i+w*50)%300))
					}
					if _, err := s.Put(ctx, batch); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for w := range 4 {
			for k := range 200 {
				want[Result((k+w*50)%300).JobID] = true
			}
		}
		if n, _ := s.Count(ctx); n != len(want) {
			t.Fatalf("Count %d, want %d", n, len(want))
		}
	})
	t.Run("Scenarios", func(t *testing.T) {
		s := open(t)
		sc := store.Scenario{Key: "k1", ID: "small", Roles: []string{"buyer", "seller"}, Reservations: []float64{0.3, 0.25},
			Frontier: [][]float64{{0.2, 0.9}, {0.6, 0.6}, {0.9, 0.1}}, Nash: []float64{0.6, 0.6}}
		other := store.Scenario{Key: "k2", ID: "other", Roles: []string{"a", "b", "c"}, Reservations: []float64{0, 0.1, 0.2}}
		for range 2 {
			if err := s.PutScenarios(ctx, []store.Scenario{sc, other}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutScenarios(ctx, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Scenarios(ctx)
		if err != nil || len(got) != 2 || !reflect.DeepEqual(got["k1"], sc) || !reflect.DeepEqual(got["k2"], other) {
			t.Fatalf("Scenarios: %+v, %v", got, err)
		}
	})
	t.Run("EmptyJobID", func(t *testing.T) {
		s := open(t)
		r := Result(1)
		r.JobID = ""
		if _, err := s.Put(ctx, []store.Result{Result(2), r}); err == nil {
			t.Fatal("Put accepted a result without job id")
		}
		if n, _ := s.Count(ctx); n != 0 {
			t.Fatalf("a failed batch stored %d results", n)
		}
	})
}

// Bench measures Put throughput in batches of size.
func Bench(b *testing.B, s store.Store, size int) {
	ctx := context.Background()
	batch := make([]store.Result, size)
	next := 0
	b.ResetTimer()
	for b.Loop() {
		for i := range batch {
			batch[i] = Result(next)
			batch[i].JobID = fmt.Sprintf("bench-%s-%09d", b.Name(), next)
			next++
		}
		if _, err := s.Put(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "results/s")
}

// BenchAppend measures the group commit of live sessions: sessions
// sessions take turns, each adding one batch (a move and its event, as one
// action does) to every group of group batches, committed in one Append.
// It reports batches (actions) per second.
func BenchAppend(b *testing.B, s store.Sessions, sessions, group int) {
	ctx := context.Background()
	ids := make([]string, sessions)
	for i := range ids {
		ids[i] = fmt.Sprintf("s%016x", uint64(i)*0x9e3779b97f4a7c15) // scattered, as random ids are
		if err := s.CreateSession(ctx, store.Session{ID: ids[i], Spec: []byte(`{}`), CreatedMS: 1, Status: "running"},
			[]store.Token{{Hash: ids[i] + "-owner", Session: ids[i], Role: "owner"}}); err != nil {
			b.Fatal(err)
		}
	}
	steps := make([]int, sessions)
	next := 0
	batches := make([]store.Batch, group)
	n := 0
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		for i := range batches {
			k := next % sessions
			next++
			st := steps[k]
			steps[k]++
			batches[i] = store.Batch{Session: ids[k],
				Moves:  []store.Move{{Step: st, Party: st % 2, Kind: "offer", Offer: []int32{int32(st % 5), 4}, T: float64(st) / 1000, AtMS: 1764770000000}},
				Events: []store.Event{{Seq: st + 1, Body: fmt.Appendf(nil, `{"step":%d,"round":%d,"t":%g,"party":%d,"kind":"offer","outcome":[%d,4]}`, st+1, st/2, float64(st)/1000, st%2, st%5)}}}
		}
		if err := s.Append(ctx, batches); err != nil {
			b.Fatal(err)
		}
		n += group
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "actions/s")
	// The machine is shared: CPU time per action (user and system, the
	// writes and fsyncs included) moves less than wall time does.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-µs/action")
}

// cpuTime is the user and system time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

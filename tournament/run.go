package tournament

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/backchannel/backchannel/store"
)

// Progress is a snapshot of a running tournament.
type Progress struct {
	Total   int // jobs in the plan
	Done    int // jobs with a stored result (including earlier runs)
	Skipped int // jobs already stored when this run started
	Failed  int // results of this run with a fault
	Started time.Time
}

// Options tunes a local run.
type Options struct {
	// Workers is the number of negotiations run at once; 0 means one per
	// CPU (runtime.GOMAXPROCS).
	Workers int
	// Batch is the most results stored in one transaction (default 256);
	// FlushEvery bounds how long a finished result waits to be stored
	// (default 250 ms). A crash loses at most the unstored results, which
	// the next run recomputes.
	Batch      int
	FlushEvery time.Duration
	// Worker names this process in the results (default: "local").
	Worker string
	// Progress, if set, is called from one goroutine at the start and after
	// every stored batch.
	Progress func(Progress)
}

func (o *Options) defaults() {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 250 * time.Millisecond
	}
	if o.Worker == "" {
		o.Worker = "local"
	}
}

// Pending records t's scenarios in st and returns the jobs of t that st has
// no result for yet, in plan order.
func Pending(ctx context.Context, t *Tournament, st store.Store) ([]Job, error) {
	var infos []store.Scenario
	for _, p := range sortedPrepared(t) {
		infos = append(infos, p.Info)
	}
	if err := st.PutScenarios(ctx, infos); err != nil {
		return nil, err
	}
	done, err := st.Done(ctx)
	if err != nil {
		return nil, err
	}
	var out []Job
	for _, j := range t.Jobs {
		if _, ok := done[j.ID]; !ok {
			out = append(out, j)
		}
	}
	return out, nil
}

// Run runs every job of t that st does not hold yet on a local pool of
// workers and stores each result by job id. It is resumable: run it again
// after a crash or a cancellation and it runs only what is missing; a job
// run twice is stored once. It returns ctx's error if cancelled (what
// finished before is stored).
func Run(ctx context.Context, t *Tournament, st store.Store, env *Env, o Options) (Progress, error) {
	o.defaults()
	pending, err := Pending(ctx, t, st)
	if err != nil {
		return Progress{}, err
	}
	x := &Executor{Env: env, Worker: o.Worker}
	x.Add(sortedPrepared(t)...)
	pg := Progress{Total: len(t.Jobs), Done: len(t.Jobs) - len(pending), Skipped: len(t.Jobs) - len(pending), Started: time.Now()}
	if o.Progress != nil {
		o.Progress(pg)
	}
	if len(pending) == 0 {
		return pg, nil
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan *Job)
	// Room for a few batches, so that runners go on while the writer
	// commits one (a commit with its fsync takes milliseconds, in which two
	// runners finish dozens of short negotiations).
	results := make(chan store.Result, max(o.Workers*4, 4*o.Batch))
	var wg sync.WaitGroup
	for range min(o.Workers, len(pending)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r, err := x.Run(ctx, j)
				if err != nil {
					if ctx.Err() == nil {
						cancel(fmt.Errorf("job %s: %w", j.ID, err))
					}
					return
				}
				results <- r
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range pending {
			select {
			case jobs <- &pending[i]:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	// The writer: batches results into transactions. It keeps draining
	// after a cancellation so that every finished negotiation is stored.
	batch := make([]store.Result, 0, o.Batch)
	tick := time.NewTicker(o.FlushEvery)
	defer tick.Stop()
	var werr error
	flush := func() {
		if len(batch) == 0 || werr != nil {
			batch = batch[:0]
			return
		}
		// Store even when ctx is cancelled: these negotiations finished.
		if _, err := st.Put(context.WithoutCancel(ctx), batch); err != nil {
			werr = err
			cancel(err)
			return
		}
		for i := range batch {
			if batch[i].Fault != "" {
				pg.Failed++
			}
		}
		pg.Done += len(batch)
		batch = batch[:0]
		if o.Progress != nil {
			o.Progress(pg)
		}
	}
	for open := true; open; {
		select {
		case r, ok := <-results:
			if !ok {
				open = false
				break
			}
			batch = append(batch, r)
			if len(batch) >= o.Batch {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
	flush()
	if werr != nil {
		return pg, werr
	}
	if ctx.Err() != nil && pg.Done < pg.Total {
		return pg, context.Cause(ctx)
	}
	return pg, nil
}

func sortedPrepared(t *Tournament) []*Prepared {
	// Scenarios in the order jobs first use them, for a stable store order.
	seen := map[string]bool{}
	var out []*Prepared
	for i := range t.Jobs {
		k := t.Jobs[i].ScenarioKey
		if !seen[k] {
			seen[k] = true
			out = append(out, t.Scenarios[k])
		}
	}
	return out
}

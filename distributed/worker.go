package distributed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/tournament"
)

// WorkerOptions tunes Work.
type WorkerOptions struct {
	// Concurrency is the number of jobs run at once (default 1).
	Concurrency int
	// Prefetch is the most jobs a worker holds at once, running or waiting
	// to run (at least Concurrency). 0 adapts it to the jobs: Concurrency
	// running plus about 20 ms of work waiting (from the mean run time of
	// the jobs so far), at least Concurrency and at most 64 × Concurrency
	// waiting. The worker asks the queue for jobs in one batch once at least
	// half of the waiting places are free: short jobs then cost a fraction
	// of a round trip each, and long ones are not hoarded away from other
	// workers at the end of a tournament.
	Prefetch int
	// Env builds strategies and protocols; it must know every strategy the
	// coordinator's plans name (nil: the registry).
	Env *tournament.Env
	// Started, if set, is called when a job starts to run; Ran after each
	// job whose result the results stream has stored.
	Started, Ran func(j *tournament.Job)
}

// publishWindow bounds the result messages (groups of results) a worker
// has published and the stream has not yet confirmed; publishTimeout is how
// long it waits for one confirmation before it gives the jobs back to the
// queue.
const (
	publishWindow  = 256
	publishTimeout = 30 * time.Second
)

// Work pulls jobs from the queue at cfg.URL and runs them until ctx ends.
//
// It fetches jobs in batches (see WorkerOptions.Prefetch), runs
// Concurrency of them at a time, and publishes the results asynchronously
// in groups (the results of the jobs finished within 5 ms, up to 64, in one
// message; at most 256 messages unconfirmed). A job is acknowledged only
// after the results stream has confirmed storing its result; the
// acknowledgements of the results confirmed together leave in one write.
// Every AckWait/3 it tells the server it is still working on every job it
// holds, running or waiting, so that only a dead or stalled worker's jobs
// are redelivered. On ctx's end it gives back the jobs it has not finished
// and waits (up to 30 s) for the confirmations of the results already
// sent. It returns nil when ctx is cancelled and an error if it cannot
// reach the queue.
func Work(ctx context.Context, cfg Config, o WorkerOptions) error {
	if cfg.Name == "" {
		h, _ := os.Hostname()
		cfg.Name = fmt.Sprintf("%s:%d", h, os.Getpid())
	}
	cn, err := connect(ctx, &cfg, jetstream.WithPublishAsyncMaxPending(publishWindow), jetstream.WithPublishAsyncTimeout(publishTimeout))
	if err != nil {
		return err
	}
	defer cn.close()
	// The consumer is made by whoever comes first, a worker or the
	// coordinator; a worker never changes an existing one.
	var cons jetstream.Consumer
	for range 10 {
		cons, err = cn.js.Consumer(ctx, cfg.jobsStream(), workersConsumer)
		if !errors.Is(err, jetstream.ErrConsumerNotFound) {
			break
		}
		cons, err = cn.js.CreateConsumer(ctx, cfg.jobsStream(), jetstream.ConsumerConfig{
			Durable: workersConsumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: cfg.AckWait,
			MaxDeliver: cfg.MaxDeliver, MaxAckPending: -1, FilterSubject: cfg.Prefix + ".jobs.>",
		})
		if !errors.Is(err, jetstream.ErrConsumerExists) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("NATS: workers consumer: %w", err)
	}
	x := &tournament.Executor{Env: o.Env, Worker: cfg.Name, Fetch: func(ctx context.Context, key string) (*tournament.Prepared, error) {
		e, err := cn.kv.Get(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", key, err)
		}
		return tournament.PrepareData(ctx, e.Value(), key)
	}}
	ackWait := cfg.AckWait
	if info := cons.CachedInfo(); info != nil && info.Config.AckWait > 0 {
		ackWait = info.Config.AckWait // the coordinator's setting wins
	}
	n := max(1, o.Concurrency)
	w := &puller{cn: cn, cfg: &cfg, x: x, o: &o, held: map[jetstream.Msg]struct{}{}, n: n, fixed: o.Prefetch,
		freed: make(chan struct{}, 1), finished: make(chan finished, groupMax), sent: make(chan sent, publishWindow)}
	if w.fixed > 0 {
		w.fixed = max(w.fixed, n)
	}
	w.queue = make(chan queued, max(w.fixed, n+maxWaiting*n))

	var runners, aux sync.WaitGroup
	aux.Add(3)
	go func() { defer aux.Done(); w.heartbeat(ctx, ackWait) }()
	go func() { defer aux.Done(); w.publish(); close(w.sent) }()
	go func() { defer aux.Done(); w.confirm() }()
	runners.Add(1)
	go func() { defer runners.Done(); w.fetch(ctx, cons) }()
	for range n {
		runners.Add(1)
		go func() { defer runners.Done(); w.run(ctx) }()
	}
	runners.Wait()
	// Nothing is fetched or published any more: give back what was never
	// started, then let the confirmations of what was sent arrive.
	close(w.queue)
	for q := range w.queue {
		w.giveBack(q.m)
	}
	close(w.finished)
	aux.Wait()
	return nil
}

// puller is the state Work's goroutines share.
type puller struct {
	cn  *conn
	cfg *Config
	x   *tournament.Executor
	o   *WorkerOptions

	mu   sync.Mutex
	held map[jetstream.Msg]struct{} // fetched, not yet acknowledged or given back

	n, fixed int           // runners; WorkerOptions.Prefetch
	taken    int           // jobs fetched or asked for and not yet run (under mu)
	running  atomic.Int32  // jobs being run
	mean     time.Duration // moving mean of the jobs' run time (under mu)
	freed    chan struct{} // signalled when a job has run

	queue    chan queued   // fetched and decoded, not yet started
	finished chan finished // run, result not yet published
	sent     chan sent     // groups of results published, in order, awaiting confirmation
}

// queued is a fetched job waiting to run.
type queued struct {
	m   jetstream.Msg
	job *tournament.Job
}

// backlog is how much work, by the jobs' mean run time, an adaptive worker
// keeps waiting; maxWaiting bounds the jobs waiting per runner.
const (
	backlog    = 20 * time.Millisecond
	maxWaiting = 64
)

// limit is the most jobs to hold now (under mu).
func (w *puller) limit() int {
	if w.fixed > 0 {
		return w.fixed
	}
	waiting := w.n
	if w.mean > 0 {
		waiting = int(min(int64(maxWaiting*w.n), max(int64(w.n), int64(w.n)*int64(backlog)/int64(w.mean)+1)))
	}
	return w.n + waiting
}

// ran records that a job has run for d. The mean follows shorter jobs
// quickly and longer ones slowly: the first job of each scenario also
// fetches and prepares it, and a mean stuck on that kept the backlog
// small for the first dozen jobs, so the runner waited for each fetch.
func (w *puller) ran(d time.Duration) {
	w.mu.Lock()
	w.taken--
	switch {
	case w.mean == 0:
		w.mean = d
	case d < w.mean:
		w.mean += (d - w.mean) / 2
	default:
		w.mean += (d - w.mean) / 8
	}
	w.mu.Unlock()
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// finished is a job that has run and its result.
type finished struct {
	m      jetstream.Msg
	job    *tournament.Job
	result store.Result
}

// sent is a group of jobs whose results were published in one message,
// and the future of the stream's confirmation.
type sent struct {
	ms   []jetstream.Msg
	jobs []*tournament.Job
	ack  jetstream.PubAckFuture
}

func (w *puller) hold(m jetstream.Msg) {
	w.mu.Lock()
	w.held[m] = struct{}{}
	w.mu.Unlock()
}

func (w *puller) release(m jetstream.Msg) {
	w.mu.Lock()
	delete(w.held, m)
	w.mu.Unlock()
}

// giveBack returns a job to the queue for another try after a second.
func (w *puller) giveBack(m jetstream.Msg) {
	w.release(m)
	m.NakWithDelay(time.Second)
}

// fetch asks the queue for jobs in batches: it waits until at least half
// of the places for waiting jobs (or one) are free, asks for as many jobs as
// places are free, and queues what arrives.
func (w *puller) fetch(ctx context.Context, cons jetstream.Consumer) {
	for {
		w.mu.Lock()
		lim := w.limit()
		k := lim - w.taken
		if k < max(1, (lim-w.n)/2) {
			w.mu.Unlock()
			select {
			case <-w.freed:
				continue
			case <-ctx.Done():
				return
			}
		}
		w.taken += k
		w.mu.Unlock()
		got := 0
		fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		fb, err := cons.Fetch(k, jetstream.FetchContext(fctx))
		if err == nil {
			for m := range fb.Messages() {
				got++
				j, err := decodeJob(m.Data())
				if err != nil || j.ID == "" {
					if errors.Is(err, errWireVersion) {
						m.NakWithDelay(time.Second) // for a worker of that version
					} else {
						m.TermWithReason("not a backchannel job")
					}
					w.mu.Lock()
					w.taken--
					w.mu.Unlock()
					continue
				}
				w.hold(m)
				w.queue <- queued{m, &j} // never blocks: the queue holds the largest limit
			}
			err = fb.Error()
		}
		cancel()
		w.mu.Lock()
		w.taken -= k - got
		w.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, jetstream.ErrNoMessages) {
			select { // the server is unreachable or restarting
			case <-time.After(500 * time.Millisecond):
			case <-ctx.Done():
				return
			}
		}
	}
}

// run takes jobs from the queue until ctx ends.
func (w *puller) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case q := <-w.queue:
			start := time.Now()
			w.running.Add(1)
			w.handle(ctx, q.m, q.job)
			w.ran(time.Since(start))
			// Let the fetching, publishing and NATS client goroutines run
			// now: a runner with jobs queued never blocks, and without a
			// yield they would wait for the scheduler to preempt it (up to
			// 10 ms) at every hop, so the queue ran dry and the worker
			// idled about a third of the time on one core.
			runtime.Gosched()
		}
	}
}

// handle runs one job and hands its result to publish. Decoding jobs
// (fetch) and encoding and publishing results (publish) are done by other
// goroutines, so that a runner only runs negotiations.
func (w *puller) handle(ctx context.Context, m jetstream.Msg, j *tournament.Job) {
	if w.o.Started != nil {
		w.o.Started(j)
	}
	r, err := w.x.Run(ctx, j)
	w.running.Add(-1)
	if err != nil { // e.g. scenario not fetchable yet, or cancelled
		w.giveBack(m)
		return
	}
	w.finished <- finished{m: m, job: j, result: r}
}

// Results are published in groups: publish collects the results of the
// jobs that finish within groupLinger of the group's first (at most
// groupMax of them, groupBytes encoded) and sends them in one message, so
// that the results stream stores, delivers and acknowledges one message
// per group instead of one per job. The wait delays only a job's
// acknowledgement, never the next job; a worker with nothing running or
// queued sends its group at once (the end of a tournament, long jobs).
const (
	groupMax    = 64
	groupBytes  = 256 << 10
	groupLinger = 5 * time.Millisecond
)

// publish encodes and publishes the finished jobs' results in groups
// without waiting for the stream's confirmation; confirm acknowledges the
// group's jobs when it comes.
func (w *puller) publish() {
	var (
		g     sent
		plan  string
		data  []byte
		timer = time.NewTimer(time.Hour)
	)
	timer.Stop()
	flush := func() {
		timer.Stop()
		if len(g.ms) == 0 {
			return
		}
		var err error
		g.ack, err = w.cn.js.PublishAsync(w.cfg.resultSubject(plan), data)
		if err != nil { // the window stayed full: the server is not answering
			for _, m := range g.ms {
				w.giveBack(m)
			}
		} else {
			w.sent <- g
		}
		g, data = sent{}, nil
	}
	for {
		select {
		case f, ok := <-w.finished:
			if !ok {
				flush()
				return
			}
			if len(g.ms) > 0 && f.job.Plan != plan {
				flush()
			}
			if len(g.ms) == 0 {
				plan, data = f.job.Plan, appendGroupHeader(nil)
				timer.Reset(groupLinger)
			}
			data = appendGroupResult(data, &f.result)
			g.ms, g.jobs = append(g.ms, f.m), append(g.jobs, f.job)
			if len(g.ms) >= groupMax || len(data) >= groupBytes || (len(w.queue) == 0 && w.running.Load() == 0) {
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// confirm waits for the stream's confirmation of each published group, in
// order, and acknowledges its jobs; without one (error or 30 s) it gives
// the jobs back, to be run again and their results stored as no-ops. Acks
// are not waited for: one lost is a job that runs twice.
func (w *puller) confirm() {
	for s := range w.sent {
		select {
		case <-s.ack.Ok():
			for i, m := range s.ms {
				w.release(m)
				m.Ack()
				if w.o.Ran != nil {
					w.o.Ran(s.jobs[i])
				}
			}
		case <-s.ack.Err():
			for _, m := range s.ms {
				w.giveBack(m)
			}
		}
	}
}

// heartbeat tells the server every ackWait/3 that every held job is still
// being worked on, until ctx ends and nothing is held.
func (w *puller) heartbeat(ctx context.Context, ackWait time.Duration) {
	t := time.NewTicker(max(ackWait/3, 50*time.Millisecond))
	defer t.Stop()
	var ms []jetstream.Msg
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		w.mu.Lock()
		ms = ms[:0]
		for m := range w.held {
			ms = append(ms, m)
		}
		w.mu.Unlock()
		for _, m := range ms {
			m.InProgress()
		}
	}
}

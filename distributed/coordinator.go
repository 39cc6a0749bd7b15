package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/tournament"
)

// A Coordinator runs tournaments over the queue it is connected to; Dial
// makes one.
type Coordinator struct {
	cfg Config
	cn  *conn
}

// Dial connects to the queue at cfg.URL and makes sure its streams and
// scenario bucket exist. Close the Coordinator when done.
func Dial(ctx context.Context, cfg Config) (*Coordinator, error) {
	if cfg.Name == "" {
		cfg.Name = "backchannel-coordinator"
	}
	cn, err := connect(ctx, &cfg, jetstream.WithPublishAsyncTimeout(publishTimeout))
	if err != nil {
		return nil, err
	}
	return &Coordinator{cfg: cfg, cn: cn}, nil
}

// Close disconnects from the queue.
func (c *Coordinator) Close() { c.cn.close() }

// Coordinate runs t on remote workers: it publishes every job st has no
// result for, stores the results as they come back, and returns when every
// job of t has a stored result (or ctx ends). Like tournament.Run it can be
// stopped and started again at any point: it republishes only what is
// missing. o.Workers is ignored; o.Batch, o.FlushEvery and o.Progress are
// used as there: results are committed in transactions of up to o.Batch,
// at the latest o.FlushEvery after the oldest of them arrived, and at once
// when a batch holds every result still missing. It is Dial, Run and Close,
// with the store read while it connects.
func Coordinate(ctx context.Context, cfg Config, t *tournament.Tournament, st store.Store, o tournament.Options) (tournament.Progress, error) {
	var (
		pending []tournament.Job
		perr    error
		read    = make(chan struct{})
	)
	go func() {
		defer close(read)
		pending, perr = tournament.Pending(ctx, t, st)
	}()
	c, err := Dial(ctx, cfg)
	<-read
	if err != nil {
		return tournament.Progress{}, err
	}
	defer c.Close()
	if perr != nil {
		return tournament.Progress{}, perr
	}
	return c.run(ctx, t, st, o, pending)
}

// Run runs t as Coordinate does, over c's connection.
func (c *Coordinator) Run(ctx context.Context, t *tournament.Tournament, st store.Store, o tournament.Options) (tournament.Progress, error) {
	pending, err := tournament.Pending(ctx, t, st)
	if err != nil {
		return tournament.Progress{}, err
	}
	return c.run(ctx, t, st, o, pending)
}

func (c *Coordinator) run(ctx context.Context, t *tournament.Tournament, st store.Store, o tournament.Options, pending []tournament.Job) (tournament.Progress, error) {
	cn, cfg := c.cn, c.cfg
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 250 * time.Millisecond
	}
	pg := tournament.Progress{Total: len(t.Jobs), Done: len(t.Jobs) - len(pending), Skipped: len(t.Jobs) - len(pending), Started: time.Now()}
	if o.Progress != nil {
		o.Progress(pg)
	}
	if len(pending) == 0 {
		return pg, nil
	}
	remaining := make(map[string]*tournament.Job, len(pending))
	for i := range pending {
		remaining[pending[i].ID] = &pending[i]
	}

	// Scenarios first, so that no worker sees a job it cannot run.
	for key, p := range t.Scenarios {
		if _, err := cn.kv.Put(ctx, key, p.Data); err != nil {
			return pg, fmt.Errorf("NATS: store scenario %s: %w", p.Scenario.ID, err)
		}
	}
	if _, err := cn.js.CreateOrUpdateConsumer(ctx, cfg.jobsStream(), jetstream.ConsumerConfig{
		Durable: workersConsumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: cfg.AckWait,
		MaxDeliver: cfg.MaxDeliver, MaxAckPending: -1, FilterSubject: cfg.Prefix + ".jobs.>",
	}); err != nil {
		return pg, fmt.Errorf("NATS: workers consumer: %w", err)
	}
	results, err := cn.js.CreateOrUpdateConsumer(ctx, cfg.resultsStream(), jetstream.ConsumerConfig{
		Durable: "coordinator-" + t.ID, AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute,
		MaxAckPending: -1, FilterSubject: cfg.resultSubject(t.ID),
	})
	if err != nil {
		return pg, fmt.Errorf("NATS: results consumer: %w", err)
	}
	// Jobs that exhausted their deliveries: recorded as failures.
	var (
		poisonMu sync.Mutex
		poison   []uint64
	)
	sub, err := cn.nc.Subscribe(fmt.Sprintf("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.%s.%s", cfg.jobsStream(), workersConsumer), func(m *nats.Msg) {
		var adv struct {
			StreamSeq uint64 `json:"stream_seq"`
		}
		if json.Unmarshal(m.Data, &adv) == nil && adv.StreamSeq > 0 {
			poisonMu.Lock()
			poison = append(poison, adv.StreamSeq)
			poisonMu.Unlock()
		}
	})
	if err != nil {
		return pg, fmt.Errorf("NATS: advisories: %w", err)
	}
	defer sub.Unsubscribe()

	// Message ids deduplicate this run's own publish retries only: another
	// run of the same plan (e.g. into a fresh database) must publish anew.
	// The jobs are published without waiting; their confirmations are
	// checked while the results come in, and a job the stream did not
	// confirm is published again under the same id.
	run := nuid.Next()
	subject := cfg.jobSubject(t.ID)
	publish := func(j *tournament.Job) (jetstream.PubAckFuture, error) {
		f, err := cn.js.PublishAsync(subject, encodeJob(j), jetstream.WithMsgID(run+"."+j.ID))
		if err != nil {
			return nil, fmt.Errorf("NATS: publish job %s: %w", j.ID, err)
		}
		return f, nil
	}
	unconfirmed := make(map[*tournament.Job]jetstream.PubAckFuture, len(pending))
	for i := range pending {
		f, err := publish(&pending[i])
		if err != nil {
			return pg, err
		}
		unconfirmed[&pending[i]] = f
	}
	published := cn.js.PublishAsyncComplete()
	republished := 0

	it, err := results.Messages(jetstream.PullMaxMessages(2 * o.Batch))
	if err != nil {
		return pg, fmt.Errorf("NATS: results: %w", err)
	}
	defer it.Stop()
	var (
		batch   = make([]store.Result, 0, o.Batch)
		msgs    = make([]jetstream.Msg, 0, o.Batch)
		inBatch = make(map[string]bool, o.Batch) // remaining jobs with a result in batch
		first   time.Time                        // when batch's first result came
	)
	commit := func() error {
		// Durable first, acknowledged second: a crash in between only
		// redelivers results that are then skipped as already stored.
		if _, err := st.Put(context.WithoutCancel(ctx), batch); err != nil {
			return err
		}
		for _, m := range msgs {
			m.Ack()
		}
		for id := range inBatch {
			delete(remaining, id)
			pg.Done++
		}
		for i := range batch {
			if inBatch[batch[i].JobID] && batch[i].Fault != "" {
				pg.Failed++
			}
		}
		if o.Progress != nil {
			o.Progress(pg)
		}
		batch, msgs = batch[:0], msgs[:0]
		clear(inBatch)
		return nil
	}
	add := func(r store.Result) {
		if len(batch) == 0 {
			first = time.Now()
		}
		if remaining[r.JobID] != nil && !inBatch[r.JobID] {
			inBatch[r.JobID] = true
		} else {
			r.Fault = "" // already counted; the store skips it
		}
		batch = append(batch, r)
	}
	for len(remaining) > 0 {
		if err := ctx.Err(); err != nil {
			return pg, context.Cause(ctx)
		}
		if published != nil {
			select {
			case <-published:
				published = nil
				for j, f := range unconfirmed {
					select {
					case <-f.Ok():
						delete(unconfirmed, j)
						continue
					default:
					}
					if republished++; republished > 3*len(pending) {
						return pg, fmt.Errorf("NATS: the jobs stream keeps refusing jobs (job %s: %v); check the server's limits and disk", j.ID, <-f.Err())
					}
					if unconfirmed[j], err = publish(j); err != nil {
						return pg, err
					}
				}
				if len(unconfirmed) > 0 {
					published = cn.js.PublishAsyncComplete()
				}
			default:
			}
		}
		wait := o.FlushEvery
		if len(batch) > 0 {
			wait = max(time.Until(first.Add(o.FlushEvery)), time.Millisecond)
		}
		m, err := it.Next(jetstream.NextMaxWait(wait))
		switch {
		case err == nil:
			rs, err := decodeResults(m.Data())
			if err != nil {
				m.Term() // not results: never deliver it again
				break
			}
			for _, r := range rs {
				if r.JobID != "" {
					add(r)
				}
			}
			msgs = append(msgs, m)
		case errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
		default:
			return pg, fmt.Errorf("NATS: fetch results: %w", err)
		}
		poisonMu.Lock()
		seqs := poison
		poison = nil
		poisonMu.Unlock()
		for _, seq := range seqs {
			if r, ok := poisoned(ctx, cn, seq, t, remaining, cfg.MaxDeliver); ok {
				add(r)
			}
		}
		// Commit when the batch is full, when its oldest result has waited
		// FlushEvery, or at once when it holds every missing result.
		if len(batch) > 0 && (len(batch) >= o.Batch || len(inBatch) == len(remaining) || time.Since(first) >= o.FlushEvery) {
			if err := commit(); err != nil {
				return pg, err
			}
		}
	}
	it.Stop()
	cn.js.DeleteConsumer(context.WithoutCancel(ctx), cfg.resultsStream(), "coordinator-"+t.ID)
	return pg, nil
}

// poisoned turns the job at stream sequence seq, which no worker survived,
// into a failed result and removes it from the queue.
func poisoned(ctx context.Context, cn *conn, seq uint64, t *tournament.Tournament, remaining map[string]*tournament.Job, tries int) (store.Result, bool) {
	raw, err := cn.jobs.GetMsg(ctx, seq)
	if err != nil {
		return store.Result{}, false
	}
	j, err := decodeJob(raw.Data)
	if err != nil || j.Plan != t.ID || remaining[j.ID] == nil || t.Scenarios[j.ScenarioKey] == nil {
		return store.Result{}, false
	}
	cn.jobs.DeleteMsg(ctx, seq)
	return t.Scenarios[j.ScenarioKey].Failed(&j, fmt.Sprintf("delivered %d times and never finished: every worker that took it died or stalled", tries)), true
}

package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/backchannel/backchannel/tournament"
)

// WorkerOptions tunes Work.
type WorkerOptions struct {
	// Concurrency is the number of jobs run at once (default 1).
	Concurrency int
	// Env builds strategies and protocols; it must know every strategy the
	// coordinator's plans name (nil: the registry).
	Env *tournament.Env
	// Started, if set, is called when a job starts to run; Ran after each
	// job whose result the results stream has stored.
	Started, Ran func(j *tournament.Job)
}

// Work pulls jobs from the queue at cfg.URL and runs them until ctx ends. For
// each job it runs the negotiation, publishes the result and waits until the
// results stream has stored it, then acknowledges the job; while a job runs
// it tells the server every AckWait/3 that it is still working. It returns
// nil when ctx is cancelled and an error if it cannot reach the queue.
func Work(ctx context.Context, cfg Config, o WorkerOptions) error {
	if cfg.Name == "" {
		h, _ := os.Hostname()
		cfg.Name = fmt.Sprintf("%s:%d", h, os.Getpid())
	}
	cn, err := connect(ctx, &cfg)
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
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				fb, err := cons.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					time.Sleep(500 * time.Millisecond)
					continue
				}
				for m := range fb.Messages() {
					handle(ctx, cn, &cfg, ackWait, x, m, &o)
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

// handle runs one job message to its acknowledgement.
func handle(ctx context.Context, cn *conn, cfg *Config, ackWait time.Duration, x *tournament.Executor, m jetstream.Msg, o *WorkerOptions) {
	var j tournament.Job
	if err := json.Unmarshal(m.Data(), &j); err != nil || j.ID == "" {
		m.TermWithReason("not a backchannel job")
		return
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(max(ackWait/3, 50*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				m.InProgress()
			}
		}
	}()
	if o.Started != nil {
		o.Started(&j)
	}
	r, err := x.Run(ctx, &j)
	if err != nil {
		if ctx.Err() == nil {
			m.NakWithDelay(time.Second) // e.g. scenario not fetchable yet
		}
		return // cancelled: the job is redelivered after AckWait
	}
	data, err := encodeResult(&r)
	if err != nil {
		m.NakWithDelay(time.Second)
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// A redelivered job carries the same message id, so its second result
	// is dropped by the stream; results of separate runs are not.
	var opts []jetstream.PublishOpt
	if id := m.Headers().Get(jetstream.MsgIDHeader); id != "" {
		opts = append(opts, jetstream.WithMsgID("result."+id))
	}
	if _, err := cn.js.Publish(pctx, cfg.resultSubject(j.Plan), data, opts...); err != nil {
		m.NakWithDelay(time.Second)
		return
	}
	// The result is stored in the stream: now the job may go.
	if err := m.DoubleAck(pctx); err == nil && o.Ran != nil {
		o.Ran(&j)
	}
}

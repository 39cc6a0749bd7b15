// Package distributed spreads a tournament over machines with a NATS
// JetStream work queue.
//
// The coordinator (Coordinate) puts every scenario of the plan in a
// key-value bucket, publishes one message per missing job to the jobs
// stream (work-queue retention, message id = job id) without waiting for
// each confirmation, and stores the results that come back on the results
// stream in transactions of up to Options.Batch, acknowledging a result
// only after the store has committed it. Workers (Work) fetch jobs from a
// shared durable consumer in batches, run them, publish the results
// asynchronously, and acknowledge a job only after the results stream has
// confirmed storing its result. A worker that dies or stalls stops
// acknowledging and stops sending in-progress heartbeats; after AckWait its
// jobs, running or waiting, are delivered to another worker. Delivery is
// therefore at least once, and because results are stored by job id with
// INSERT … ON CONFLICT DO NOTHING, every job's result is stored exactly
// once.
//
// A job delivered MaxDeliver times without an acknowledgement (it kills
// every worker that takes it) is recorded as a failure attributed to
// "worker", so that the tournament still ends.
package distributed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says where the queue is and how it behaves. Coordinator and
// workers must use the same Prefix.
type Config struct {
	URL string // nats://host:4222 (several, comma-separated, for a cluster)
	// Prefix names the streams, consumer and bucket (default "backchannel").
	Prefix string
	// AckWait is how long a job may go unacknowledged before it is
	// redelivered to another worker (default 30 s). Workers extend it while
	// a long negotiation runs, so it bounds the time to notice a dead
	// worker, not the length of a negotiation. Set by the coordinator.
	AckWait time.Duration
	// MaxDeliver is how many times a job is tried before it is recorded as
	// a failure (default 5).
	MaxDeliver int
	// Name identifies this process to the server and in results.
	Name string
}

func (c *Config) defaults() {
	if c.Prefix == "" {
		c.Prefix = "backchannel"
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 5
	}
}

func (c *Config) jobsStream() string    { return strings.ToUpper(c.Prefix) + "_JOBS" }
func (c *Config) resultsStream() string { return strings.ToUpper(c.Prefix) + "_RESULTS" }
func (c *Config) bucket() string        { return strings.ToUpper(c.Prefix) + "_SCENARIOS" }
func (c *Config) jobSubject(plan string) string {
	return c.Prefix + ".jobs." + plan
}
func (c *Config) resultSubject(plan string) string {
	return c.Prefix + ".results." + plan
}

// workersConsumer is the durable consumer every worker pulls from.
const workersConsumer = "workers"

// conn connects to NATS and makes sure the streams and the bucket exist.
type conn struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	jobs    jetstream.Stream
	results jetstream.Stream
	kv      jetstream.KeyValue
}

func connect(ctx context.Context, c *Config, opts ...jetstream.JetStreamOpt) (*conn, error) {
	c.defaults()
	if c.URL == "" {
		return nil, errors.New("distributed: no NATS URL (give --nats nats://HOST:4222)")
	}
	nc, err := nats.Connect(c.URL, nats.Name(c.Name), nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w (is nats-server running with JetStream, -js?)", c.URL, err)
	}
	js, err := jetstream.New(nc, opts...)
	if err != nil {
		nc.Close()
		return nil, err
	}
	cn := &conn{nc: nc, js: js}
	fail := func(what string, err error) (*conn, error) {
		nc.Close()
		return nil, fmt.Errorf("NATS %s: %s: %w (is JetStream enabled on the server?)", c.URL, what, err)
	}
	cn.jobs, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: c.jobsStream(), Subjects: []string{c.Prefix + ".jobs.>"}, Retention: jetstream.WorkQueuePolicy,
		Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute,
	})
	if err != nil {
		return fail("jobs stream", err)
	}
	cn.results, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: c.resultsStream(), Subjects: []string{c.Prefix + ".results.>"}, Retention: jetstream.WorkQueuePolicy,
		Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute,
	})
	if err != nil {
		return fail("results stream", err)
	}
	cn.kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: c.bucket(), Storage: jetstream.FileStorage, MaxValueSize: -1})
	if err != nil {
		return fail("scenario bucket", err)
	}
	return cn, nil
}

func (cn *conn) close() { cn.nc.Close() }

package session

import (
	"context"
	"sync"

	"github.com/backchannel/backchannel/store"
)

// committer makes batches durable with group commit: one goroutine takes
// every batch waiting when the previous transaction ends and commits them
// all in one transaction, so that with many sessions the cost of a commit
// (an fsync) is shared by all the actions that arrived while the last one
// was written. A failing group is retried batch by batch, so that one bad
// batch fails alone.
type committer struct {
	st   store.Sessions
	in   chan *pendingBatch
	done chan struct{}
	once sync.Once
}

type pendingBatch struct {
	b   store.Batch
	err chan error
}

// maxGroup bounds the batches of one transaction.
const maxGroup = 1024

func newCommitter(st store.Sessions) *committer {
	c := &committer{st: st, in: make(chan *pendingBatch, maxGroup), done: make(chan struct{})}
	go c.run()
	return c
}

// commit makes b durable and returns nil, or returns the store's error
// (nothing of b is stored then).
func (c *committer) commit(b store.Batch) error {
	p := &pendingBatch{b: b, err: make(chan error, 1)}
	c.in <- p
	return <-p.err
}

// close stops the committer once the batches already sent are committed.
func (c *committer) close() {
	c.once.Do(func() { close(c.in) })
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	ctx := context.Background() // a commit in progress is never abandoned
	group := make([]*pendingBatch, 0, maxGroup)
	batches := make([]store.Batch, 0, maxGroup)
	for p := range c.in {
		group = append(group[:0], p)
	more:
		for len(group) < maxGroup {
			select {
			case q, ok := <-c.in:
				if !ok {
					break more
				}
				group = append(group, q)
			default:
				break more
			}
		}
		batches = batches[:0]
		for _, q := range group {
			batches = append(batches, q.b)
		}
		err := c.st.Append(ctx, batches)
		if err != nil && len(group) > 1 {
			for _, q := range group {
				q.err <- c.st.Append(ctx, []store.Batch{q.b})
			}
			continue
		}
		for _, q := range group {
			q.err <- err
		}
	}
}

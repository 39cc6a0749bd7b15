// Package sim is the simulator: it drives a mechanism with in-process parties
// in a tight loop — no goroutine per party, no channel per message, no
// allocation per round.
//
// A party that panics, answers out of protocol, offers an invalid or
// infeasible outcome, or overruns its move time ends the negotiation with a
// fault attributed to it; the simulator itself never crashes on a party.
package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// Config is one negotiation to run.
type Config struct {
	Mechanism mechanism.Mechanism
	Space     *outcome.Space
	Profiles  []*preference.Profile // one per party, in party order
	Parties   []mechanism.Party     // one per profile
	// Mediator, if the protocol has one; MediatorProfile and Confidential
	// describe what it is given at Init.
	Mediator        mechanism.Party
	MediatorProfile *preference.Profile
	Confidential    bool // the mediator sees every party's profile
	Deadline        mechanism.Deadline
	Seed            uint64
	Observer        mechanism.Observer // may be nil
}

// Seeded returns the random source of party i (MediatorRole for the mediator)
// for run seed seed. The same seed gives the same streams on every machine.
func Seeded(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(int64(i))+0x9e3779b97f4a7c15))
}

// Run runs one negotiation to its end and returns how it ended. It returns an
// error only for a misconfigured run (wrong counts, a mechanism that refuses
// to start); every party fault is part of the Result.
//
// If the deadline has a time bound or a per-move bound, the negotiation runs
// on its own goroutine under a watchdog, so that a party that never returns
// loses the negotiation instead of hanging the caller (its goroutine is then
// abandoned). ctx cancellation ends the negotiation the same way.
func Run(ctx context.Context, c *Config) (mechanism.Result, error) {
	if len(c.Profiles) != len(c.Parties) {
		return mechanism.Result{}, fmt.Errorf("sim: %d profiles for %d parties", len(c.Profiles), len(c.Parties))
	}
	m := c.Mechanism
	if err := m.Start(c.Space, len(c.Parties), c.Deadline, c.Observer); err != nil {
		return mechanism.Result{}, err
	}
	if err := initParties(c); err != nil {
		return m.Result(), nil
	}
	if c.Deadline.Time <= 0 && c.Deadline.MoveTime <= 0 && ctx.Done() == nil {
		loop(c, nil)
		return m.Result(), nil
	}
	return watch(ctx, c)
}

// initParties calls Init on every party; a failing Init is that party's fault.
func initParties(c *Config) (err error) {
	m := c.Mechanism
	who := 0
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
			failAs(m, who, "init "+err.Error())
		}
	}()
	for i, p := range c.Parties {
		who = i
		s := &mechanism.Setup{Space: c.Space, Profile: c.Profiles[i], Self: i, NumParties: len(c.Parties),
			Protocol: m.Name(), Deadline: c.Deadline, Rand: Seeded(c.Seed, i)}
		if e := p.Init(s); e != nil {
			failAs(m, i, "init: "+e.Error())
			return e
		}
	}
	if c.Mediator != nil {
		who = mechanism.MediatorRole
		s := &mechanism.Setup{Space: c.Space, Profile: c.MediatorProfile, Self: mechanism.MediatorRole,
			NumParties: len(c.Parties), Protocol: m.Name(), Deadline: c.Deadline, Rand: Seeded(c.Seed, mechanism.MediatorRole)}
		if c.Confidential {
			s.Confidential = c.Profiles
		}
		if e := c.Mediator.Init(s); e != nil {
			failAs(m, mechanism.MediatorRole, "init: "+e.Error())
			return e
		}
	}
	return nil
}

// failAs records a fault for party who even though it is not the one the
// pending request addresses (Init happens before the first request).
func failAs(m mechanism.Mechanism, who int, reason string) {
	r := m.Next()
	saved := r.Party
	r.Party = who
	m.Fail(reason)
	r.Party = saved
}

// progress lets the watchdog see that the loop is alive, and stop it. mu
// guards the mechanism while the loop applies an answer, so the watchdog can
// take it over safely.
type progress struct {
	mu    sync.Mutex
	steps atomic.Int64
	stop  bool // guarded by mu
}

// halted reports whether the watchdog has taken over; when it returns false
// the caller holds pr.mu and must unlock it.
func (pr *progress) halted() bool {
	if pr == nil {
		return false
	}
	pr.mu.Lock()
	if pr.stop {
		pr.mu.Unlock()
		return true
	}
	return false
}

func (pr *progress) unlock() {
	if pr != nil {
		pr.steps.Add(1)
		pr.mu.Unlock()
	}
}

// takeOver stops the loop and returns the result with a fault for the party
// now asked, unless the negotiation ended meanwhile.
func (pr *progress) takeOver(m mechanism.Mechanism, reason string) mechanism.Result {
	r, _ := pr.takeOverAt(m, reason, -1)
	return r
}

// takeOverAt is takeOver if the loop is still at step (any step if step is
// negative); otherwise the party answered meanwhile, and it reports false
// and leaves the loop alone.
func (pr *progress) takeOverAt(m mechanism.Mechanism, reason string, step int64) (mechanism.Result, bool) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if step >= 0 && pr.steps.Load() != step {
		return mechanism.Result{}, false
	}
	pr.stop = true
	if !m.Done() {
		m.Fail(reason)
	}
	return m.Result(), true
}

// loop drives the mechanism to its end. A panic in a party becomes its fault.
func loop(c *Config, pr *progress) {
	m := c.Mechanism
	clock := m.Clock()
	// With a time deadline the clock is read once per move, after it (a
	// monotonic read): the end of one move is the start of the next, so a
	// move's time also holds the mechanism's bookkeeping before it
	// (sub-microsecond), and the deadline is checked as of the end of the
	// previous move. A move-time limit alone needs no clock here: the
	// watchdog enforces it (see watch), as reading the clock at every move
	// took a fifth of a tournament's CPU.
	var start time.Time
	var last time.Duration // since start, at the end of the last move
	timed := c.Deadline.Time > 0
	if timed {
		start = time.Now()
	}
	defer func() {
		if r := recover(); r != nil {
			if pr != nil && pr.mu.TryLock() {
				defer pr.mu.Unlock()
				if pr.stop {
					return
				}
			}
			m.Fail(fmt.Sprintf("panic: %v\n%s", r, firstFrames(debug.Stack())))
		}
	}()
	for {
		if pr.halted() {
			return
		}
		if m.Done() {
			pr.unlock()
			return
		}
		req := m.Next()
		// The clock is the mechanism's: it moves under the lock, as the
		// watchdog reads it when it takes over.
		if c.Deadline.Time > 0 {
			if last >= c.Deadline.Time {
				m.Expire()
				pr.unlock()
				return
			}
			clock.T = max(clock.T, float64(last)/float64(c.Deadline.Time))
		}
		pr.unlock()
		var p mechanism.Party
		if req.Party == mechanism.MediatorRole {
			p = c.Mediator
		} else {
			p = c.Parties[req.Party]
		}
		if p == nil {
			m.Fail("no party in this role")
			return
		}
		a := p.Act(clock, req)
		if pr.halted() {
			return
		}
		if timed {
			now := time.Since(start)
			if d := now - last; c.Deadline.MoveTime > 0 && d > c.Deadline.MoveTime {
				m.Fail(fmt.Sprintf("move took %v, limit %v", d.Round(time.Microsecond), c.Deadline.MoveTime))
				pr.unlock()
				return
			}
			last = now
		}
		if err := m.Apply(a); err != nil {
			m.Fail("driver: " + err.Error())
		}
		pr.unlock()
	}
}

// watch runs loop on its own goroutine and abandons it if a party stalls.
func watch(ctx context.Context, c *Config) (mechanism.Result, error) {
	m := c.Mechanism
	pr := &progress{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		loop(c, pr)
	}()
	// A move-time limit is enforced here, to a resolution of 1/32 of it:
	// the ticker notes when it first sees each value of the loop's step
	// counter, which does not change while a party is thinking, and fails
	// the party asked once the same value has been seen for the limit. A
	// move longer than 17/16 of the limit always loses; one a little over
	// the limit may finish first. With a time deadline, a party that has not
	// answered for twice it (plus 100 ms) is given up on.
	moveLimit := c.Deadline.MoveTime
	stall := c.Deadline.Time
	var tick <-chan time.Time
	switch {
	case moveLimit > 0:
		t := time.NewTicker(max(moveLimit/32, time.Millisecond))
		defer t.Stop()
		tick = t.C
	case stall > 0:
		t := time.NewTicker(max(stall/4, time.Millisecond))
		defer t.Stop()
		tick = t.C
	}
	last, lastAt := int64(-1), time.Now()
	for {
		select {
		case <-done:
			return m.Result(), nil
		case <-ctx.Done():
			return pr.takeOver(m, "cancelled: "+context.Cause(ctx).Error()), nil
		case now := <-tick:
			s := pr.steps.Load()
			if s != last {
				last, lastAt = s, now
				continue
			}
			// The party is slow or stuck in a call: its goroutine is
			// abandoned and never touches the mechanism again (a slow one
			// sees that when it returns). Neither the mechanism nor the
			// parties may be reused after this.
			reason := ""
			switch {
			case moveLimit > 0 && now.Sub(lastAt) >= moveLimit:
				reason = fmt.Sprintf("move took longer than %v, the limit", moveLimit)
			case stall > 0 && now.Sub(lastAt) > 2*stall+100*time.Millisecond:
				reason = fmt.Sprintf("no answer within %v", stall)
			default:
				continue
			}
			// The step is checked again under the lock: a party that answers
			// just now is not blamed, nor the next party for its lateness.
			if r, ok := pr.takeOverAt(m, reason, s); ok {
				return r, nil
			}
		}
	}
}

// ErrNoParties is returned when a run has no parties.
var ErrNoParties = errors.New("sim: no parties")

func firstFrames(stack []byte) string {
	// Keep the panic site: skip the runtime frames, cap the length.
	const max = 600
	if len(stack) > max {
		stack = stack[:max]
	}
	return string(stack)
}

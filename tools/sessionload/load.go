package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
)

// Config is one load run.
type Config struct {
	Sessions int           // sessions kept running at once
	Rounds   int           // each session's deadline in rounds; an ended session is replaced by a new one
	Rate     float64       // target durable actions per second over all sessions; 0: as fast as the seats can
	Warmup   time.Duration // run this long before measuring
	Duration time.Duration // then measure this long (if Actions is 0)
	Actions  int           // or: measure until this many actions are acknowledged
	Scenario string        // a scenario id on the server; "" uploads the generated one
	Protocol string        // "sao" unless told
	// ServerPID, when set, is the server's process (on Linux): its CPU
	// time over the window is reported apart from this process's.
	ServerPID int
	Logf      func(format string, args ...any)
}

// Result is what a run measured, over the measured window only.
type Result struct {
	Sessions int
	Elapsed  time.Duration
	Actions  int64         // acknowledged (durable) actions
	RTT      []float64     // post → the event on the other seat's stream, ms, sorted
	Ack      []float64     // post → acknowledgement, ms, sorted
	CPU      time.Duration // user+system time of this process (server included when in-process)
	Allocs   uint64        // heap allocations of this process
	Bytes    uint64        // bytes allocated by this process
	// ServerCPU is the user+system time of the server process
	// (Config.ServerPID), or -1.
	ServerCPU time.Duration
	Created   int64    // sessions created during the window
	Ended     int64    // sessions ended during the window
	Refused   int64    // actions refused as stale or not the seat's turn
	Errors    []string // the first few errors
	NErrors   int64
}

// PerSec is the acknowledged actions per second.
func (r *Result) PerSec() float64 { return float64(r.Actions) / r.Elapsed.Seconds() }

// Pct returns the p-th percentile (0–100) of sorted xs.
func Pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(xs)-1))
	return xs[min(len(xs)-1, max(0, i))]
}

func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sessions %d, measured %.1f s: %d acknowledged actions = %.0f actions/s\n", r.Sessions, r.Elapsed.Seconds(), r.Actions, r.PerSec())
	fmt.Fprintf(&b, "round trip post → event on the other seat's stream (ms): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  (%d samples)\n",
		Pct(r.RTT, 50), Pct(r.RTT, 90), Pct(r.RTT, 99), Pct(r.RTT, 100), len(r.RTT))
	fmt.Fprintf(&b, "post → acknowledgement (ms): p50 %.2f  p99 %.2f\n", Pct(r.Ack, 50), Pct(r.Ack, 99))
	if r.Actions > 0 {
		fmt.Fprintf(&b, "CPU of this process: %.1f s = %.0f µs per action; %.0f allocations, %.1f kB per action\n", r.CPU.Seconds(),
			float64(r.CPU.Microseconds())/float64(r.Actions), float64(r.Allocs)/float64(r.Actions), float64(r.Bytes)/1024/float64(r.Actions))
		if r.ServerCPU >= 0 {
			fmt.Fprintf(&b, "CPU of the server process: %.1f s = %.0f µs per action\n", r.ServerCPU.Seconds(), float64(r.ServerCPU.Microseconds())/float64(r.Actions))
		}
	}
	fmt.Fprintf(&b, "sessions created %d, ended %d; actions refused as stale %d; errors %d\n", r.Created, r.Ended, r.Refused, r.NErrors)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "  error: %s\n", e)
	}
	return b.String()
}

// runner is one run in progress.
type runner struct {
	cfg      Config
	c        *client.Client
	scenario string
	interval time.Duration // between two actions of one session; 0: none

	measuring atomic.Bool
	ready     atomic.Int64 // seats that have read their first snapshot
	allReady  chan struct{}
	acked     atomic.Int64
	created   atomic.Int64
	ended     atomic.Int64
	refused   atomic.Int64
	nerrors   atomic.Int64

	mu     sync.Mutex
	rtt    []float64
	ackLat []float64
	errs   []string
}

// sess is one running session as its two seats share it.
type sess struct {
	mu     sync.Mutex
	next   time.Time // when the next action may be posted (pacing)
	posted [2]struct {
		step int
		at   time.Time
	}
}

// Run drives cfg.Sessions sessions on the server at base until the measured
// window ends, and returns what it measured.
func Run(ctx context.Context, base string, cfg Config) (*Result, error) {
	if cfg.Protocol == "" {
		cfg.Protocol = "sao"
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}).DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 4*cfg.Sessions + 16, // every stream and every seat's posts keep their connection
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	r := &runner{cfg: cfg, allReady: make(chan struct{}), c: &client.Client{Base: strings.TrimRight(base, "/"), HTTP: &http.Client{Transport: tr}}, scenario: cfg.Scenario}
	if cfg.Rate > 0 {
		r.interval = time.Duration(float64(cfg.Sessions) / cfg.Rate * float64(time.Second))
	}
	if r.scenario == "" {
		info, err := r.c.Upload(ctx, map[string][]byte{"load.yaml": Scenario()})
		if err != nil {
			return nil, fmt.Errorf("uploading the scenario: %w", err)
		}
		r.scenario = info.ID
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	start := time.Now()
	for i := range cfg.Sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the first actions over one interval.
			first := start
			if r.interval > 0 {
				first = start.Add(time.Duration(rand.Int64N(int64(r.interval))))
			}
			r.slot(rctx, i, first)
		}()
	}
	// The warm-up starts once every session has started and both its
	// seats stream: starting a thousand sessions takes seconds.
	cfg.Logf("%d sessions starting", cfg.Sessions)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-r.allReady:
	}
	cfg.Logf("%d sessions started in %.1f s; warming up for %v", cfg.Sessions, time.Since(start).Seconds(), cfg.Warmup)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(cfg.Warmup):
	}
	r.created.Store(0)
	r.ended.Store(0)
	r.refused.Store(0)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0, scpu0 := cpuTime(), procCPU(cfg.ServerPID)
	t0 := time.Now()
	r.measuring.Store(true)
	if cfg.Actions > 0 {
		tick := time.NewTicker(time.Millisecond)
		for r.acked.Load() < int64(cfg.Actions) && ctx.Err() == nil {
			<-tick.C
		}
		tick.Stop()
	} else {
		select {
		case <-ctx.Done():
		case <-time.After(cfg.Duration):
		}
	}
	r.measuring.Store(false)
	elapsed := time.Since(t0)
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&ms1)
	scpu := procCPU(cfg.ServerPID)
	if scpu >= 0 && scpu0 >= 0 {
		scpu -= scpu0
	}
	stop()
	wg.Wait()
	res := &Result{Sessions: cfg.Sessions, Elapsed: elapsed, Actions: r.acked.Load(), CPU: cpu, ServerCPU: scpu, Allocs: ms1.Mallocs - ms0.Mallocs, Bytes: ms1.TotalAlloc - ms0.TotalAlloc, Created: r.created.Load(),
		Ended: r.ended.Load(), Refused: r.refused.Load(), NErrors: r.nerrors.Load()}
	r.mu.Lock()
	res.RTT, res.Ack, res.Errors = r.rtt, r.ackLat, r.errs
	r.mu.Unlock()
	sort.Float64s(res.RTT)
	sort.Float64s(res.Ack)
	return res, ctx.Err()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU returns the user+system time of process pid from /proc, or -1.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// Fields after the command (which may hold spaces) in parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz
}

func (r *runner) fail(err error) {
	if n := r.nerrors.Add(1); n <= 5 {
		r.mu.Lock()
		r.errs = append(r.errs, err.Error())
		r.mu.Unlock()
	}
}

// slot keeps one session running: when one ends, it creates the next.
func (r *runner) slot(ctx context.Context, i int, first time.Time) {
	req := &api.NewSession{Scenario: r.scenario, Protocol: r.cfg.Protocol, Deadline: api.Deadline{Rounds: r.cfg.Rounds},
		Seats: map[string]string{"a": api.SeatAgent, "b": api.SeatAgent}}
	seed := uint64(i + 1)
	req.Seed = &seed
	next := first
	for ctx.Err() == nil {
		created, err := r.c.CreateSession(ctx, req)
		if err != nil {
			if ctx.Err() == nil {
				r.fail(fmt.Errorf("create: %w", err))
				sleep(ctx, 100*time.Millisecond)
			}
			continue
		}
		if r.measuring.Load() {
			r.created.Add(1)
		}
		s := &sess{next: next}
		s.posted[0].step, s.posted[1].step = -1, -1
		var wg sync.WaitGroup
		var ended atomic.Int32
		for k, role := range []string{"a", "b"} {
			link, err := client.ParseLink(created.Seats[role])
			if err != nil {
				r.fail(err)
				return
			}
			link.WithClient(r.c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := r.seat(ctx, s, k, link)
				switch {
				case err == nil:
					ended.Add(1)
				case ctx.Err() == nil:
					r.fail(fmt.Errorf("seat %s: %w", role, err))
				}
			}()
		}
		wg.Wait()
		if ended.Load() == 2 && r.measuring.Load() {
			r.ended.Add(1)
		}
		s.mu.Lock()
		next = s.next
		s.mu.Unlock()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// seat plays seat k of s through link until the session ends: it holds the
// seat's stream open, answers every turn with an offer (a counter-offer to
// every offer, so that the session runs to its deadline), and measures.
func (r *runner) seat(ctx context.Context, s *sess, k int, link *client.Link) error {
	var (
		me     string
		offers []map[string]string
		n      int
	)
	act := func(t *api.Turn) error {
		if r.interval > 0 {
			s.mu.Lock()
			at := s.next
			now := time.Now()
			// A session that fell behind catches up by at most one interval.
			s.next = maxTime(at, now.Add(-r.interval)).Add(r.interval)
			s.mu.Unlock()
			if d := time.Until(at); d > 0 {
				sleep(ctx, d)
			}
		}
		a := &api.Action{Step: t.Step}
		if slices.Contains(t.Request.Allowed, "offer") {
			a.Kind, a.Outcome = "offer", offers[n%len(offers)]
			n++
		} else if slices.Contains(t.Request.Allowed, "reject") {
			a.Kind = "reject"
		} else {
			a.Kind = t.Request.Allowed[0]
		}
		now := time.Now()
		s.mu.Lock()
		s.posted[k].step, s.posted[k].at = t.Step, now
		s.mu.Unlock()
		_, err := link.Act(ctx, a)
		if err != nil {
			if client.IsCode(err, "stale_step") || client.IsCode(err, "not_your_turn") || client.IsCode(err, "ended") {
				r.refused.Add(1)
				return nil
			}
			return err
		}
		if r.measuring.Load() {
			d := float64(time.Since(now).Microseconds()) / 1000
			r.acked.Add(1)
			r.mu.Lock()
			r.ackLat = append(r.ackLat, d)
			r.mu.Unlock()
		}
		return nil
	}
	return link.Stream(ctx, 0, func(m client.Message) error {
		switch {
		case m.Snapshot != nil:
			if r.ready.Add(1) == int64(2*r.cfg.Sessions) {
				close(r.allReady)
			}
			me = m.Snapshot.Seat.Role
			seat, err := client.ReadSeat(m.Snapshot)
			if err != nil {
				return err
			}
			if offers, err = validOffers(seat, 8); err != nil {
				return err
			}
			if m.Snapshot.Turn != nil {
				return act(m.Snapshot.Turn)
			}
		case m.Event != nil:
			if m.Event.Party == me || m.Event.Party == "" {
				return nil
			}
			o := 1 - k
			s.mu.Lock()
			p := s.posted[o]
			// The event of the action at step s is numbered s+1 (made
			// after the step was answered).
			hit := p.step >= 0 && m.Event.Step > p.step
			if hit {
				s.posted[o].step = -1
			}
			s.mu.Unlock()
			if hit && r.measuring.Load() {
				d := float64(time.Since(p.at).Microseconds()) / 1000
				r.mu.Lock()
				r.rtt = append(r.rtt, d)
				r.mu.Unlock()
			}
		case m.Turn != nil:
			return act(m.Turn)
		}
		return nil
	})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// validOffers returns up to n outcomes the seat may offer (feasible, not
// crossing its red lines), best for it first.
func validOffers(seat *client.Seat, n int) ([]map[string]string, error) {
	sp := seat.Scenario.Space
	p := seat.Setup.Profile
	type cand struct {
		u float64
		m map[string]string
	}
	var cs []cand
	o := sp.New()
	for tries := 0; tries < 1<<16; tries++ {
		if sp.Feasible(o) && (p == nil || !p.Violates(o)) {
			u := 0.0
			if p != nil {
				u = p.Utility(o)
			}
			cs = append(cs, cand{u, sp.Map(o)})
		}
		if !sp.Next(o) {
			break
		}
	}
	if len(cs) == 0 {
		return nil, errors.New("no valid outcome found to offer")
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].u > cs[j].u })
	out := make([]map[string]string, 0, n)
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].m)
	}
	return out, nil
}

// Scenario is the generated scenario the load runs on: two parties (a and
// b), two issues of five options, opposed linear preferences, no rules.
func Scenario() []byte {
	return []byte(`schema_version: 1
scenario:
  id: load
  title: Load test (two issues, five options each)
  parties: [a, b]
issues:
  - {id: price, options: [p1, p2, p3, p4, p5]}
  - {id: terms, options: [t1, t2, t3, t4, t5]}
parties:
  a:
    reservation_value: 0.2
    weights: {price: 0.6, terms: 0.4}
    values:
      price: {p1: 1, p2: 0.75, p3: 0.5, p4: 0.25, p5: 0}
      terms: {t1: 0, t2: 0.25, t3: 0.5, t4: 0.75, t5: 1}
  b:
    reservation_value: 0.2
    weights: {price: 0.5, terms: 0.5}
    values:
      price: {p1: 0, p2: 0.25, p3: 0.5, p4: 0.75, p5: 1}
      terms: {t1: 1, t2: 0.75, t3: 0.5, t4: 0.25, t5: 0}
`)
}

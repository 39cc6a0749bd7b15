package tournament

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/record"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/store"
)

// ErrUnknownScenario is returned by Executor.Run for a job whose scenario key
// the executor has no scenario for (and cannot fetch).
var ErrUnknownScenario = errors.New("tournament: unknown scenario key")

// WorkerFault is the FaultRole of a job that could not be run at all, for a
// reason that is not a party's (a worker that kept dying on it).
const WorkerFault = "worker"

// Executor runs jobs: it turns a Job into a stored Result. It is safe for
// concurrent use; every Run builds fresh parties and a fresh mechanism.
type Executor struct {
	Env    *Env
	Worker string // recorded in each result
	// Fetch returns the prepared scenario for a key the executor does not
	// hold (remote workers fetch it from the coordinator); nil means such a
	// job fails with ErrUnknownScenario.
	Fetch func(ctx context.Context, key string) (*Prepared, error)

	mu        sync.Mutex
	scenarios map[string]*Prepared
}

// Add makes prepared scenarios available to Run.
func (x *Executor) Add(ps ...*Prepared) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.scenarios == nil {
		x.scenarios = map[string]*Prepared{}
	}
	for _, p := range ps {
		x.scenarios[p.Key] = p
	}
}

func (x *Executor) scenario(ctx context.Context, key string) (*Prepared, error) {
	x.mu.Lock()
	p := x.scenarios[key]
	x.mu.Unlock()
	if p != nil {
		return p, nil
	}
	if x.Fetch == nil {
		return nil, fmt.Errorf("%w %s", ErrUnknownScenario, key)
	}
	p, err := x.Fetch(ctx, key)
	if err != nil {
		return nil, err
	}
	if p.Key != key {
		return nil, fmt.Errorf("tournament: fetched scenario has key %s, want %s", p.Key, key)
	}
	x.Add(p)
	return p, nil
}

// Run runs one job and returns its result. A party's fault — panic, overrun
// of MoveTime or JobTime, breach of the protocol, failure to start — is part
// of the result, attributed to that party. Run returns an error only when no
// result should be stored: ctx was cancelled (the job must run again) or the
// job's scenario is unknown.
func (x *Executor) Run(ctx context.Context, j *Job) (store.Result, error) {
	p, err := x.scenario(ctx, j.ScenarioKey)
	if err != nil {
		return store.Result{}, err
	}
	sc := p.Scenario
	r := store.Result{JobID: j.ID, Plan: j.Plan, Scenario: j.Scenario, ScenarioKey: j.ScenarioKey, Protocol: j.Protocol,
		Roles: p.Info.Roles, Strategies: j.Strategies, Repetition: j.Repetition, Seed: j.Seed, Worker: x.Worker}
	fail := func(role, strat, reason string) (store.Result, error) {
		r.Status = mechanism.Failed.String()
		r.Fault, r.FaultRole, r.FaultStrategy = reason, role, strat
		x.score(p, &r, nil, -1, 0)
		return r, nil
	}
	if len(j.Strategies) != sc.NumParties() {
		return fail(WorkerFault, "", fmt.Sprintf("job names %d strategies for %d parties", len(j.Strategies), sc.NumParties()))
	}
	pr, err := x.Env.protocol(j.Protocol)
	if err != nil {
		return fail(WorkerFault, "", err.Error())
	}
	parties := make([]mechanism.Party, len(j.Strategies))
	for i, s := range j.Strategies {
		spec, err := ParseSpec(s)
		if err == nil {
			parties[i], err = x.Env.newParty(spec)
		}
		if err != nil {
			return fail(p.Info.Roles[i], s, "cannot build strategy: "+err.Error())
		}
		parties[i] = pr.Wrap(parties[i])
	}
	med, confidential, err := newMediator(pr)
	if err != nil {
		return fail("mediator", j.Protocol, "cannot build mediator: "+err.Error())
	}
	cfg := &sim.Config{Mechanism: pr.New(), Space: sc.Space, Profiles: sc.Profiles(), Parties: parties,
		Mediator: med, Confidential: confidential,
		Deadline: mechanism.Deadline{Rounds: j.Rounds, MoveTime: j.MoveTime}, Seed: j.Seed}
	if med != nil && sc.Mediator != nil {
		cfg.MediatorProfile = sc.Mediator.Profile
	}
	var (
		trace bytes.Buffer
		rw    *record.Writer
	)
	if j.Trace {
		h := record.Header{Scenario: sc.ID, Protocol: j.Protocol, Parties: p.Info.Roles,
			Roles: j.Strategies, Seed: j.Seed, Rounds: j.Rounds}
		if med != nil {
			h.Mediator = j.Protocol
		}
		rw = record.NewWriter(&trace, sc.Space, h)
		cfg.Observer = rw
	}
	jctx := ctx
	if j.JobTime > 0 {
		var cancel context.CancelFunc
		jctx, cancel = context.WithTimeoutCause(ctx, j.JobTime, fmt.Errorf("negotiation ran past its time limit %v", j.JobTime))
		defer cancel()
	}
	start := time.Now()
	res, err := sim.Run(jctx, cfg)
	r.Elapsed = time.Since(start)
	if ctx.Err() != nil {
		return store.Result{}, context.Cause(ctx)
	}
	if err != nil {
		return fail(WorkerFault, "", "cannot start: "+err.Error())
	}
	if rw != nil {
		if err := rw.Close(nil); err == nil {
			r.Trace = trace.Bytes()
		}
	}
	r.Status = res.Status.String()
	r.Rounds, r.Steps = res.Rounds, res.Steps
	faulty := -1
	if res.Fault != nil {
		r.Fault = res.Fault.Reason
		switch {
		case res.Fault.Party == mechanism.MediatorRole:
			r.FaultRole, r.FaultStrategy = "mediator", j.Protocol
		case res.Fault.Party >= 0 && res.Fault.Party < len(parties):
			faulty = res.Fault.Party
			r.FaultRole, r.FaultStrategy = p.Info.Roles[faulty], j.Strategies[faulty]
		}
	}
	var agreement []int32
	if res.Status == mechanism.Agreement {
		agreement = res.Agreement
		r.Agreement = sc.Space.Map(res.Agreement)
	}
	x.score(p, &r, agreement, faulty, res.Time)
	return r, nil
}

// newMediator builds pr's mediator (nil for direct talks). A panic while
// building it (a registry naming a strategy this binary lacks) becomes an
// error, so that it costs the job and not the worker.
func newMediator(pr protocol.Protocol) (m mechanism.Party, confidential bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, confidential, err = nil, false, fmt.Errorf("panic: %v", r)
		}
	}()
	m, confidential = pr.NewMediator()
	return m, confidential, nil
}

// score fills Utilities, Welfare and the distances. Each party scores its
// (discounted) utility of the agreement, or without one its reservation
// value; the party at fault scores min(0, reservation value). Distances are
// measured from the undiscounted outcome point (agreement utilities or the
// reservation vector).
func (x *Executor) score(p *Prepared, r *store.Result, agreement []int32, faulty int, t float64) {
	sc := p.Scenario
	n := sc.NumParties()
	r.Utilities = make([]float64, n)
	point := make([]float64, n)
	r.Welfare = 0
	for i, pt := range sc.Parties {
		prof := pt.Profile
		u := prof.Reservation
		if agreement != nil {
			u = prof.Utility(agreement)
		}
		point[i] = u
		s := prof.Discounted(u, t)
		if i == faulty {
			s = math.Min(0, prof.Reservation)
		}
		r.Utilities[i] = s
		r.Welfare += s
	}
	r.ParetoDistance, r.NashDistance = p.distances(point)
}

// Failed returns the result of job j, on this scenario, that could not be
// run at all (reason says why): no agreement, every party scores its
// reservation value, the fault is attributed to WorkerFault.
func (p *Prepared) Failed(j *Job, reason string) store.Result {
	r := store.Result{JobID: j.ID, Plan: j.Plan, Scenario: j.Scenario, ScenarioKey: j.ScenarioKey, Protocol: j.Protocol,
		Roles: p.Info.Roles, Strategies: j.Strategies, Repetition: j.Repetition, Seed: j.Seed,
		Status: mechanism.Failed.String(), Fault: reason, FaultRole: WorkerFault}
	(&Executor{}).score(p, &r, nil, -1, 0)
	return r
}

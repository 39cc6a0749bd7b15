// Package store keeps tournament results: one row per negotiation, keyed by
// the job's stable id, so that a job run twice (a resumed tournament, a
// redelivered message) is stored once.
//
// Two implementations share this interface: store/sqlite (an embedded file,
// the default) and store/postgres (for many machines). Both embed their
// schema migrations (goose) and apply them on Open.
package store

import (
	"context"
	"errors"
	"time"
)

// Result is how one negotiation of a tournament ended, with the figures the
// report ranks strategies by. Slices are in party order (the scenario's).
type Result struct {
	JobID       string // stable id of the job (hash of its content)
	Plan        string // id of the plan the job belongs to
	Scenario    string // scenario id (with "/variant" when a variant was applied)
	ScenarioKey string // content hash of the scenario as run
	Protocol    string
	Roles       []string // party ids, in party order
	Strategies  []string // strategy spec per party, e.g. "boulware:e=0.1"
	Repetition  int
	Seed        uint64
	// Status is "agreement", "no agreement" or "failed".
	Status string
	// Agreement maps issue name to value name; nil without agreement.
	Agreement map[string]string
	// Utilities are each party's score: its utility of the agreement, its
	// reservation value without agreement, and for the party at fault
	// min(0, reservation value).
	Utilities []float64
	Welfare   float64 // sum of Utilities
	// ParetoDistance and NashDistance are Euclidean distances in utility space
	// from the outcome's utility vector to the Pareto frontier and the Nash
	// point; NaN when they could not be computed (space too large).
	ParetoDistance float64
	NashDistance   float64
	Rounds         int
	Steps          int
	Elapsed        time.Duration // wall time of the negotiation
	// Fault is the reason of a failure ("" if none); FaultRole and
	// FaultStrategy name whom it is attributed to (the role id, "mediator",
	// or "worker" when the job could not be run at all).
	Fault         string
	FaultRole     string
	FaultStrategy string
	Trace         []byte // optional event log (JSON Lines); nil if not kept
	Worker        string // host/process that ran the job
}

// Scenario is what the report needs of a scenario without reading it again:
// its parties, reservation values, Pareto frontier and Nash point, in party
// order.
type Scenario struct {
	Key          string // content hash, Result.ScenarioKey
	ID           string
	Roles        []string
	Reservations []float64
	// Frontier lists the utility vectors of the Pareto-optimal acceptable
	// outcomes, sorted by the first party's utility; nil if not computed.
	Frontier [][]float64
	Nash     []float64 // nil if not computed
}

// Store is a durable home for results. Implementations are safe for
// concurrent use.
type Store interface {
	// Put stores rs in one transaction. A result whose JobID is already
	// stored is skipped, not overwritten. It returns how many were new.
	// On error nothing of the batch is stored.
	Put(ctx context.Context, rs []Result) (int, error)
	// PutScenarios records scenarios' reference figures in one
	// transaction; a scenario whose Key is already recorded is skipped.
	PutScenarios(ctx context.Context, ss []Scenario) error
	// Done returns the ids of every stored job.
	Done(ctx context.Context) (map[string]struct{}, error)
	// Scan calls fn for every stored result of plan (every plan if plan is
	// ""), in job-id order, without traces. It stops at fn's first error and
	// returns it.
	Scan(ctx context.Context, plan string, fn func(*Result) error) error
	// Scenarios returns every recorded scenario, by key.
	Scenarios(ctx context.Context) (map[string]Scenario, error)
	// Trace returns the stored trace of a job, or ErrNotFound.
	Trace(ctx context.Context, jobID string) ([]byte, error)
	// Count returns the number of stored results.
	Count(ctx context.Context) (int, error)
	Close() error
}

// ErrNotFound is returned when a job has no stored result or trace.
var ErrNotFound = errors.New("store: not found")

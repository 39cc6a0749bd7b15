package main

import (
	"context"
	"encoding/json"
	"errors"
	"math"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/scenario"
)

// analyse runs the analysis of sc by whichever path fits its size
// (analysis.Auto). ignore drops red lines and rules.
func analyse(ctx context.Context, sc *scenario.Scenario, ignore bool) (*analysis.Report, error) {
	return analysis.Auto(ctx, sc.Space, sc.Profiles(), analysis.Options{IgnoreConstraints: ignore})
}

// pointJSON is a point as the CLI prints it: outcome by issue and value
// names as the scenario spells them, utilities in party order.
type pointJSON struct {
	Outcome map[string]string `json:"outcome"`
	Utility []float64         `json:"utility"`
}

func toPoint(sp *outcome.Space, p *analysis.Point) *pointJSON {
	if p == nil {
		return nil
	}
	return &pointJSON{Outcome: sp.Map(p.Outcome), Utility: p.Utility}
}

// runReport is what 'run' prints.
type runReport struct {
	Scenario        string            `json:"scenario"`
	Protocol        string            `json:"protocol"`
	Seed            uint64            `json:"seed"`
	DeadlineRounds  int               `json:"deadline_rounds,omitempty"`
	Outcomes        json.Number       `json:"outcomes"`
	OutcomesExact   string            `json:"outcomes_exact,omitempty"`
	ZoneOfAgreement int64             `json:"zone_of_agreement"` // outcomes acceptable to all; -1 if not counted
	Parties         []runParty        `json:"parties"`
	Status          string            `json:"status"`
	Reason          string            `json:"reason"`
	Agreement       map[string]string `json:"agreement"`
	Rounds          int               `json:"rounds"`
	Steps           int               `json:"steps"`
	Fault           *faultJSON        `json:"fault,omitempty"`
	Welfare         *float64          `json:"welfare,omitempty"`
	DistancePareto  *float64          `json:"distance_pareto,omitempty"`
	DistanceNash    *float64          `json:"distance_nash,omitempty"`
	DistanceKalai   *float64          `json:"distance_kalai,omitempty"`
	Nash            *pointJSON        `json:"nash"`
	Kalai           *pointJSON        `json:"kalai"`
	MaxWelfare      *pointJSON        `json:"max_welfare"`
	ElapsedSeconds  float64           `json:"elapsed_seconds"`
}

type runParty struct {
	ID          string   `json:"id"`
	Strategy    string   `json:"strategy"`
	Reservation float64  `json:"reservation"`
	Utility     *float64 `json:"utility"` // nil without agreement
}

type faultJSON struct {
	Party  string `json:"party"`
	Reason string `json:"reason"`
}

// judgement is what run prints about the scenario, whichever way it was
// computed.
type judgement struct {
	acceptable        int64
	nash, kalai, welf *analysis.Point
	distanceToPareto  func(ctx context.Context, u []float64) (float64, error)
}

// judgeScenario computes only what run prints: by enumeration without the
// Pareto frontier (analysis.Summarize, two passes; the distance to the
// frontier by Summary.DistanceToPareto) where the space is enumerable, and
// from the issue-by-issue frontier (analysis.Auto) where it is not.
func judgeScenario(ctx context.Context, sc *scenario.Scenario) (*judgement, error) {
	s, err := analysis.Summarize(ctx, sc.Space, sc.Profiles(), analysis.Options{})
	if err == nil {
		return &judgement{acceptable: s.Acceptable, nash: s.Nash, kalai: s.Kalai, welf: s.MaxWelfare, distanceToPareto: s.DistanceToPareto}, nil
	}
	if !errors.Is(err, outcome.ErrTooLarge) && !errors.Is(err, analysis.ErrTooManyTies) {
		return nil, err
	}
	pr, err := analyse(ctx, sc, false)
	if err != nil {
		return nil, err
	}
	return &judgement{acceptable: pr.Acceptable, nash: pr.Nash, kalai: pr.Kalai, welf: pr.MaxWelfare,
		distanceToPareto: func(_ context.Context, u []float64) (float64, error) { d, _ := pr.DistanceToPareto(u); return d, nil }}, nil
}

// judgeAsync starts judgeScenario on its own goroutine (the figures do not
// depend on the negotiation, so they are computed while it runs) and returns
// a function that waits for them. Cancelling ctx stops it.
func judgeAsync(ctx context.Context, sc *scenario.Scenario) func() (*judgement, error) {
	type judged struct {
		j   *judgement
		err error
	}
	c := make(chan judged, 1)
	go func() {
		j, err := judgeScenario(ctx, sc)
		c <- judged{j, err}
	}()
	return func() (*judgement, error) {
		r := <-c
		return r.j, r.err
	}
}

// judge compares a finished negotiation with the scenario's figures.
func judge(ctx context.Context, sc *scenario.Scenario, pr *judgement, rr runResult) (*runReport, error) {
	res := rr.res
	n, exact := countJSON(sc.Space)
	rep := &runReport{Scenario: sc.ID, Outcomes: n, OutcomesExact: exact, ZoneOfAgreement: pr.acceptable,
		Status: res.Status.String(), Reason: res.Reason, Rounds: res.Rounds, Steps: res.Steps,
		Nash: toPoint(sc.Space, pr.nash), Kalai: toPoint(sc.Space, pr.kalai), MaxWelfare: toPoint(sc.Space, pr.welf),
		ElapsedSeconds: rr.elapsed.Seconds()}
	for _, p := range sc.Parties {
		rep.Parties = append(rep.Parties, runParty{ID: p.ID, Reservation: p.Profile.Reservation})
	}
	if res.Fault != nil {
		who := "mediator"
		if res.Fault.Party >= 0 && res.Fault.Party < len(sc.Parties) {
			who = sc.Parties[res.Fault.Party].ID
		}
		rep.Fault = &faultJSON{Party: who, Reason: res.Fault.Reason}
	}
	if res.Agreement != nil {
		rep.Agreement = sc.Space.Map(res.Agreement)
		u := analysis.Utilities(sc.Profiles(), res.Agreement, nil)
		var w float64
		for i := range u {
			rep.Parties[i].Utility = &u[i]
			w += u[i]
		}
		rep.Welfare = &w
		dp, err := pr.distanceToPareto(ctx, u)
		if err != nil {
			return nil, err
		}
		dn, dk := distanceTo(pr.nash, u), distanceTo(pr.kalai, u)
		rep.DistancePareto, rep.DistanceNash, rep.DistanceKalai = finite(dp), finite(dn), finite(dk)
	}
	return rep, nil
}

// distanceTo returns the Euclidean distance from u to p's utilities, +Inf
// when there is no such point.
func distanceTo(p *analysis.Point, u []float64) float64 {
	if p == nil {
		return math.Inf(1)
	}
	return analysis.Distance(u, p.Utility)
}

func finite(x float64) *float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	return &x
}

package main

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/scenario"
)

// problem is the analysis of a scenario by whichever path fits its size:
// enumeration (exact counts and frontier) or, past the enumeration limit, the
// issue-by-issue frontier of package frontier (no counts).
type problem struct {
	*analysis.Report
	Enumerated bool
	Approx     float64 // ε of an approximate frontier, 0 if exact
}

// analyse runs the analysis of sc. ignore drops red lines and rules.
func analyse(ctx context.Context, sc *scenario.Scenario, ignore bool) (*problem, error) {
	ps := sc.Profiles()
	rep, err := analysis.Analyze(ctx, sc.Space, ps, analysis.Options{IgnoreConstraints: ignore})
	if err == nil {
		return &problem{Report: rep, Enumerated: true}, nil
	}
	if !errors.Is(err, outcome.ErrTooLarge) {
		return nil, err
	}
	sp := sc.Space
	if ignore {
		c, err := sc.WithoutRedLines()
		if err != nil {
			return nil, err
		}
		sp, ps = c.Space, c.Profiles()
	}
	pr := &problem{}
	fa, err := frontier.Analyze(sp, ps, frontier.Options{})
	if errors.Is(err, frontier.ErrFrontierTooLarge) {
		pr.Approx = 1e-4
		fa, err = frontier.Analyze(sp, ps, frontier.Options{Epsilon: pr.Approx})
	}
	if err != nil {
		return nil, fmt.Errorf("%s outcomes are too many to enumerate, and the issue-by-issue frontier failed: %w", sp.Count(), err)
	}
	f := fa.Frontier
	r := &analysis.Report{Parties: len(ps), IgnoredConstraints: ignore, Outcomes: -1, Feasible: -1, Admissible: -1, Acceptable: -1,
		Reservation: fa.Reservation, Opposition: math.Inf(1)}
	r.Pareto = make([]analysis.Point, f.Len())
	for k := range r.Pareto {
		u := append([]float64(nil), f.Utilities(k)...)
		r.Pareto[k] = analysis.Point{Outcome: f.Outcome(k, sp.New()), Utility: u}
		var d float64
		for _, x := range u {
			d += (1 - x) * (1 - x)
		}
		r.Opposition = min(r.Opposition, math.Sqrt(d))
	}
	r.Solutions = analysis.Solve(r.Pareto, r.Reservation)
	pr.Report = r
	return pr, nil
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
	Outcomes        string            `json:"outcomes"`
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

// judge compares a finished negotiation with the scenario's analysis.
func judge(ctx context.Context, sc *scenario.Scenario, rr runResult) (*runReport, error) {
	pr, err := analyse(ctx, sc, false)
	if err != nil {
		return nil, err
	}
	res := rr.res
	rep := &runReport{Scenario: sc.ID, Outcomes: sc.Space.Count().String(), ZoneOfAgreement: pr.Acceptable,
		Status: res.Status.String(), Reason: res.Reason, Rounds: res.Rounds, Steps: res.Steps,
		Nash: toPoint(sc.Space, pr.Nash), Kalai: toPoint(sc.Space, pr.Kalai), MaxWelfare: toPoint(sc.Space, pr.MaxWelfare),
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
		dp, _ := pr.DistanceToPareto(u)
		dn, dk := pr.DistanceToNash(u), pr.DistanceToKalai(u)
		rep.DistancePareto, rep.DistanceNash, rep.DistanceKalai = finite(dp), finite(dn), finite(dk)
	}
	return rep, nil
}

func finite(x float64) *float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	return &x
}

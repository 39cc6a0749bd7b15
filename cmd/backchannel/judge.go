package main

import (
	"context"
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

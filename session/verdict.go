package session

import (
	"context"
	"math"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/scenario"
)

// judge compares how a session ended with the scenario's analysis, as
// 'backchannel run' does: each party's utility next to its reservation
// value, welfare, and the distances in utility space to the Pareto
// frontier, the Nash point and the Kalai–Smorodinsky point. The analysis is
// made once per scenario (and variant) and kept.
func (m *Manager) judge(ctx context.Context, sc *scenario.Scenario, res mechanism.Result) (*api.Verdict, error) {
	m.mu.Lock()
	pr, ok := m.reports[sc]
	m.mu.Unlock()
	if !ok {
		var err error
		pr, err = analysis.Auto(ctx, sc.Space, sc.Profiles(), analysis.Options{})
		if err != nil {
			return nil, err
		}
		m.mu.Lock()
		m.reports[sc] = pr
		m.mu.Unlock()
	}
	v := &api.Verdict{Outcomes: sc.Space.Count().String(), ZoneOfAgreement: pr.Acceptable,
		Nash: point(sc.Space, pr.Nash), Kalai: point(sc.Space, pr.Kalai)}
	for _, p := range sc.Parties {
		v.Parties = append(v.Parties, api.PartyVerdict{ID: p.ID, Reservation: p.Profile.Reservation})
	}
	if res.Agreement != nil {
		u := analysis.Utilities(sc.Profiles(), res.Agreement, nil)
		var w float64
		for i := range u {
			v.Parties[i].Utility = &u[i]
			w += u[i]
		}
		v.Welfare = &w
		dp, _ := pr.DistanceToPareto(u)
		v.DistancePareto, v.DistanceNash, v.DistanceKalai = finite(dp), finite(pr.DistanceToNash(u)), finite(pr.DistanceToKalai(u))
	}
	return v, nil
}

func point(sp *outcome.Space, p *analysis.Point) *api.Point {
	if p == nil {
		return nil
	}
	return &api.Point{Outcome: sp.Map(p.Outcome), Utility: p.Utility}
}

func finite(x float64) *float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	return &x
}

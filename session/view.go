package session

import (
	"encoding/json"
	"fmt"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/scenario"
)

// seatScenario returns the scenario as the seat of party (an index, or
// MediatorRole) may see it, in the native JSON format: the space and its
// rules, the sources, and only the profiles the mechanism gives that seat —
// its own, or every party's for a mediator with confidential access.
// Variants, themes and every other party's metadata are left out: they
// describe other parties' preferences.
func seatScenario(sc *scenario.Scenario, party int, confidential bool) (json.RawMessage, error) {
	v := *sc
	v.Variants, v.Themes, v.Warnings, v.Mediator, v.Source = nil, nil, nil, nil, ""
	keep := map[string]bool{}
	switch {
	case party >= 0:
		v.Parties = []*scenario.Party{sc.Parties[party]}
		keep[sc.Parties[party].ID] = true
	case confidential:
		for _, p := range sc.Parties {
			keep[p.ID] = true
		}
	default:
		v.Parties = nil
	}
	others := map[string]bool{api.MediatorRole: party != mechanism.MediatorRole}
	for _, p := range sc.Parties {
		others[p.ID] = !keep[p.ID]
	}
	if m, ok := stripOthers(sc.Meta, others).(map[string]any); ok {
		delete(m, "mediator")
		v.Meta = m
	}
	b, err := scenario.Marshal(&v, "json")
	if err != nil {
		return nil, fmt.Errorf("scenario %q as seen by a seat: %w", sc.ID, err)
	}
	return b, nil
}

// stripOthers returns a copy of the metadata x without any map entry keyed
// by a role the seat may not see into (others[id] is true): the scenario's
// explanatory notes hold per-party material in such maps (rationales,
// no-deal values, preferences over the format of the talks).
func stripOthers(x any, others map[string]bool) any {
	switch t := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, y := range t {
			if !others[k] {
				out[k] = stripOthers(y, others)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, y := range t {
			out[i] = stripOthers(y, others)
		}
		return out
	}
	return x
}

// Info returns the public face of a scenario: issues, options, parties'
// names, variant names; no preferences.
func Info(id string, sc *scenario.Scenario) api.ScenarioInfo {
	in := api.ScenarioInfo{ID: id, Title: sc.Title, Description: sc.Description, Outcomes: sc.Space.Count().String(),
		Mediator: sc.Mediator != nil, Warnings: sc.Warnings}
	if in.Title == "" {
		in.Title = sc.ID
	}
	for i := range sc.Space.Issues {
		is := &sc.Space.Issues[i]
		ii := api.IssueInfo{Name: is.Name, Values: is.Values}
		if t := sc.IssueTitle(i); t != is.Name {
			ii.Title = t
		}
		in.Issues = append(in.Issues, ii)
	}
	for _, p := range sc.Parties {
		in.Parties = append(in.Parties, api.PartyInfo{ID: p.ID, Name: p.Name})
	}
	for _, v := range sc.Variants {
		in.Variants = append(in.Variants, v.Name)
	}
	return in
}

// roleName names party p (an index, MediatorRole or Nobody) for the API.
func roleName(sc *scenario.Scenario, p int) string {
	switch {
	case p == mechanism.MediatorRole:
		return api.MediatorRole
	case p >= 0 && p < len(sc.Parties):
		return sc.Parties[p].ID
	}
	return ""
}

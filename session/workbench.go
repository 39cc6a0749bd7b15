package session

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/strategy"
)

// The workbench's questions about preferences. A seat asks only about its
// own profile (Profile, Evaluate, Packages); the mediator's seat and the
// owner's link have no profile to ask about. Analysis, which shows every
// party's preferences, takes a scenario id, never a seat.

// MaxPackages bounds the packages one Packages call lists.
const MaxPackages = 200

// partySeat returns the scenario and party index of the party seat acc
// opens, or a forbidden error for the mediator's seat or the owner.
func (m *Manager) partySeat(ctx context.Context, acc Access) (*scenario.Scenario, int, error) {
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return nil, 0, err
	}
	l.mu.Lock()
	s, err := l.seatFor(acc)
	l.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	if s.index < 0 || s.index >= len(l.sc.Parties) {
		return nil, 0, &Error{Code: CodeForbidden, Message: "the mediator's seat has no profile of its own: this route is for a party's seat"}
	}
	return l.sc, s.index, nil
}

// Profile returns the own profile of the party seat acc opens: each
// option's value to it, its red lines and reservation value.
func (m *Manager) Profile(ctx context.Context, acc Access) (*api.Profile, error) {
	sc, p, err := m.partySeat(ctx, acc)
	if err != nil {
		return nil, err
	}
	out := profileOf(sc, p)
	return &out, nil
}

func profileOf(sc *scenario.Scenario, p int) api.Profile {
	party := sc.Parties[p]
	pr := party.Profile
	linear := pr.IsLinear() && len(pr.Issues) == sc.Space.NumIssues()
	out := api.Profile{Party: party.ID, Name: party.Name, Reservation: pr.Reservation, Linear: linear, CapAtOne: pr.CapAtOne, Rationale: party.Rationale}
	if pr.Discount > 0 && pr.Discount < 1 {
		out.Discount = pr.Discount
	}
	if linear {
		out.Min, out.Max = pr.Range()
	}
	for i := range sc.Space.Issues {
		is := &sc.Space.Issues[i]
		pi := api.ProfileIssue{Name: is.Name}
		if t := sc.IssueTitle(i); t != is.Name {
			pi.Title = t
		}
		var eval []float64
		if i < len(pr.Issues) {
			pi.Weight, eval = pr.Issues[i].Weight, pr.Issues[i].Eval
		}
		for v, name := range is.Values {
			o := api.ProfileOption{Name: name}
			if v < len(is.Labels) {
				o.Label = is.Labels[v]
			}
			if v < len(eval) {
				o.Value, o.Contribution = eval[v], pi.Weight*eval[v]
			}
			if pr.RedLines != nil && pr.RedLines[i] != nil && pr.RedLines[i][v] {
				o.RedLine = true
			}
			pi.Options = append(pi.Options, o)
		}
		out.Issues = append(out.Issues, pi)
	}
	return out
}

// Evaluate scores a package, complete or not, against the own profile of
// the party seat acc opens: its utility (complete packages), the red lines
// and feasibility rules it breaks, and whether the party could accept it.
// An unknown issue or value is an invalid error naming it.
func (m *Manager) Evaluate(ctx context.Context, acc Access, pkg map[string]string) (*api.Evaluation, error) {
	sc, p, err := m.partySeat(ctx, acc)
	if err != nil {
		return nil, err
	}
	sp := sc.Space
	pr := sc.Parties[p].Profile
	o := sp.New()
	given := make([]bool, sp.NumIssues())
	for name, val := range pkg {
		i := sp.IssueIndex(name)
		if i < 0 {
			return nil, invalid("outcome", "outcome: no issue %q (the issues are %s)", name, issueNames(sc))
		}
		v := sp.Issues[i].ValueIndex(val)
		if v < 0 {
			return nil, invalid("outcome."+name, "outcome: issue %q has no option %q", name, val)
		}
		o[i], given[i] = v, true
	}
	ev := &api.Evaluation{Reservation: pr.Reservation}
	for i, g := range given {
		switch {
		case !g:
			ev.Missing = append(ev.Missing, sp.Issues[i].Name)
		case pr.RedLines != nil && pr.RedLines[i] != nil && pr.RedLines[i][o[i]]:
			ev.RedLines = append(ev.RedLines, api.Option{Issue: sp.Issues[i].Name, Value: sp.Issues[i].Values[o[i]]})
		}
	}
	if len(ev.Missing) > 0 {
		return ev, nil
	}
	for r := range sp.Rules {
		if rule := &sp.Rules[r]; !rule.Holds(o) {
			name := rule.Name
			if rule.Note != "" {
				name += ": " + rule.Note
			}
			ev.Rules = append(ev.Rules, name)
		}
	}
	u := pr.Utility(o)
	ev.Utility = &u
	ev.Acceptable = len(ev.RedLines) == 0 && len(ev.Rules) == 0 && pr.Reaches(u)
	return ev, nil
}

// Packages lists up to limit packages (at most MaxPackages) whose utility
// to the party seat acc opens lies in [lo, hi], feasible and crossing none
// of its red lines, in order of increasing utility, with the engine's
// offer search (strategy.OffersFor): it never enumerates the space per
// call, and spaces too large to index are searched issue by issue.
func (m *Manager) Packages(ctx context.Context, acc Access, lo, hi float64, limit int) (*api.Packages, error) {
	if math.IsNaN(lo) || math.IsNaN(hi) || lo > hi {
		return nil, invalid("min", "min and max must be numbers with min ≤ max, not %v and %v", lo, hi)
	}
	if limit <= 0 || limit > MaxPackages {
		return nil, invalid("limit", "limit must be 1 to %d, not %d", MaxPackages, limit)
	}
	sc, p, err := m.partySeat(ctx, acc)
	if err != nil {
		return nil, err
	}
	sp := sc.Space
	pr := sc.Parties[p].Profile
	offers, err := strategy.OffersFor(sp, pr, lo-1e-9)
	if err != nil {
		return nil, &Error{Code: CodeRejected, Message: fmt.Sprintf("the offer search cannot serve this scenario: %v", err)}
	}
	out := &api.Packages{Min: lo, Max: hi, Packages: []api.Package{}}
	if offers.Empty() {
		return out, nil
	}
	n := sp.NumIssues()
	buf := offers.Within(lo-1e-9, hi+1e-9, limit+1, nil)
	for k := 0; k+n <= len(buf); k += n {
		if len(out.Packages) == limit {
			out.More = true
			break
		}
		o := outcome.Outcome(buf[k : k+n])
		out.Packages = append(out.Packages, api.Package{Outcome: sp.Map(o), Utility: pr.Utility(o)})
	}
	return out, nil
}

// analyses caches scenario analyses by manager, scenario id and variant
// (scenarios are immutable: an upload's id is the hash of its content).
var analyses sync.Map // analysisKey → *analysisEntry

type analysisKey struct {
	m           *Manager
	id, variant string
}

type analysisEntry struct {
	once sync.Once
	a    *api.Analysis
	err  error
}

// Analysis returns the analysis of scenario id (with variant, if not
// empty): every party's preferences, the zone of agreement, the Pareto
// frontier, Nash and Kalai–Smorodinsky. It shows every side's preferences:
// the server serves it on the scenario's page, never through a seat link.
func (m *Manager) Analysis(ctx context.Context, id, variant string) (*api.Analysis, error) {
	sc, err := m.Scenario(ctx, id)
	if err != nil {
		return nil, err
	}
	if variant != "" {
		if sc, err = sc.WithVariant(variant); err != nil {
			return nil, invalid("variant", "variant: %v", err)
		}
	}
	e, _ := analyses.LoadOrStore(analysisKey{m, id, variant}, &analysisEntry{})
	ae := e.(*analysisEntry)
	ae.once.Do(func() { ae.a, ae.err = analyse(ctx, id, variant, sc) })
	if ae.err != nil {
		analyses.CompareAndDelete(analysisKey{m, id, variant}, ae)
	}
	return ae.a, ae.err
}

func analyse(ctx context.Context, id, variant string, sc *scenario.Scenario) (*api.Analysis, error) {
	rep, err := analysis.Auto(ctx, sc.Space, sc.Profiles(), analysis.Options{})
	if err != nil {
		return nil, &Error{Code: CodeRejected, Message: fmt.Sprintf("scenario %s cannot be analysed: %v", id, err)}
	}
	a := &api.Analysis{Scenario: id, Variant: variant, Title: sc.Title, Description: sc.Description,
		Outcomes: sc.Space.Count().String(), Feasible: rep.Feasible, ZoneOfAgreement: rep.Acceptable,
		Exact: rep.Epsilon == 0, Epsilon: rep.Epsilon, Reservation: rep.Reservation,
		FrontierSize: len(rep.Pareto), Nash: point(sc.Space, rep.Nash), Kalai: point(sc.Space, rep.Kalai)}
	if a.Title == "" {
		a.Title = sc.ID
	}
	step := max(1, (len(rep.Pareto)+api.MaxFrontier-1)/api.MaxFrontier)
	a.Frontier = [][]float64{}
	for k := 0; k < len(rep.Pareto); k += step {
		a.Frontier = append(a.Frontier, rep.Pareto[k].Utility)
	}
	for i, p := range sc.Parties {
		a.Parties = append(a.Parties, p.ID)
		a.Profiles = append(a.Profiles, profileOf(sc, i))
	}
	for _, r := range sc.Space.Rules {
		a.Rules = append(a.Rules, api.Rule{ID: r.Name, Note: r.Note})
	}
	for _, s := range sc.Sources {
		a.Sources = append(a.Sources, api.Source{ID: s.ID, Title: s.Title, Date: s.Date, URL: s.URL})
	}
	return a, nil
}

// SeatAnalysis returns the analysis of the session's scenario to the
// mediator's seat of a protocol that gives the mediator every party's
// profile (confidential access: post-settlement, arbitration), so that a
// person mediating sees the frontier and where a text lies. Every other
// seat gets a forbidden error: the analysis shows every side's preferences.
func (m *Manager) SeatAnalysis(ctx context.Context, acc Access) (*api.Analysis, error) {
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	s, err := l.seatFor(acc)
	confidential, spec := l.confidential, l.spec
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if s.index != mechanism.MediatorRole || !confidential {
		return nil, &Error{Code: CodeForbidden, Message: "the analysis shows every party's preferences: only a mediator with confidential access (post-settlement, arbitration) reads it through its seat"}
	}
	return m.Analysis(ctx, spec.Scenario, spec.Variant)
}

// Suggest asks the protocol's built-in mediator, freshly started and given
// every party's profile, what it would answer the request pending for the
// mediator's seat acc opens: a text, or the end. Only a mediator with
// confidential access may ask (forbidden otherwise), and only on its turn
// (not-your-turn conflict otherwise). The built-in starts afresh, so it
// does not remember texts the parties refused before.
func (m *Manager) Suggest(ctx context.Context, acc Access) (*api.Suggestion, error) {
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	s, err := l.seatFor(acc)
	if err == nil && (s.index != mechanism.MediatorRole || !l.confidential) {
		err = &Error{Code: CodeForbidden, Message: "only a mediator with confidential access (post-settlement, arbitration) may ask the built-in mediator for a suggestion"}
	}
	var req mechanism.Request
	var clock mechanism.Clock
	var setup *mechanism.Setup
	if err == nil {
		if l.mech.Done() {
			err = conflict(CodeEnded, l.mech.Clock().Step, "the session has ended")
		} else if r := l.mech.Next(); r.Party != mechanism.MediatorRole {
			err = conflict(CodeNotYourTurn, l.mech.Clock().Step, "it is not the mediator's turn: a suggestion answers the mediator's pending request")
		} else {
			req, clock, setup = *r, *l.mech.Clock(), l.setup(mechanism.MediatorRole)
			req.Offer, req.Other = req.Offer.Clone(), req.Other.Clone()
			req.Answers = slices.Clone(req.Answers)
		}
	}
	proto, sp := l.proto, l.sc.Space
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	med, _ := proto.NewMediator()
	if med == nil {
		return nil, &Error{Code: CodeForbidden, Message: "protocol " + proto.Name + " has no built-in mediator"}
	}
	a, fault := suggest(med, setup, &clock, &req)
	if fault != "" {
		return nil, &Error{Code: CodeRejected, Message: "the built-in mediator could not suggest: " + fault}
	}
	out := &api.Suggestion{Kind: a.Kind.String(), By: proto.Name}
	if a.Kind == mechanism.Offer && a.Outcome != nil {
		out.Outcome = sp.Map(a.Outcome)
	}
	return out, nil
}

func suggest(med mechanism.Party, setup *mechanism.Setup, c *mechanism.Clock, r *mechanism.Request) (a mechanism.Answer, fault string) {
	defer func() {
		if p := recover(); p != nil {
			fault = fmt.Sprint("panic: ", p)
		}
	}()
	if err := med.Init(setup); err != nil {
		return a, err.Error()
	}
	return med.Act(c, r), ""
}

package mechanism_test

import (
	"context"
	"slices"
	"testing"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
	"github.com/backchannel/backchannel/voting"
)

// small is a 3-issue linear fixture with opposed preferences and one rule.
func small(tb testing.TB) (*outcome.Space, []*preference.Profile) {
	tb.Helper()
	sp, err := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("a", "0", "1", "2", "3", "4"),
		outcome.NewDiscrete("b", "0", "1", "2", "3"),
		outcome.NewInteger("c", 0, 5),
	}, []outcome.Rule{{Name: "a=4 needs b≠0",
		If:   []outcome.Condition{{Issue: 0, Allowed: []bool{false, false, false, false, true}}},
		Then: []outcome.Condition{{Issue: 1, Allowed: []bool{false, true, true, true}}}}})
	if err != nil {
		tb.Fatal(err)
	}
	up := func(n int) []float64 {
		e := make([]float64, n)
		for i := range e {
			e[i] = float64(i) / float64(n-1)
		}
		return e
	}
	down := func(n int) []float64 {
		e := up(n)
		for i := range e {
			e[i] = 1 - e[i]
		}
		return e
	}
	ps := []*preference.Profile{
		{Name: "p0", Reservation: 0.2, Issues: []preference.IssueUtility{{Weight: 0.5, Eval: up(5)}, {Weight: 0.2, Eval: up(4)}, {Weight: 0.3, Eval: down(6)}}},
		{Name: "p1", Reservation: 0.3, Issues: []preference.IssueUtility{{Weight: 0.2, Eval: down(5)}, {Weight: 0.5, Eval: down(4)}, {Weight: 0.3, Eval: up(6)}}},
	}
	for _, p := range ps {
		if err := p.Prepare(sp); err != nil {
			tb.Fatal(err)
		}
	}
	return sp, ps
}

// iranUS is the built-in default scenario.
func iranUS(tb testing.TB) (*outcome.Space, []*preference.Profile) {
	tb.Helper()
	s, err := scenario.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return s.Space, s.Profiles()
}

// agents returns fresh strategies by registry name.
func agents(tb testing.TB, names ...string) []mechanism.Party {
	tb.Helper()
	var ps []mechanism.Party
	for _, n := range names {
		a, err := strategy.New(n, nil)
		if err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, a)
	}
	return ps
}

// voters returns two hill-climbing voters.
func voters() []mechanism.Party {
	return []mechanism.Party{&voting.Party{Voter: &voting.HillClimber{}}, &voting.Party{Voter: &voting.HillClimber{}}}
}

// run runs c through the simulator, granting the mediator confidential
// access when it is marked as needing it, and fails tb on a configuration
// error.
func run(tb testing.TB, c *sim.Config) mechanism.Result {
	tb.Helper()
	c.Confidential = c.Mediator != nil && mediator.NeedsConfidential(c.Mediator)
	res, err := sim.Run(context.Background(), c)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// fn is a party whose moves are a function.
type fn func(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer

func (f fn) Init(*mechanism.Setup) error { return nil }
func (f fn) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	return f(c, r)
}

// opaque hides whether the party it wraps is marked as needing confidential
// access, so the driver does not grant it.
type opaque struct{ p mechanism.Party }

func (o opaque) Init(s *mechanism.Setup) error { return o.p.Init(s) }
func (o opaque) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	return o.p.Act(c, r)
}

// eventLog keeps every event (with its outcome copied).
type eventLog struct{ events []mechanism.Event }

func (l *eventLog) Observe(e *mechanism.Event) {
	c := *e
	c.Outcome = e.Outcome.Clone()
	c.To = slices.Clone(e.To)
	l.events = append(l.events, c)
}

// count returns the number of events of the kind.
func (l *eventLog) count(kind string) int {
	n := 0
	for _, e := range l.events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// outcomes returns the outcomes of the events of the kind, in order.
func (l *eventLog) outcomes(kind string) []outcome.Outcome {
	var os []outcome.Outcome
	for _, e := range l.events {
		if e.Kind == kind {
			os = append(os, e.Outcome)
		}
	}
	return os
}

package mechanism_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/sim"
)

// spy records what a party is told; its answers are drawn by rapid.
type spy struct {
	t     *rapid.T
	sp    *outcome.Space
	self  int
	seen  []mechanism.Request
	setup mechanism.Setup
	buf   outcome.Outcome
}

func (s *spy) Init(st *mechanism.Setup) error {
	s.setup = *st
	s.buf = st.Space.New()
	return nil
}

func (s *spy) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	c := *r
	c.Offer, c.Other = r.Offer.Clone(), r.Other.Clone()
	s.seen = append(s.seen, c)
	label := fmt.Sprintf("party%d-%s", s.self, r.Kind)
	switch r.Kind {
	case mechanism.Propose:
		for i := range s.buf {
			s.buf[i] = int32(rapid.IntRange(0, s.sp.Issues[i].Len()-1).Draw(s.t, label+"-v"))
		}
		if !s.sp.Feasible(s.buf) {
			s.buf[0] = 0
		}
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: s.buf}
	case mechanism.Respond, mechanism.Vote:
		return mechanism.Answer{Kind: rapid.SampledFrom([]mechanism.AnswerKind{mechanism.Accept, mechanism.Reject, mechanism.Reject}).Draw(s.t, label)}
	case mechanism.Compare:
		return mechanism.Answer{Kind: rapid.SampledFrom([]mechanism.AnswerKind{mechanism.Better, mechanism.Worse, mechanism.Same}).Draw(s.t, label)}
	}
	return mechanism.Answer{Kind: mechanism.End}
}

// passing records every outcome the mediator put before the parties.
type passing struct {
	inner    mechanism.Party
	passed   []outcome.Outcome
	setup    mechanism.Setup
	requests []seen
}

func (p *passing) ConfidentialAccess() bool { return mediator.NeedsConfidential(p.inner) }
func (p *passing) Init(s *mechanism.Setup) error {
	p.setup = *s
	return p.inner.Init(s)
}

func (p *passing) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	p.requests = append(p.requests, copyRequest(c, r))
	a := p.inner.Act(c, r)
	switch {
	case a.Kind == mechanism.Offer:
		p.passed = append(p.passed, a.Outcome.Clone())
	case a.Kind == mechanism.Accept && r.Offer != nil:
		p.passed = append(p.passed, r.Offer.Clone()) // relayed, or put to the vote
	}
	return a
}

func (p *passing) allowed(o outcome.Outcome) bool {
	return slices.ContainsFunc(p.passed, o.Equal)
}

// TestInformationBarrier: in every mediated protocol, whatever the parties
// answer, no party's requests or visible events contain another party's
// offer, vote or feedback unless the mediator passed it on; parties never
// get profiles, and the mediator gets them only when marked as needing them.
func TestInformationBarrier(t *testing.T) {
	sp, ps := small(t)
	protocols := []struct {
		name string
		mech func() mechanism.Mechanism
		med  func() mechanism.Party
	}{
		{"single-text/annealer", func() mechanism.Mechanism { return mechanism.NewSingleText() }, func() mechanism.Party { return &mediator.Annealer{} }},
		{"single-text/random-flip", func() mechanism.Mechanism { return mechanism.NewSingleText() }, func() mechanism.Party { return &mediator.RandomFlip{} }},
		{"shuttle/relay", func() mechanism.Mechanism { return mechanism.NewShuttle() }, func() mechanism.Party { return mediator.Relay{} }},
		{"shuttle/bridge", func() mechanism.Mechanism { return mechanism.NewShuttle() }, func() mechanism.Party { return &mediator.Bridge{Warmup: 1, Every: 2} }},
		{"feedback/learner", func() mechanism.Mechanism { return mechanism.NewFeedback() }, func() mechanism.Party { return &mediator.Learner{Explore: 0.3} }},
		{"single-text+post-settlement", func() mechanism.Mechanism { return mechanism.NewPostSettlement(mechanism.NewSingleText(), 5) },
			func() mechanism.Party {
				return &mediator.Phased{Talks: &mediator.RandomFlip{}, Improver: &mediator.Improver{}}
			}},
		{"shuttle+post-settlement", func() mechanism.Mechanism { return mechanism.NewPostSettlement(mechanism.NewShuttle(), 5) },
			func() mechanism.Party {
				return &mediator.Phased{Talks: mediator.Relay{}, Improver: &mediator.Improver{}}
			}},
		{"arbitration", func() mechanism.Mechanism { return mechanism.NewArbitration() }, func() mechanism.Party { return &mediator.Arbitrator{} }},
	}
	rapid.Check(t, func(rt *rapid.T) {
		pr := protocols[rapid.IntRange(0, len(protocols)-1).Draw(rt, "protocol")]
		parties := []*spy{{t: rt, sp: sp, self: 0}, {t: rt, sp: sp, self: 1}}
		med := &passing{inner: pr.med()}
		log := &eventLog{}
		res, err := sim.Run(context.Background(), &sim.Config{Mechanism: pr.mech(), Space: sp, Profiles: ps,
			Parties: []mechanism.Party{parties[0], parties[1]}, Mediator: med, Confidential: mediator.NeedsConfidential(med),
			Deadline: mechanism.Deadline{Rounds: rapid.IntRange(1, 30).Draw(rt, "rounds")}, Seed: rapid.Uint64().Draw(rt, "seed"),
			Observer: log})
		if err != nil {
			rt.Fatal(err)
		}
		if res.Status == mechanism.Failed && res.Fault.Party != mechanism.MediatorRole {
			rt.Fatalf("%s: a spy party was blamed: %+v", pr.name, res.Fault)
		}
		if (med.setup.Confidential != nil) != mediator.NeedsConfidential(med.inner) {
			rt.Fatalf("%s: mediator got profiles %v, marked %v", pr.name, med.setup.Confidential != nil, mediator.NeedsConfidential(med.inner))
		}
		for i, p := range parties {
			if p.setup.Confidential != nil || p.setup.Profile != ps[i] {
				rt.Fatalf("%s: party %d was given another party's profile", pr.name, i)
			}
			for _, r := range p.seen {
				if r.Answers != nil {
					rt.Fatalf("%s: party %d was shown answers %v", pr.name, i, r.Answers)
				}
				if r.From != mechanism.MediatorRole && r.From != mechanism.Nobody {
					rt.Fatalf("%s: party %d was told an offer came from party %d", pr.name, i, r.From)
				}
				for _, o := range []outcome.Outcome{r.Offer, r.Other} {
					if o != nil && !med.allowed(o) {
						rt.Fatalf("%s: party %d saw %v, which the mediator never passed on (%s request)", pr.name, i, o, r.Kind)
					}
				}
			}
		}
		for _, e := range log.events {
			if e.Party < 0 || e.Kind == "agreement" || e.Kind == "end" || e.Kind == "failure" {
				continue
			}
			if e.To == nil {
				rt.Fatalf("%s: party %d's %q event is shown to everyone", pr.name, e.Party, e.Kind)
			}
			for _, to := range e.To {
				if to != e.Party && to != mechanism.MediatorRole {
					rt.Fatalf("%s: party %d's %q event is shown to party %d", pr.name, e.Party, e.Kind, to)
				}
			}
		}
	})
}

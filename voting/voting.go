// Package voting holds the strategies of parties that vote on a mediator's
// single negotiating text (mechanism.SingleText): the hill-climber and the
// annealer of Klein, Faratin, Sayama & Bar-Yam 2003 ("Negotiating complex
// contracts", Group Decision and Negotiation 12(2)).
//
// A Vote request carries the text (Request.Offer) and the current text, the
// last one all parties accepted (Request.Other, nil before there is one). A
// voter compares the two by its own utility; it never accepts a text that is
// infeasible, crosses one of its red lines or is worth less than its
// reservation value. [Party] gives any negotiating party one of these voters.
package voting

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/strategy"
)

// Voter decides votes on single negotiating texts.
type Voter interface {
	// Start prepares for a negotiation with the party's own setup.
	Start(s *mechanism.Setup) error
	// Vote reports whether to accept text, given the current text (nil if
	// none) and the clock.
	Vote(c *mechanism.Clock, text, current outcome.Outcome) bool
}

// judge holds what every voter needs: the space and the party's own profile.
type judge struct {
	sp *outcome.Space
	p  *preference.Profile
}

func (j *judge) start(s *mechanism.Setup) error {
	if s == nil || s.Space == nil || s.Profile == nil {
		return errors.New("voting: a voter needs the space and its own profile")
	}
	j.sp, j.p = s.Space, s.Profile
	return nil
}

// acceptable returns the utility of o and whether the party could agree to
// it at all (valid, feasible, no red line, reaching the reservation value
// within preference.Tolerance, as Profile.Acceptable and package analysis
// count it).
func (j *judge) acceptable(o outcome.Outcome) (float64, bool) {
	if !j.sp.Valid(o) {
		return math.Inf(-1), false
	}
	u := j.p.Utility(o)
	return u, j.p.Reaches(u) && !j.p.Violates(o) && j.sp.Feasible(o)
}

// gain returns how much text is worth to the party over current (+Inf when
// there is no valid current text) and whether text is acceptable at all.
func (j *judge) gain(text, current outcome.Outcome) (float64, bool) {
	u, ok := j.acceptable(text)
	if !ok {
		return 0, false
	}
	if current == nil || !j.sp.Valid(current) {
		return math.Inf(1), true
	}
	return u - j.p.Utility(current), true
}

// HillClimber accepts a text iff it is acceptable and worth at least as much
// as the current text (Klein et al. 2003's hill-climbing agent: it never
// takes a step down). O(I) per vote; no allocation.
type HillClimber struct{ j judge }

// Start prepares for a negotiation.
func (h *HillClimber) Start(s *mechanism.Setup) error { return h.j.start(s) }

// Vote accepts acceptable texts no worse than the current one.
func (h *HillClimber) Vote(_ *mechanism.Clock, text, current outcome.Outcome) bool {
	d, ok := h.j.gain(text, current)
	return ok && d >= 0
}

// Annealer is the annealing voter of Klein et al. 2003: it accepts every
// acceptable text no worse than the current one, and a worse acceptable one
// with probability exp(Δu/T), where Δu < 0 is the loss against the current
// text and T the temperature at relative time t ∈ [0,1] of the talks:
// T(t) = T0·(T1/T0)^t, an exponential cooling schedule from T0 (default
// 0.1) to T1 (default 0.001), so it explores early and hill-climbs late.
//
// GENIUS's annealing voter does the opposite: its temperature grows as the
// session goes on, so it accepts worse texts more often near the deadline
// (as the issue tracker of this project reports it; we did not re-run
// GENIUS to check). O(I) per vote; no allocation.
type Annealer struct {
	T0, T1 float64

	j      judge
	r      *rand.Rand
	t0, t1 float64
}

// Start prepares for a negotiation; it needs Setup.Rand.
func (a *Annealer) Start(s *mechanism.Setup) error {
	if err := a.j.start(s); err != nil {
		return err
	}
	if s.Rand == nil {
		return errors.New("voting: the annealer needs a random source (Setup.Rand)")
	}
	a.r = s.Rand
	a.t0, a.t1 = a.T0, a.T1
	if a.t0 <= 0 {
		a.t0 = 0.1
	}
	if a.t1 <= 0 || a.t1 > a.t0 {
		a.t1 = min(0.001, a.t0)
	}
	return nil
}

// Temperature returns the temperature at relative time t.
func (a *Annealer) Temperature(t float64) float64 {
	t = min(max(t, 0), 1)
	return a.t0 * math.Pow(a.t1/a.t0, t)
}

// Vote accepts improvements, and losses with probability exp(Δu/T).
func (a *Annealer) Vote(c *mechanism.Clock, text, current outcome.Outcome) bool {
	d, ok := a.j.gain(text, current)
	if !ok {
		return false
	}
	if d >= 0 {
		return true
	}
	return a.r.Float64() < math.Exp(d/a.Temperature(c.T))
}

// Party is a negotiating party whose votes on single texts come from Voter
// and whose other answers come from Inner. With Inner nil it answers Compare
// requests by its own utility (an outcome it could never accept is worse
// than any other) and ends at any other request. A Party is used by one
// negotiation at a time.
type Party struct {
	Inner mechanism.Party
	Voter Voter

	j judge
}

var _ mechanism.Party = (*Party)(nil)

// Init starts Inner and the voter.
func (p *Party) Init(s *mechanism.Setup) error {
	if p.Voter == nil {
		return errors.New("voting: party has no voter")
	}
	if p.Inner != nil {
		if err := p.Inner.Init(s); err != nil {
			return err
		}
	}
	if err := p.j.start(s); err != nil {
		return err
	}
	return p.Voter.Start(s)
}

// Act votes with the voter and answers everything else with Inner.
func (p *Party) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	switch {
	case r.Kind == mechanism.Vote:
		if p.Voter.Vote(c, r.Offer, r.Other) {
			return mechanism.Answer{Kind: mechanism.Accept}
		}
		return mechanism.Answer{Kind: mechanism.Reject}
	case p.Inner != nil:
		return p.Inner.Act(c, r)
	case r.Kind == mechanism.Compare:
		x, y := p.value(r.Offer), p.value(r.Other)
		switch {
		case x > y:
			return mechanism.Answer{Kind: mechanism.Better}
		case x < y:
			return mechanism.Answer{Kind: mechanism.Worse}
		}
		return mechanism.Answer{Kind: mechanism.Same}
	}
	return mechanism.Answer{Kind: mechanism.End}
}

func (p *Party) value(o outcome.Outcome) float64 {
	if !p.j.sp.Valid(o) || p.j.p.Violates(o) || !p.j.sp.Feasible(o) {
		return math.Inf(-1)
	}
	return p.j.p.Utility(o)
}

// Secret decides secret acceptances in the face-saving protocols
// (mechanism.BlindBidding, mechanism.DoubleBlind) from the party's own
// profile, reservation value and the time, with BOA parts (Baarslag et al.
// 2014): it accepts a package iff the package is acceptable (feasible, no
// red line, at or above the reservation value within preference.Tolerance)
// and either its utility reaches the time-dependent target of
// strategy.TimeDependent with exponent E (Faratin, Sierra & Jennings 1998:
// from the party's best acceptable utility at t = 0 down to its worst at
// t = 1; E = 1 linear, E < 1 Boulware, E > 1 Conceder) or this is the final
// round of the deadline (Baarslag, Hindriks & Jonker 2011's AC_time, with
// the final session as its time: the last chance before no deal). The
// current text (Other) plays no part: a secret acceptance is never seen,
// so a party may concede in secret on the schedule it would not follow in
// public. O(I) per vote after an O(log M) set-up; no allocation.
type Secret struct {
	E float64 // concession exponent of the target (0: 1, linear)

	j      judge
	td     strategy.TimeDependent
	empty  bool
	rounds int
}

// Start prepares for a negotiation: it reads the utility range of the
// party's acceptable outcomes.
func (s *Secret) Start(st *mechanism.Setup) error {
	if err := s.j.start(st); err != nil {
		return err
	}
	e := s.E
	if e == 0 {
		e = 1
	}
	offers, err := strategy.OffersFor(st.Space, st.Profile, st.Profile.Reservation-preference.Tolerance)
	if err != nil {
		return fmt.Errorf("voting: secret acceptance: %w", err)
	}
	s.rounds = st.Deadline.Rounds
	s.empty = offers.Empty()
	s.td = strategy.TimeDependent{E: e}
	if s.empty {
		return nil
	}
	return s.td.Start(&strategy.Session{Space: st.Space, Profile: st.Profile, Self: st.Self, NumParties: st.NumParties, Offers: offers, Rand: st.Rand})
}

// Target returns the utility a package must reach at relative time t (in
// rounds before the final one).
func (s *Secret) Target(t float64) float64 { return s.td.Target(t) }

// Vote accepts acceptable packages worth the target, and any acceptable
// package in the final round.
func (s *Secret) Vote(c *mechanism.Clock, text, _ outcome.Outcome) bool {
	u, ok := s.j.acceptable(text)
	if !ok || s.empty {
		return false
	}
	if s.rounds > 0 && c.Round >= s.rounds-1 {
		return true
	}
	return u >= s.td.Target(c.T)-preference.Tolerance
}

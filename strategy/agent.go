// Package strategy holds the negotiation strategies of in-process parties,
// built like GENIUS's BOA framework (Baarslag, Hindriks, Hendrikx, Dirkzwager
// & Jonker 2014, "Decoupling negotiating agents to explore the space of
// negotiation strategies") from three swappable parts: a [Bidding] strategy
// (what to offer), an [Acceptance] condition (what to accept) and an optional
// [OpponentModel] (what the others seem to want). An [Agent] composes them
// into a mechanism.Party.
//
// Every strategy offers only outcomes that are feasible under the space's
// rules, cross none of its own red lines and are worth at least its
// reservation value: the parts draw their offers from [Offers], which holds
// only such outcomes, and the Agent checks every offer again before it leaves.
// A party with no acceptable outcome ends the negotiation. Utilities are the
// profile's undiscounted utilities.
//
// Randomness comes only from mechanism.Setup.Rand: the same seed gives the
// same moves. Once started, an Agent allocates nothing per request on
// enumerable spaces (see the benchmarks).
//
// [New] builds a registered strategy by name; [List] describes them all.
// docs/strategies.md gives each one's rules, parameters and sources.
package strategy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// Session is what the parts of an Agent share during one negotiation: the
// party's own setup, its acceptable outcomes and the opponent model. Parts
// may read it; only the Agent writes it.
type Session struct {
	Space      *outcome.Space
	Profile    *preference.Profile // the party's own
	Self       int
	NumParties int
	Offers     Offers        // acceptable outcomes: feasible, no red line, u ≥ reservation
	Rand       *rand.Rand    // the party's seeded source; never nil
	Model      OpponentModel // nil if the agent has none
}

// Bidding decides what the party offers (BOA's bidding strategy).
type Bidding interface {
	// Start prepares for a new negotiation. s.Offers is not empty.
	Start(s *Session) error
	// Received tells of an offer made by another party, with its utility u
	// to this party (before the party answers it).
	Received(c *mechanism.Clock, o outcome.Outcome, u float64)
	// Next writes the offer the party would make now into dst and returns
	// its utility and true, or false if it has nothing to offer. dst must be
	// one of s.Offers' outcomes. Next may be called without the offer being
	// made (to judge an incoming offer), so it must not assume that.
	Next(c *mechanism.Clock, dst outcome.Outcome) (float64, bool)
	// Sent tells that the party made offer o (the last result of Next).
	Sent(c *mechanism.Clock, o outcome.Outcome, u float64)
}

// Acceptance decides whether to accept an offer (BOA's acceptance condition).
// The Agent asks it only about offers acceptable to the party (feasible, no
// red line, u ≥ reservation value); all others it rejects itself.
type Acceptance interface {
	// Accept reports whether to accept an offer worth u to the party, when
	// its own next offer would be worth next (−Inf if it has none).
	Accept(c *mechanism.Clock, u, next float64) bool
}

// OpponentModel estimates what the other parties want from their offers
// (BOA's opponent model). In multilateral talks one model sees the offers of
// all other parties.
type OpponentModel interface {
	// Start resets the model for a new negotiation over sp.
	Start(sp *outcome.Space) error
	// Update learns from offer o made by another party at relative time t.
	Update(o outcome.Outcome, t float64)
	// Utility estimates the opponent's utility of o in [0, 1].
	Utility(o outcome.Outcome) float64
}

// Voter decides a vote on a mediator's text (single negotiating text).
type Voter interface {
	// Start resets the voter for a new negotiation.
	Start(s *Session)
	// Vote reports whether to accept a text worth u to the party; acceptable
	// says whether the text is feasible, crosses no red line and reaches the
	// reservation value. A voter never accepts an unacceptable text.
	Vote(c *mechanism.Clock, u float64, acceptable bool) bool
}

// HillClimber is the hill-climbing voter (Klein, Faratin, Sayama & Bar-Yam
// 2003, "Negotiating complex contracts"): it accepts a text iff the text is
// acceptable and worth at least as much as the last text it accepted.
type HillClimber struct {
	last float64
}

// Start forgets the texts of any earlier negotiation.
func (h *HillClimber) Start(*Session) { h.last = math.Inf(-1) }

// Vote accepts acceptable texts no worse than the last one accepted.
func (h *HillClimber) Vote(_ *mechanism.Clock, u float64, acceptable bool) bool {
	if !acceptable || u < h.last {
		return false
	}
	h.last = u
	return true
}

// Agent is a negotiating party built from swappable parts. It answers every
// request kind:
//
//   - Propose: the Bidding's next offer, or End if it has none.
//   - Respond: Accept if the standing offer is acceptable to the party and the
//     Acceptance condition agrees; otherwise Reject (the counter-offer it
//     planned is made at the Propose request that follows), or End if it has
//     nothing to offer.
//   - Vote: the Voter's decision (HillClimber if nil).
//   - Compare: Better, Worse or Same by the party's utility; an outcome that
//     is infeasible or crosses a red line is worse than any other.
//   - Relay, Improve (mediator requests, never sent to a party): Reject and
//     End.
//
// Bidding and Acceptance must be set; Model and Voter may be nil. An Agent
// takes part in one negotiation at a time; Init starts a new one.
type Agent struct {
	Name       string
	Bidding    Bidding
	Acceptance Acceptance
	Model      OpponentModel
	Voter      Voter

	s        Session
	voter    Voter
	buf      outcome.Outcome // the offer the party makes, owned
	lens     []int32         // number of values of each issue
	pending  bool            // buf holds an offer planned at Respond
	pendingU float64
	pendingS int  // the clock step of that Respond
	empty    bool // no acceptable outcome: end at the first turn
}

var _ mechanism.Party = (*Agent)(nil)

// Init starts a new negotiation. It returns an error if the setup has no
// space or profile, if the profile does not fit the space, or if a part
// fails to start. A party with no acceptable outcome starts fine and ends
// the negotiation at its first turn.
func (a *Agent) Init(st *mechanism.Setup) error {
	if a.Bidding == nil || a.Acceptance == nil {
		return fmt.Errorf("strategy %q: agent needs a bidding strategy and an acceptance condition", a.Name)
	}
	if st == nil || st.Space == nil || st.Profile == nil {
		return fmt.Errorf("strategy %q: needs a space and the party's own profile", a.Name)
	}
	offers, err := OffersFor(st.Space, st.Profile, st.Profile.Reservation-preference.Tolerance)
	if err != nil {
		return fmt.Errorf("strategy %q: %w", a.Name, err)
	}
	r := st.Rand
	if r == nil {
		return errors.New("strategy " + a.Name + ": setup has no random source (Setup.Rand)")
	}
	a.s = Session{Space: st.Space, Profile: st.Profile, Self: st.Self, NumParties: st.NumParties,
		Offers: offers, Rand: r, Model: a.Model}
	n := st.Space.NumIssues()
	if cap(a.buf) < n {
		a.buf = make(outcome.Outcome, n)
	}
	a.buf = a.buf[:n]
	a.lens = a.lens[:0]
	for i := range st.Space.Issues {
		a.lens = append(a.lens, int32(st.Space.Issues[i].Len()))
	}
	a.pending = false
	a.empty = offers.Empty()
	if a.Model != nil {
		if err := a.Model.Start(st.Space); err != nil {
			return fmt.Errorf("strategy %q: opponent model: %w", a.Name, err)
		}
	}
	a.voter = a.Voter
	if a.voter == nil {
		a.voter = &HillClimber{}
	}
	a.voter.Start(&a.s)
	if a.empty {
		return nil
	}
	if err := a.Bidding.Start(&a.s); err != nil {
		return fmt.Errorf("strategy %q: %w", a.Name, err)
	}
	return nil
}

// Session returns the agent's current session (valid after Init).
func (a *Agent) Session() *Session { return &a.s }

// acceptable reports whether o is feasible, crosses no red line of the party
// and reaches its reservation value, and returns its utility.
func (a *Agent) acceptable(o outcome.Outcome) (float64, bool) {
	p := a.s.Profile
	if !a.valid(o) {
		return math.Inf(-1), false
	}
	u := p.Utility(o)
	return u, p.Reaches(u) && !p.Violates(o) && a.s.Space.Feasible(o)
}

// Act answers a request.
func (a *Agent) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	switch r.Kind {
	case mechanism.Propose:
		return a.propose(c)
	case mechanism.Respond:
		return a.respond(c, r)
	case mechanism.Vote:
		u, ok := a.acceptable(r.Offer)
		if a.voter.Vote(c, u, ok) && ok {
			return mechanism.Answer{Kind: mechanism.Accept}
		}
		return mechanism.Answer{Kind: mechanism.Reject}
	case mechanism.Compare:
		x, y := a.value(r.Offer), a.value(r.Other)
		switch {
		case x > y:
			return mechanism.Answer{Kind: mechanism.Better}
		case x < y:
			return mechanism.Answer{Kind: mechanism.Worse}
		}
		return mechanism.Answer{Kind: mechanism.Same}
	case mechanism.Relay:
		return mechanism.Answer{Kind: mechanism.Reject}
	}
	return mechanism.Answer{Kind: mechanism.End}
}

// valid reports whether o has one in-range value per issue (as
// outcome.Space.Valid, from a compact table).
func (a *Agent) valid(o outcome.Outcome) bool {
	if len(o) != len(a.lens) {
		return false
	}
	for i, v := range o {
		if uint32(v) >= uint32(a.lens[i]) {
			return false
		}
	}
	return true
}

// value is the utility of o, or −Inf if o is invalid, infeasible or crosses a
// red line.
func (a *Agent) value(o outcome.Outcome) float64 {
	if !a.valid(o) || a.s.Profile.Violates(o) || !a.s.Space.Feasible(o) {
		return math.Inf(-1)
	}
	return a.s.Profile.Utility(o)
}

func (a *Agent) propose(c *mechanism.Clock) mechanism.Answer {
	if a.empty {
		return mechanism.Answer{Kind: mechanism.End}
	}
	// The offer planned while answering the previous request is made if this
	// request follows it directly (SAO: reject, then propose); otherwise the
	// clock has moved on and the offer is planned afresh.
	u, ok := a.pendingU, a.pending && c.Step == a.pendingS+1
	a.pending = false
	if !ok {
		u, ok = a.Bidding.Next(c, a.buf)
		if !ok {
			return mechanism.Answer{Kind: mechanism.End}
		}
	}
	// The parts promise acceptable offers; the agent makes sure, so that no
	// part can make the party break a red line, a rule or its reservation.
	if _, acc := a.acceptable(a.buf); !acc {
		return mechanism.Answer{Kind: mechanism.End}
	}
	a.Bidding.Sent(c, a.buf, u)
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: a.buf}
}

func (a *Agent) respond(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if a.empty {
		return mechanism.Answer{Kind: mechanism.End}
	}
	u, ok := a.acceptable(r.Offer)
	if u == math.Inf(-1) { // not even a valid outcome: nothing to learn from it
		a.pending = false
		return mechanism.Answer{Kind: mechanism.Reject}
	}
	if a.Model != nil {
		a.Model.Update(r.Offer, c.T)
	}
	a.Bidding.Received(c, r.Offer, u)
	next, has := a.Bidding.Next(c, a.buf)
	a.pending, a.pendingU, a.pendingS = has, next, c.Step
	if !has {
		next = math.Inf(-1)
	}
	if ok && a.Acceptance.Accept(c, u, next) {
		a.pending = false
		return mechanism.Answer{Kind: mechanism.Accept}
	}
	if !has {
		return mechanism.Answer{Kind: mechanism.End}
	}
	return mechanism.Answer{Kind: mechanism.Reject}
}

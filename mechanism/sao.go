package mechanism

import (
	"fmt"

	"github.com/backchannel/backchannel/outcome"
)

// SAO is the stacked alternating offers protocol (Aydoğan, Festen, Hindriks &
// Jonker 2017, "Alternating offers protocols for multilateral negotiation"),
// bilateral or multilateral.
//
// Parties take turns in index order. On its turn a party is asked to Respond
// to the standing offer: it accepts, ends the negotiation, or rejects — and a
// rejection is followed by a Propose request to the same party, whose offer
// becomes the new standing offer. Party 0 opens with a Propose. Agreement is
// reached when every party other than the one who made the standing offer has
// accepted it in turn. A round is n turns; the deadline counts rounds.
// Every offer and every answer is public: SAO has no information barrier.
//
// SAO allocates nothing per turn once started (with a nil Observer).
type SAO struct {
	core
	standing outcome.Outcome // current offer (owned)
	proposer int             // who made the standing offer
	accepts  int             // acceptances of the standing offer so far
}

// NewSAO returns a stacked-alternating-offers mechanism.
func NewSAO() *SAO { return &SAO{} }

// Name returns "sao".
func (m *SAO) Name() string { return "sao" }

// Start begins a negotiation among n ≥ 2 parties.
func (m *SAO) Start(sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if err := m.start(m.Name(), sp, n, dl, obs); err != nil {
		return err
	}
	m.standing = resize(m.standing, sp.NumIssues())
	m.proposer, m.accepts = -1, 0
	m.req = Request{Party: 0, Kind: Propose, From: Nobody}
	return nil
}

// advance moves to the next party's turn, ending at the round deadline. The
// closing event of the deadline carries Round = Deadline.Rounds (the round
// that did not begin).
func (m *SAO) advance(next int) {
	if m.nextTurn() {
		m.finish(NoAgreement, "deadline (rounds)", Nobody, nil)
		return
	}
	m.req = Request{Party: next, Kind: Respond, Offer: m.standing, From: m.proposer}
}

// Apply takes the pending party's answer.
func (m *SAO) Apply(a Answer) error {
	p, ok := m.step()
	if !ok {
		return ErrOutOfTurn
	}
	switch m.req.Kind {
	case Propose:
		switch a.Kind {
		case Offer:
			if !m.offerOK(p, a.Outcome) {
				return nil
			}
			copy(m.standing, a.Outcome)
			m.proposer, m.accepts = p, 0
			m.emit(p, "offer", m.standing, "", nil)
			m.advance((p + 1) % m.n)
		case End:
			m.finish(NoAgreement, "ended by party", p, nil)
		default:
			m.refuse(p, a.Kind, "a propose request")
		}
	case Respond:
		switch a.Kind {
		case Accept:
			m.accepts++
			m.emit(p, "accept", nil, "", nil)
			if m.accepts == m.n-1 {
				m.finish(Agreement, "accepted by all", Nobody, m.standing)
				return nil
			}
			m.advance((p + 1) % m.n)
		case Reject:
			m.emit(p, "reject", nil, "", nil)
			m.req = Request{Party: p, Kind: Propose, From: Nobody}
		case Offer:
			// A counter-offer without an explicit reject is a reject plus an offer.
			m.req = Request{Party: p, Kind: Propose, From: Nobody}
			m.clock.Step--
			return m.Apply(a)
		case End:
			m.finish(NoAgreement, "ended by party", p, nil)
		default:
			m.refuse(p, a.Kind, "a respond request")
		}
	default:
		return fmt.Errorf("sao: unexpected pending request %s", m.req.Kind)
	}
	return nil
}

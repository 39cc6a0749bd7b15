package mechanism

import (
	"errors"
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
	space    *outcome.Space
	n        int
	dl       Deadline
	obs      Observer
	clock    Clock
	req      Request
	standing outcome.Outcome // current offer (owned)
	proposer int             // who made the standing offer
	accepts  int             // acceptances of the standing offer so far
	turn     int             // turns begun
	res      Result
	done     bool
	ev       Event
	to       []int
}

// NewSAO returns a stacked-alternating-offers mechanism.
func NewSAO() *SAO { return &SAO{} }

// Name returns "sao".
func (m *SAO) Name() string { return "sao" }

// ErrOutOfTurn is returned by Apply when it is called after the negotiation ended.
var ErrOutOfTurn = errors.New("mechanism: answer after the negotiation ended")

// Start begins a negotiation among n ≥ 2 parties.
func (m *SAO) Start(sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if n < 2 {
		return fmt.Errorf("sao: needs at least 2 parties, got %d", n)
	}
	if dl.Rounds <= 0 && dl.Time <= 0 {
		return errors.New("sao: a deadline in rounds or time is required")
	}
	m.space, m.n, m.dl, m.obs = sp, n, dl, obs
	m.clock = Clock{}
	if cap(m.standing) < sp.NumIssues() {
		m.standing = make(outcome.Outcome, sp.NumIssues())
	}
	m.standing = m.standing[:sp.NumIssues()]
	m.proposer, m.accepts, m.turn = -1, 0, 0
	m.res = Result{}
	m.done = false
	m.req = Request{Party: 0, Kind: Propose, From: Nobody}
	return nil
}

// Next returns the pending request.
func (m *SAO) Next() *Request { return &m.req }

// Clock returns the negotiation clock.
func (m *SAO) Clock() *Clock { return &m.clock }

// Done reports whether the negotiation has ended.
func (m *SAO) Done() bool { return m.done }

// Result returns how the negotiation ended.
func (m *SAO) Result() Result { return m.res }

func (m *SAO) finish(st Status, reason string, party int) {
	m.done = true
	m.res.Status = st
	m.res.Reason = reason
	m.res.Rounds = m.turn/m.n + 1
	if m.dl.Rounds > 0 {
		m.res.Rounds = min(m.res.Rounds, m.dl.Rounds)
	}
	m.res.Steps = m.clock.Step
	m.res.Time = m.clock.T
	if st == Agreement {
		m.res.Agreement = m.standing.Clone()
	}
	if st == Failed {
		m.res.Fault = &Fault{Party: party, Reason: reason}
	}
	if m.obs != nil {
		kind := "end"
		switch st {
		case Agreement:
			kind = "agreement"
		case Failed:
			kind = "failure"
		}
		m.emit(party, kind, m.res.Agreement, reason)
	}
}

// Fail ends the negotiation with a fault of the party asked.
func (m *SAO) Fail(reason string) {
	if !m.done {
		m.finish(Failed, reason, m.req.Party)
	}
}

// Expire ends the negotiation at the time deadline.
func (m *SAO) Expire() {
	if !m.done {
		m.finish(NoAgreement, "deadline (time)", Nobody)
	}
}

func (m *SAO) emit(party int, kind string, o outcome.Outcome, note string) {
	m.ev = Event{Step: m.clock.Step, Round: m.clock.Round, T: m.clock.T, Party: party, Kind: kind, Outcome: o, Note: note}
	m.obs.Observe(&m.ev)
}

// advance moves to the next party's turn, ending at the round deadline.
func (m *SAO) advance(next int) {
	m.turn++
	m.clock.Round = m.turn / m.n
	if m.dl.Rounds > 0 {
		m.clock.T = max(m.clock.T, float64(m.turn)/float64(m.n*m.dl.Rounds))
		if m.turn >= m.n*m.dl.Rounds {
			m.finish(NoAgreement, "deadline (rounds)", Nobody)
			return
		}
	}
	m.req = Request{Party: next, Kind: Respond, Offer: m.standing, From: m.proposer}
}

// Apply takes the pending party's answer.
func (m *SAO) Apply(a Answer) error {
	if m.done {
		return ErrOutOfTurn
	}
	p := m.req.Party
	m.clock.Step++
	switch m.req.Kind {
	case Propose:
		switch a.Kind {
		case Offer:
			if !m.space.Valid(a.Outcome) {
				m.finish(Failed, "offered an outcome that is not in the space", p)
				return nil
			}
			if !m.space.Feasible(a.Outcome) {
				m.finish(Failed, "offered an infeasible outcome (breaks a rule of the scenario)", p)
				return nil
			}
			copy(m.standing, a.Outcome)
			m.proposer, m.accepts = p, 0
			if m.obs != nil {
				m.emit(p, "offer", m.standing, "")
			}
			m.advance((p + 1) % m.n)
		case End:
			m.finish(NoAgreement, "ended by party", p)
		default:
			m.finish(Failed, fmt.Sprintf("answered %s to a propose request", a.Kind), p)
		}
	case Respond:
		switch a.Kind {
		case Accept:
			m.accepts++
			if m.obs != nil {
				m.emit(p, "accept", nil, "")
			}
			if m.accepts == m.n-1 {
				m.finish(Agreement, "accepted by all", Nobody)
				return nil
			}
			m.advance((p + 1) % m.n)
		case Reject:
			if m.obs != nil {
				m.emit(p, "reject", nil, "")
			}
			m.req = Request{Party: p, Kind: Propose, From: Nobody}
		case Offer:
			// A counter-offer without an explicit reject is a reject plus an offer.
			m.req = Request{Party: p, Kind: Propose, From: Nobody}
			m.clock.Step--
			return m.Apply(a)
		case End:
			m.finish(NoAgreement, "ended by party", p)
		default:
			m.finish(Failed, fmt.Sprintf("answered %s to a respond request", a.Kind), p)
		}
	default:
		return fmt.Errorf("sao: unexpected pending request %s", m.req.Kind)
	}
	return nil
}

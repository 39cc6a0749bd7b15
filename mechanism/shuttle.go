package mechanism

import "github.com/backchannel/backchannel/outcome"

// Shuttle is shuttle (proximity) talks: the parties sit in separate rooms and
// every offer goes to the mediator, who decides what the others hear
// (Kissinger's shuttle diplomacy; the Oman-mediated Iran–US rounds of 2025;
// the Vienna proximity talks of 2021–22).
//
// The turn structure is that of stacked alternating offers (see SAO), with
// the mediator between the rooms. On its turn a party is asked to Respond to
// the standing offer (if there is one) or to Propose. Its offer never reaches
// another party directly: the mediator is asked to Relay it (Request.Offer,
// Request.From = the proposer) and answers
//   - Accept: pass it on as is; it becomes the standing offer of its proposer;
//   - Offer: pass on its own package instead (a reformulation or a bridging
//     proposal); it becomes the standing offer of the mediator;
//   - Reject: hold it; the next party is asked to Propose, with nothing on
//     the table;
//   - End: end the talks without agreement.
//
// Every offer a party sees comes From MediatorRole, whoever made it. An
// offer of a party is agreed when every other party has accepted it in turn;
// a package of the mediator, when every party has. A Relay request also
// carries the parties' answers so far to the standing offer (Answers; zero
// for those not yet asked). No party sees another party's offer, answer or
// identity unless the mediator passed the offer on.
//
// With a mediator that relays everything as is, the parties receive exactly
// the requests they would receive under SAO, on the same clock (Round and T;
// Step also counts the mediator's moves), so the same strategies and seeds
// reach the same outcome in the same round. Cost per turn: O(I) for I
// issues; no allocation once started with a nil Observer.
type Shuttle struct {
	core
	standing outcome.Outcome // the offer on the table (owned)
	pending  outcome.Outcome // a party's offer awaiting the mediator (owned)
	has      bool            // standing holds an offer
	proposer int             // who made the standing offer (MediatorRole for a package)
	accepts  int
}

// NewShuttle returns a shuttle-talks mechanism.
func NewShuttle() *Shuttle { return &Shuttle{} }

// Name returns "shuttle".
func (m *Shuttle) Name() string { return "shuttle" }

// Start begins a negotiation among n ≥ 2 parties and a mediator.
func (m *Shuttle) Start(sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if err := m.startMediated(m.Name(), sp, n, dl, obs); err != nil {
		return err
	}
	k := sp.NumIssues()
	m.standing = resize(m.standing, k)
	m.pending = resize(m.pending, k)
	m.has, m.proposer, m.accepts = false, Nobody, 0
	m.req = Request{Party: 0, Kind: Propose, From: Nobody}
	return nil
}

// advance moves to the next party's turn, ending at the round deadline (as
// SAO, but the closing event carries the last round that began).
func (m *Shuttle) advance(next int) {
	if m.nextTurn() {
		m.clock.Round = m.dl.Rounds - 1
		m.finish(NoAgreement, "deadline (rounds)", Nobody, nil)
		return
	}
	if m.has {
		m.req = Request{Party: next, Kind: Respond, Offer: m.standing, From: MediatorRole}
	} else {
		m.req = Request{Party: next, Kind: Propose, From: Nobody}
	}
}

// table puts an offer of proposer (MediatorRole for a package) on the table,
// or clears the table if has is false, and clears the answers to the last.
func (m *Shuttle) table(has bool, proposer int) {
	m.has, m.proposer, m.accepts = has, proposer, 0
	clear(m.answers)
}

// Apply takes the pending answer.
func (m *Shuttle) Apply(a Answer) error {
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
			copy(m.pending, a.Outcome)
			m.emit(p, "offer", m.pending, "to the mediator", m.toParty[p])
			m.req = Request{Party: MediatorRole, Kind: Relay, Offer: m.pending, From: p, Answers: m.answers}
		case End:
			m.finish(NoAgreement, "ended by party", p, nil)
		default:
			m.refuse(p, a.Kind, "a propose request")
		}
	case Relay:
		from := m.req.From
		switch a.Kind {
		case Accept:
			copy(m.standing, m.pending)
			m.table(true, from)
			m.emit(p, "relay", m.standing, "", nil)
			m.advance((from + 1) % m.n)
		case Offer:
			if !m.offerOK(p, a.Outcome) {
				return nil
			}
			copy(m.standing, a.Outcome)
			m.table(true, MediatorRole)
			m.emit(p, "package", m.standing, "", nil)
			m.advance((from + 1) % m.n)
		case Reject:
			m.table(false, Nobody)
			m.emit(p, "hold", m.pending, "", m.toMed)
			m.advance((from + 1) % m.n)
		case End:
			m.finish(NoAgreement, "ended by the mediator", p, nil)
		default:
			m.refuse(p, a.Kind, "a relay request")
		}
	case Respond:
		switch a.Kind {
		case Accept:
			m.accepts++
			m.answers[p] = Accept
			m.emit(p, "accept", nil, "", m.toParty[p])
			need := m.n - 1
			if m.proposer == MediatorRole {
				need = m.n
			}
			if m.accepts == need {
				m.finish(Agreement, "accepted by all", Nobody, m.standing)
				return nil
			}
			m.advance((p + 1) % m.n)
		case Reject:
			m.answers[p] = Reject
			m.emit(p, "reject", nil, "", m.toParty[p])
			m.req = Request{Party: p, Kind: Propose, From: Nobody}
		case Offer:
			// A counter-offer without an explicit reject is a reject plus an offer.
			m.answers[p] = Reject
			m.req = Request{Party: p, Kind: Propose, From: Nobody}
			m.clock.Step--
			return m.Apply(a)
		case End:
			m.finish(NoAgreement, "ended by party", p, nil)
		default:
			m.refuse(p, a.Kind, "a respond request")
		}
	default:
		return m.unexpected()
	}
	return nil
}

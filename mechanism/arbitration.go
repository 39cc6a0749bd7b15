package mechanism

import "github.com/backchannel/backchannel/outcome"

// Arbitration is the reference protocol of a trusted arbitrator: the
// mediator, which should hold every party's profile (Setup.Confidential),
// is asked once to Propose an award; every party is then asked to Vote on it
// (ratification), and the award is the agreement if all accept. An
// arbitrator that answers End makes no award: no agreement.
//
// It measures what indirect talks could reach at best when the mediator
// knows everything (e.g. the Nash point), not how talks run. It takes one
// round; the deadline must allow at least one. Parties see only the award.
type Arbitration struct {
	core
	award outcome.Outcome
	yes   int
}

// NewArbitration returns an arbitration mechanism.
func NewArbitration() *Arbitration { return &Arbitration{} }

// Name returns "arbitration".
func (m *Arbitration) Name() string { return "arbitration" }

// Start begins a negotiation among n ≥ 2 parties and an arbitrator.
func (m *Arbitration) Start(sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if err := m.startMediated(m.Name(), sp, n, dl, obs); err != nil {
		return err
	}
	m.award = resize(m.award, sp.NumIssues())
	m.req = Request{Party: MediatorRole, Kind: Propose, From: Nobody}
	return nil
}

// Apply takes the pending answer.
func (m *Arbitration) Apply(a Answer) error {
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
			copy(m.award, a.Outcome)
			m.emit(p, "award", m.award, "", nil)
			m.yes = 0
			m.req = Request{Party: 0, Kind: Vote, Offer: m.award, From: MediatorRole}
		case End:
			m.finish(NoAgreement, "the arbitrator made no award", p, nil)
		default:
			m.refuse(p, a.Kind, "a propose request")
		}
	case Vote:
		switch a.Kind {
		case Accept, Reject:
			if !m.tally(p, a.Kind, &m.yes) {
				m.req = Request{Party: p + 1, Kind: Vote, Offer: m.award, From: MediatorRole}
				return nil
			}
			m.clock.T = 1
			if m.yes == m.n {
				m.finish(Agreement, "award ratified by all", Nobody, m.award)
			} else {
				m.finish(NoAgreement, "award not ratified", Nobody, nil)
			}
		case End:
			m.finish(NoAgreement, "ended by party", p, nil)
		default:
			m.refuse(p, a.Kind, "a vote request")
		}
	default:
		return m.unexpected()
	}
	return nil
}

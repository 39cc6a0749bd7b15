package mechanism

import (
	"errors"
	"fmt"

	"github.com/backchannel/backchannel/outcome"
)

// DefaultImprovements is the number of improvement proposals PostSettlement
// allows when its Rounds field is zero.
const DefaultImprovements = 20

// PostSettlement runs any mechanism (Inner) and, if it ends with an
// agreement, adds Raiffa's post-settlement settlement phase (Raiffa 1985,
// "Post-settlement settlements", Negotiation Journal 1(1)): a mediator with
// confidential access to the profiles proposes Pareto improvements of the
// agreement, and each party accepts one only if it gains.
//
// In the second phase the mediator is asked to Improve the agreement
// (Request.Offer; Answers: the parties' answers to its last proposal) and
// answers Offer (a proposal) or End. Every party is asked to Compare the
// proposal (Offer) with the agreement (Other), From MediatorRole; the
// proposal replaces the agreement iff every party answers Better (strictly
// gains). The phase ends when the mediator answers End, after Rounds
// proposals (DefaultImprovements if 0), or at the time deadline; the
// agreement in force then is the result. A party that answers End leaves the
// agreement in force. Without an agreement from Inner the result is Inner's.
//
// The mediator is the same party in both phases (sim.Config.Mediator); use
// mediator.Phased to give a different strategy each phase and confidential
// profiles only to the improver. Rounds in the result count Inner's rounds
// plus the proposals of the second phase.
type PostSettlement struct {
	Inner  Mechanism
	Rounds int

	core
	phase2    bool
	agreement outcome.Outcome // the agreement in force (owned)
	proposal  outcome.Outcome // the improvement being compared (owned)
	inner     Result
	better    int
	proposals int
	improved  int
	tmax      float64
}

// NewPostSettlement returns inner followed by a post-settlement phase of at
// most rounds proposals (0: DefaultImprovements).
func NewPostSettlement(inner Mechanism, rounds int) *PostSettlement {
	return &PostSettlement{Inner: inner, Rounds: rounds}
}

// Name returns Inner's name followed by "+post-settlement".
func (m *PostSettlement) Name() string {
	if m.Inner == nil {
		return "post-settlement"
	}
	return m.Inner.Name() + "+post-settlement"
}

// Start begins the first phase.
func (m *PostSettlement) Start(sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if m.Inner == nil {
		return errors.New("post-settlement: no inner mechanism to run first")
	}
	if m.Rounds < 0 {
		return fmt.Errorf("post-settlement: %d improvement rounds is negative", m.Rounds)
	}
	if err := m.startMediated(m.Name(), sp, n, dl, obs); err != nil {
		return err
	}
	if err := m.Inner.Start(sp, n, dl, obs); err != nil {
		return err
	}
	k := sp.NumIssues()
	m.agreement = resize(m.agreement, k)
	m.proposal = resize(m.proposal, k)
	m.phase2, m.proposals, m.improved = false, 0, 0
	m.sync()
	return nil
}

// sync copies the inner clock and, once the inner negotiation is over,
// starts the second phase or adopts the inner result.
func (m *PostSettlement) sync() {
	if m.phase2 || m.done {
		return
	}
	c := m.Inner.Clock()
	m.clock = *c
	if !m.Inner.Done() {
		return
	}
	m.inner = m.Inner.Result()
	if m.inner.Status != Agreement {
		m.done = true
		m.res = m.inner
		return
	}
	m.phase2 = true
	copy(m.agreement, m.inner.Agreement)
	m.tmax = m.clock.T
	clear(m.answers)
	m.req = Request{Party: MediatorRole, Kind: Improve, Offer: m.agreement, From: Nobody}
}

func (m *PostSettlement) settle(reason string) {
	m.finish(Agreement, reason, Nobody, m.agreement)
	m.res.Rounds = m.inner.Rounds + m.proposals
	m.res.Reason = fmt.Sprintf("%s; post-settlement: %s (%d of %d proposals adopted)", m.inner.Reason, reason, m.improved, m.proposals)
}

// Next returns the pending request.
func (m *PostSettlement) Next() *Request {
	if !m.phase2 {
		return m.Inner.Next()
	}
	return &m.req
}

// Fail ends the negotiation with a fault of the party asked.
func (m *PostSettlement) Fail(reason string) {
	if m.done {
		return
	}
	if !m.phase2 {
		m.Inner.Fail(reason)
		m.sync()
		return
	}
	m.core.Fail(reason)
	m.res.Rounds = m.inner.Rounds + m.proposals
}

// Expire ends the negotiation at the time deadline; in the second phase the
// agreement in force stands.
func (m *PostSettlement) Expire() {
	if m.done {
		return
	}
	if !m.phase2 {
		m.Inner.Expire()
		m.sync()
		return
	}
	m.settle("deadline (time)")
}

// Apply takes the pending answer.
func (m *PostSettlement) Apply(a Answer) error {
	if !m.phase2 && !m.done {
		ic := m.Inner.Clock()
		ic.T = max(ic.T, m.clock.T)
		err := m.Inner.Apply(a)
		m.sync()
		return err
	}
	p, ok := m.step()
	if !ok {
		return ErrOutOfTurn
	}
	switch m.req.Kind {
	case Improve:
		switch a.Kind {
		case Offer:
			if !m.offerOK(p, a.Outcome) {
				m.res.Rounds = m.inner.Rounds + m.proposals
				return nil
			}
			copy(m.proposal, a.Outcome)
			m.proposals++
			m.better = 0
			m.emit(p, "improvement", m.proposal, "", nil)
			m.req = Request{Party: 0, Kind: Compare, Offer: m.proposal, Other: m.agreement, From: MediatorRole}
		case End:
			m.settle("ended by the mediator")
		default:
			m.refuse(p, a.Kind, "an improve request")
			m.res.Rounds = m.inner.Rounds + m.proposals
		}
	case Compare:
		switch a.Kind {
		case Better, Worse, Same:
			if a.Kind == Better {
				m.better++
			}
			if !m.ballot(p, a.Kind) {
				m.req = Request{Party: p + 1, Kind: Compare, Offer: m.proposal, Other: m.agreement, From: MediatorRole}
				return nil
			}
			if m.better == m.n {
				copy(m.agreement, m.proposal)
				m.improved++
				m.emit(MediatorRole, "improved", m.agreement, "", nil)
			}
			limit := m.Rounds
			if limit == 0 {
				limit = DefaultImprovements
			}
			m.clock.Round++
			m.clock.T = min(1, m.tmax+float64(m.proposals)/float64(limit)*(1-m.tmax))
			if m.proposals >= limit {
				m.settle("improvement rounds used up")
				return nil
			}
			m.req = Request{Party: MediatorRole, Kind: Improve, Offer: m.agreement, From: Nobody, Answers: m.answers}
		case End:
			m.settle(fmt.Sprintf("party %d left", p))
		default:
			m.refuse(p, a.Kind, "a compare request (want better, worse or same)")
			m.res.Rounds = m.inner.Rounds + m.proposals
		}
	default:
		return m.unexpected()
	}
	return nil
}

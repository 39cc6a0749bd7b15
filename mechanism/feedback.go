package mechanism

import "github.com/backchannel/backchannel/outcome"

// Feedback is mediated negotiation with feedback (Aydoğan, Hindriks & Jonker
// 2014, "Multilateral mediated negotiation protocols with feedback", in
// Novel Insights in Agent-based Complex Automated Negotiation, Springer): the
// parties never make offers; they only tell the mediator whether its new
// text is better, worse or the same for them than its previous one, and the
// mediator learns a partial preference order per party from those answers.
//
// Each round the mediator is asked to Propose (Offer: its previous text;
// Answers: the parties' answers to it, nil before there are any) and
// answers
//   - Offer: a new text. Every party is asked to Compare it (Request.Offer)
//     with the previous text (Request.Other) and answers Better, Worse or
//     Same. The first text is compared with nothing: no party is asked.
//   - Accept: put its previous text to a final vote. Every party is asked to
//     Vote on it; if all accept it is the agreement, otherwise the talks go
//     on and the mediator's next request carries the votes (Accept/Reject)
//     in Answers.
//   - End: end the talks without agreement.
//
// The round deadline ends the talks without agreement. A party answering
// End walks away. No party sees another party's answers; Compare and Vote
// requests come From MediatorRole. Cost per round: O(n·I); no allocation
// once started with a nil Observer.
type Feedback struct {
	core
	text   outcome.Outcome // the mediator's previous text (owned)
	next   outcome.Outcome // the text being compared (owned)
	has    bool            // text holds a text
	voting bool            // the pending party requests are a final vote
	yes    int
	told   bool // answers hold the parties' answers to the last text
}

// NewFeedback returns a feedback-mediation mechanism.
func NewFeedback() *Feedback { return &Feedback{} }

// Name returns "feedback".
func (m *Feedback) Name() string { return "feedback" }

// Start begins a negotiation among n ≥ 2 parties and a mediator.
func (m *Feedback) Start(sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if err := m.startMediated(m.Name(), sp, n, dl, obs); err != nil {
		return err
	}
	k := sp.NumIssues()
	m.text = resize(m.text, k)
	m.next = resize(m.next, k)
	m.has, m.voting, m.told = false, false, false
	m.askMediator()
	return nil
}

func (m *Feedback) askMediator() {
	m.req = Request{Party: MediatorRole, Kind: Propose, From: Nobody}
	if m.has {
		m.req.Offer = m.text
	}
	if m.told {
		m.req.Answers = m.answers
	}
}

func (m *Feedback) askParty(i int) {
	if m.voting {
		m.req = Request{Party: i, Kind: Vote, Offer: m.text, From: MediatorRole}
	} else {
		m.req = Request{Party: i, Kind: Compare, Offer: m.next, Other: m.text, From: MediatorRole}
	}
}

// endRound closes the round and asks the mediator again, unless the
// deadline has passed.
func (m *Feedback) endRound() {
	if m.nextRound(m.clock.Round+1, nil) {
		m.askMediator()
	}
}

// Apply takes the pending answer.
func (m *Feedback) Apply(a Answer) error {
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
			m.emit(p, "text", a.Outcome, "", nil)
			if !m.has {
				copy(m.text, a.Outcome)
				m.has, m.told = true, false
				m.endRound()
				return nil
			}
			copy(m.next, a.Outcome)
			m.voting = false
			m.askParty(0)
		case Accept:
			if !m.has {
				m.finish(Failed, "called a vote before proposing any text", p, nil)
				return nil
			}
			m.emit(p, "call vote", m.text, "", nil)
			m.voting, m.yes = true, 0
			m.askParty(0)
		case End:
			m.finish(NoAgreement, "ended by the mediator", p, nil)
		default:
			m.refuse(p, a.Kind, "a propose request")
		}
	case Compare:
		switch a.Kind {
		case Better, Worse, Same:
			if !m.ballot(p, a.Kind) {
				m.askParty(p + 1)
				return nil
			}
			copy(m.text, m.next)
			m.told = true
			m.endRound()
		case End:
			m.finish(NoAgreement, "ended by party", p, nil)
		default:
			m.refuse(p, a.Kind, "a compare request (want better, worse or same)")
		}
	case Vote:
		switch a.Kind {
		case Accept, Reject:
			if !m.tally(p, a.Kind, &m.yes) {
				m.askParty(p + 1)
				return nil
			}
			if m.yes == m.n {
				m.finish(Agreement, "text accepted by all in the final vote", Nobody, m.text)
				return nil
			}
			m.told = true
			m.endRound()
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

package mechanism

import "github.com/backchannel/backchannel/outcome"

// SingleText is the single negotiating text procedure with votes (Raiffa
// 1982, "The Art and Science of Negotiation", ch. 14, the Camp David
// procedure; the protocol of GENIUS's mediator-based negotiation with its
// SimpleMediator; Klein, Faratin, Sayama & Bar-Yam 2003, "Negotiating
// complex contracts").
//
// Each round the mediator is asked to Propose a complete text; every party
// in turn is asked to Vote on it (Accept or Reject). A text all parties
// accept becomes the current text. The negotiation ends with the current
// text as agreement when the mediator answers End or the round deadline
// passes; without a current text it ends with no agreement. A party that
// answers End walks away: no agreement.
//
// What each side sees (the information barrier):
//   - A party's Vote request holds the text (Offer, From = MediatorRole) and
//     the current text (Other; nil before the first text all accepted). The
//     current text is the public draft of the procedure; no party is told
//     another party's vote.
//   - The mediator's Propose request holds the last text it proposed
//     (Offer), the current text (Other) and every party's vote on the last
//     text (Answers). Answer End to stop.
//
// A round is one text; Deadline.Rounds bounds the number of texts. Cost per
// text: O(n·I) for n parties and I issues (validity and rule checks); no
// allocation once started with a nil Observer.
type SingleText struct {
	core
	text     outcome.Outcome // the text being voted on (owned)
	current  outcome.Outcome // the last text all accepted (owned)
	has      bool            // current holds a text
	proposed bool            // text holds a proposal
	accepts  int
}

// NewSingleText returns a single-negotiating-text mechanism.
func NewSingleText() *SingleText { return &SingleText{} }

// Name returns "single-text".
func (m *SingleText) Name() string { return "single-text" }

// Start begins a negotiation among n ≥ 2 parties and a mediator.
func (m *SingleText) Start(sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if err := m.startMediated(m.Name(), sp, n, dl, obs); err != nil {
		return err
	}
	k := sp.NumIssues()
	m.text = resize(m.text, k)
	m.current = resize(m.current, k)
	m.has, m.proposed = false, false
	m.askMediator()
	return nil
}

func (m *SingleText) askMediator() {
	m.req = Request{Party: MediatorRole, Kind: Propose, From: Nobody}
	if m.proposed {
		m.req.Offer = m.text
		m.req.Answers = m.answers
	}
	if m.has {
		m.req.Other = m.current
	}
}

func (m *SingleText) askParty(i int) {
	m.req = Request{Party: i, Kind: Vote, Offer: m.text, From: MediatorRole}
	if m.has {
		m.req.Other = m.current
	}
}

func (m *SingleText) agreement() outcome.Outcome {
	if m.has {
		return m.current
	}
	return nil
}

// Apply takes the pending answer.
func (m *SingleText) Apply(a Answer) error {
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
			copy(m.text, a.Outcome)
			m.proposed = true
			m.accepts = 0
			m.emit(p, "text", m.text, "", nil)
			m.askParty(0)
		case End:
			if m.has {
				m.finish(Agreement, "ended by the mediator: the last text all accepted stands", p, m.current)
			} else {
				m.finish(NoAgreement, "ended by the mediator before any text was accepted by all", p, nil)
			}
		default:
			m.refuse(p, a.Kind, "a propose request")
		}
	case Vote:
		switch a.Kind {
		case Accept, Reject:
			if !m.tally(p, a.Kind, &m.accepts) {
				m.askParty(p + 1)
				return nil
			}
			if m.accepts == m.n {
				copy(m.current, m.text)
				m.has = true
				m.emit(MediatorRole, "accepted by all", m.current, "", m.toMed)
			}
			if m.nextRound(m.clock.Round+1, m.agreement()) {
				m.askMediator()
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

package mechanism

import (
	"errors"
	"fmt"

	"github.com/backchannel/backchannel/outcome"
)

// base is the bookkeeping the mediated mechanisms share: clock, result,
// observer and the pre-built visibility lists of events. It allocates only in
// start (and, with an Observer, never per event).
type base struct {
	name  string
	space *outcome.Space
	n     int
	dl    Deadline
	obs   Observer
	clock Clock
	req   Request
	res   Result
	done  bool
	ev    Event
	// toParty[i] is {i, MediatorRole}; toMed is {MediatorRole}.
	toParty [][]int
	toMed   []int
	answers []AnswerKind // the parties' answers to the last text
}

func (b *base) start(name string, sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if sp == nil {
		return fmt.Errorf("%s: no outcome space", name)
	}
	if n < 2 {
		return fmt.Errorf("%s: needs at least 2 parties, got %d", name, n)
	}
	if dl.Rounds <= 0 && dl.Time <= 0 {
		return fmt.Errorf("%s: a deadline in rounds or time is required", name)
	}
	b.name, b.space, b.n, b.dl, b.obs = name, sp, n, dl, obs
	b.clock = Clock{}
	b.res = Result{}
	b.done = false
	if len(b.toParty) != n {
		b.toParty = make([][]int, n)
		for i := range b.toParty {
			b.toParty[i] = []int{i, MediatorRole}
		}
		b.toMed = []int{MediatorRole}
	}
	if cap(b.answers) < n {
		b.answers = make([]AnswerKind, n)
	}
	b.answers = b.answers[:n]
	clear(b.answers)
	return nil
}

// Next returns the pending request.
func (b *base) Next() *Request { return &b.req }

// Clock returns the negotiation clock.
func (b *base) Clock() *Clock { return &b.clock }

// Done reports whether the negotiation has ended.
func (b *base) Done() bool { return b.done }

// Result returns how the negotiation ended.
func (b *base) Result() Result { return b.res }

// Fail ends the negotiation with a fault of the party asked.
func (b *base) Fail(reason string) {
	if !b.done {
		b.finish(Failed, reason, b.req.Party, nil)
	}
}

// Expire ends the negotiation at the time deadline.
func (b *base) Expire() {
	if !b.done {
		b.finish(NoAgreement, "deadline (time)", Nobody, nil)
	}
}

// finish ends the negotiation; agreement (copied) is the agreed outcome when
// st is Agreement.
func (b *base) finish(st Status, reason string, party int, agreement outcome.Outcome) {
	b.done = true
	b.res.Status = st
	b.res.Reason = reason
	b.res.Rounds = b.clock.Round + 1
	if b.dl.Rounds > 0 {
		b.res.Rounds = min(b.res.Rounds, b.dl.Rounds)
	}
	b.res.Steps = b.clock.Step
	b.res.Time = b.clock.T
	if st == Agreement {
		b.res.Agreement = agreement.Clone()
	}
	if st == Failed {
		b.res.Fault = &Fault{Party: party, Reason: reason}
	}
	if b.obs != nil {
		kind := "end"
		switch st {
		case Agreement:
			kind = "agreement"
		case Failed:
			kind = "failure"
		}
		b.emit(party, kind, b.res.Agreement, reason, nil)
	}
}

// emit shows an event to the parties in to (nil: everyone).
func (b *base) emit(party int, kind string, o outcome.Outcome, note string, to []int) {
	b.ev = Event{Step: b.clock.Step, Round: b.clock.Round, T: b.clock.T, Party: party, Kind: kind, Outcome: o, Note: note, To: to}
	b.obs.Observe(&b.ev)
}

// check reports why o may not be put on the table, or "".
func (b *base) check(o outcome.Outcome) string {
	if !b.space.Valid(o) {
		return "offered an outcome that is not in the space"
	}
	if !b.space.Feasible(o) {
		return "offered an infeasible outcome (breaks a rule of the scenario)"
	}
	return ""
}

// nextRound starts round r and reports false (after finishing the
// negotiation) if the round deadline has passed. agreement is what the
// negotiation ends with at the deadline (nil: no agreement).
func (b *base) nextRound(r int, agreement outcome.Outcome) bool {
	b.clock.Round = r
	if b.dl.Rounds > 0 {
		b.clock.T = max(b.clock.T, float64(r)/float64(b.dl.Rounds))
		if r >= b.dl.Rounds {
			b.clock.Round = b.dl.Rounds - 1
			if agreement != nil {
				b.finish(Agreement, "deadline (rounds): the last text all accepted stands", Nobody, agreement)
			} else {
				b.finish(NoAgreement, "deadline (rounds)", Nobody, nil)
			}
			return false
		}
	}
	return true
}

// ErrNotMediated is returned by Apply of a mediated mechanism whose pending
// request is of a kind it never makes (a driver bug).
var ErrNotMediated = errors.New("mechanism: unexpected pending request")

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
	base
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
	if err := m.start(m.Name(), sp, n, dl, obs); err != nil {
		return err
	}
	k := sp.NumIssues()
	m.text = resize(m.text, k)
	m.current = resize(m.current, k)
	m.has, m.proposed = false, false
	m.askMediator()
	return nil
}

func resize(o outcome.Outcome, k int) outcome.Outcome {
	if cap(o) < k {
		return make(outcome.Outcome, k)
	}
	return o[:k]
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

func (m *SingleText) agreement() outcome.Outcome {
	if m.has {
		return m.current
	}
	return nil
}

// Apply takes the pending answer.
func (m *SingleText) Apply(a Answer) error {
	if m.done {
		return ErrOutOfTurn
	}
	p := m.req.Party
	m.clock.Step++
	switch m.req.Kind {
	case Propose:
		switch a.Kind {
		case Offer:
			if why := m.check(a.Outcome); why != "" {
				m.finish(Failed, why, p, nil)
				return nil
			}
			copy(m.text, a.Outcome)
			m.proposed = true
			m.accepts = 0
			if m.obs != nil {
				m.emit(p, "text", m.text, "", nil)
			}
			m.askParty(0)
		case End:
			if m.has {
				m.finish(Agreement, "ended by the mediator: the last text all accepted stands", p, m.current)
			} else {
				m.finish(NoAgreement, "ended by the mediator before any text was accepted by all", p, nil)
			}
		default:
			m.finish(Failed, fmt.Sprintf("answered %s to a propose request", a.Kind), p, nil)
		}
	case Vote:
		switch a.Kind {
		case Accept, Reject:
			m.answers[p] = a.Kind
			if a.Kind == Accept {
				m.accepts++
			}
			if m.obs != nil {
				m.emit(p, a.Kind.String(), nil, "", m.toParty[p])
			}
			if p+1 < m.n {
				m.askParty(p + 1)
				return nil
			}
			if m.accepts == m.n {
				copy(m.current, m.text)
				m.has = true
				if m.obs != nil {
					m.emit(MediatorRole, "accepted by all", m.current, "", m.toMed)
				}
			}
			if m.nextRound(m.clock.Round+1, m.agreement()) {
				m.askMediator()
			}
		case End:
			m.finish(NoAgreement, "ended by party", p, nil)
		default:
			m.finish(Failed, fmt.Sprintf("answered %s to a vote request", a.Kind), p, nil)
		}
	default:
		return fmt.Errorf("%s: %w %s", m.Name(), ErrNotMediated, m.req.Kind)
	}
	return nil
}

func (m *SingleText) askParty(i int) {
	m.req = Request{Party: i, Kind: Vote, Offer: m.text, From: MediatorRole}
	if m.has {
		m.req.Other = m.current
	}
}

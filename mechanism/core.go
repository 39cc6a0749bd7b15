package mechanism

import (
	"errors"
	"fmt"

	"github.com/backchannel/backchannel/outcome"
)

// ErrOutOfTurn is returned by Apply when it is called after the negotiation ended.
var ErrOutOfTurn = errors.New("mechanism: answer after the negotiation ended")

// ErrNotMediated is returned by Apply of a mediated mechanism whose pending
// request is of a kind it never makes (a driver bug).
var ErrNotMediated = errors.New("mechanism: unexpected pending request")

// core is the state-machine plumbing every protocol of this package embeds,
// so that each protocol's file holds only its rules. The contract:
//
//   - Start calls start (startMediated when there is a mediator), which
//     validates the space, the number of parties and the deadline and resets
//     the clock and the result; the protocol then resets its own state and
//     sets req, the pending request that Next returns.
//   - Apply begins with step, which counts the step, or reports that the
//     negotiation has ended (Apply then returns ErrOutOfTurn). An offer must
//     pass space.Valid and space.Feasible, tested at the call site so that
//     the checks inline there; badOffer ends the negotiation on one that
//     does not, refuse on an answer of the wrong kind, each with a Fault of
//     the party asked; unexpected is the error for a request kind the
//     protocol never makes.
//   - Every end goes through finish, which fills the Result (Rounds: the
//     current round plus one, at most Deadline.Rounds; Steps; Time; the
//     Fault of the party when failed) and emits the closing event
//     ("agreement", "end" or "failure", from the party, with the reason as
//     note, shown to everyone). Fail and Expire end the negotiation from
//     outside: a fault of the party asked, or the time deadline.
//   - Rounds advance with nextRound (a round per text) or nextTurn (a round
//     of n turns), which raise T to the round progress.
//   - emit shows an event to the observer, if there is one; to lists who may
//     see it (nil: everyone). toParty[i] ({i, MediatorRole}) and toMed
//     ({MediatorRole}) are the pre-built lists of the information barrier;
//     ballot records a party's answer to a text in answers and shows it to
//     that party and the mediator only.
//
// core allocates only in start (once per number of parties) and in finish;
// emit reuses one Event. emit, ballot, step and nextTurn are small enough to
// inline, so a protocol built on them costs what it did written out by hand.
type core struct {
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
	turn  int // turns begun, for protocols whose round is n turns
	// toParty[i] is {i, MediatorRole}; toMed is {MediatorRole}. Built by
	// startMediated, like answers.
	toParty [][]int
	toMed   []int
	answers []AnswerKind // the parties' answers to the last text (startMediated)
}

// start validates a negotiation among n ≥ 2 parties and resets the shared
// state; name prefixes the errors.
func (m *core) start(name string, sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if sp == nil {
		return fmt.Errorf("%s: no outcome space", name)
	}
	if n < 2 {
		return fmt.Errorf("%s: needs at least 2 parties, got %d", name, n)
	}
	if dl.Rounds <= 0 && dl.Time <= 0 {
		return fmt.Errorf("%s: a deadline in rounds or time is required", name)
	}
	m.name, m.space, m.n, m.dl, m.obs = name, sp, n, dl, obs
	m.clock = Clock{}
	m.res = Result{}
	m.done = false
	m.turn = 0
	return nil
}

// startMediated is start for a protocol with a mediator: it also builds the
// visibility lists and clears the answers.
func (m *core) startMediated(name string, sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if err := m.start(name, sp, n, dl, obs); err != nil {
		return err
	}
	if len(m.toParty) != n {
		m.toParty = make([][]int, n)
		for i := range m.toParty {
			m.toParty[i] = []int{i, MediatorRole}
		}
		m.toMed = []int{MediatorRole}
	}
	if cap(m.answers) < n {
		m.answers = make([]AnswerKind, n)
	}
	m.answers = m.answers[:n]
	clear(m.answers)
	return nil
}

// resize returns o with length k, reusing its array when it is large enough.
func resize(o outcome.Outcome, k int) outcome.Outcome {
	if cap(o) < k {
		return make(outcome.Outcome, k)
	}
	return o[:k]
}

// Next returns the pending request.
func (m *core) Next() *Request { return &m.req }

// Clock returns the negotiation clock.
func (m *core) Clock() *Clock { return &m.clock }

// Done reports whether the negotiation has ended.
func (m *core) Done() bool { return m.done }

// Result returns how the negotiation ended.
func (m *core) Result() Result { return m.res }

// Fail ends the negotiation with a fault of the party asked.
func (m *core) Fail(reason string) {
	if !m.done {
		m.finish(Failed, reason, m.req.Party, nil)
	}
}

// Expire ends the negotiation at the time deadline.
func (m *core) Expire() {
	if !m.done {
		m.finish(NoAgreement, "deadline (time)", Nobody, nil)
	}
}

// step begins Apply: it returns the party asked and counts the step, or
// reports false after the end (Apply then returns ErrOutOfTurn).
func (m *core) step() (p int, ok bool) {
	if m.done {
		return 0, false
	}
	m.clock.Step++
	return m.req.Party, true
}

// finish ends the negotiation; agreement (copied) is the agreed outcome when
// st is Agreement.
func (m *core) finish(st Status, reason string, party int, agreement outcome.Outcome) {
	m.done = true
	m.res.Status = st
	m.res.Reason = reason
	m.res.Rounds = m.clock.Round + 1
	if m.dl.Rounds > 0 {
		m.res.Rounds = min(m.res.Rounds, m.dl.Rounds)
	}
	m.res.Steps = m.clock.Step
	m.res.Time = m.clock.T
	if st == Agreement {
		m.res.Agreement = agreement.Clone()
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
		m.show(party, kind, m.res.Agreement, reason, nil)
	}
}

// refuse ends the negotiation with a fault of party p, who answered k to
// what ("a propose request", …).
func (m *core) refuse(p int, k AnswerKind, what string) {
	m.finish(Failed, fmt.Sprintf("answered %s to %s", k, what), p, nil)
}

// badOffer ends the negotiation with a fault of party p, who offered o,
// which is not in the space or breaks a rule of the scenario.
// offerOK reports whether p's offer o is in the space and feasible; if not,
// the negotiation fails, attributed to p.
func (m *core) offerOK(p int, o outcome.Outcome) bool {
	if m.space.Valid(o) && m.space.Feasible(o) {
		return true
	}
	m.badOffer(p, o)
	return false
}

func (m *core) badOffer(p int, o outcome.Outcome) {
	reason := "offered an infeasible outcome (breaks a rule of the scenario)"
	if !m.space.Valid(o) {
		reason = "offered an outcome that is not in the space"
	}
	m.finish(Failed, reason, p, nil)
}

// emit shows an event to the parties in to (nil: everyone), if there is an
// observer. It is small enough to inline, so a negotiation without an
// observer pays one test per event.
func (m *core) emit(party int, kind string, o outcome.Outcome, note string, to []int) {
	if m.obs != nil {
		m.show(party, kind, o, note, to)
	}
}

func (m *core) show(party int, kind string, o outcome.Outcome, note string, to []int) {
	m.ev = Event{Step: m.clock.Step, Round: m.clock.Round, T: m.clock.T, Party: party, Kind: kind, Outcome: o, Note: note, To: to}
	m.obs.Observe(&m.ev)
}

// ballot records party p's answer k to the text put to the parties, shows it
// to p and the mediator only, and reports whether p was the last to answer.
// It is small enough to inline.
// tally records p's vote k, counting an acceptance in yes, and reports
// whether p was the last to vote.
func (m *core) tally(p int, k AnswerKind, yes *int) (last bool) {
	if k == Accept {
		*yes++
	}
	return m.ballot(p, k)
}

func (m *core) ballot(p int, k AnswerKind) (last bool) {
	m.answers[p] = k
	if m.obs != nil {
		m.showBallot(p, k)
	}
	return p+1 == m.n
}

func (m *core) showBallot(p int, k AnswerKind) {
	m.show(p, k.String(), nil, "", m.toParty[p])
}

// nextRound starts round r and reports false (after finishing the
// negotiation) if the round deadline has passed. agreement is what the
// negotiation ends with at the deadline (nil: no agreement).
func (m *core) nextRound(r int, agreement outcome.Outcome) bool {
	m.clock.Round = r
	if m.dl.Rounds > 0 {
		m.clock.T = max(m.clock.T, float64(r)/float64(m.dl.Rounds))
		if r >= m.dl.Rounds {
			m.clock.Round = m.dl.Rounds - 1
			if agreement != nil {
				m.finish(Agreement, "deadline (rounds): the last text all accepted stands", Nobody, agreement)
			} else {
				m.finish(NoAgreement, "deadline (rounds)", Nobody, nil)
			}
			return false
		}
	}
	return true
}

// nextTurn begins the next turn of a protocol whose round is n turns (SAO,
// Shuttle), moving Round and raising T to the turn progress, and reports
// whether the round deadline has passed; the caller then finishes.
func (m *core) nextTurn() (over bool) {
	m.turn++
	m.clock.Round = m.turn / m.n
	if m.dl.Rounds > 0 {
		m.clock.T = max(m.clock.T, float64(m.turn)/float64(m.n*m.dl.Rounds))
		return m.turn >= m.n*m.dl.Rounds
	}
	return false
}

// unexpected is Apply's error for a pending request of a kind the protocol
// never makes (a driver bug).
func (m *core) unexpected() error {
	return fmt.Errorf("%s: %w %s", m.name, ErrNotMediated, m.req.Kind)
}

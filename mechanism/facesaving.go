package mechanism

import (
	"fmt"

	"github.com/backchannel/backchannel/outcome"
)

// DefaultSuggestions is the number of suggestions per session BlindBidding
// allows when its Suggestions field is zero.
const DefaultSuggestions = 8

// BlindBidding is visual blind bidding on multi-issue packages, after
// Smartsettle (Thiessen & McMahon 2000, "Beyond win-win in cyberspace",
// Ohio State Journal on Dispute Resolution 15(3); Smartsettle's
// description of Visual Blind Bidding, cited in docs/mediation.md):
// the parties' positions are visible, their acceptances are secret, and a
// deal is declared only where the acceptances overlap.
//
// The talks run in sessions; a session is a round and Deadline.Rounds
// bounds them (the last is the final session: a package must be accepted
// by all in it, or the talks end without agreement). Each session:
//
//  1. Every party in turn is asked to Propose its visible proposal (Answer
//     Offer; it may repeat its last one) or to End the talks. A proposal is
//     shown to everyone at once ("offer" event, To = nil).
//  2. The mediator is asked to Propose suggested packages, one per request
//     (Offer: its last suggestion of the session, nil for the first), at
//     most Suggestions (DefaultSuggestions if 0) per session; it answers
//     Offer (a suggestion, shown to everyone: "suggestion"), Accept (no
//     more suggestions this session: "call vote") or End (end the talks).
//  3. Every party in turn is asked to Vote on every suggestion of the
//     session, in the order made (Request.Offer, From = MediatorRole):
//     Accept is a secret acceptance, Reject none, End walks away.
//  4. If some suggestions were accepted by every party, one of them is
//     declared the agreement by the closing rule (see Closing) and the
//     talks end. Otherwise everyone is told "no deal" and, unless that was
//     the final session, the next session begins.
//
// What each side sees (the information barrier): every request carries the
// visible proposals (Request.Proposals) and the suggestions are public. A
// party's secret acceptance or rejection is recorded in an event shown to
// that party alone — not to the other parties and not to the mediator:
// like Smartsettle's computer, only the mechanism counts them. Requests
// never carry Answers. A party learns of the other parties' acceptances
// only the declared package (accepted by all) or "no deal". Because the
// closing rule ranks packages by public information only, a declared
// package also tells a party that no package it accepted and the rule
// ranks higher was accepted by all; nothing else.
//
// Cost per session: O(n·K·I) for n parties, K suggestions and I issues,
// plus O(K·n·I) for the closing rule; no allocation once started with a nil
// Observer.
type BlindBidding struct {
	// Suggestions bounds the suggestions per session (0: DefaultSuggestions).
	Suggestions int

	core
	props   []outcome.Outcome // latest visible proposal of each party (owned)
	table   []outcome.Outcome // props[i] once party i has proposed: Request.Proposals
	sugg    []outcome.Outcome // this session's suggestions (owned)
	ns      int               // suggestions made this session
	yes     []int             // acceptances of each suggestion this session
	toSelf  [][]int           // toSelf[i] = {i}
	voteIdx int               // the suggestion being voted on
}

// NewBlindBidding returns a visual blind bidding mechanism with at most k
// suggestions per session (0: DefaultSuggestions).
func NewBlindBidding(k int) *BlindBidding { return &BlindBidding{Suggestions: k} }

// Name returns "blind-bidding".
func (m *BlindBidding) Name() string { return "blind-bidding" }

// Start begins a negotiation among n ≥ 2 parties and a mediator.
func (m *BlindBidding) Start(sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if m.Suggestions < 0 {
		return fmt.Errorf("blind-bidding: %d suggestions per session is negative", m.Suggestions)
	}
	if err := m.startMediated(m.Name(), sp, n, dl, obs); err != nil {
		return err
	}
	k := sp.NumIssues()
	if len(m.props) != n {
		m.props = make([]outcome.Outcome, n)
		m.table = make([]outcome.Outcome, n)
		m.toSelf = make([][]int, n)
		for i := range m.toSelf {
			m.toSelf[i] = []int{i}
		}
	}
	for i := range m.props {
		m.props[i] = resize(m.props[i], k)
	}
	clear(m.table)
	K := m.k()
	if len(m.sugg) != K {
		m.sugg = make([]outcome.Outcome, K)
		m.yes = make([]int, K)
	}
	for i := range m.sugg {
		m.sugg[i] = resize(m.sugg[i], k)
	}
	m.ns = 0
	m.askParty(0)
	return nil
}

func (m *BlindBidding) k() int {
	if m.Suggestions > 0 {
		return m.Suggestions
	}
	return DefaultSuggestions
}

func (m *BlindBidding) askParty(i int) {
	m.req = Request{Party: i, Kind: Propose, From: Nobody, Proposals: m.table}
}

func (m *BlindBidding) askMediator() {
	m.req = Request{Party: MediatorRole, Kind: Propose, From: Nobody, Proposals: m.table}
	if m.ns > 0 {
		m.req.Offer = m.sugg[m.ns-1]
	}
}

func (m *BlindBidding) askVote(i, j int) {
	m.voteIdx = j
	m.req = Request{Party: i, Kind: Vote, Offer: m.sugg[j], From: MediatorRole, Proposals: m.table}
}

// Apply takes the pending answer.
func (m *BlindBidding) Apply(a Answer) error {
	p, ok := m.step()
	if !ok {
		return ErrOutOfTurn
	}
	switch {
	case m.req.Kind == Propose && p >= 0:
		switch a.Kind {
		case Offer:
			if !m.offerOK(p, a.Outcome) {
				return nil
			}
			copy(m.props[p], a.Outcome)
			m.table[p] = m.props[p]
			m.emit(p, "offer", m.props[p], "visible proposal", nil)
			if p+1 < m.n {
				m.askParty(p + 1)
			} else {
				m.askMediator()
			}
		case End:
			m.finish(NoAgreement, "ended by party", p, nil)
		default:
			m.refuse(p, a.Kind, "a propose request")
		}
	case m.req.Kind == Propose:
		switch a.Kind {
		case Offer:
			if !m.offerOK(p, a.Outcome) {
				return nil
			}
			copy(m.sugg[m.ns], a.Outcome)
			m.yes[m.ns] = 0
			m.ns++
			m.emit(p, "suggestion", m.sugg[m.ns-1], "", nil)
			if m.ns < len(m.sugg) {
				m.askMediator()
			} else {
				m.askVote(0, 0)
			}
		case Accept:
			m.emit(p, "call vote", nil, "", nil)
			if m.ns == 0 {
				m.closeSession()
			} else {
				m.askVote(0, 0)
			}
		case End:
			m.finish(NoAgreement, "ended by the mediator", p, nil)
		default:
			m.refuse(p, a.Kind, "a propose request")
		}
	case m.req.Kind == Vote:
		switch a.Kind {
		case Accept, Reject:
			j := m.voteIdx
			if a.Kind == Accept {
				m.yes[j]++
			}
			m.emit(p, a.Kind.String(), m.sugg[j], "secret", m.toSelf[p])
			switch {
			case j+1 < m.ns:
				m.askVote(p, j+1)
			case p+1 < m.n:
				m.askVote(p+1, 0)
			default:
				m.closeSession()
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

// closeSession declares a deal if the acceptances overlap, or tells
// everyone "no deal" and begins the next session.
func (m *BlindBidding) closeSession() {
	if j := m.Closing(); j >= 0 {
		m.finish(Agreement, "suggestion accepted by all, declared by the closing rule", Nobody, m.sugg[j])
		return
	}
	if m.obs != nil {
		m.show(Nobody, "no deal", nil, fmt.Sprintf("session %d", m.clock.Round+1), nil)
	}
	m.ns = 0
	if m.nextRound(m.clock.Round+1, nil) {
		m.askParty(0)
	}
}

// Closing returns the index, among this session's suggestions, of the one
// the closing rule declares, or −1 if no suggestion was accepted by all.
//
// The rule: among the suggestions every party accepted, the one whose
// largest distance to a party's latest visible proposal is smallest (the
// package no party's public position is far from), then the smallest sum
// of those distances, then the earliest suggestion. Distance is
// PackageDistance. It reads only public information (the visible proposals
// and the suggestions), so every party can check the declaration.
func (m *BlindBidding) Closing() int {
	best, bestMax, bestSum := -1, 0.0, 0.0
	for j := range m.ns {
		if m.yes[j] != m.n {
			continue
		}
		mx, sum := 0.0, 0.0
		for i := range m.table {
			if m.table[i] == nil {
				continue
			}
			d := PackageDistance(m.space, m.sugg[j], m.table[i])
			mx = max(mx, d)
			sum += d
		}
		if best < 0 || mx < bestMax || (mx == bestMax && sum < bestSum) {
			best, bestMax, bestSum = j, mx, sum
		}
	}
	return best
}

// PackageDistance is the distance between two packages of sp in [0, 1]:
// the mean over the issues of |x − y|/(|V| − 1) for integer and real issues
// (their values are ordered) and of 0 (same value) or 1 (different) for
// discrete ones. O(I).
func PackageDistance(sp *outcome.Space, x, y outcome.Outcome) float64 {
	if len(sp.Issues) == 0 {
		return 0
	}
	d := 0.0
	for i := range sp.Issues {
		is := &sp.Issues[i]
		if x[i] == y[i] {
			continue
		}
		if is.Kind == outcome.Discrete || is.Len() < 2 {
			d++
			continue
		}
		diff := float64(x[i] - y[i])
		if diff < 0 {
			diff = -diff
		}
		d += diff / float64(is.Len()-1)
	}
	return d / float64(len(sp.Issues))
}

// DoubleBlind is the mediator's double-blind proposal (the "mediator's
// proposal" of commercial mediation, as practitioners describe it: JAMS ADR
// Insights 2020, "The Danger of Mediator's Proposals"; docs/mediation.md
// gives the sources): the mediator puts one
// package to the parties; each accepts or rejects it in secret; if all
// accept it is the agreement, and if not, each party learns only that
// there is no deal — never whether another party said yes.
//
// Each round the mediator is asked to Propose a package (Offer: its last
// package; Answers: every party's secret answer to it, nil before the
// first — the mediator, who collects the answers, may learn them; no party
// does) and answers Offer or End. Every party is then asked to Vote on the
// package (From = MediatorRole, Other = nil): Accept, Reject, or End to walk
// away. Every vote is shown to its voter and the mediator only; when not
// all accepted, everyone is told "no deal" (Party = Nobody, no note) and
// the next round begins. Deadline.Rounds bounds the packages: 1 gives the
// classic one-shot proposal. Cost per round: O(n·I); no allocation once
// started with a nil Observer.
type DoubleBlind struct {
	core
	pkg      outcome.Outcome // the package on the table (owned)
	proposed bool
	yes      int
}

// NewDoubleBlind returns a double-blind proposal mechanism.
func NewDoubleBlind() *DoubleBlind { return &DoubleBlind{} }

// Name returns "double-blind".
func (m *DoubleBlind) Name() string { return "double-blind" }

// Start begins a negotiation among n ≥ 2 parties and a mediator.
func (m *DoubleBlind) Start(sp *outcome.Space, n int, dl Deadline, obs Observer) error {
	if err := m.startMediated(m.Name(), sp, n, dl, obs); err != nil {
		return err
	}
	m.pkg = resize(m.pkg, sp.NumIssues())
	m.proposed = false
	m.askMediator()
	return nil
}

func (m *DoubleBlind) askMediator() {
	m.req = Request{Party: MediatorRole, Kind: Propose, From: Nobody}
	if m.proposed {
		m.req.Offer = m.pkg
		m.req.Answers = m.answers
	}
}

func (m *DoubleBlind) askParty(i int) {
	m.req = Request{Party: i, Kind: Vote, Offer: m.pkg, From: MediatorRole}
}

// Apply takes the pending answer.
func (m *DoubleBlind) Apply(a Answer) error {
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
			copy(m.pkg, a.Outcome)
			m.proposed = true
			m.yes = 0
			m.emit(p, "package", m.pkg, "", nil)
			m.askParty(0)
		case End:
			m.finish(NoAgreement, "ended by the mediator", p, nil)
		default:
			m.refuse(p, a.Kind, "a propose request")
		}
	case Vote:
		switch a.Kind {
		case Accept, Reject:
			if !m.tally(p, a.Kind, &m.yes) {
				m.askParty(p + 1)
				return nil
			}
			if m.yes == m.n {
				m.finish(Agreement, "package accepted by all", Nobody, m.pkg)
				return nil
			}
			m.emit(Nobody, "no deal", nil, "", nil)
			if m.nextRound(m.clock.Round+1, nil) {
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

// AllowedAnswers: the blind-bidding mediator may also answer a propose
// request Accept, to call the vote on the suggestions made so far.
func (m *BlindBidding) AllowedAnswers(r *Request) []AnswerKind {
	if r.Kind == Propose && r.Party == MediatorRole {
		return []AnswerKind{Offer, Accept, End}
	}
	return r.Kind.Answers()
}

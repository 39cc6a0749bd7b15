package mediator

import (
	"math"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// RandomFlip is GENIUS's SimpleMediator baseline for the single negotiating
// text: its first text is random; every later text is the current text (the
// last one all parties accepted, or its first text while there is none) with
// one issue flipped to another value at random. It never stops on its own.
// O(I) per text (plus rule checks); no allocation per text.
type RandomFlip struct {
	t     texts
	first outcome.Outcome
	buf   outcome.Outcome
	began bool
}

// Init starts a new negotiation.
func (m *RandomFlip) Init(s *mechanism.Setup) error {
	if err := m.t.reset(s, "random-flip", "single-text"); err != nil {
		return err
	}
	k := s.Space.NumIssues()
	m.first, m.buf = resize(m.first, k), resize(m.buf, k)
	m.began = false
	return nil
}

// Act proposes the next text.
func (m *RandomFlip) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Propose {
		return mechanism.Answer{}
	}
	if !m.began {
		m.began = true
		m.t.random(m.first)
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.first}
	}
	base := m.first
	if r.Other != nil {
		base = r.Other
	}
	m.t.mutate(base, m.buf)
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
}

// HillClimb is a first-improvement hill-climbing mediator for the single
// negotiating text. Until some text is accepted by all it proposes fresh
// random texts (random restarts looking for a foothold). From the current
// text it then proposes every one-issue neighbour once, in random order;
// when all parties accept one, that neighbour is the new current text and
// its neighbourhood is searched afresh. When every feasible neighbour of the
// current text has been rejected, the text is a local optimum of the
// parties' votes and the mediator ends the talks (the text stands).
// Neighbourhood size Σ(|Vᵢ|−1); O(I) per text; no allocation per text.
type HillClimb struct {
	t      texts
	moves  []move // the neighbourhood of the current text, shuffled
	k      int    // next move to try
	cur    outcome.Outcome
	buf    outcome.Outcome
	hasCur bool
}

type move struct {
	issue int32
	value int32
}

// Init starts a new negotiation.
func (m *HillClimb) Init(s *mechanism.Setup) error {
	if err := m.t.reset(s, "hill-climb", "single-text"); err != nil {
		return err
	}
	sp := s.Space
	m.moves = m.moves[:0]
	for i := range sp.Issues {
		for v := range sp.Issues[i].Len() {
			m.moves = append(m.moves, move{int32(i), int32(v)})
		}
	}
	k := sp.NumIssues()
	m.cur, m.buf = resize(m.cur, k), resize(m.buf, k)
	m.hasCur = false
	return nil
}

func (m *HillClimb) shuffle() {
	for i := len(m.moves) - 1; i > 0; i-- {
		j := m.t.r.IntN(i + 1)
		m.moves[i], m.moves[j] = m.moves[j], m.moves[i]
	}
	m.k = 0
}

// Act proposes the next neighbour, or ends at a local optimum.
func (m *HillClimb) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Propose {
		return mechanism.Answer{}
	}
	if r.Other == nil {
		m.t.random(m.buf)
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
	}
	if !m.hasCur || !m.cur.Equal(r.Other) {
		copy(m.cur, r.Other)
		m.hasCur = true
		m.shuffle()
	}
	for ; m.k < len(m.moves); m.k++ {
		mv := m.moves[m.k]
		if m.cur[mv.issue] == mv.value {
			continue
		}
		copy(m.buf, m.cur)
		m.buf[mv.issue] = mv.value
		if m.t.sp.Feasible(m.buf) {
			m.k++
			return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
		}
	}
	return mechanism.Answer{Kind: mechanism.End}
}

// Annealer is the mediator that does the simulated annealing (Klein,
// Faratin, Sayama & Bar-Yam 2003, "Negotiating complex contracts", Group
// Decision and Negotiation 12(2)): the parties vote honestly and the
// mediator, not the parties, takes the risk of moving through texts some
// party rejected.
//
// The mediator keeps a working text. Each new text is a one-issue mutation
// of it. When all parties accept a text, it becomes the working text (and,
// by the protocol, the current text). When r parties reject it, the mediator
// still moves there with probability exp(−r/T), and otherwise returns to the
// current text (the last one all accepted; its working text while there is
// none). The temperature cools exponentially over the talks,
// T(k) = T0·(T1/T0)^(k/K) for text k of K (K = Deadline.Rounds, else 1000).
// Because the protocol keeps the last text all accepted as the agreement,
// the exploration can never impose a text on a party.
//
// Quota guard (after Lang & Fink 2012, "Collaborative single-text
// negotiation: simulated annealing with quotas"): a party that accepted
// fewer than Quota of the last Window texts while every other party accepted
// at least that share is blocking. Its rejections no longer hold the
// working text back, and if it blocks for another full Window the mediator
// ends the talks (the current text, if any, stands) instead of running
// to the deadline. Lang & Fink impose the quota on the parties as a rule;
// a mediator can only detect the breach and route around it.
//
// O(I + n) per text; no allocation per text.
type Annealer struct {
	T0, T1 float64 // start and end temperature (defaults 2 and 0.02)
	Quota  float64 // minimum share of accepted texts (default 0.02; negative: no guard)
	Window int     // texts per quota window (default 100)

	t        texts
	work     outcome.Outcome
	buf      outcome.Outcome
	hasWork  bool
	k, kmax  int
	votes    [][]bool // votes[p] ring of the last Window votes of party p
	accepted []int    // accepts of p in its ring
	seen     int      // votes recorded
	blocked  []int    // texts a party has been blocking for
	t0, t1   float64
	quota    float64
	window   int
}

// Init starts a new negotiation.
func (m *Annealer) Init(s *mechanism.Setup) error {
	if err := m.t.reset(s, "annealer", "single-text"); err != nil {
		return err
	}
	m.t0, m.t1, m.quota, m.window = m.T0, m.T1, m.Quota, m.Window
	if m.t0 <= 0 {
		m.t0 = 2
	}
	if m.t1 <= 0 || m.t1 > m.t0 {
		m.t1 = min(0.02, m.t0)
	}
	if m.quota == 0 {
		m.quota = 0.02
	}
	if m.window <= 0 {
		m.window = 100
	}
	k := s.Space.NumIssues()
	m.work, m.buf = resize(m.work, k), resize(m.buf, k)
	m.hasWork, m.k, m.seen = false, 0, 0
	m.kmax = s.Deadline.Rounds
	if m.kmax <= 0 {
		m.kmax = 1000
	}
	n := s.NumParties
	if len(m.votes) != n || (n > 0 && len(m.votes[0]) != m.window) {
		m.votes = make([][]bool, n)
		for i := range m.votes {
			m.votes[i] = make([]bool, m.window)
		}
		m.accepted = make([]int, n)
		m.blocked = make([]int, n)
	}
	for i := range m.votes {
		clear(m.votes[i])
	}
	clear(m.accepted)
	clear(m.blocked)
	return nil
}

// Temperature returns the temperature at text k of K.
func (m *Annealer) Temperature(k, K int) float64 {
	if K <= 0 {
		return m.t1
	}
	return m.t0 * math.Pow(m.t1/m.t0, float64(k)/float64(K))
}

// record adds the last votes to the quota windows and returns the number of
// rejections that count (blocking parties' do not) and whether some party
// has blocked long enough to end the talks.
func (m *Annealer) record(a []mechanism.AnswerKind) (rejects int, stop bool) {
	slot := m.seen % m.window
	for p, k := range a {
		acc := k == mechanism.Accept
		if m.votes[p][slot] {
			m.accepted[p]--
		}
		m.votes[p][slot] = acc
		if acc {
			m.accepted[p]++
		}
	}
	m.seen++
	full := m.seen >= m.window && m.quota > 0
	need := int(math.Ceil(m.quota * float64(m.window)))
	for p, k := range a {
		blocking := false
		if full && m.accepted[p] < need {
			blocking = true
			for q := range a {
				if q != p && m.accepted[q] < need {
					blocking = false
				}
			}
		}
		if blocking {
			m.blocked[p]++
			if m.blocked[p] > m.window {
				stop = true
			}
		} else {
			m.blocked[p] = 0
			if k != mechanism.Accept {
				rejects++
			}
		}
	}
	return rejects, stop
}

// Act proposes the next text, or ends when a party blocks.
func (m *Annealer) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Propose {
		return mechanism.Answer{}
	}
	if r.Offer == nil || !m.hasWork {
		m.hasWork = true
		m.t.random(m.work)
		m.k++
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.work}
	}
	rejects, stop := m.record(r.Answers)
	if stop {
		return mechanism.Answer{Kind: mechanism.End}
	}
	switch {
	case rejects == 0:
		copy(m.work, r.Offer)
	case m.t.r.Float64() < math.Exp(-float64(rejects)/m.Temperature(m.k, m.kmax)):
		copy(m.work, r.Offer)
	case r.Other != nil:
		copy(m.work, r.Other)
	}
	m.k++
	m.t.mutate(m.work, m.buf)
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
}

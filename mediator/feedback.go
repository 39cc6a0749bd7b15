package mediator

import (
	"math"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// Learner is the feedback mediator of Aydoğan, Hindriks & Jonker 2014
// ("Multilateral mediated negotiation protocols with feedback"): it learns
// a partial preference order over each issue's values for every party from
// better / worse / same answers, then puts the text it believes best for all
// to a vote.
//
// Exploration (until relative time Explore, default 0.6): each text changes
// one issue of the previous text, cycling through the issues and picking the
// value of that issue compared least often so far. A Better answer to a
// change from value a to b of issue i is evidence b ≻ a for that party on
// issue i; Worse the reverse; Same none. Only single-issue changes are
// learnt from, so every inference is sound under additive preferences. Per
// party and issue the mediator keeps a preference graph (the paper's
// partial order): b ≻ a when more answers said so than the opposite, closed
// transitively. A value's rank is the number of values it is known to beat
// and not be beaten by, so a value the answers put above another always
// ranks higher (consistent answers give an acyclic graph). A party's
// estimated utility ûₚ is the mean over issues of its value's rank divided
// by the largest rank of the issue (0.5 where nothing is known; issues
// weigh the same: comparisons reveal orders, not weights). Each answer
// recomputes one closure, O(Vᵢ³) (Floyd–Warshall).
//
// Voting: the mediator searches (64 random feasible starts, then coordinate
// ascent) for the feasible text maximising Σ αₚ·log(0.01 + ûₚ), proposes it,
// and calls the vote on it. Every party that rejects gets αₚ += 1, so the
// next candidate leans its way; rejected candidates are not proposed again.
// Comparing still teaches the model in this phase. The search costs
// O((64 + 3·ΣVᵢ)·n·I) per candidate.
type Learner struct {
	Explore float64 // share of the talks spent exploring (default 0.6)

	t       texts
	orders  [][]order // orders[p][i]
	count   [][]int   // count[i][v]: comparisons involving value v
	alpha   []float64
	buf     outcome.Outcome
	cand    outcome.Outcome
	tabu    []uint64
	issue   int   // next issue to change
	changed int   // issue changed by the last text, −1 if not a single change
	from    int32 // its previous value
	voting  bool  // the last answer called a vote
	pending bool  // cand was proposed and awaits the vote call
}

// Init starts a new negotiation.
func (m *Learner) Init(s *mechanism.Setup) error {
	if err := m.t.reset(s, "learner", "feedback"); err != nil {
		return err
	}
	sp := s.Space
	n := s.NumParties
	m.orders = make([][]order, n)
	for p := range m.orders {
		m.orders[p] = make([]order, sp.NumIssues())
		for i := range sp.Issues {
			m.orders[p][i] = newOrder(sp.Issues[i].Len())
		}
	}
	m.count = make([][]int, sp.NumIssues())
	for i := range sp.Issues {
		m.count[i] = make([]int, sp.Issues[i].Len())
	}
	m.alpha = make([]float64, n)
	for p := range m.alpha {
		m.alpha[p] = 1
	}
	k := sp.NumIssues()
	m.buf, m.cand = resize(m.buf, k), resize(m.cand, k)
	m.tabu = m.tabu[:0]
	m.issue, m.changed, m.voting, m.pending = 0, -1, false, false
	return nil
}

// Estimate returns the learnt estimate of party p's utility of o in [0, 1].
func (m *Learner) Estimate(p int, o outcome.Outcome) float64 {
	var u float64
	for i, v := range o {
		u += m.orders[p][i].rank[v]
	}
	return u / float64(len(o))
}

func (m *Learner) learn(r *mechanism.Request) {
	if m.changed < 0 || r.Offer == nil || len(r.Answers) != len(m.orders) {
		return
	}
	i, b := m.changed, r.Offer[m.changed]
	for p, a := range r.Answers {
		switch a {
		case mechanism.Better:
			m.orders[p][i].add(b, m.from)
		case mechanism.Worse:
			m.orders[p][i].add(m.from, b)
		}
	}
}

// order is a party's learnt preference graph over one issue's n values.
type order struct {
	n     int
	net   []int32   // net[a·n+b]: answers saying a ≻ b minus those saying b ≻ a
	reach []bool    // reach[a·n+b]: a ≻ b in the transitive closure
	rank  []float64 // each value's rank over the issue's largest, in [0, 1]
}

func newOrder(n int) order {
	o := order{n: n, net: make([]int32, n*n), reach: make([]bool, n*n), rank: make([]float64, n)}
	for v := range o.rank {
		o.rank[v] = 0.5
	}
	return o
}

// add records one answer saying a ≻ b and recomputes the closure and the
// ranks. O(n³).
func (o *order) add(a, b int32) {
	n := o.n
	o.net[int(a)*n+int(b)]++
	o.net[int(b)*n+int(a)]--
	for k, x := range o.net {
		o.reach[k] = x > 0
	}
	for k := range n {
		for x := range n {
			if !o.reach[x*n+k] {
				continue
			}
			for y := range n {
				if o.reach[k*n+y] {
					o.reach[x*n+y] = true
				}
			}
		}
	}
	hi := 0.0
	for v := range n {
		c := 0
		for u := range n {
			if o.reach[v*n+u] && !o.reach[u*n+v] {
				c++
			}
		}
		o.rank[v] = float64(c)
		hi = max(hi, float64(c))
	}
	for v := range o.rank {
		if hi > 0 {
			o.rank[v] /= hi
		} else {
			o.rank[v] = 0.5
		}
	}
}

func (m *Learner) objective(o outcome.Outcome) float64 {
	if !m.t.sp.Feasible(o) {
		return math.Inf(-1)
	}
	h := hash(o)
	for _, t := range m.tabu {
		if t == h {
			return math.Inf(-1)
		}
	}
	var v float64
	for p := range m.orders {
		v += m.alpha[p] * math.Log(0.01+m.Estimate(p, o))
	}
	return v
}

// search writes the best text it finds to m.cand and reports whether it is
// usable.
func (m *Learner) search() bool {
	best := math.Inf(-1)
	for range 64 {
		m.t.random(m.buf)
		if v := m.objective(m.buf); v > best {
			best = v
			copy(m.cand, m.buf)
		}
	}
	if math.IsInf(best, -1) {
		return false
	}
	for range 3 {
		improved := false
		for i := range m.cand {
			copy(m.buf, m.cand)
			for v := range m.t.sp.Issues[i].Len() {
				m.buf[i] = int32(v)
				if x := m.objective(m.buf); x > best {
					best = x
					m.cand[i] = int32(v)
					improved = true
				}
			}
		}
		if !improved {
			break
		}
	}
	return true
}

// Act proposes the next text, calls a vote, or ends.
func (m *Learner) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Propose {
		return mechanism.Answer{}
	}
	if m.voting {
		m.voting = false
		m.changed = -1
		if r.Offer != nil {
			m.tabu = append(m.tabu, hash(r.Offer))
		}
		for p, a := range r.Answers {
			if a == mechanism.Reject {
				m.alpha[p]++
			}
		}
	} else {
		m.learn(r)
	}
	if r.Offer == nil {
		m.t.random(m.buf)
		m.changed = -1
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
	}
	explore := m.Explore
	if explore <= 0 || explore > 1 {
		explore = 0.6
	}
	if c.T < explore {
		return m.explore(r.Offer)
	}
	if m.pending && r.Offer.Equal(m.cand) {
		m.pending = false
		m.voting = true
		return mechanism.Answer{Kind: mechanism.Accept}
	}
	if !m.search() {
		return mechanism.Answer{Kind: mechanism.End}
	}
	m.pending = true
	m.changed = -1
	for i := range m.cand {
		if m.cand[i] != r.Offer[i] {
			if m.changed == -1 {
				m.changed, m.from = i, r.Offer[i]
			} else {
				m.changed = -2
			}
		}
	}
	if m.changed < 0 {
		m.changed = -1
	}
	if r.Offer.Equal(m.cand) {
		m.pending = false
		m.voting = true
		return mechanism.Answer{Kind: mechanism.Accept}
	}
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.cand}
}

// explore changes one issue of prev to its least compared value.
func (m *Learner) explore(prev outcome.Outcome) mechanism.Answer {
	sp := m.t.sp
	for range len(prev) {
		i := m.issue % len(prev)
		m.issue++
		best, bestN := int32(-1), math.MaxInt
		for v := range sp.Issues[i].Len() {
			if int32(v) == prev[i] {
				continue
			}
			copy(m.buf, prev)
			m.buf[i] = int32(v)
			if !sp.Feasible(m.buf) {
				continue
			}
			if n := m.count[i][v] + m.t.r.IntN(2); n < bestN {
				best, bestN = int32(v), n
			}
		}
		if best >= 0 {
			copy(m.buf, prev)
			m.buf[i] = best
			m.count[i][best]++
			m.count[i][prev[i]]++
			m.changed, m.from = i, prev[i]
			return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
		}
	}
	m.t.mutate(prev, m.buf)
	m.changed = -1
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
}

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
// partial order) over the values answers have named: b ≻ a when more
// answers said so than the opposite, closed transitively. A value's rank is
// the number of values it is known to beat and not be beaten by, so a value
// the answers put above another always ranks higher (consistent answers
// give an acyclic graph). A party's estimated utility ûₚ is the mean over
// issues of its value's rank divided by the largest rank of the issue (0.5
// where nothing is known; issues weigh the same: comparisons reveal orders,
// not weights). Each answer recomputes one closure over the k values named
// so far, O(k³/64) (Floyd–Warshall on bit rows).
//
// Memory and time stay bounded on any space: an issue with more than
// MaxModelled values is explored and searched over MaxModelled values spread
// evenly over its range (value indices 0, …, n−1 in order, so an integer or
// real issue keeps its ends and its spacing), and at most MaxModelled values
// per issue and MaxNodes over all issues enter the graphs (answers about
// further values are not learnt from). Graphs grow only as answers name
// values: O(n·k²) memory for n parties, never O(values²).
//
// Voting: the mediator searches (64 random feasible starts, then coordinate
// ascent) for the feasible text maximising Σ αₚ·log(0.01 + ûₚ), proposes it,
// and calls the vote on it. Every party that rejects gets αₚ += 1, so the
// next candidate leans its way; rejected candidates are not proposed again.
// Comparing still teaches the model in this phase. The search costs
// O((64 + 3·ΣVᵢ')·n·I) per candidate, Vᵢ' = min(Vᵢ, MaxModelled) plus the
// values modelled.
type Learner struct {
	Explore float64 // share of the talks spent exploring (default 0.6)

	t       texts
	orders  [][]order // orders[p][i]
	issues  []issueModel
	nodes   int     // values modelled over all issues
	count   [][]int // count[i][v]: comparisons involving value v
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

// MaxModelled is the most values of one issue the feedback Learner explores,
// searches and models; larger issues are sampled evenly.
const MaxModelled = 256

// MaxNodes is the most values, over all issues, the feedback Learner keeps
// in its preference graphs.
const MaxNodes = 2048

// issueModel is what the learner knows of one issue, shared by the parties.
type issueModel struct {
	node []int32 // node[v]: value v's index in the graphs, −1 if not modelled
	vals []int32 // vals[k]: the value of node k
	try  []int32 // the values explored and searched; nil: every value
}

// nodeOf returns value v's node on issue i, making one if the limits allow;
// −1 if they do not.
func (m *Learner) nodeOf(i int, v int32) int {
	im := &m.issues[i]
	if k := im.node[v]; k >= 0 {
		return int(k)
	}
	if len(im.vals) >= MaxModelled || m.nodes >= MaxNodes {
		return -1
	}
	im.node[v] = int32(len(im.vals))
	im.vals = append(im.vals, v)
	m.nodes++
	return len(im.vals) - 1
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
		for i := range m.orders[p] {
			m.orders[p][i].base = 0.5
		}
	}
	m.issues = make([]issueModel, sp.NumIssues())
	m.nodes = 0
	m.count = make([][]int, sp.NumIssues())
	for i := range sp.Issues {
		nv := sp.Issues[i].Len()
		m.count[i] = make([]int, nv)
		im := &m.issues[i]
		im.node = make([]int32, nv)
		for v := range im.node {
			im.node[v] = -1
		}
		if nv > MaxModelled {
			im.try = make([]int32, MaxModelled)
			for j := range im.try {
				im.try[j] = int32(int64(j) * int64(nv-1) / (MaxModelled - 1))
			}
		}
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
		u += m.orders[p][i].of(int(m.issues[i].node[v]))
	}
	return u / float64(len(o))
}

func (m *Learner) learn(r *mechanism.Request) {
	if m.changed < 0 || r.Offer == nil || len(r.Answers) != len(m.orders) {
		return
	}
	i := m.changed
	b, a := m.nodeOf(i, r.Offer[i]), m.nodeOf(i, m.from)
	if a < 0 || b < 0 {
		return
	}
	for p, ans := range r.Answers {
		switch ans {
		case mechanism.Better:
			m.orders[p][i].add(b, a)
		case mechanism.Worse:
			m.orders[p][i].add(a, b)
		}
	}
}

// order is a party's learnt preference graph over the modelled values of
// one issue (nodes 0 … k−1, numbered as issueModel numbers them).
type order struct {
	k     int       // nodes the graph has room for
	net   []int32   // net[a·k+b]: answers saying a ≻ b minus those saying b ≻ a
	reach []uint64  // reach[a·w + b/64] bit b%64: a ≻ b in the transitive closure, w = ⌈k/64⌉
	rank  []float64 // each node's rank over the issue's largest, in [0, 1]
	base  float64   // the rank of a value outside the graph: 0.5 while nothing is known, else 0
}

// of returns the rank of node k (−1: a value outside the graph).
func (o *order) of(k int) float64 {
	if k < 0 || k >= len(o.rank) {
		return o.base
	}
	return o.rank[k]
}

// grow makes room for nodes 0 … need−1, keeping the counts.
func (o *order) grow(need int) {
	if need <= o.k {
		return
	}
	k := max(need, 2*o.k, 8)
	net := make([]int32, k*k)
	for a := range o.k {
		copy(net[a*k:a*k+o.k], o.net[a*o.k:(a+1)*o.k])
	}
	rank := make([]float64, k)
	copy(rank, o.rank)
	for v := len(o.rank); v < k; v++ {
		rank[v] = o.base
	}
	o.k, o.net, o.rank = k, net, rank
	o.reach = make([]uint64, k*((k+63)/64))
}

// add records one answer saying node a ≻ node b and recomputes the closure
// and the ranks. O(k³/64).
func (o *order) add(a, b int) {
	o.grow(max(a, b) + 1)
	k, w := o.k, (o.k+63)/64
	o.net[a*k+b]++
	o.net[b*k+a]--
	clear(o.reach)
	for x := range k {
		row := o.net[x*k : (x+1)*k]
		for y, c := range row {
			if c > 0 {
				o.reach[x*w+y/64] |= 1 << (y % 64)
			}
		}
	}
	for z := range k {
		rz := o.reach[z*w : (z+1)*w]
		for x := range k {
			rx := o.reach[x*w : (x+1)*w]
			if rx[z/64]&(1<<(z%64)) == 0 {
				continue
			}
			for j := range rx {
				rx[j] |= rz[j]
			}
		}
	}
	hi := 0.0
	for v := range k {
		c := 0
		rv := o.reach[v*w : (v+1)*w]
		for u := range k {
			if rv[u/64]&(1<<(u%64)) != 0 && o.reach[u*w+v/64]&(1<<(v%64)) == 0 {
				c++
			}
		}
		o.rank[v] = float64(c)
		hi = max(hi, float64(c))
	}
	o.base = 0
	if hi == 0 {
		o.base = 0.5
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
			try := func(v int32) {
				m.buf[i] = v
				if x := m.objective(m.buf); x > best {
					best = x
					m.cand[i] = v
					improved = true
				}
			}
			if im := &m.issues[i]; im.try != nil {
				for _, v := range im.try {
					try(v)
				}
				for _, v := range im.vals {
					try(v)
				}
				continue
			}
			for v := range m.t.sp.Issues[i].Len() {
				try(int32(v))
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
		consider := func(v int32) {
			if v == prev[i] {
				return
			}
			copy(m.buf, prev)
			m.buf[i] = v
			if !sp.Feasible(m.buf) {
				return
			}
			if n := m.count[i][v] + m.t.r.IntN(2); n < bestN {
				best, bestN = v, n
			}
		}
		if try := m.issues[i].try; try != nil {
			for _, v := range try {
				consider(v)
			}
		} else {
			for v := range sp.Issues[i].Len() {
				consider(int32(v))
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

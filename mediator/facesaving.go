package mediator

import (
	"math"
	"slices"
	"sort"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// Suggester generates the suggested packages of visual blind bidding
// (mechanism.BlindBidding) as Smartsettle's system does: between the
// parties' visible proposals and on the efficient frontier, from the
// parties' confidential preferences (Thiessen & McMahon 2000; Smartsettle
// Infinity's "suggestions"; its "maximize the minimum gain" algorithm,
// weighted here). Like Smartsettle it knows what each party
// values but not its bottom line: it reads the profiles' utilities and red
// lines, never their reservation values.
//
// Let Pᵢ be party i's latest visible proposal, loᵢ = minⱼ uᵢ(Pⱼ) the least
// any visible proposal gives party i and hiᵢ = uᵢ(Pᵢ). A package x lies
// between the proposals if uᵢ(x) ≥ loᵢ for every i; its normalised gain for
// party i is ĝᵢ(x) = (uᵢ(x) − loᵢ)/(hiᵢ − loᵢ). The k-th suggestion of a
// session (k = 0 … Count−1) is the package between the proposals, on the
// Pareto frontier of the feasible outcomes free of red lines, that
// maximises minᵢ ĝᵢ(x)/wₖᵢ (ties: the larger Σ ĝᵢ, then the lower index):
// for two parties wₖ = (λₖ, 1 − λₖ) with λₖ = (k+1)/(Count+1), a fan of
// packages from the one best for party 1 to the one best for party 0;
// with more parties w₀ = (1, …, 1) and wₖ raises party (k−1) mod n to 2.
// Duplicates are dropped, so a session may get fewer than Count. The
// maximin with the sum as tie-break picks a Pareto-optimal package among
// the feasible, red-line-free ones whatever the number of parties (a
// package that dominated it would tie on the minimum and beat it on the
// sum); for two parties the candidates are first cut to the frontier, only
// to save time.
//
// Init enumerates the space once per space and profiles (as the other
// confidential mediators; the two-party frontier is cached with the
// table); each session costs O(Count·F·n) for F candidates (the frontier
// for two parties, every feasible, red-line-free outcome for more).
type Suggester struct {
	Count int // suggestions per session (default 5)

	t     *table
	front []int64 // Pareto-optimal feasible, red-line-free outcomes
	sp    *outcome.Space
	n     int
	queue []int64
	buf   outcome.Outcome
	lo    []float64
	span  []float64
	w     []float64
}

// ConfidentialAccess reports true: the suggester reads every profile.
func (m *Suggester) ConfidentialAccess() bool { return true }

// Init starts a new negotiation; it fails without confidential access or on
// a space larger than MaxTable outcomes.
func (m *Suggester) Init(s *mechanism.Setup) error {
	if err := confidential("suggester", s); err != nil {
		return err
	}
	if err := protocol("suggester", s, "blind-bidding"); err != nil {
		return err
	}
	t, err := tableFor(s.Space, s.Confidential)
	if err != nil {
		return err
	}
	m.t, m.sp, m.n = t, s.Space, s.NumParties
	m.front = frontierOf(t)
	m.queue = m.queue[:0]
	m.buf = resize(m.buf, s.Space.NumIssues())
	m.lo, m.span, m.w = make([]float64, m.n), make([]float64, m.n), make([]float64, m.n)
	return nil
}

func (m *Suggester) count() int {
	if m.Count > 0 {
		return m.Count
	}
	return 5
}

// Act makes the next suggestion of the session, or calls the vote (Accept)
// when it has none left.
func (m *Suggester) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Propose {
		return mechanism.Answer{}
	}
	if r.Offer == nil {
		m.plan(r.Proposals)
	}
	if len(m.queue) == 0 {
		return mechanism.Answer{Kind: mechanism.Accept}
	}
	m.sp.Decode(outcome.Index(m.queue[0]), m.buf)
	m.queue = m.queue[1:]
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
}

// plan fills the queue with this session's suggestions.
func (m *Suggester) plan(props []outcome.Outcome) {
	m.queue = m.queue[:0]
	if len(props) != m.n {
		return
	}
	for i := range m.n {
		if props[i] == nil || !m.sp.Valid(props[i]) {
			return
		}
	}
	for i := range m.n {
		hi := m.t.util[i][m.sp.Index(props[i])]
		lo := hi
		for j := range m.n {
			lo = min(lo, m.t.util[i][m.sp.Index(props[j])])
		}
		m.lo[i], m.span[i] = lo, max(hi-lo, 1e-9)
	}
	k := m.count()
	for s := range k {
		if m.n == 2 {
			l := float64(s+1) / float64(k+1)
			m.w[0], m.w[1] = l, 1-l
		} else {
			for i := range m.w {
				m.w[i] = 1
			}
			if s > 0 {
				m.w[(s-1)%m.n] = 2
			}
		}
		best, bestV, bestS := int64(-1), math.Inf(-1), math.Inf(-1)
		for _, idx := range m.front {
			v, sum := math.Inf(1), 0.0
			for i := range m.n {
				g := (m.t.util[i][idx] - m.lo[i]) / m.span[i]
				if g < -1e-12 {
					v = math.Inf(-1)
					break
				}
				v = min(v, g/m.w[i])
				sum += g
			}
			if v > bestV || (v == bestV && sum > bestS) {
				best, bestV, bestS = idx, v, sum
			}
		}
		if best >= 0 && bestV > math.Inf(-1) && !containsIdx(m.queue, best) {
			m.queue = append(m.queue, best)
		}
	}
}

func containsIdx(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// frontierOf returns the outcomes of t that are feasible, free of red lines
// and Pareto-optimal among those (for more than two parties: all feasible,
// red-line-free outcomes), in index order; computed once per table.
func frontierOf(t *table) []int64 {
	t.frontOnce.Do(func() { t.front = frontier(t) })
	return t.front
}

func frontier(t *table) []int64 {
	var idx []int64
	for i, ok := range t.ok {
		if ok {
			idx = append(idx, int64(i))
		}
	}
	if len(t.util) != 2 {
		return idx
	}
	u0, u1 := t.util[0], t.util[1]
	sort.Slice(idx, func(a, b int) bool {
		x, y := idx[a], idx[b]
		if u0[x] != u0[y] {
			return u0[x] > u0[y]
		}
		if u1[x] != u1[y] {
			return u1[x] > u1[y]
		}
		return x < y
	})
	var out []int64
	best := math.Inf(-1)
	for _, i := range idx {
		if u1[i] > best {
			out = append(out, i)
			best = u1[i]
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}

// Proposer is the mediator of the double-blind proposal
// (mechanism.DoubleBlind) who has learned the parties' interests in
// confidence, as a mediator does in caucus before making a mediator's
// proposal (JAMS ADR Insights 2020; see docs/mediation.md). With confidential access it ranks the outcomes
// every party could accept (feasible, free of red lines, each party at or
// above its reservation value within preference.Tolerance) by the Nash
// product Π(uᵢ − rvᵢ), ties to the larger utility sum, then the lower
// index. Its first package is the first of that list (the Nash point of
// analysis.Analyze up to ties). After a "no deal" it reads the secret
// answers (Request.Answers, given to the mediator only): if some parties
// accepted and others rejected, it proposes the best-ranked package not yet
// proposed that is strictly better than its last one for every party that
// rejected it; if every party rejected, or no such package exists, it puts
// the same package again (time changes what the parties accept). It never
// ends the talks itself; with nothing acceptable to all it ends at once.
// O(N·n) at Init for N outcomes, O(L) per package for a list of L.
type Proposer struct {
	t        *table
	sp       *outcome.Space
	list     []int64
	used     map[int64]bool
	last     int64
	proposed bool
	buf      outcome.Outcome
}

// ConfidentialAccess reports true: the proposer reads every profile.
func (m *Proposer) ConfidentialAccess() bool { return true }

// Init starts a new negotiation; it fails without confidential access or on
// a space larger than MaxTable outcomes.
func (m *Proposer) Init(s *mechanism.Setup) error {
	if err := confidential("proposer", s); err != nil {
		return err
	}
	if err := protocol("proposer", s, "double-blind"); err != nil {
		return err
	}
	t, err := tableFor(s.Space, s.Confidential)
	if err != nil {
		return err
	}
	m.t, m.sp = t, s.Space
	m.buf = resize(m.buf, s.Space.NumIssues())
	m.list = m.list[:0]
	nash := map[int64]float64{}
	for i, ok := range t.ok {
		if !ok {
			continue
		}
		v := 1.0
		for p, pr := range s.Confidential {
			d := t.util[p][i] - pr.Reservation
			if d < -preference.Tolerance {
				v = -1
				break
			}
			v *= max(d, 0)
		}
		if v >= 0 {
			m.list = append(m.list, int64(i))
			nash[int64(i)] = v
		}
	}
	sum := func(i int64) float64 {
		s := 0.0
		for p := range t.util {
			s += t.util[p][i]
		}
		return s
	}
	sort.SliceStable(m.list, func(a, b int) bool {
		x, y := m.list[a], m.list[b]
		if nash[x] != nash[y] {
			return nash[x] > nash[y]
		}
		if sx, sy := sum(x), sum(y); sx != sy {
			return sx > sy
		}
		return x < y
	})
	m.used = map[int64]bool{}
	m.proposed = false
	return nil
}

// Act proposes the next package, or ends the talks when no outcome is
// acceptable to all.
func (m *Proposer) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Propose {
		return mechanism.Answer{}
	}
	if len(m.list) == 0 {
		return mechanism.Answer{Kind: mechanism.End}
	}
	next := m.list[0]
	if m.proposed {
		next = m.last
		if m.split(r.Answers) {
			for _, idx := range m.list {
				if !m.used[idx] && m.better(idx, r.Answers) {
					next = idx
					break
				}
			}
		}
	}
	m.last, m.proposed = next, true
	m.used[next] = true
	m.sp.Decode(outcome.Index(next), m.buf)
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
}

// split reports whether some parties accepted the last package and some
// rejected it.
func (m *Proposer) split(answers []mechanism.AnswerKind) bool {
	yes, no := false, false
	for _, a := range answers {
		yes = yes || a == mechanism.Accept
		no = no || a == mechanism.Reject
	}
	return yes && no
}

// better reports whether idx is strictly better than the last package for
// every party that rejected it.
func (m *Proposer) better(idx int64, answers []mechanism.AnswerKind) bool {
	for p, a := range answers {
		if a == mechanism.Reject && m.t.util[p][idx] <= m.t.util[p][m.last]+1e-12 {
			return false
		}
	}
	return true
}

// Interpolator is a blind-bidding mediator that knows nothing of the
// parties' preferences: its suggestions are built from the visible
// proposals alone, "along the parties' stated positions". Suggestion k of a
// session (k = 0 … Count−1) mixes the proposals with weights wₖ — for two
// parties (1 − λₖ, λₖ) with λₖ = (k+1)/(Count+1), from near party 0's
// proposal to near party 1's; with more parties equal weights first, then
// each party in turn weighted double — issue by issue: an integer or real
// issue takes the weighted mean of the proposed values (rounded to the
// grid); the discrete issues, in an order drawn once per session from
// Setup.Rand, are handed out to the parties in proportion to their weights
// (the first share of them takes party 0's value, and so on). Infeasible
// mixtures and duplicates are dropped. O(Count·n·I) per session; it never
// reads a profile, so it needs no confidential access.
type Interpolator struct {
	Count int // suggestions per session (default 5)

	sp    *outcome.Space
	t     texts
	n     int
	queue []outcome.Outcome
	w     []float64
}

// Init starts a new negotiation.
func (m *Interpolator) Init(s *mechanism.Setup) error {
	if err := m.t.reset(s, "interpolator", "blind-bidding"); err != nil {
		return err
	}
	m.sp, m.n = s.Space, s.NumParties
	m.queue = m.queue[:0]
	m.w = make([]float64, m.n)
	return nil
}

func (m *Interpolator) count() int {
	if m.Count > 0 {
		return m.Count
	}
	return 5
}

// Act makes the next suggestion of the session, or calls the vote.
func (m *Interpolator) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Propose {
		return mechanism.Answer{}
	}
	if r.Offer == nil {
		m.plan(r.Proposals)
	}
	if len(m.queue) == 0 {
		return mechanism.Answer{Kind: mechanism.Accept}
	}
	o := m.queue[0]
	m.queue = m.queue[1:]
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: o}
}

func (m *Interpolator) plan(props []outcome.Outcome) {
	m.queue = m.queue[:0]
	if len(props) != m.n {
		return
	}
	for _, p := range props {
		if p == nil || !m.sp.Valid(p) {
			return
		}
	}
	var discrete []int
	for i := range m.sp.Issues {
		if m.sp.Issues[i].Kind == outcome.Discrete {
			discrete = append(discrete, i)
		}
	}
	m.t.r.Shuffle(len(discrete), func(a, b int) { discrete[a], discrete[b] = discrete[b], discrete[a] })
	k := m.count()
	for s := range k {
		if m.n == 2 {
			l := float64(s+1) / float64(k+1)
			m.w[0], m.w[1] = 1-l, l
		} else {
			for i := range m.w {
				m.w[i] = 1
			}
			if s > 0 {
				m.w[(s-1)%m.n] = 2
			}
		}
		total := 0.0
		for _, w := range m.w {
			total += w
		}
		o := m.sp.New()
		for i := range m.sp.Issues {
			if m.sp.Issues[i].Kind == outcome.Discrete {
				continue
			}
			v := 0.0
			for j, p := range props {
				v += m.w[j] / total * float64(p[i])
			}
			o[i] = int32(math.Round(v))
		}
		for r, i := range discrete {
			x, j, acc := (float64(r)+0.5)/float64(len(discrete)), 0, m.w[0]/total
			for x > acc && j+1 < m.n {
				j++
				acc += m.w[j] / total
			}
			o[i] = props[j][i]
		}
		if !m.sp.Feasible(o) || slices.ContainsFunc(m.queue, o.Equal) {
			continue
		}
		m.queue = append(m.queue, o)
	}
}

package mediator

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// MaxTable is the largest outcome space the confidential mediators
// enumerate (8 bytes per outcome and party).
const MaxTable = 1 << 24

// table holds every party's utility of every outcome and whether the outcome
// is feasible and crosses no party's red line.
type table struct {
	util [][]float64 // util[p][idx]
	ok   []bool

	frontOnce sync.Once
	front     []int64 // frontierOf's answer, computed once
}

type tableKey struct {
	sp *outcome.Space
	p0 *preference.Profile
	p1 *preference.Profile
	n  int
}

var tables = struct {
	sync.Mutex
	m     map[tableKey]*table
	order []tableKey
}{m: map[tableKey]*table{}}

// tableFor enumerates sp under ps, reusing a recent table for the same
// space and profiles (up to 8 are kept). O(N·(n·I + R)) to build.
func tableFor(sp *outcome.Space, ps []*preference.Profile) (*table, error) {
	if err := sp.CheckEnumerable(MaxTable); err != nil {
		return nil, fmt.Errorf("the confidential mediators enumerate the outcomes: %w", err)
	}
	key := tableKey{sp: sp, p0: ps[0], n: len(ps)}
	if len(ps) > 1 {
		key.p1 = ps[1]
	}
	cacheable := len(ps) <= 2
	if cacheable {
		tables.Lock()
		t := tables.m[key]
		tables.Unlock()
		if t != nil {
			return t, nil
		}
	}
	size, _ := sp.Size()
	t := &table{util: make([][]float64, len(ps)), ok: make([]bool, size)}
	for p := range ps {
		t.util[p] = make([]float64, size)
	}
	o := sp.New()
	for idx := range size {
		sp.Decode(outcome.Index(idx), o)
		ok := sp.Feasible(o)
		for p, pr := range ps {
			t.util[p][idx] = pr.Utility(o)
			if pr.Violates(o) {
				ok = false
			}
		}
		t.ok[idx] = ok
	}
	if cacheable {
		tables.Lock()
		if _, dup := tables.m[key]; !dup {
			tables.m[key] = t
			tables.order = append(tables.order, key)
			if len(tables.order) > 8 {
				delete(tables.m, tables.order[0])
				tables.order = tables.order[1:]
			}
		}
		tables.Unlock()
	}
	return t, nil
}

// confidential checks that s grants the profiles of every party.
func confidential(name string, s *mechanism.Setup) error {
	if s == nil || s.Space == nil {
		return errors.New("mediator: setup has no outcome space")
	}
	if len(s.Confidential) != s.NumParties || s.NumParties == 0 {
		return fmt.Errorf("mediator %q reads the parties' profiles: run it with confidential access (sim.Config.Confidential = true)", name)
	}
	for i, p := range s.Confidential {
		if p == nil {
			return fmt.Errorf("mediator %q: confidential profile of party %d is missing", name, i)
		}
	}
	return nil
}

// Improver is Raiffa's post-settlement mediator (Raiffa 1985,
// "Post-settlement settlements"): with confidential access to the profiles
// it proposes, over the agreement a, the feasible outcome free of red lines
// that every party strictly prefers to a and that maximises
// Π(uᵢ(x) − uᵢ(a)) — the Nash solution with the agreement as disagreement
// point. A proposal some party does not accept is never proposed again; it
// ends when no improvement is left. On a space of at most MaxTable outcomes
// each proposal scans the enumerated space, O(N·n) (the table is built once
// per space and profiles). On a larger space it searches the Pareto frontier
// of the admissible outcomes computed issue by issue (analysis.Auto; linear
// additive profiles): the maximiser of the product over the outcomes that
// improve on a for everyone is Pareto-optimal, so the first proposal is the
// same, and each proposal costs O(F·n) for F frontier points.
type Improver struct {
	t        *table
	front    []analysis.Point // the frontier, when the space is too large for a table
	sp       *outcome.Space
	ps       []*preference.Profile
	buf      outcome.Outcome
	tabu     []int64
	last     int64
	ua       []float64
	proposed bool
}

// ConfidentialAccess reports true: the improver reads every profile.
func (m *Improver) ConfidentialAccess() bool { return true }

// Init starts a new negotiation; it fails without confidential access, or
// on a space too large to enumerate whose frontier cannot be computed issue
// by issue (the error says why).
func (m *Improver) Init(s *mechanism.Setup) error {
	if err := confidential("improver", s); err != nil {
		return err
	}
	m.t, m.front = nil, nil
	if err := s.Space.CheckEnumerable(MaxTable); err != nil {
		r, err := analysis.Auto(context.Background(), s.Space, s.Confidential, analysis.Options{Limit: MaxTable})
		if err != nil {
			return fmt.Errorf("the improver searches the Pareto frontier: %w", err)
		}
		m.front = r.Pareto
	} else {
		t, err := tableFor(s.Space, s.Confidential)
		if err != nil {
			return err
		}
		m.t = t
	}
	m.sp, m.ps = s.Space, s.Confidential
	m.buf = resize(m.buf, s.Space.NumIssues())
	m.tabu = m.tabu[:0]
	m.ua = make([]float64, s.NumParties)
	m.proposed = false
	return nil
}

// Act proposes the best remaining Pareto improvement, or ends.
func (m *Improver) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Improve || !m.sp.Valid(r.Offer) {
		return mechanism.Answer{}
	}
	if m.proposed && r.Answers != nil {
		for _, a := range r.Answers {
			if a != mechanism.Better {
				m.tabu = append(m.tabu, m.last)
				break
			}
		}
	}
	const eps = 1e-12
	gain := func(u func(p int) float64) float64 {
		v := 1.0
		for p, ua := range m.ua {
			d := u(p) - ua
			if d <= eps {
				return -1
			}
			v *= d
		}
		return v
	}
	best, bestV := int64(-1), 0.0
	if m.t == nil {
		for p, pr := range m.ps {
			m.ua[p] = pr.Utility(r.Offer)
		}
		for k := range m.front {
			u := m.front[k].Utility
			if v := gain(func(p int) float64 { return u[p] }); v > bestV && !m.taboo(int64(k)) {
				best, bestV = int64(k), v
			}
		}
		if best < 0 {
			return mechanism.Answer{Kind: mechanism.End}
		}
		m.last, m.proposed = best, true
		copy(m.buf, m.front[best].Outcome)
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
	}
	a := m.sp.Index(r.Offer)
	for p := range m.ua {
		m.ua[p] = m.t.util[p][a]
	}
	for idx, ok := range m.t.ok {
		if !ok {
			continue
		}
		if v := gain(func(p int) float64 { return m.t.util[p][idx] }); v > bestV && !m.taboo(int64(idx)) {
			best, bestV = int64(idx), v
		}
	}
	if best < 0 {
		return mechanism.Answer{Kind: mechanism.End}
	}
	m.last, m.proposed = best, true
	m.sp.Decode(outcome.Index(best), m.buf)
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
}

func (m *Improver) taboo(idx int64) bool {
	for _, t := range m.tabu {
		if t == idx {
			return true
		}
	}
	return false
}

// Arbitrator is the trusted arbitrator of the reference protocol
// (mechanism.Arbitration): with confidential access to the profiles it
// awards the Nash bargaining solution (Nash 1950) as package analysis
// computes it (analysis.Analyze, Report.Nash: over the outcomes every party
// could accept — feasible, free of red lines, each party reaching its
// reservation value within preference.Tolerance — maximising Π(uᵢ − rvᵢ),
// ties to the larger utility sum, then frontier order). With no such
// outcome it makes no award. Init finds it without the Pareto frontier
// (analysis.Summarize, the same point bit for bit): two passes over the N
// outcomes, O(N·(n + I + R)), whatever the number of parties. A space of
// more than MaxTable outcomes is analysed issue by issue (analysis.Auto: the
// same Nash point on the Pareto frontier of linear-additive profiles,
// ε-approximate where the exact frontier is too large to hold).
type Arbitrator struct {
	award outcome.Outcome // nil: no outcome is acceptable to all
}

// ConfidentialAccess reports true: the arbitrator reads every profile.
func (m *Arbitrator) ConfidentialAccess() bool { return true }

// Init starts a new negotiation; it fails without confidential access, or
// on a space too large to enumerate that cannot be analysed issue by issue
// (the error says why).
func (m *Arbitrator) Init(s *mechanism.Setup) error {
	if err := confidential("arbitrator", s); err != nil {
		return err
	}
	award, err := awardFor(s.Space, s.Confidential)
	if err != nil {
		return err
	}
	m.award = award.Clone() // the cached one is shared
	return nil
}

// awards caches the arbitrator's award for recent spaces and profiles (up
// to 8; two parties), as tables caches the enumerations: a tournament
// starts many arbitrations on one scenario.
var awards = struct {
	sync.Mutex
	m     map[tableKey]outcome.Outcome
	order []tableKey
}{m: map[tableKey]outcome.Outcome{}}

// awardFor returns the Nash point the arbitrator awards (nil: none), from
// the cache or from one analysis. The outcome is shared: read it only.
func awardFor(sp *outcome.Space, ps []*preference.Profile) (outcome.Outcome, error) {
	key := tableKey{sp: sp, p0: ps[0], n: len(ps)}
	if len(ps) > 1 {
		key.p1 = ps[1]
	}
	cacheable := len(ps) <= 2
	if cacheable {
		awards.Lock()
		a, ok := awards.m[key]
		awards.Unlock()
		if ok {
			return a, nil
		}
	}
	opts := analysis.Options{Limit: MaxTable}
	r, err := analysis.Summarize(context.Background(), sp, ps, opts)
	if errors.Is(err, analysis.ErrTooManyTies) {
		var full *analysis.Report
		if full, err = analysis.Analyze(context.Background(), sp, ps, opts); err == nil {
			r = &analysis.Summary{Nash: full.Nash}
		}
	}
	if errors.Is(err, outcome.ErrTooLarge) {
		var full *analysis.Report
		if full, err = analysis.Auto(context.Background(), sp, ps, opts); err == nil {
			r = &analysis.Summary{Nash: full.Nash}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the arbitrator analyses the outcomes: %w", err)
	}
	var a outcome.Outcome
	if r.Nash != nil {
		a = r.Nash.Outcome.Clone()
	}
	if cacheable {
		awards.Lock()
		if _, dup := awards.m[key]; !dup {
			awards.m[key] = a
			awards.order = append(awards.order, key)
			if len(awards.order) > 8 {
				delete(awards.m, awards.order[0])
				awards.order = awards.order[1:]
			}
		}
		awards.Unlock()
	}
	return a, nil
}

// Act awards the Nash point, or ends without an award.
func (m *Arbitrator) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Propose {
		return mechanism.Answer{}
	}
	if m.award == nil {
		return mechanism.Answer{Kind: mechanism.End}
	}
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.award}
}

// Phased is a mediator for mechanism.PostSettlement: Talks serves the first
// phase (nil if the first phase has no mediator, as in direct talks) and
// Improver the Improve requests of the second. Each gets the parties'
// profiles only if it is marked as needing them (NeedsConfidential).
type Phased struct {
	Talks    mechanism.Party
	Improver mechanism.Party
}

// ConfidentialAccess reports whether either phase's strategy reads profiles.
func (m *Phased) ConfidentialAccess() bool {
	return (m.Talks != nil && NeedsConfidential(m.Talks)) || NeedsConfidential(m.Improver)
}

// Init starts both strategies, each with the access it is marked for.
func (m *Phased) Init(s *mechanism.Setup) error {
	if m.Improver == nil {
		return errors.New("mediator: a phased mediator needs an improver")
	}
	if m.Talks != nil {
		if err := m.Talks.Init(restricted(s, m.Talks)); err != nil {
			return err
		}
	}
	return m.Improver.Init(restricted(s, m.Improver))
}

// restricted returns s without the confidential profiles unless p needs them.
func restricted(s *mechanism.Setup, p mechanism.Party) *mechanism.Setup {
	if s == nil || NeedsConfidential(p) || s.Confidential == nil {
		return s
	}
	c := *s
	c.Confidential = nil
	return &c
}

// Act routes Improve requests to the improver and all others to Talks.
func (m *Phased) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind == mechanism.Improve {
		return m.Improver.Act(c, r)
	}
	if m.Talks == nil {
		return mechanism.Answer{}
	}
	return m.Talks.Act(c, r)
}

package mediator

import (
	"math"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/strategy"
)

// Relay is the plain shuttle mediator: it passes every offer on as is. Under
// mechanism.Shuttle the parties then get exactly the requests they would get
// under direct talks (mechanism.SAO), so the outcome is the same. O(1).
type Relay struct{}

// Init accepts any setup of the shuttle protocol.
func (Relay) Init(s *mechanism.Setup) error {
	if s == nil {
		return nil
	}
	return protocol("relay", s, "shuttle")
}

// Act relays the offer.
func (Relay) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Relay {
		return mechanism.Answer{}
	}
	return mechanism.Answer{Kind: mechanism.Accept}
}

// Bridge is a shuttle mediator that proposes bridging packages near the
// Nash point it estimates from the offers it has relayed.
//
// It learns each party's preferences from that party's offers with the
// HardHeaded frequency model (strategy.FrequencyModel). Once every party has
// made Warmup offers, every Every-th offer is replaced by a package: among
// the offers seen so far and Candidates uniform crossovers of the latest
// offers of two parties, the feasible outcome with the largest estimated
// Nash product Π ûᵢ (disagreement at 0), not one of its last 16 packages.
// All other offers are relayed as is. The estimate is only as good as the
// offers: the mediator never sees a profile. O(Candidates·(I + n·I)) per
// package; no allocation per request once the offer store is full.
type Bridge struct {
	Warmup     int // offers per party before the first package (default 3)
	Every      int // bridge every Every-th offer (default 3)
	Candidates int // crossovers examined per package (default 64)

	t      texts
	models []strategy.FrequencyModel
	latest []outcome.Outcome // latest offer of each party
	counts []int
	seen   []int32 // offers seen, back to back (capped at maxSeen)
	nseen  int
	relays int
	cand   outcome.Outcome
	best   outcome.Outcome
	recent []uint64 // hashes of the last packages
	ri     int
}

const maxSeen = 512

// Init starts a new negotiation.
func (m *Bridge) Init(s *mechanism.Setup) error {
	if err := m.t.reset(s, "bridge", "shuttle"); err != nil {
		return err
	}
	n, k := s.NumParties, s.Space.NumIssues()
	if len(m.models) != n {
		m.models = make([]strategy.FrequencyModel, n)
		m.latest = make([]outcome.Outcome, n)
		m.counts = make([]int, n)
	}
	for i := range m.models {
		m.models[i].Learn = 0.2
		if err := m.models[i].Start(s.Space); err != nil {
			return err
		}
		m.latest[i] = resize(m.latest[i], k)
	}
	clear(m.counts)
	if cap(m.seen) < maxSeen*k {
		m.seen = make([]int32, 0, maxSeen*k)
	}
	m.seen = m.seen[:0]
	m.nseen, m.relays = 0, 0
	m.cand, m.best = resize(m.cand, k), resize(m.best, k)
	if len(m.recent) != 16 {
		m.recent = make([]uint64, 16)
	}
	clear(m.recent)
	m.ri = 0
	return nil
}

func (m *Bridge) params() (warm, every, cands int) {
	warm, every, cands = m.Warmup, m.Every, m.Candidates
	if warm <= 0 {
		warm = 3
	}
	if every <= 0 {
		every = 3
	}
	if cands <= 0 {
		cands = 64
	}
	return
}

func hash(o outcome.Outcome) uint64 {
	h := uint64(14695981039346656037)
	for _, v := range o {
		h ^= uint64(uint32(v))
		h *= 1099511628211
	}
	return h | 1
}

// nash returns the estimated Nash product of o, or −1 if o is infeasible or
// a recent package.
func (m *Bridge) nash(o outcome.Outcome) float64 {
	if !m.t.sp.Feasible(o) {
		return -1
	}
	h := hash(o)
	for _, r := range m.recent {
		if r == h {
			return -1
		}
	}
	p := 1.0
	for i := range m.models {
		p *= m.models[i].Utility(o)
	}
	return p
}

// Act relays, or replaces the offer with a bridging package.
func (m *Bridge) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind != mechanism.Relay {
		return mechanism.Answer{}
	}
	from := r.From
	if from < 0 || from >= len(m.models) {
		return mechanism.Answer{Kind: mechanism.Accept}
	}
	m.models[from].Update(r.Offer, c.T)
	copy(m.latest[from], r.Offer)
	m.counts[from]++
	k := len(r.Offer)
	if m.nseen < maxSeen {
		m.seen = append(m.seen, r.Offer...)
		m.nseen++
	} else {
		copy(m.seen[(m.nseen%maxSeen)*k:], r.Offer)
		m.nseen++
	}
	m.relays++
	warm, every, cands := m.params()
	for _, n := range m.counts {
		if n < warm {
			return mechanism.Answer{Kind: mechanism.Accept}
		}
	}
	if m.relays%every != 0 {
		return mechanism.Answer{Kind: mechanism.Accept}
	}
	bestV := math.Inf(-1)
	stored := min(m.nseen, maxSeen)
	for j := range stored {
		o := outcome.Outcome(m.seen[j*k : (j+1)*k])
		if v := m.nash(o); v > bestV {
			bestV = v
			copy(m.best, o)
		}
	}
	n := len(m.latest)
	for range cands {
		a, b := m.t.r.IntN(n), m.t.r.IntN(n-1)
		if b >= a {
			b++
		}
		for i := range m.cand {
			if m.t.r.IntN(2) == 0 {
				m.cand[i] = m.latest[a][i]
			} else {
				m.cand[i] = m.latest[b][i]
			}
		}
		if v := m.nash(m.cand); v > bestV {
			bestV = v
			copy(m.best, m.cand)
		}
	}
	if bestV < 0 {
		return mechanism.Answer{Kind: mechanism.Accept}
	}
	m.recent[m.ri%len(m.recent)] = hash(m.best)
	m.ri++
	return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.best}
}

package strategy

import (
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// MiCRO is de Jonge's benchmark strategy (2022, "An analysis of the linear
// bilateral ANAC domains using the MiCRO benchmark strategy", IJCAI 2022),
// as NegMAS implements it; it is both the bidding strategy and the
// acceptance condition of its Agent.
//
// It walks down its acceptable outcomes from the best, one new outcome at a
// time, and makes a new offer only while it has made no more distinct offers
// than it has received (m ≤ n); otherwise it repeats one of its earlier
// offers, chosen at random. It accepts an offer worth at least its next new
// offer when it is about to concede, and otherwise at least the lowest offer
// it has made. It never goes below its reservation value. Each move costs
// O(I) plus one set look-up.
type MiCRO struct {
	offers    Offers
	s         *Session
	sent      int     // distinct offers made: the offers' Nth(0 … sent−1)
	received  int     // distinct offers received
	worst     float64 // utility of the lowest offer made
	conceding bool    // the plan of the last Next: a new offer
	seen      seenSet
}

// Start forgets the previous negotiation.
func (m *MiCRO) Start(s *Session) error {
	m.offers, m.s = s.Offers, s
	m.sent, m.received, m.conceding = 0, 0, false
	m.worst = s.Offers.Best()
	m.seen.reset(s.Space)
	return nil
}

// Received counts o if it is new.
func (m *MiCRO) Received(_ *mechanism.Clock, o outcome.Outcome, _ float64) {
	if m.seen.add(o) {
		m.received++
	}
}

// Next writes its next new offer if it has made no more distinct offers than
// it received (and has one left), else one of its earlier offers at random.
func (m *MiCRO) Next(_ *mechanism.Clock, dst outcome.Outcome) (float64, bool) {
	m.conceding = m.sent <= m.received
	if m.conceding {
		if u, ok := m.offers.Nth(m.sent, dst); ok {
			return u, true
		}
		m.conceding = false
	}
	// m.sent ≥ 1 here: with nothing sent yet, m.sent ≤ m.received holds and
	// Nth(0) exists because the offers are not empty.
	return m.offers.Nth(m.s.Rand.IntN(m.sent), dst)
}

// Sent counts a new offer.
func (m *MiCRO) Sent(_ *mechanism.Clock, _ outcome.Outcome, u float64) {
	if m.conceding {
		m.sent++
		m.worst = u
		m.conceding = false
	}
}

// Accept accepts u ≥ next when conceding, else u ≥ the lowest offer made.
func (m *MiCRO) Accept(_ *mechanism.Clock, u, next float64) bool {
	if m.conceding {
		return u >= next
	}
	return u >= m.worst
}

// seenSet is a set of outcomes: a bitset over dense indices for enumerable
// spaces (no allocation after the first reset), a map otherwise.
type seenSet struct {
	sp   *outcome.Space
	bits []uint64
	m    map[string]struct{}
	key  []byte
}

// maxSeenBits bounds the bitset: 2²⁷ outcomes take 16 MB.
const maxSeenBits = 1 << 27

func (ss *seenSet) reset(sp *outcome.Space) {
	ss.sp = sp
	if n, ok := sp.Size(); ok && n <= maxSeenBits {
		w := int((n + 63) / 64)
		if cap(ss.bits) < w {
			ss.bits = make([]uint64, w)
		}
		ss.bits = ss.bits[:w]
		clear(ss.bits)
		ss.m = nil
		return
	}
	ss.bits = nil
	ss.m = map[string]struct{}{}
}

// add inserts o and reports whether it was new.
func (ss *seenSet) add(o outcome.Outcome) bool {
	if ss.m == nil {
		i := uint64(ss.sp.Index(o))
		w, b := i/64, uint64(1)<<(i%64)
		if ss.bits[w]&b != 0 {
			return false
		}
		ss.bits[w] |= b
		return true
	}
	ss.key = ss.key[:0]
	for _, v := range o {
		ss.key = append(ss.key, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	if _, ok := ss.m[string(ss.key)]; ok {
		return false
	}
	ss.m[string(ss.key)] = struct{}{}
	return true
}

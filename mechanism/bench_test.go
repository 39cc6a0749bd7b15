package mechanism_test

import (
	"testing"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// scripted is every protocol of the package with a fixed party for all
// roles, so that the mechanism alone is measured and tested: no strategy,
// no simulator.
var scripted = []struct {
	name string
	mech func() mechanism.Mechanism
	// agree: the parties accept (Respond) instead of rejecting, so that a
	// post-settlement phase is reached.
	agree bool
	// midway is a number of moves after which the negotiation is still
	// running, in its last phase.
	midway int
	// extra is how many rounds Result.Rounds may count beyond the deadline
	// (the proposals of a post-settlement phase).
	extra int
}{
	{"sao", func() mechanism.Mechanism { return mechanism.NewSAO() }, false, 3, 0},
	{"shuttle", func() mechanism.Mechanism { return mechanism.NewShuttle() }, false, 3, 0},
	{"single-text", func() mechanism.Mechanism { return mechanism.NewSingleText() }, false, 3, 0},
	{"feedback", func() mechanism.Mechanism { return mechanism.NewFeedback() }, false, 3, 0},
	{"arbitration", func() mechanism.Mechanism { return mechanism.NewArbitration() }, false, 1, 0},
	{"blind-bidding", func() mechanism.Mechanism { return mechanism.NewBlindBidding(0) }, false, 3, 0},
	{"double-blind", func() mechanism.Mechanism { return mechanism.NewDoubleBlind() }, false, 3, 0},
	{"sao+post-settlement", func() mechanism.Mechanism { return mechanism.NewPostSettlement(mechanism.NewSAO(), 1000) }, true, 3, 1000},
}

// script answers r: offers alternate between two feasible outcomes of small;
// relays pass on; votes, responses (unless agree) and comparisons refuse.
func script(r *mechanism.Request, step int, agree bool) mechanism.Answer {
	switch r.Kind {
	case mechanism.Propose, mechanism.Improve:
		if step%2 == 0 {
			return mechanism.Answer{Kind: mechanism.Offer, Outcome: offerA}
		}
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: offerB}
	case mechanism.Respond:
		if agree {
			return mechanism.Answer{Kind: mechanism.Accept}
		}
		return mechanism.Answer{Kind: mechanism.Reject}
	case mechanism.Relay:
		return mechanism.Answer{Kind: mechanism.Accept}
	case mechanism.Compare:
		return mechanism.Answer{Kind: mechanism.Worse}
	}
	return mechanism.Answer{Kind: mechanism.Reject}
}

var offerA, offerB = outcome.Outcome{1, 1, 1}, outcome.Outcome{2, 2, 2}

// drive answers m's requests by script until it is done or max answers were
// given, and returns the number given.
func drive(tb testing.TB, m mechanism.Mechanism, agree bool, max int) int {
	moves := 0
	for ; moves < max && !m.Done(); moves++ {
		if err := m.Apply(script(m.Next(), m.Clock().Step, agree)); err != nil {
			tb.Fatalf("%s: move %d: %v", m.Name(), moves, err)
		}
	}
	return moves
}

// BenchmarkMoves runs negotiations of 1,000 rounds of every protocol between
// scripted parties with no observer, and reports the mechanism's own cost
// per move (request answered). Only the end of a negotiation may allocate
// (an agreement is copied).
func BenchmarkMoves(b *testing.B) {
	sp, _ := small(b)
	dl := mechanism.Deadline{Rounds: 1000}
	for _, p := range scripted {
		b.Run(p.name, func(b *testing.B) {
			m := p.mech()
			moves := 0
			b.ReportAllocs()
			for b.Loop() {
				if err := m.Start(sp, 2, dl, nil); err != nil {
					b.Fatal(err)
				}
				moves += drive(b, m, p.agree, 1<<30)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(moves), "ns/move")
		})
	}
}

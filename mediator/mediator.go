// Package mediator holds the strategies of mediators in indirect talks: who
// proposes single negotiating texts, relays or reformulates offers in
// shuttle talks, learns from feedback, improves a settlement or arbitrates.
//
// A mediator strategy is a mechanism.Party addressed as
// mechanism.MediatorRole. Most mediators see only what the protocol shows
// them (votes, feedback, offers to relay). Those that read the parties'
// profiles — the post-settlement [Improver] and the [Arbitrator] — say so
// through [NeedsConfidential]; a driver grants them Setup.Confidential only
// then (sim.Config.Confidential), and they refuse to start without it.
// [Phased] combines a strategy for the talks with one for post-settlement
// improvement so that only the latter gets the profiles.
//
// Randomness comes only from Setup.Rand, so the same seed gives the same
// texts. The single-text and shuttle mediators allocate nothing per request
// once started.
package mediator

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// Confidential is implemented by mediator strategies that read the parties'
// profiles. ConfidentialAccess reports whether this strategy needs them.
type Confidential interface {
	ConfidentialAccess() bool
}

// NeedsConfidential reports whether p is marked as reading the parties'
// profiles: a driver should set sim.Config.Confidential exactly then.
func NeedsConfidential(p mechanism.Party) bool {
	c, ok := p.(Confidential)
	return ok && c.ConfidentialAccess()
}

// errNoRand is returned by Init when the setup has no random source.
var errNoRand = errors.New("mediator: setup has no random source (Setup.Rand)")

// texts generates feasible texts: random ones and one-issue mutations.
// It never allocates after reset.
type texts struct {
	sp *outcome.Space
	r  *rand.Rand
}

// reset starts t for a negotiation under s, after checking that s has a
// space and a random source and that the strategy called name serves its
// protocol (one of serves).
func (t *texts) reset(s *mechanism.Setup, name string, serves ...string) error {
	if s == nil || s.Space == nil {
		return errors.New("mediator: setup has no outcome space")
	}
	if err := protocol(name, s, serves...); err != nil {
		return err
	}
	if s.Rand == nil {
		return errNoRand
	}
	t.sp, t.r = s.Space, s.Rand
	return nil
}

// random writes a uniformly random feasible outcome to dst (rejection
// sampling, at most 1,000 draws; the last draw is returned if none is
// feasible, and the mechanism then rejects it as the mediator's fault).
func (t *texts) random(dst outcome.Outcome) {
	for range 1000 {
		for i := range dst {
			dst[i] = int32(t.r.IntN(t.sp.Issues[i].Len()))
		}
		if t.sp.Feasible(dst) {
			return
		}
	}
}

// mutate writes to dst a copy of src with one issue, chosen at random, set
// to a different random value, retrying up to 64 times to find a feasible
// one and falling back to a random feasible outcome.
func (t *texts) mutate(src, dst outcome.Outcome) {
	for range 64 {
		copy(dst, src)
		i := t.r.IntN(len(dst))
		n := t.sp.Issues[i].Len()
		if n < 2 {
			continue
		}
		v := int32(t.r.IntN(n - 1))
		if v >= src[i] {
			v++
		}
		dst[i] = v
		if t.sp.Feasible(dst) {
			return
		}
	}
	t.random(dst)
}

func resize(o outcome.Outcome, k int) outcome.Outcome {
	if cap(o) < k {
		return make(outcome.Outcome, k)
	}
	return o[:k]
}

// protocol checks that the protocol named in s is one of those a strategy
// serves (a post-settlement phase after it is fine).
func protocol(name string, s *mechanism.Setup, serves ...string) error {
	for _, p := range serves {
		if s.Protocol == p || strings.HasPrefix(s.Protocol, p+"+") {
			return nil
		}
	}
	return fmt.Errorf("mediator %q serves the %s protocol, not %q", name, strings.Join(serves, " or "), s.Protocol)
}

package strategy

import (
	"fmt"
	"math"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// ACNext is the acceptance condition AC_next(α, β) of Baarslag, Hindriks &
// Jonker 2011 ("Acceptance conditions in automated negotiation"): accept an
// offer worth u iff α·next + β ≤ u, where next is the utility of the offer the
// party would make instead. The zero value means α = 1, β = 0.
type ACNext struct {
	Alpha, Beta float64
}

// Accept reports whether α·next + β ≤ u.
func (ac ACNext) Accept(_ *mechanism.Clock, u, next float64) bool {
	alpha := ac.Alpha
	if alpha == 0 {
		alpha = 1
	}
	return u >= alpha*next+ac.Beta
}

// TimeDependent is the time-dependent bidding tactic of Faratin, Sierra &
// Jennings 1998 ("Negotiation decision functions for autonomous agents"), in
// the form of GENIUS's TimeDependent_Offering: at relative time t it aims at
//
//	target(t) = Pmin + (Pmax − Pmin)·(1 − t^(1/E))
//
// where Pmax and Pmin are the best and worst utilities of the party's
// acceptable outcomes, and offers the acceptable outcome of lowest utility
// at or above the target (GENIUS takes the nearest one, above or below; we
// never go below the target). E < 1 is Boulware (concedes late), E = 1
// linear, E > 1 Conceder; E = 0 never concedes (Hardliner). Each offer costs
// one power and one O(log M) search.
type TimeDependent struct {
	E float64

	offers     Offers
	pmin, pmax float64
}

// Start reads the utility range of the acceptable outcomes.
func (td *TimeDependent) Start(s *Session) error {
	if td.E < 0 || math.IsNaN(td.E) || math.IsInf(td.E, 0) {
		return fmt.Errorf("time-dependent bidding: e = %v, want a finite number ≥ 0", td.E)
	}
	td.offers = s.Offers
	td.pmin, td.pmax = s.Offers.Worst(), s.Offers.Best()
	return nil
}

// Target returns the utility the tactic aims at at relative time t.
func (td *TimeDependent) Target(t float64) float64 {
	if td.E == 0 || t <= 0 {
		return td.pmax
	}
	if t >= 1 {
		return td.pmin
	}
	return td.pmin + (td.pmax-td.pmin)*(1-math.Pow(t, 1/td.E))
}

// Received does nothing: the tactic depends on time alone.
func (td *TimeDependent) Received(*mechanism.Clock, outcome.Outcome, float64) {}

// Next writes the acceptable outcome nearest above the target.
func (td *TimeDependent) Next(c *mechanism.Clock, dst outcome.Outcome) (float64, bool) {
	return td.offers.AtLeast(td.Target(c.T), dst), true
}

// Sent does nothing.
func (td *TimeDependent) Sent(*mechanism.Clock, outcome.Outcome, float64) {}

// RandomBidding offers an acceptable outcome drawn uniformly at random each
// time, from the party's seeded source (GENIUS's RandomParty, restricted to
// acceptable outcomes).
type RandomBidding struct {
	offers Offers
	s      *Session
}

// Start keeps the session's offers and random source.
func (rb *RandomBidding) Start(s *Session) error {
	rb.offers, rb.s = s.Offers, s
	return nil
}

// Received does nothing.
func (rb *RandomBidding) Received(*mechanism.Clock, outcome.Outcome, float64) {}

// Next draws a random acceptable outcome.
func (rb *RandomBidding) Next(_ *mechanism.Clock, dst outcome.Outcome) (float64, bool) {
	return rb.offers.Sample(rb.s.Rand, dst), true
}

// Sent does nothing.
func (rb *RandomBidding) Sent(*mechanism.Clock, outcome.Outcome, float64) {}

// TitForTat is Faratin, Sierra & Jennings's (1998) imitative tactic, applied
// to the party's own utility as Baarslag, Hindriks & Jonker do ("A tit for tat
// negotiation strategy for real-time bilateral negotiations", 2013): the
// party's demand moves by as much as the other side's offers moved, measured
// in the party's own utility. Let b be the party's utility of the offer
// received Delay−1 offers before the latest (the latest itself when Delay = 1)
// and a that of the offer received just before b:
//
//	relative: demand ← demand · a/b      (the same ratio; Faratin's relative TfT)
//	absolute: demand ← demand − (b − a) ± R(Noise)   (the same amount; absolute TfT)
//
// clamped to [Pmin, Pmax], the utility range of its acceptable outcomes. The
// demand starts at Pmax; a retreat by the other side raises it again. It then
// offers the acceptable outcome nearest above the demand. Against a party
// that never concedes it never concedes either.
type TitForTat struct {
	Relative bool
	Delay    int     // δ ≥ 1: imitate the move made δ offers ago (Faratin's δ)
	Noise    float64 // absolute TfT only: uniform noise in [−Noise, Noise] (Faratin's R(M))

	offers     Offers
	s          *Session
	pmin, pmax float64
	demand     float64
	hist       [tftHistory]float64 // utilities of the last offers received, ring
	n          int                 // offers received
}

const tftHistory = 16

// Start resets the demand to the best acceptable utility.
func (tt *TitForTat) Start(s *Session) error {
	if tt.Delay < 1 || tt.Delay >= tftHistory {
		return fmt.Errorf("tit-for-tat bidding: delay %d, want 1..%d", tt.Delay, tftHistory-1)
	}
	if tt.Noise < 0 || math.IsNaN(tt.Noise) {
		return fmt.Errorf("tit-for-tat bidding: noise %v, want ≥ 0", tt.Noise)
	}
	tt.offers, tt.s = s.Offers, s
	tt.pmin, tt.pmax = s.Offers.Worst(), s.Offers.Best()
	tt.demand = tt.pmax
	tt.n = 0
	return nil
}

// Demand returns the utility the tactic currently demands.
func (tt *TitForTat) Demand() float64 { return tt.demand }

// Received imitates the other side's move of Delay offers ago.
func (tt *TitForTat) Received(_ *mechanism.Clock, _ outcome.Outcome, u float64) {
	tt.hist[tt.n%tftHistory] = u
	tt.n++
	if tt.n <= tt.Delay {
		return
	}
	b := tt.hist[(tt.n-tt.Delay)%tftHistory]   // the newer of the pair
	a := tt.hist[(tt.n-tt.Delay-1)%tftHistory] // the older
	d := tt.demand
	if tt.Relative {
		if a > 0 && b > 0 {
			d *= a / b
		}
	} else {
		d -= b - a
		if tt.Noise > 0 {
			d += tt.Noise * (2*tt.s.Rand.Float64() - 1)
		}
	}
	tt.demand = min(max(d, tt.pmin), tt.pmax)
}

// Next writes the acceptable outcome nearest above the demand.
func (tt *TitForTat) Next(_ *mechanism.Clock, dst outcome.Outcome) (float64, bool) {
	return tt.offers.AtLeast(tt.demand, dst), true
}

// Sent does nothing.
func (tt *TitForTat) Sent(*mechanism.Clock, outcome.Outcome, float64) {}

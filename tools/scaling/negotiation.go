package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
)

// negotiationRounds is the deadline of every measured negotiation: long
// enough that the rounds, not Init, dominate.
const negotiationRounds = 1000

// rate is the steady-state speed of repeated negotiations.
type rate struct {
	roundsPerSec float64 // best batch
	stepsPerSec  float64 // answers per second in that batch
	meanRounds   float64 // rounds per negotiation
	allocsNeg    float64 // heap allocations per negotiation (Init included)
	agreements   int     // negotiations that ended in agreement
	runs         int
}

var allocSample = []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}

func allocs() uint64 {
	metrics.Read(allocSample)
	return allocSample[0].Value.Uint64()
}

// parties returns fresh agents: boulware and conceder alternating.
func parties(n int) ([]mechanism.Party, error) {
	ps := make([]mechanism.Party, n)
	for i := range ps {
		name := "boulware"
		if i%2 == 1 {
			name = "conceder"
		}
		a, err := strategy.New(name, nil)
		if err != nil {
			return nil, err
		}
		ps[i] = a
	}
	return ps, nil
}

// negotiationRate runs SAO negotiations among len(ps) time-dependent agents
// on sp through sim.Run (no observer), the agents and mechanism reused as a
// tournament worker reuses them, in batches of about budget/5 (at least 5
// batches, at most 10), and returns the best batch's rounds per second: on a
// machine shared with other work the fastest batch is the least disturbed. Each negotiation calls every agent's
// Init, which finds the offer structure (the cached sorted index, or a new
// per-issue search past strategy.MaxIndexed outcomes).
func negotiationRate(sp *outcome.Space, ps []*preference.Profile, budget time.Duration) (rate, error) {
	agents, err := parties(len(ps))
	if err != nil {
		return rate{}, err
	}
	cfg := &sim.Config{Mechanism: mechanism.NewSAO(), Space: sp, Profiles: ps, Parties: agents,
		Deadline: mechanism.Deadline{Rounds: negotiationRounds}}
	var r rate
	var rounds, steps int
	seed := uint64(0)
	batch := max(budget/5, 50*time.Millisecond)
	start := time.Now()
	a0 := allocs()
	for b := 0; b < 5 || time.Since(start) < budget; b++ {
		if b >= 10 {
			break
		}
		var br, bs int
		t0 := time.Now()
		for k := 0; k == 0 || time.Since(t0) < batch; k++ {
			seed++
			cfg.Seed = seed
			res, err := sim.Run(context.Background(), cfg)
			if err != nil {
				return r, err
			}
			if res.Status == mechanism.Failed {
				return r, fmt.Errorf("%d-party negotiation on %s outcomes failed: %s", len(ps), sp.Count(), res.Reason)
			}
			if res.Status == mechanism.Agreement {
				r.agreements++
			}
			r.runs++
			br += res.Rounds
			bs += res.Steps
		}
		el := time.Since(t0).Seconds()
		if v := float64(br) / el; v > r.roundsPerSec {
			r.roundsPerSec, r.stepsPerSec = v, float64(bs)/el
		}
		rounds += br
		steps += bs
	}
	r.meanRounds = float64(rounds) / float64(r.runs)
	r.allocsNeg = float64(allocs()-a0) / float64(r.runs)
	return r, nil
}

// firstNegotiation times one negotiation on a space no agent has seen (the
// cold start: building the sorted index or the per-issue search) and its
// peak heap.
func firstNegotiation(sp *outcome.Space, ps []*preference.Profile) (measurement, error) {
	return measure(0, func() (string, error) {
		agents, err := parties(len(ps))
		if err != nil {
			return "", err
		}
		_, err = sim.Run(context.Background(), &sim.Config{Mechanism: mechanism.NewSAO(), Space: sp, Profiles: ps, Parties: agents,
			Deadline: mechanism.Deadline{Rounds: negotiationRounds}})
		return "", err
	})
}

func rateString(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// negotiationCurves writes rounds.md/svg (rounds per second as the outcome
// space grows, bilateral) if rounds, and parties.md/svg (as the number of
// parties grows, multilateral SAO) if byParties.
func negotiationCurves(dir, cmd string, budget time.Duration, large, rounds, byParties bool) error {
	if rounds {
		if err := roundsCurve(dir, cmd, budget, large); err != nil {
			return err
		}
	}
	if byParties {
		return partiesCurve(dir, cmd, budget)
	}
	return nil
}

func roundsCurve(dir, cmd string, budget time.Duration, large bool) error {
	rt := &table{file: "rounds", title: "SAO rounds per second, Boulware vs Conceder, as the outcome space grows",
		complexity: fmt.Sprintf("a round is one turn per party: respond (utility of the standing offer: O(I) table look-ups) and propose (the offer nearest a target utility). Up to strategy.MaxIndexed = 2²⁴ outcomes the offer comes from the cached sorted index by binary search, O(log N) per offer, after an O(N·I + N log N) build and O(N) memory per profile (the cold first negotiation); past 2²⁴ from the per-issue search (frontier.Offers.AtLeast), O(I·log k) per offer, O(Σᵢ kᵢ) memory, built in microseconds at every Init. So per round O(n·(I + log N)) with the index and O(n·I·log k) past it (n = 2 parties, k = 10 values). Rounds allocate nothing; the allocations counted are Init's (the per-issue search is rebuilt at every Init). Whole negotiations through sim.Run, deadline %d rounds, agents and mechanism reused across negotiations, one goroutine; best of 5 batches of 0.2 s.", negotiationRounds),
		xlabel:     "outcomes", ylabel: "rounds per second",
		header: []string{"issues × values", "outcomes", "offer search", "first negotiation (cold)", "cold peak mem", "rounds/negotiation", "agreements", "rounds/s", "ns/round", "allocs/negotiation"}}
	sizes := []int{3, 4, 5, 6, 8, 10, 20, 30, 50, 100}
	if large {
		sizes = []int{3, 4, 5, 6, 7, 8, 10, 20, 30, 50, 100}
	}
	for _, ni := range sizes {
		sp, ps, err := space(4, ni, 10, 2)
		if err != nil {
			return err
		}
		search := "sorted index"
		if sp.CheckEnumerable(strategy.MaxIndexed) != nil {
			search = "per-issue"
		}
		cold, err := firstNegotiation(sp, ps)
		if err != nil {
			return err
		}
		r, err := negotiationRate(sp, ps, budget)
		if err != nil {
			return err
		}
		n := math.Pow(10, float64(ni))
		rt.point(search, n, r.roundsPerSec)
		rt.add(fmt.Sprintf("%d × 10", ni), fmt.Sprintf("1e%d", ni), search, dur(cold.seconds), mem(cold.peak),
			fmt.Sprintf("%.0f", r.meanRounds), fmt.Sprintf("%d/%d", r.agreements, r.runs), rateString(r.roundsPerSec),
			fmt.Sprintf("%.0f", 1e9/r.roundsPerSec), fmt.Sprintf("%.0f", r.allocsNeg))
		runtime.GC()
	}
	return rt.write(dir, cmd)
}

func partiesCurve(dir, cmd string, budget time.Duration) error {
	pt := &table{file: "parties", title: "Multilateral SAO rounds per second as the number of parties grows (10⁵ outcomes)",
		complexity: fmt.Sprintf("a round is n turns, each a respond and usually a propose: O(n·(I + log N)) per round with the sorted index (N = 10⁵ outcomes, I = 5 issues), so rounds/s falls as 1/n and turns/s stays flat; agreement needs all n−1 others to accept in turn, so more parties reach the deadline (%d rounds) more often. turns = rounds × n. Parties alternate Boulware and Conceder; one goroutine; best of 5 batches of 0.2 s.", negotiationRounds),
		xlabel:     "parties", ylabel: "per second",
		header: []string{"parties", "rounds/negotiation", "agreements", "rounds/s", "turns/s", "ns/turn", "allocs/negotiation"}}
	for n := 2; n <= 10; n++ {
		sp, ps, err := space(5, 5, 10, n)
		if err != nil {
			return err
		}
		r, err := negotiationRate(sp, ps, budget)
		if err != nil {
			return err
		}
		turns := r.roundsPerSec * float64(n)
		pt.point("rounds/s", float64(n), r.roundsPerSec)
		pt.point("turns/s", float64(n), turns)
		pt.add(fmt.Sprint(n), fmt.Sprintf("%.0f", r.meanRounds), fmt.Sprintf("%d/%d", r.agreements, r.runs), rateString(r.roundsPerSec),
			rateString(turns), fmt.Sprintf("%.0f", 1e9/turns), fmt.Sprintf("%.0f", r.allocsNeg))
	}
	return pt.write(dir, cmd)
}

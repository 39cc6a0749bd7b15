package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/internal/corpus"
	"github.com/backchannel/backchannel/load"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
)

// cube returns a 3-issue space of k values per issue with two opposed
// linear profiles (party 0 prefers high values, party 1 low), reservation 0:
// the setup NegMAS was timed on.
func cube(tb testing.TB, k int) (*outcome.Space, []*preference.Profile) {
	tb.Helper()
	var issues []outcome.Issue
	for i := range 3 {
		vals := make([]string, k)
		for v := range vals {
			vals[v] = fmt.Sprint(v)
		}
		issues = append(issues, outcome.NewDiscrete(fmt.Sprintf("i%d", i), vals...))
	}
	sp, err := outcome.NewSpace(issues, nil)
	if err != nil {
		tb.Fatal(err)
	}
	mk := func(w []float64, up bool) *preference.Profile {
		p := &preference.Profile{Name: "p"}
		for i := range 3 {
			ev := make([]float64, k)
			for v := range ev {
				x := float64(v) / float64(k-1)
				if !up {
					x = 1 - x
				}
				ev[v] = x
			}
			p.Issues = append(p.Issues, preference.IssueUtility{Weight: w[i], Eval: ev})
		}
		if err := p.Prepare(sp); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	return sp, []*preference.Profile{mk([]float64{0.5, 0.3, 0.2}, true), mk([]float64{0.2, 0.3, 0.5}, false)}
}

// BenchmarkSAORounds runs the work NegMAS 0.15.7 was timed on: stacked
// alternating offers between a Boulware and a Conceder time-dependent agent
// on 3 issues, 1,000 rounds without agreement. Both reservation values are
// 0.7, above what any outcome gives both parties (at most 0.65), so no
// negotiation ends early; the benchmark fails if one does. It reports
// rounds/s, a round being both parties' turns: NegMAS's unit, as its SAO
// with one_offer_per_step=False lets both parties offer in one step. NegMAS:
// ~1,500 steps/s at 1,000 outcomes, ~300 at 8,000 (../shared/ANCHORS.md).
func BenchmarkSAORounds(b *testing.B) {
	const rounds = 1000
	for _, k := range []int{5, 10, 20} {
		sp, ps := cube(b, k)
		for _, p := range ps {
			p.Reservation = 0.7
		}
		b.Run(fmt.Sprintf("outcomes=%d", k*k*k), func(b *testing.B) {
			a0, _ := strategy.New("boulware", nil)
			a1, _ := strategy.New("conceder", nil)
			cfg := &sim.Config{Mechanism: mechanism.NewSAO(), Space: sp, Profiles: ps, Parties: []mechanism.Party{a0, a1},
				Deadline: mechanism.Deadline{Rounds: rounds}}
			done := 0
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				cfg.Seed = uint64(i)
				res, err := sim.Run(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				if res.Status == mechanism.Agreement || res.Rounds != rounds {
					b.Fatalf("negotiation %d ended after %d rounds (%s), not at the %d-round deadline without agreement", i, res.Rounds, res.Reason, rounds)
				}
				done += res.Rounds
			}
			b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "rounds/s")
		})
	}
}

// BenchmarkSingleTextSteps runs the mediated single text (GENIUS-style
// random-flip mediator, hill-climbing voters who veto any text worse than
// the last accepted one) on 1,000 outcomes for 1,000 texts and reports
// steps/s, a step being one text put to the vote. NegMAS 0.15.7 (veto
// single text): ~6,300–7,200 steps/s.
func BenchmarkSingleTextSteps(b *testing.B) {
	sp, ps := cube(b, 10)
	pr, err := protocol.Lookup("single-text/random-flip")
	if err != nil {
		b.Fatal(err)
	}
	a0, _ := strategy.New("boulware", nil)
	a1, _ := strategy.New("boulware", nil)
	parties := []mechanism.Party{pr.Wrap(a0), pr.Wrap(a1)}
	texts := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		med, conf := pr.NewMediator()
		res, err := sim.Run(context.Background(), &sim.Config{Mechanism: pr.New(), Space: sp, Profiles: ps, Parties: parties,
			Mediator: med, Confidential: conf, Deadline: mechanism.Deadline{Rounds: 1000}, Seed: uint64(i)})
		if err != nil {
			b.Fatal(err)
		}
		texts += res.Rounds
	}
	b.ReportMetric(float64(texts)/b.Elapsed().Seconds(), "steps/s")
}

// BenchmarkAnalyzeANAC is what 'backchannel analyze DIR' computes on the
// ANAC scenarios NegMAS was timed on, short of printing: read the GENIUS
// files, analyse (analysis.Auto: counts, frontier with GENIUS's ties, every
// solution concept, opposition) and the ANL 2023 distribution. NegMAS
// 0.15.7, frontier + Nash as a whole process: Travel 1.7 s, Energy 4.6 s,
// AMPOvsCity 16.7 s. Reproduce with
// go test -run '^$' -bench AnalyzeANAC -benchmem -cpu 1 ./bench/
func BenchmarkAnalyzeANAC(b *testing.B) {
	for _, sc := range []string{"anac/y2010/Travel", "anac/y2011/Energy", "other/AMPOvsCity"} {
		dir := corpus.Dir(b, "genius/"+sc)
		b.Run(filepath.Base(sc), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := load.Scenario(dir)
				if err != nil {
					b.Fatal(err)
				}
				r, err := analysis.Auto(context.Background(), s.Space, s.Profiles(), analysis.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.Distribution(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

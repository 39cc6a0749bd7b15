package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/outcome"
)

// analyzeCurve times what 'backchannel analyze' computes (analysis.Auto, then
// the ANL distribution where it enumerated) on two random linear parties,
// without rules (the additive one-pass path) and with one feasibility rule
// (the enumerating path), from 10³ to 10¹⁰⁰ outcomes, and marks where Auto
// switches from enumeration to the issue-by-issue path with sampled
// estimates.
func analyzeCurve(dir, cmd string, budget time.Duration) error {
	at := &table{file: "analyze", title: "analyze: time against outcomes, and where it stops enumerating",
		complexity: fmt.Sprintf("enumerated (two linear parties without rules or red lines, up to outcome.MaxEnumerable = 10⁸): O(N·c) for one pass, c ≈ 1–2 candidate frontier points per outcome; enumerated (with rules, up to analysis.EnumerateLimit = 10⁷): three passes, O(N·(I·n + c)); past the limit: the issue-by-issue frontier, O(Σᵢ |Fᵢ₋₁|·kᵢ·log kᵢ), plus %d sampled outcomes for the zone of agreement and the distribution, O(S·(I·n + c)), independent of N.", analysis.Samples),
		xlabel:     "outcomes", ylabel: "seconds",
		header: []string{"issues × values", "outcomes", "rules", "path", "frontier points", "time", "peak mem"}}
	for _, rule := range []bool{false, true} {
		for _, ni := range []int{3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 50, 100} {
			sp, ps, err := space(3, ni, 10, 2)
			if err != nil {
				return err
			}
			label := "none"
			if rule {
				label = "1"
				allowed := func(vs ...int) []bool {
					a := make([]bool, 10)
					for _, v := range vs {
						a[v] = true
					}
					return a
				}
				r := outcome.Rule{Name: "r", If: []outcome.Condition{{Issue: 0, Allowed: allowed(0, 1, 2)}}, Then: []outcome.Condition{{Issue: 1, Allowed: allowed(5, 6, 7, 8, 9)}}}
				if sp, err = outcome.NewSpace(sp.Issues, []outcome.Rule{r}); err != nil {
					return err
				}
				for _, p := range ps {
					if err := p.Prepare(sp); err != nil {
						return err
					}
				}
			}
			path := ""
			m, err := measure(budget, func() (string, error) {
				r, err := analysis.Auto(context.Background(), sp, ps, analysis.Options{})
				if err != nil {
					return "", err
				}
				path = "issue by issue + samples"
				if r.Enumerated {
					path = "enumerated"
					if _, err := r.Distribution(context.Background()); err != nil {
						return "", err
					}
				}
				return fmt.Sprint(len(r.Pareto)), nil
			})
			if err != nil {
				return err
			}
			name := "no rules"
			if rule {
				name = "one rule"
			}
			at.point(name+", "+path, math.Pow(10, float64(ni)), m.seconds)
			at.add(fmt.Sprintf("%d × 10", ni), fmt.Sprintf("1e%d", ni), label, path, m.extra, dur(m.seconds), mem(m.peak))
		}
	}
	return at.write(dir, cmd)
}

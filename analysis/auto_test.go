package analysis

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// TestAutoMatchesAnalyzeOnSmallSpaces checks that Auto is Analyze where the
// space can be enumerated.
func TestAutoMatchesAnalyzeOnSmallSpaces(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sp, ps := genProblem(t, 2)
		a, err1 := Analyze(context.Background(), sp, ps, Options{})
		b, err2 := Auto(context.Background(), sp, ps, Options{})
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !b.Enumerated || len(a.Pareto) != len(b.Pareto) || a.Acceptable != b.Acceptable {
			t.Fatalf("Auto differs from Analyze: %d/%d points, %d/%d acceptable", len(a.Pareto), len(b.Pareto), a.Acceptable, b.Acceptable)
		}
	})
}

// TestAutoPastTheEnumerationLimit checks the issue-by-issue path on a space
// too large to enumerate: it answers, says so, and its Nash point beats the
// Nash product of every sampled outcome.
func TestAutoPastTheEnumerationLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	var issues []outcome.Issue
	for i := range 30 {
		issues = append(issues, outcome.NewDiscrete(fmt.Sprint("i", i), "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
	}
	sp, err := outcome.NewSpace(issues, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]*preference.Profile, 2)
	for k := range ps {
		p := &preference.Profile{Name: fmt.Sprint("p", k), Reservation: 0.3}
		var sum float64
		for range issues {
			iu := preference.IssueUtility{Weight: r.Float64()}
			sum += iu.Weight
			for range 10 {
				iu.Eval = append(iu.Eval, r.Float64())
			}
			p.Issues = append(p.Issues, iu)
		}
		for i := range p.Issues {
			p.Issues[i].Weight /= sum
		}
		if err := p.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		ps[k] = p
	}
	rep, err := Auto(context.Background(), sp, ps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Enumerated || rep.Outcomes != -1 || len(rep.Pareto) == 0 || rep.Nash == nil || rep.Kalai == nil {
		t.Fatalf("report: enumerated %v, outcomes %d, %d frontier points, nash %v", rep.Enumerated, rep.Outcomes, len(rep.Pareto), rep.Nash)
	}
	best := (rep.Nash.Utility[0] - 0.3) * (rep.Nash.Utility[1] - 0.3)
	o := sp.New()
	for range 20000 {
		for i := range o {
			o[i] = int32(r.IntN(10))
		}
		u0, u1 := ps[0].Utility(o), ps[1].Utility(o)
		if u0 >= 0.3 && u1 >= 0.3 && (u0-0.3)*(u1-0.3) > best+1e-12 {
			t.Fatalf("sampled outcome beats the Nash point: %v > %v", (u0-0.3)*(u1-0.3), best)
		}
	}
	for k := range rep.Pareto {
		u := rep.Pareto[k].Utility
		if math.Abs(ps[0].Utility(rep.Pareto[k].Outcome)-u[0]) > 1e-9 || math.Abs(ps[1].Utility(rep.Pareto[k].Outcome)-u[1]) > 1e-9 {
			t.Fatalf("frontier point %d: outcome does not have the utilities reported", k)
		}
	}
}

// TestAutoEstimatesHoldTheirBounds forces the issue-by-issue path on small
// problems (rules, red lines and reservation values included) and compares
// it with enumeration: the counts are exact, the frontier's vectors are the
// enumerated frontier's distinct vectors, and the sampled zone of agreement
// and distribution lie within their stated bounds. (The bounds hold with
// probability 95% each by Hoeffding's inequality, which is loose: the
// standard error is several times smaller. The seed is fixed, so the test
// is deterministic. It draws 2¹⁴ samples, not Samples, for speed: the
// bounds widen accordingly.)
func TestAutoEstimatesHoldTheirBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sp, ps := genProblem(t, 2)
		ignore := rapid.Bool().Draw(t, "ignore")
		e, err := Analyze(context.Background(), sp, ps, Options{IgnoreConstraints: ignore})
		if err != nil {
			t.Fatal(err)
		}
		a, err := Auto(context.Background(), sp, ps, Options{IgnoreConstraints: ignore, Limit: 1, samples: 1 << 14})
		if err != nil {
			if sp.Count().Int64() <= 1 {
				return // a one-outcome space is enumerated even with Limit 1
			}
			t.Fatal(err)
		}
		if a.Enumerated {
			if sp.Count().Int64() <= 1 {
				return
			}
			t.Fatal("Auto enumerated past its limit")
		}
		if a.Outcomes != e.Outcomes || a.Feasible != e.Feasible || a.Admissible != e.Admissible {
			t.Fatalf("counts %d/%d/%d, enumerated %d/%d/%d", a.Outcomes, a.Feasible, a.Admissible, e.Outcomes, e.Feasible, e.Admissible)
		}
		var distinct [][]float64
		for k := range e.Pareto {
			if k == 0 || !slices.Equal(e.Pareto[k].Utility, e.Pareto[k-1].Utility) {
				distinct = append(distinct, e.Pareto[k].Utility)
			}
		}
		if len(distinct) != len(a.Pareto) {
			t.Fatalf("%d frontier points, enumeration has %d distinct vectors", len(a.Pareto), len(distinct))
		}
		for k := range distinct {
			if math.Abs(distinct[k][0]-a.Pareto[k].Utility[0]) > 1e-12 || math.Abs(distinct[k][1]-a.Pareto[k].Utility[1]) > 1e-12 {
				t.Fatalf("frontier point %d %v, enumerated %v", k, a.Pareto[k].Utility, distinct[k])
			}
		}
		if a.Omitted["pareto ties"] == "" {
			t.Fatal("the left-out ties are not reported")
		}
		if e.Admissible == 0 {
			return
		}
		if est := a.AcceptableEstimate; est == nil || math.Abs(est.Value-float64(e.Acceptable)) > est.Bound {
			t.Fatalf("zone estimate %+v, exact %d", est, e.Acceptable)
		}
		d, err := e.Distribution(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if est := a.DistributionEstimate; est == nil || math.Abs(est.Value-d) > est.Bound {
			t.Fatalf("distribution estimate %+v, exact %v", est, d)
		}
	})
}

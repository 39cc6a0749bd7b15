package analysis_test

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// A buyer and a seller over price and delivery: the frontier, the Nash and
// Kalai–Smorodinsky points, and how far a proposed deal is from them.
func ExampleAnalyze() {
	sp, _ := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("price", "low", "mid", "high"),
		outcome.NewDiscrete("delivery", "slow", "fast"),
	}, nil)
	buyer := &preference.Profile{Name: "buyer", Reservation: 0.3, Issues: []preference.IssueUtility{
		{Weight: 0.7, Eval: []float64{1, 0.6, 0}},
		{Weight: 0.3, Eval: []float64{0, 1}},
	}}
	seller := &preference.Profile{Name: "seller", Reservation: 0.3, Issues: []preference.IssueUtility{
		{Weight: 0.8, Eval: []float64{0, 0.5, 1}},
		{Weight: 0.2, Eval: []float64{1, 0}},
	}}
	for _, p := range []*preference.Profile{buyer, seller} {
		if err := p.Prepare(sp); err != nil {
			fmt.Println(err)
			return
		}
	}
	r, err := analysis.Analyze(context.Background(), sp, []*preference.Profile{buyer, seller}, analysis.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d outcomes, %d acceptable to both\n", r.Outcomes, r.Acceptable)
	for _, p := range r.Pareto {
		fmt.Printf("pareto %v %.2f\n", sp.Map(p.Outcome), p.Utility)
	}
	fmt.Printf("nash %v, kalai %v\n", sp.Map(r.Nash.Outcome), sp.Map(r.Kalai.Outcome))
	deal := outcome.Outcome{2, 1} // high price, fast delivery
	u := analysis.Utilities([]*preference.Profile{buyer, seller}, deal, nil)
	d, _ := r.DistanceToPareto(u)
	fmt.Printf("deal %.2f: %.2f from the frontier, %.2f from Nash\n", u, d, r.DistanceToNash(u))
	// Output:
	// 6 outcomes, 3 acceptable to both
	// pareto map[delivery:slow price:high] [0.00 1.00]
	// pareto map[delivery:fast price:high] [0.30 0.80]
	// pareto map[delivery:slow price:mid] [0.42 0.60]
	// pareto map[delivery:fast price:mid] [0.72 0.40]
	// pareto map[delivery:fast price:low] [1.00 0.00]
	// nash map[delivery:fast price:mid], kalai map[delivery:slow price:mid]
	// deal [0.30 0.80]: 0.00 from the frontier, 0.58 from Nash
}

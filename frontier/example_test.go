package frontier_test

import (
	"fmt"

	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/strategy"
)

// Offers can stand in for the sorted index wherever a strategy takes offers.
var _ strategy.Offers = (*frontier.Offers)(nil)

// A 40-issue treaty text (2⁴⁰ ≈ 10¹² packages) analysed without enumeration.
func ExampleAnalyze() {
	var issues []outcome.Issue
	for i := range 40 {
		issues = append(issues, outcome.NewDiscrete(fmt.Sprintf("clause%d", i), "weak", "strong"))
	}
	sp, _ := outcome.NewSpace(issues, nil)
	a := &preference.Profile{Name: "A", Reservation: 0.2}
	b := &preference.Profile{Name: "B", Reservation: 0.2}
	for i := range 40 {
		w := float64(i%4+1) / 100
		a.Issues = append(a.Issues, preference.IssueUtility{Weight: w, Eval: []float64{0, 1}})
		b.Issues = append(b.Issues, preference.IssueUtility{Weight: 0.05 - w, Eval: []float64{1, 0}})
	}
	_ = a.Prepare(sp)
	_ = b.Prepare(sp)
	res, err := frontier.Analyze(sp, []*preference.Profile{a, b}, frontier.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d frontier points; Nash %.2f, Kalai %.2f\n", res.Frontier.Len(), res.Nash.Utilities, res.Kalai.Utilities)
	// Output: 49 frontier points; Nash [0.70 0.70], Kalai [0.70 0.70]
}

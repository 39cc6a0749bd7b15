package strategy_test

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
)

// A Boulware buyer meets a Conceder seller over price and delivery.
func ExampleNew() {
	sp, _ := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("price", "low", "mid", "high"),
		outcome.NewDiscrete("delivery", "slow", "fast"),
	}, nil)
	buyer := &preference.Profile{Name: "buyer", Reservation: 0.2, Issues: []preference.IssueUtility{
		{Weight: 0.7, Eval: []float64{1, 0.5, 0}}, {Weight: 0.3, Eval: []float64{0, 1}}}}
	seller := &preference.Profile{Name: "seller", Reservation: 0.2, Issues: []preference.IssueUtility{
		{Weight: 0.8, Eval: []float64{0, 0.6, 1}}, {Weight: 0.2, Eval: []float64{1, 0}}}}
	for _, p := range []*preference.Profile{buyer, seller} {
		if err := p.Prepare(sp); err != nil {
			fmt.Println(err)
			return
		}
	}
	b, _ := strategy.New("boulware", nil)
	s, _ := strategy.New("conceder", map[string]float64{"e": 3})
	res, err := sim.Run(context.Background(), &sim.Config{Mechanism: mechanism.NewSAO(), Space: sp,
		Profiles: []*preference.Profile{buyer, seller}, Parties: []mechanism.Party{b, s},
		Deadline: mechanism.Deadline{Rounds: 20}, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status, sp.Map(res.Agreement))
	fmt.Printf("buyer %.2f, seller %.2f\n", buyer.Utility(res.Agreement), seller.Utility(res.Agreement))
	// Output:
	// agreement map[delivery:fast price:mid]
	// buyer 0.65, seller 0.48
}

// List describes every registered strategy.
func ExampleList() {
	for _, in := range strategy.List() {
		fmt.Println(in.Name, len(in.Params))
	}
	// Output:
	// boulware 1
	// conceder 1
	// frequency 4
	// hardliner 0
	// linear 0
	// micro 0
	// random 0
	// tft-absolute 2
	// tft-relative 1
}

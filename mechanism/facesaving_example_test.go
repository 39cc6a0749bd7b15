package mechanism_test

import (
	"fmt"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// printer prints every event with who may see it.
type printer struct{}

func (printer) Observe(e *mechanism.Event) {
	who := func(i int) string {
		switch i {
		case mechanism.MediatorRole:
			return "mediator"
		case mechanism.Nobody:
			return "-"
		}
		return fmt.Sprintf("party %d", i)
	}
	to := "everyone"
	if e.To != nil {
		to = ""
		for k, i := range e.To {
			if k > 0 {
				to += ", "
			}
			to += who(i)
		}
	}
	fmt.Printf("round %d  %-8s %-10s %-4s shown to %s\n", e.Round, who(e.Party), e.Kind, fmt.Sprint([]int32(e.Outcome)), to)
}

// ExampleBlindBidding drives blind bidding by hand, as a server would: it
// asks Next, answers with Apply, and shows each event only to those in
// Event.To. Party 1 accepts the second suggestion in secret in the first
// session; party 0 does not, so everyone learns only "no deal". In the
// second session both accept it, and it is declared.
func ExampleBlindBidding() {
	sp, _ := outcome.NewSpace([]outcome.Issue{outcome.NewInteger("price", 0, 4)}, nil)
	m := mechanism.NewBlindBidding(2)
	if err := m.Start(sp, 2, mechanism.Deadline{Rounds: 3}, printer{}); err != nil {
		panic(err)
	}
	for !m.Done() {
		r := m.Next()
		var a mechanism.Answer
		switch {
		case r.Kind == mechanism.Propose && r.Party == mechanism.MediatorRole:
			if r.Offer == nil {
				a = mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{1}}
			} else {
				a = mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{2}}
			}
		case r.Kind == mechanism.Propose:
			a = mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{int32(4 * r.Party)}}
		case r.Kind == mechanism.Vote:
			yes := r.Offer[0] == 2 && (r.Party == 1 || m.Clock().Round > 0)
			a = mechanism.Answer{Kind: mechanism.Reject}
			if yes {
				a.Kind = mechanism.Accept
			}
		}
		if err := m.Apply(a); err != nil {
			panic(err)
		}
	}
	fmt.Println(m.Result().Status, m.Result().Agreement)
	// Output:
	// round 0  party 0  offer      [0]  shown to everyone
	// round 0  party 1  offer      [4]  shown to everyone
	// round 0  mediator suggestion [1]  shown to everyone
	// round 0  mediator suggestion [2]  shown to everyone
	// round 0  party 0  reject     [1]  shown to party 0
	// round 0  party 0  reject     [2]  shown to party 0
	// round 0  party 1  reject     [1]  shown to party 1
	// round 0  party 1  accept     [2]  shown to party 1
	// round 0  -        no deal    []   shown to everyone
	// round 1  party 0  offer      [0]  shown to everyone
	// round 1  party 1  offer      [4]  shown to everyone
	// round 1  mediator suggestion [1]  shown to everyone
	// round 1  mediator suggestion [2]  shown to everyone
	// round 1  party 0  reject     [1]  shown to party 0
	// round 1  party 0  accept     [2]  shown to party 0
	// round 1  party 1  reject     [1]  shown to party 1
	// round 1  party 1  accept     [2]  shown to party 1
	// round 1  -        agreement  [2]  shown to everyone
	// agreement [2]
}

package mediator_test

import (
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// allOutcomes enumerates sp.
func allOutcomes(sp *outcome.Space) []outcome.Outcome {
	var out []outcome.Outcome
	o := sp.New()
	for {
		out = append(out, o.Clone())
		if !sp.Next(o) {
			return out
		}
	}
}

// ok reports whether o is feasible and crosses no party's red line.
func okFor(sp *outcome.Space, ps []*preference.Profile, o outcome.Outcome) bool {
	if !sp.Feasible(o) {
		return false
	}
	for _, p := range ps {
		if p.Violates(o) {
			return false
		}
	}
	return true
}

// suggestions runs one session of the suggester on the visible proposals.
func suggestions(t interface{ Fatal(...any) }, sp *outcome.Space, ps []*preference.Profile, props []outcome.Outcome) []outcome.Outcome {
	m := &mediator.Suggester{}
	if err := m.Init(setup(sp, "blind-bidding", 1, ps)); err != nil {
		t.Fatal(err)
	}
	var out []outcome.Outcome
	var last outcome.Outcome
	for range 20 {
		a := m.Act(&mechanism.Clock{}, &mechanism.Request{Party: mechanism.MediatorRole, Kind: mechanism.Propose, Offer: last, From: mechanism.Nobody, Proposals: props})
		if a.Kind == mechanism.Accept {
			return out
		}
		if a.Kind != mechanism.Offer {
			t.Fatal("suggester answered", a.Kind)
		}
		last = a.Outcome.Clone()
		out = append(out, last)
	}
	t.Fatal("the suggester never called the vote")
	return nil
}

// TestSuggester: whatever the visible proposals, every suggestion is
// feasible and free of red lines, lies between the proposals (no party gets
// less than the least a visible proposal gives it), is Pareto-optimal among
// such outcomes, is new in its session, and at most Count come per
// session; the suggestions do not depend on the reservation values, which
// the suggester never reads.
func TestSuggester(t *testing.T) {
	sp, ps := small(t)
	all := allOutcomes(sp)
	other := make([]*preference.Profile, len(ps))
	for i, p := range ps {
		q := p.Clone()
		q.Reservation = 0.9 - 0.1*float64(i)
		if err := q.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		other[i] = q
	}
	rapid.Check(t, func(rt *rapid.T) {
		props := make([]outcome.Outcome, 2)
		for i := range props {
			props[i] = all[rapid.IntRange(0, len(all)-1).Draw(rt, "proposal")]
			if !sp.Feasible(props[i]) {
				rt.Skip("infeasible proposal")
			}
		}
		got := suggestions(rt, sp, ps, props)
		if len(got) == 0 || len(got) > 5 {
			rt.Fatalf("%d suggestions, want 1..5", len(got))
		}
		for k, s := range got {
			if !okFor(sp, ps, s) {
				rt.Fatalf("suggestion %v is infeasible or crosses a red line", s)
			}
			for _, prev := range got[:k] {
				if prev.Equal(s) {
					rt.Fatalf("suggestion %v made twice in a session", s)
				}
			}
			for i, p := range ps {
				lo := math.Min(p.Utility(props[0]), p.Utility(props[1]))
				if p.Utility(s) < lo-1e-9 {
					rt.Fatalf("suggestion %v gives party %d %.3f, less than any proposal (%.3f)", s, i, p.Utility(s), lo)
				}
			}
			for _, o := range all {
				if !okFor(sp, ps, o) {
					continue
				}
				u0, u1 := ps[0].Utility(o), ps[1].Utility(o)
				s0, s1 := ps[0].Utility(s), ps[1].Utility(s)
				if u0 >= s0 && u1 >= s1 && (u0 > s0 || u1 > s1) {
					rt.Fatalf("suggestion %v (%.3f, %.3f) is dominated by %v (%.3f, %.3f)", s, s0, s1, o, u0, u1)
				}
			}
		}
		again := suggestions(rt, sp, other, props)
		if len(again) != len(got) {
			rt.Fatalf("with other reservation values %d suggestions, %d before", len(again), len(got))
		}
		for k := range got {
			if !got[k].Equal(again[k]) {
				rt.Fatalf("with other reservation values suggestion %d is %v, %v before", k, again[k], got[k])
			}
		}
	})
}

// TestProposer: the first package is analysis's Nash point; after a split
// vote the next package is strictly better for the party that rejected;
// after every party rejected the same package is put again; every package
// is acceptable to all by the profiles; without access it does not start.
func TestProposer(t *testing.T) {
	sp, ps := small(t)
	r, err := analysis.Analyze(t.Context(), sp, ps, analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := &mediator.Proposer{}
	if err := m.Init(setup(sp, "double-blind", 1, ps)); err != nil {
		t.Fatal(err)
	}
	ask := func(last outcome.Outcome, answers []mechanism.AnswerKind) outcome.Outcome {
		a := m.Act(&mechanism.Clock{}, &mechanism.Request{Party: mechanism.MediatorRole, Kind: mechanism.Propose, Offer: last, Answers: answers, From: mechanism.Nobody})
		if a.Kind != mechanism.Offer {
			t.Fatalf("proposer answered %v", a.Kind)
		}
		for i, p := range ps {
			if !p.Acceptable(sp, a.Outcome) {
				t.Fatalf("package %v is not acceptable to party %d", a.Outcome, i)
			}
		}
		return a.Outcome.Clone()
	}
	first := ask(nil, nil)
	if !first.Equal(r.Nash.Outcome) {
		t.Fatalf("first package %v, want the Nash point %v", first, r.Nash.Outcome)
	}
	if again := ask(first, []mechanism.AnswerKind{mechanism.Reject, mechanism.Reject}); !again.Equal(first) {
		t.Fatalf("after two rejections %v, want the same package %v", again, first)
	}
	cur := first
	for range 5 {
		next := ask(cur, []mechanism.AnswerKind{mechanism.Accept, mechanism.Reject})
		if next.Equal(cur) {
			break // nothing better for party 1 is left
		}
		if ps[1].Utility(next) <= ps[1].Utility(cur) {
			t.Fatalf("after party 1 rejected %v (%.3f) the next package %v gives it %.3f", cur, ps[1].Utility(cur), next, ps[1].Utility(next))
		}
		cur = next
	}
	if err := (&mediator.Proposer{}).Init(setup(sp, "double-blind", 1, nil)); err == nil {
		t.Error("the proposer started without confidential access")
	}
	if err := (&mediator.Proposer{}).Init(setup(sp, "single-text", 1, ps)); err == nil {
		t.Error("the proposer started in another protocol")
	}
}

// TestInterpolator: without any profile, every suggestion is feasible, new
// in its session, takes each discrete issue's value from some visible
// proposal and each numeric issue's between the proposals' values; the same
// seed gives the same suggestions, and a complete fan runs from near party
// 0's proposal to near party 1's (two parties, numeric issue c).
func TestInterpolator(t *testing.T) {
	sp, _ := small(t)
	all := allOutcomes(sp)
	rapid.Check(t, func(rt *rapid.T) {
		props := make([]outcome.Outcome, 2)
		for i := range props {
			props[i] = all[rapid.IntRange(0, len(all)-1).Draw(rt, "proposal")]
		}
		seed := rapid.Uint64().Draw(rt, "seed")
		session := func() []outcome.Outcome {
			m := &mediator.Interpolator{}
			if err := m.Init(setup(sp, "blind-bidding", seed, nil)); err != nil {
				rt.Fatal(err)
			}
			var out []outcome.Outcome
			var last outcome.Outcome
			for range 20 {
				a := m.Act(&mechanism.Clock{}, &mechanism.Request{Party: mechanism.MediatorRole, Kind: mechanism.Propose, Offer: last, From: mechanism.Nobody, Proposals: props})
				if a.Kind == mechanism.Accept {
					return out
				}
				last = a.Outcome.Clone()
				out = append(out, last)
			}
			rt.Fatal("the interpolator never called the vote")
			return nil
		}
		got := session()
		if len(got) > 5 {
			rt.Fatalf("%d suggestions, want at most 5", len(got))
		}
		for k, s := range got {
			if !sp.Feasible(s) || slices.ContainsFunc(got[:k], s.Equal) {
				rt.Fatalf("suggestion %v infeasible or repeated", s)
			}
			for i, is := range sp.Issues {
				lo, hi := min(props[0][i], props[1][i]), max(props[0][i], props[1][i])
				if is.Kind == outcome.Discrete && s[i] != props[0][i] && s[i] != props[1][i] {
					rt.Fatalf("issue %s of %v is in neither proposal %v", is.Name, s, props)
				}
				if s[i] < lo || s[i] > hi {
					rt.Fatalf("issue %s of %v lies outside the proposals %v", is.Name, s, props)
				}
			}
		}
		if again := session(); !slices.EqualFunc(got, again, outcome.Outcome.Equal) {
			rt.Fatalf("the same seed gave %v, then %v", got, again)
		}
		if len(got) == 5 { // none dropped: the fan is complete
			first, last := got[0], got[len(got)-1]
			d := func(o, p outcome.Outcome) int32 { return max(o[2]-p[2], p[2]-o[2]) }
			if d(first, props[0]) > d(first, props[1]) || d(last, props[1]) > d(last, props[0]) {
				rt.Fatalf("fan %v does not run from %v to %v on issue c", got, props[0], props[1])
			}
		}
	})
}

// TestSuggesterThreeParties: with three parties (no frontier cut) every
// suggestion is still between the proposals and Pareto-optimal among the
// feasible, red-line-free outcomes (brute force).
func TestSuggesterThreeParties(t *testing.T) {
	sp, ps := small(t)
	p2 := &preference.Profile{Name: "p2", Reservation: 0.1, Issues: []preference.IssueUtility{
		{Weight: 0.3, Eval: []float64{0, 0.5, 1, 0.5, 0}}, {Weight: 0.3, Eval: []float64{0.2, 1, 1, 0.2}},
		{Weight: 0.2, Eval: []float64{0, 0.4, 1, 1, 0.4, 0}}, {Weight: 0.2, Eval: []float64{1, 0, 0.5}}}}
	if err := p2.Prepare(sp); err != nil {
		t.Fatal(err)
	}
	ps = append(ps, p2)
	all := allOutcomes(sp)
	rapid.Check(t, func(rt *rapid.T) {
		props := make([]outcome.Outcome, 3)
		for i := range props {
			props[i] = all[rapid.IntRange(0, len(all)-1).Draw(rt, "proposal")]
		}
		m := &mediator.Suggester{}
		s := setup(sp, "blind-bidding", 1, ps)
		s.NumParties = 3
		if err := m.Init(s); err != nil {
			rt.Fatal(err)
		}
		var last outcome.Outcome
		for range 10 {
			a := m.Act(&mechanism.Clock{}, &mechanism.Request{Party: mechanism.MediatorRole, Kind: mechanism.Propose, Offer: last, From: mechanism.Nobody, Proposals: props})
			if a.Kind == mechanism.Accept {
				return
			}
			x := a.Outcome.Clone()
			last = x
			for i, p := range ps {
				lo := math.Inf(1)
				for _, q := range props {
					lo = math.Min(lo, p.Utility(q))
				}
				if p.Utility(x) < lo-1e-9 {
					rt.Fatalf("suggestion %v gives party %d less than any proposal", x, i)
				}
			}
			for _, o := range all {
				if !okFor(sp, ps, o) {
					continue
				}
				ge, gt := true, false
				for _, p := range ps {
					ge = ge && p.Utility(o) >= p.Utility(x)
					gt = gt || p.Utility(o) > p.Utility(x)+1e-12
				}
				if ge && gt {
					rt.Fatalf("suggestion %v is dominated by %v", x, o)
				}
			}
		}
		rt.Fatal("the suggester never called the vote")
	})
}

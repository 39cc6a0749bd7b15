package mechanism_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/sim"
)

// seen is a deep copy of a request as a party received it.
type seen struct {
	Kind      mechanism.RequestKind
	Offer     outcome.Outcome
	Other     outcome.Outcome
	From      int
	Answers   []mechanism.AnswerKind
	Proposals []outcome.Outcome
	Round     int
}

func copyRequest(c *mechanism.Clock, r *mechanism.Request) seen {
	s := seen{Kind: r.Kind, Offer: r.Offer.Clone(), Other: r.Other.Clone(), From: r.From, Answers: slices.Clone(r.Answers), Round: c.Round}
	if r.Proposals != nil {
		s.Proposals = make([]outcome.Outcome, len(r.Proposals))
		for i, p := range r.Proposals {
			s.Proposals[i] = p.Clone()
		}
	}
	return s
}

func equalSeen(a, b seen) bool {
	if a.Kind != b.Kind || a.From != b.From || a.Round != b.Round || !a.Offer.Equal(b.Offer) || !a.Other.Equal(b.Other) ||
		!slices.Equal(a.Answers, b.Answers) || len(a.Proposals) != len(b.Proposals) {
		return false
	}
	for i := range a.Proposals {
		if !a.Proposals[i].Equal(b.Proposals[i]) {
			return false
		}
	}
	return true
}

// blindSpy is a party of the face-saving protocols whose proposals and
// secret answers come from two separate seeded streams, so that a second
// run can change its answers and keep its proposals. It records every
// request and every proposal it makes.
type blindSpy struct {
	sp        *outcome.Space
	seed      uint64
	self      int
	pAccept   float64 // probability of a secret acceptance; 0: rejects all
	props     *rand.Rand
	votes     *rand.Rand
	requests  []seen
	proposals []outcome.Outcome
	setup     mechanism.Setup
	buf       outcome.Outcome
}

func (s *blindSpy) Init(st *mechanism.Setup) error {
	s.setup = *st
	s.buf = st.Space.New()
	s.props = rand.New(rand.NewPCG(s.seed, uint64(2*s.self)))
	s.votes = rand.New(rand.NewPCG(s.seed, uint64(2*s.self+1)))
	return nil
}

func (s *blindSpy) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	s.requests = append(s.requests, copyRequest(c, r))
	switch r.Kind {
	case mechanism.Propose:
		for {
			for i := range s.buf {
				s.buf[i] = int32(s.props.IntN(s.sp.Issues[i].Len()))
			}
			if s.sp.Feasible(s.buf) {
				break
			}
		}
		s.proposals = append(s.proposals, s.buf.Clone())
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: s.buf}
	case mechanism.Vote:
		if s.votes.Float64() < s.pAccept {
			return mechanism.Answer{Kind: mechanism.Accept}
		}
		return mechanism.Answer{Kind: mechanism.Reject}
	}
	return mechanism.Answer{Kind: mechanism.End}
}

// randomPackages is a double-blind mediator that ignores the answers it is
// told: its packages depend on its seed alone.
type randomPackages struct {
	sp  *outcome.Space
	r   *rand.Rand
	buf outcome.Outcome
}

func (m *randomPackages) Init(s *mechanism.Setup) error {
	m.sp, m.r, m.buf = s.Space, s.Rand, s.Space.New()
	return nil
}

func (m *randomPackages) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	for {
		for i := range m.buf {
			m.buf[i] = int32(m.r.IntN(m.sp.Issues[i].Len()))
		}
		if m.sp.Feasible(m.buf) {
			return mechanism.Answer{Kind: mechanism.Offer, Outcome: m.buf}
		}
	}
}

type faceProtocol struct {
	name   string
	blind  bool // blind bidding (else double-blind)
	mech   func() mechanism.Mechanism
	med    func() mechanism.Party
	honest bool // the mediator ignores the secret answers
}

func faceProtocols() []faceProtocol {
	return []faceProtocol{
		{"blind-bidding/suggester", true, func() mechanism.Mechanism { return mechanism.NewBlindBidding(0) }, func() mechanism.Party { return &mediator.Suggester{} }, true},
		{"blind-bidding/suggester×2", true, func() mechanism.Mechanism { return mechanism.NewBlindBidding(2) }, func() mechanism.Party { return &mediator.Suggester{Count: 8} }, true},
		{"blind-bidding/interpolator", true, func() mechanism.Mechanism { return mechanism.NewBlindBidding(0) }, func() mechanism.Party { return &mediator.Interpolator{} }, true},
		{"double-blind/proposer", false, func() mechanism.Mechanism { return mechanism.NewDoubleBlind() }, func() mechanism.Party { return &mediator.Proposer{} }, false},
		{"double-blind/random", false, func() mechanism.Mechanism { return mechanism.NewDoubleBlind() }, func() mechanism.Party { return &randomPackages{} }, true},
	}
}

// faceRun runs one face-saving negotiation among len(accept) blind spies
// (2 or 3; ps holds at least that many profiles).
func faceRun(tb interface{ Fatal(...any) }, sp *outcome.Space, ps []*preference.Profile, fp faceProtocol, seed uint64, rounds int, accept []float64) ([]*blindSpy, *passing, *eventLog, mechanism.Result) {
	n := len(accept)
	spies := make([]*blindSpy, n)
	parties := make([]mechanism.Party, n)
	for i := range spies {
		spies[i] = &blindSpy{sp: sp, seed: seed, self: i, pAccept: accept[i]}
		parties[i] = spies[i]
	}
	med := &passing{inner: fp.med()}
	log := &eventLog{}
	res, err := sim.Run(context.Background(), &sim.Config{Mechanism: fp.mech(), Space: sp, Profiles: ps[:n],
		Parties: parties, Mediator: med, Confidential: mediator.NeedsConfidential(med),
		Deadline: mechanism.Deadline{Rounds: rounds}, Seed: seed, Observer: log})
	if err != nil {
		tb.Fatal(err)
	}
	return spies, med, log, res
}

// threeParties is small's two profiles and a third that wants the middle.
func threeParties(tb testing.TB) (*outcome.Space, []*preference.Profile) {
	tb.Helper()
	sp, ps := small(tb)
	p := &preference.Profile{Name: "p2", Reservation: 0.25, Issues: []preference.IssueUtility{
		{Weight: 0.4, Eval: []float64{0, 0.5, 1, 0.5, 0}}, {Weight: 0.3, Eval: []float64{0.2, 1, 1, 0.2}}, {Weight: 0.3, Eval: []float64{0, 0.4, 1, 1, 0.4, 0}}}}
	if err := p.Prepare(sp); err != nil {
		tb.Fatal(err)
	}
	return sp, append(ps, p)
}

// TestFaceSavingBarrier: in blind bidding and the double-blind proposal,
// with two or three parties, whatever the parties propose and accept, no party is ever shown another
// party's secret acceptance or rejection — not in a request (no Answers;
// every Offer is a package the mediator put to all; Proposals hold only
// the parties' own visible proposals) and not in an event addressed to it
// (a secret answer is shown to its maker alone in blind bidding, to its
// maker and the mediator in the double-blind proposal; what everyone sees
// is proposals, suggestions, packages, "no deal" and the end). A declared
// agreement is a package every party accepted.
func TestFaceSavingBarrier(t *testing.T) {
	fps := faceProtocols()
	sp, ps := threeParties(t)
	rapid.Check(t, func(rt *rapid.T) {
		fp := fps[rapid.IntRange(0, len(fps)-1).Draw(rt, "protocol")]
		seed := rapid.Uint64().Draw(rt, "seed")
		rounds := rapid.IntRange(1, 12).Draw(rt, "rounds")
		acc := make([]float64, rapid.IntRange(2, 3).Draw(rt, "parties"))
		for i := range acc {
			acc[i] = rapid.Float64Range(0, 1).Draw(rt, "accept")
		}
		spies, med, log, res := faceRun(rt, sp, ps, fp, seed, rounds, acc)
		if res.Status == mechanism.Failed {
			rt.Fatalf("%s: failed: %+v", fp.name, res.Fault)
		}
		for i, s := range spies {
			if s.setup.Confidential != nil {
				rt.Fatalf("%s: party %d was given the profiles", fp.name, i)
			}
			for _, r := range s.requests {
				if r.Answers != nil {
					rt.Fatalf("%s: party %d was shown answers %v", fp.name, i, r.Answers)
				}
				if r.From != mechanism.MediatorRole && r.From != mechanism.Nobody {
					rt.Fatalf("%s: party %d was told an offer came from party %d", fp.name, i, r.From)
				}
				for _, o := range []outcome.Outcome{r.Offer, r.Other} {
					if o != nil && !med.allowed(o) {
						rt.Fatalf("%s: party %d saw %v, which the mediator never put to the parties", fp.name, i, o)
					}
				}
				if !fp.blind && r.Proposals != nil {
					rt.Fatalf("%s: party %d was shown proposals in a protocol without them", fp.name, i)
				}
				for j, p := range r.Proposals {
					if p != nil && !slices.ContainsFunc(spies[j].proposals, p.Equal) {
						rt.Fatalf("%s: party %d was shown %v as party %d's proposal, which it never made", fp.name, i, p, j)
					}
				}
			}
		}
		for _, r := range med.requests {
			if fp.blind && r.Answers != nil {
				rt.Fatalf("%s: the mediator was shown the secret answers %v", fp.name, r.Answers)
			}
		}
		for _, e := range log.events {
			switch e.Kind {
			case "accept", "reject":
				want := []int{e.Party}
				if !fp.blind {
					want = []int{e.Party, mechanism.MediatorRole}
				}
				if !slices.Equal(e.To, want) {
					rt.Fatalf("%s: party %d's secret %q is shown to %v, want %v", fp.name, e.Party, e.Kind, e.To, want)
				}
			case "offer", "suggestion", "package", "call vote", "end", "failure":
				if e.To != nil {
					rt.Fatalf("%s: public %q event shown only to %v", fp.name, e.Kind, e.To)
				}
			case "no deal":
				if e.To != nil || e.Party != mechanism.Nobody || e.Outcome != nil {
					rt.Fatalf("%s: \"no deal\" says more than that: %+v", fp.name, e)
				}
			case "agreement":
				if !med.allowed(e.Outcome) {
					rt.Fatalf("%s: agreement %v was never put to the parties", fp.name, e.Outcome)
				}
			default:
				rt.Fatalf("%s: unexpected event %q", fp.name, e.Kind)
			}
		}
		if res.Status == mechanism.Agreement {
			for i := range spies {
				if !acceptedLast(log, i, res.Agreement) {
					rt.Fatalf("%s: agreement %v was not accepted by party %d", fp.name, res.Agreement, i)
				}
			}
		}
	})
}

// acceptedLast reports whether party i's last answer about o was an acceptance.
func acceptedLast(l *eventLog, i int, o outcome.Outcome) bool {
	ok := false
	for _, e := range l.events {
		if e.Party == i && (e.Kind == "accept" || e.Kind == "reject") && (e.Outcome == nil || e.Outcome.Equal(o)) {
			ok = e.Kind == "accept"
		}
	}
	return ok
}

// view is what party i was shown: its requests and the events addressed to
// it, in order, up to (not including) the closing event.
func view(s *blindSpy, l *eventLog) ([]seen, []mechanism.Event) {
	var evs []mechanism.Event
	for _, e := range l.events {
		if e.Kind == "agreement" || e.Kind == "end" || e.Kind == "failure" {
			break
		}
		if e.To == nil || slices.Contains(e.To, s.self) {
			evs = append(evs, e)
		}
	}
	return s.requests, evs
}

// TestFaceSavingNoninterference: what party 0 is shown does not depend on
// party 1's secret answers until a deal is declared (two or three parties). Each case runs twice
// with the same seed and the same proposals; in the second run party 1
// rejects everything. Party 0's requests and the events shown to it must be
// the same in both runs up to the end of the first (its closing event
// excluded), and the second run ends without agreement. The mediator must
// not act on the answers for this to hold: the double-blind proposer,
// which is told them by design, is left out.
func TestFaceSavingNoninterference(t *testing.T) {
	for _, fp := range faceProtocols() {
		if !fp.honest {
			continue
		}
		t.Run(fp.name, func(t *testing.T) {
			sp, ps := threeParties(t)
			rapid.Check(t, func(rt *rapid.T) {
				seed := rapid.Uint64().Draw(rt, "seed")
				rounds := rapid.IntRange(1, 12).Draw(rt, "rounds")
				acc := make([]float64, rapid.IntRange(2, 3).Draw(rt, "parties"))
				for i := range acc {
					acc[i] = rapid.Float64Range(0, 1).Draw(rt, "accept")
				}
				a, _, la, ra := faceRun(rt, sp, ps, fp, seed, rounds, acc)
				other := slices.Clone(acc)
				other[1] = 0
				b, _, lb, rb := faceRun(rt, sp, ps, fp, seed, rounds, other)
				if rb.Status != mechanism.NoAgreement {
					rt.Fatalf("with party 1 rejecting all: %v (%s)", rb.Status, rb.Reason)
				}
				reqA, evA := view(a[0], la)
				reqB, evB := view(b[0], lb)
				if len(reqB) < len(reqA) || len(evB) < len(evA) {
					rt.Fatalf("party 0 was asked %d times and shown %d events with party 1 rejecting all, %d and %d otherwise (%v)",
						len(reqB), len(evB), len(reqA), len(evA), ra.Status)
				}
				if ra.Status != mechanism.Agreement && (len(reqB) != len(reqA) || len(evB) != len(evA)) {
					rt.Fatalf("without a deal party 0's view differs in length: %d/%d requests, %d/%d events", len(reqA), len(reqB), len(evA), len(evB))
				}
				for k := range reqA {
					if !equalSeen(reqA[k], reqB[k]) {
						rt.Fatalf("party 0's request %d differs with party 1's answers: %+v vs %+v", k, reqA[k], reqB[k])
					}
				}
				for k := range evA {
					x, y := evA[k], evB[k]
					if x.Kind != y.Kind || x.Party != y.Party || !x.Outcome.Equal(y.Outcome) || x.Note != y.Note || x.Step != y.Step {
						rt.Fatalf("event %d shown to party 0 differs with party 1's answers: %+v vs %+v", k, x, y)
					}
				}
			})
		})
	}
}

// TestBlindBiddingClosingRule: of the suggestions every party accepted, the
// one whose largest distance to a visible proposal is smallest is declared;
// ties go to the smaller sum of distances, then to the earliest.
func TestBlindBiddingClosingRule(t *testing.T) {
	sp, ps := small(t)
	p0, p1 := outcome.Outcome{4, 3, 0}, outcome.Outcome{0, 0, 5}
	a, b, c := p0, outcome.Outcome{2, 1, 2}, p1
	if d := mechanism.PackageDistance(sp, b, p1); d < 0.866 || d > 0.867 {
		t.Fatalf("PackageDistance = %v, want (1 + 1 + 3/5)/3", d)
	}
	for _, tc := range []struct {
		name     string
		accepted []outcome.Outcome // by party 1; party 0 accepts all
		want     outcome.Outcome
	}{
		{"middle wins", []outcome.Outcome{a, b, c}, b},
		{"tie to the earliest", []outcome.Outcome{a, c}, a},
		{"only one overlaps", []outcome.Outcome{c}, c},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var voteReqs []seen
			party := func(prop outcome.Outcome, accepts func(outcome.Outcome) bool) fn {
				return func(cl *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
					switch r.Kind {
					case mechanism.Propose:
						return mechanism.Answer{Kind: mechanism.Offer, Outcome: prop}
					case mechanism.Vote:
						voteReqs = append(voteReqs, copyRequest(cl, r))
						if accepts(r.Offer) {
							return mechanism.Answer{Kind: mechanism.Accept}
						}
					}
					return mechanism.Answer{Kind: mechanism.Reject}
				}
			}
			k := 0
			med := fn(func(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
				if !slices.EqualFunc(r.Proposals, []outcome.Outcome{p0, p1}, outcome.Outcome.Equal) {
					t.Errorf("the mediator was shown proposals %v", r.Proposals)
				}
				k++
				switch k {
				case 1:
					return mechanism.Answer{Kind: mechanism.Offer, Outcome: a}
				case 2:
					return mechanism.Answer{Kind: mechanism.Offer, Outcome: b}
				case 3:
					return mechanism.Answer{Kind: mechanism.Offer, Outcome: c}
				}
				return mechanism.Answer{Kind: mechanism.Accept}
			})
			res := run(t, &sim.Config{Mechanism: mechanism.NewBlindBidding(0), Space: sp, Profiles: ps,
				Parties: []mechanism.Party{party(p0, func(outcome.Outcome) bool { return true }),
					party(p1, func(o outcome.Outcome) bool { return slices.ContainsFunc(tc.accepted, o.Equal) })},
				Mediator: med, Deadline: mechanism.Deadline{Rounds: 1}, Seed: 1})
			if res.Status != mechanism.Agreement || !res.Agreement.Equal(tc.want) {
				t.Fatalf("%v %v (%s), want agreement %v", res.Status, res.Agreement, res.Reason, tc.want)
			}
			if len(voteReqs) != 6 {
				t.Fatalf("%d vote requests, want 2 parties × 3 suggestions", len(voteReqs))
			}
			for _, r := range voteReqs {
				if r.From != mechanism.MediatorRole || !slices.EqualFunc(r.Proposals, []outcome.Outcome{p0, p1}, outcome.Outcome.Equal) {
					t.Errorf("vote request %+v: want From the mediator and both proposals", r)
				}
			}
		})
	}
}

// TestDoubleBlindOneShot: the classic mediator's proposal (one round): if a
// party rejects, every party is told "no deal" and nothing else, and the
// talks end without agreement; if all accept, the package is the agreement.
func TestDoubleBlindOneShot(t *testing.T) {
	sp, ps := small(t)
	pkg := outcome.Outcome{2, 2, 2}
	for _, yes1 := range []bool{false, true} {
		vote := func(yes bool) fn {
			return func(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
				if r.Kind != mechanism.Vote || r.Other != nil || r.Answers != nil || r.Proposals != nil {
					t.Errorf("party asked %+v", r)
				}
				if yes {
					return mechanism.Answer{Kind: mechanism.Accept}
				}
				return mechanism.Answer{Kind: mechanism.Reject}
			}
		}
		med := fn(func(*mechanism.Clock, *mechanism.Request) mechanism.Answer {
			return mechanism.Answer{Kind: mechanism.Offer, Outcome: pkg}
		})
		log := &eventLog{}
		res := run(t, &sim.Config{Mechanism: mechanism.NewDoubleBlind(), Space: sp, Profiles: ps,
			Parties: []mechanism.Party{vote(true), vote(yes1)}, Mediator: med, Deadline: mechanism.Deadline{Rounds: 1}, Seed: 1, Observer: log})
		var shown0 []string
		for _, e := range log.events {
			if e.To == nil || slices.Contains(e.To, 0) {
				shown0 = append(shown0, e.Kind)
			}
		}
		if yes1 {
			if res.Status != mechanism.Agreement || !res.Agreement.Equal(pkg) {
				t.Errorf("all accepted: %v %v", res.Status, res.Agreement)
			}
			continue
		}
		if res.Status != mechanism.NoAgreement || !slices.Equal(shown0, []string{"package", "accept", "no deal", "end"}) {
			t.Errorf("party 1 rejected: %v (%s); party 0 was shown %v", res.Status, res.Reason, shown0)
		}
	}
}

// TestFaceSavingAllows: a driver is told the answers each request takes —
// the blind-bidding mediator may also call the vote (Accept); the parties'
// proposals and every double-blind request take the usual kinds.
func TestFaceSavingAllows(t *testing.T) {
	sp, _ := small(t)
	bb := mechanism.NewBlindBidding(0)
	if err := bb.Start(sp, 2, mechanism.Deadline{Rounds: 3}, nil); err != nil {
		t.Fatal(err)
	}
	if got := mechanism.Allows(bb, bb.Next()); !slices.Equal(got, []mechanism.AnswerKind{mechanism.Offer, mechanism.End}) {
		t.Errorf("a party's proposal allows %v", got)
	}
	for range 2 {
		if err := bb.Apply(mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{1, 1, 1}}); err != nil {
			t.Fatal(err)
		}
	}
	if r := bb.Next(); r.Party != mechanism.MediatorRole || !slices.Equal(mechanism.Allows(bb, r), []mechanism.AnswerKind{mechanism.Offer, mechanism.Accept, mechanism.End}) {
		t.Errorf("the mediator's request %+v allows %v", r, mechanism.Allows(bb, r))
	}
	db := mechanism.NewDoubleBlind()
	if err := db.Start(sp, 2, mechanism.Deadline{Rounds: 3}, nil); err != nil {
		t.Fatal(err)
	}
	if got := mechanism.Allows(db, db.Next()); !slices.Equal(got, []mechanism.AnswerKind{mechanism.Offer, mechanism.End}) {
		t.Errorf("the double-blind mediator's request allows %v", got)
	}
}

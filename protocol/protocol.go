// Package protocol is the registry of negotiation protocols by name: each
// entry pairs a mechanism with the mediator strategy (if any) and the voting
// rule its parties use, so that 'run', 'compare', 'study' and tournaments
// all mean the same thing by "single-text/annealer".
package protocol

import (
	"fmt"
	"sort"
	"strings"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/voting"
)

// Protocol is one way of holding the talks.
type Protocol struct {
	// Name is the registry name: "sao", "shuttle/relay", "single-text/annealer", …
	Name    string
	Summary string
	// Indirect is true when the parties never address each other: every
	// message passes through the mediator.
	Indirect bool
	// New returns a fresh mechanism; one per negotiation.
	New func() mechanism.Mechanism
	// Mediator returns a fresh mediator; nil for direct talks.
	Mediator func() mechanism.Party
	// Voter, when set, gives every party this voting rule for Vote requests.
	Voter func() voting.Voter
	// TextsPerRound scales the deadline: a deadline of R rounds gives this
	// protocol R·TextsPerRound texts (proposals by the mediator). 1 for
	// turn-based protocols.
	TextsPerRound int
	// MinParties and MaxParties bound the number of parties (0: no bound).
	MinParties, MaxParties int
}

// Rounds returns the protocol's deadline for a budget of r SAO rounds.
func (p Protocol) Rounds(r int) int {
	if p.TextsPerRound > 1 {
		return r * p.TextsPerRound
	}
	return r
}

// Wrap gives party x this protocol's voting rule, if it has one.
func (p Protocol) Wrap(x mechanism.Party) mechanism.Party {
	if p.Voter == nil {
		return x
	}
	return &voting.Party{Inner: x, Voter: p.Voter()}
}

// NewMediator returns a fresh mediator and whether it must be given the
// parties' profiles (confidential access), or nil for direct talks.
func (p Protocol) NewMediator() (mechanism.Party, bool) {
	if p.Mediator == nil {
		return nil, false
	}
	m := p.Mediator()
	return m, mediator.NeedsConfidential(m)
}

func med(name string) func() mechanism.Party {
	return func() mechanism.Party {
		m, err := mediator.New(name, nil)
		if err != nil {
			panic("protocol: registry names unknown mediator " + name) // programmer error
		}
		return m
	}
}

func hill() voting.Voter { return &voting.HillClimber{} }

// secret is the secret-acceptance rule of the face-saving protocols: the
// linear time-dependent target, anything acceptable in the final round.
func secret() voting.Voter { return &voting.Secret{E: 1} }

// textsPerRound is how many texts a mediator may propose per SAO round of
// budget: a text costs each party one vote, about what a turn costs.
const textsPerRound = 20

var registry = []Protocol{
	{Name: "sao", Summary: "direct talks: stacked alternating offers (Aydoğan et al. 2017)",
		New: func() mechanism.Mechanism { return mechanism.NewSAO() }, MinParties: 2},
	{Name: "shuttle/relay", Summary: "proximity talks; the mediator passes every offer on unchanged", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewShuttle() }, Mediator: med("relay"), MinParties: 2},
	{Name: "shuttle/bridge", Summary: "proximity talks; the mediator proposes bridging packages near the Nash point it estimates", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewShuttle() }, Mediator: med("bridge"), MinParties: 2},
	{Name: "single-text/random-flip", Summary: "single negotiating text; the mediator flips one issue at random (GENIUS SimpleMediator)", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewSingleText() }, Mediator: med("random-flip"), Voter: hill, TextsPerRound: textsPerRound, MinParties: 2},
	{Name: "single-text/hill-climb", Summary: "single negotiating text; hill-climbing mediator (Klein et al. 2003)", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewSingleText() }, Mediator: med("hill-climb"), Voter: hill, TextsPerRound: textsPerRound, MinParties: 2},
	{Name: "single-text/annealer", Summary: "single negotiating text; simulated annealing by the mediator with a quota guard (Klein et al. 2003; Lang & Fink 2012)", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewSingleText() }, Mediator: med("annealer"), Voter: hill, TextsPerRound: textsPerRound, MinParties: 2},
	{Name: "feedback/learner", Summary: "feedback mediation: parties answer better/worse/same (Aydoğan, Hindriks & Jonker 2014)", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewFeedback() }, Mediator: med("learner"), Voter: hill, TextsPerRound: textsPerRound, MinParties: 2},
	{Name: "sao+post-settlement", Summary: "direct talks, then a confidential mediator proposes Pareto improvements (Raiffa 1985)",
		New:      func() mechanism.Mechanism { return mechanism.NewPostSettlement(mechanism.NewSAO(), 0) },
		Mediator: func() mechanism.Party { return &mediator.Phased{Improver: &mediator.Improver{}} }, MinParties: 2},
	{Name: "single-text/annealer+post-settlement", Summary: "annealed single text, then post-settlement improvement", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewPostSettlement(mechanism.NewSingleText(), 0) },
		Mediator: func() mechanism.Party {
			return &mediator.Phased{Talks: &mediator.Annealer{}, Improver: &mediator.Improver{}}
		},
		Voter: hill, TextsPerRound: textsPerRound, MinParties: 2},
	{Name: "blind-bidding/suggester", Summary: "face-saving: visible proposals, frontier packages suggested between them (confidential), secret acceptances; a deal only where acceptances overlap (Smartsettle)", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewBlindBidding(0) }, Mediator: med("suggester"), Voter: secret, MinParties: 2},
	{Name: "blind-bidding/interpolator", Summary: "face-saving blind bidding; the suggestions mix the visible proposals issue by issue (no profiles)", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewBlindBidding(0) }, Mediator: med("interpolator"), Voter: secret, MinParties: 2},
	{Name: "double-blind/proposer", Summary: "face-saving: the mediator proposes one package at a time, each party accepts or rejects in secret; a refusal reveals only \"no deal\"", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewDoubleBlind() }, Mediator: med("proposer"), Voter: secret, MinParties: 2},
	{Name: "arbitration", Summary: "reference: a trusted arbitrator with both profiles awards the Nash point", Indirect: true,
		New: func() mechanism.Mechanism { return mechanism.NewArbitration() }, Mediator: med("arbitrator"), Voter: hill, MinParties: 2},
}

// aliases are short names accepted by Lookup.
var aliases = map[string]string{
	"direct":            "sao",
	"shuttle":           "shuttle/relay",
	"single-text":       "single-text/annealer",
	"feedback":          "feedback/learner",
	"blind":             "blind-bidding/suggester",
	"blind-bidding":     "blind-bidding/suggester",
	"mediator-proposal": "double-blind/proposer",
	"double-blind":      "double-blind/proposer",
	"post-settlement":   "sao+post-settlement",
}

// All returns every registered protocol, in registry order (direct talks
// first, the arbitration reference last).
func All() []Protocol { return append([]Protocol(nil), registry...) }

// Names returns the registered names in registry order.
func Names() []string {
	ns := make([]string, len(registry))
	for i, p := range registry {
		ns[i] = p.Name
	}
	return ns
}

// Lookup returns the protocol called name (or one of its short aliases:
// direct, shuttle, single-text, feedback, post-settlement, blind, blind-bidding, mediator-proposal, double-blind). The error lists
// the known names.
func Lookup(name string) (Protocol, error) {
	if a, ok := aliases[name]; ok {
		name = a
	}
	for _, p := range registry {
		if p.Name == name {
			return p, nil
		}
	}
	al := make([]string, 0, len(aliases))
	for a := range aliases {
		al = append(al, a)
	}
	sort.Strings(al)
	return Protocol{}, fmt.Errorf("unknown protocol %q (known: %s; short names: %s)", name, strings.Join(Names(), ", "), strings.Join(al, ", "))
}

package tournament

import (
	"fmt"
	"sort"
	"strings"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/strategy"
)

// Protocol is a protocol a tournament can run: how to make its mechanism,
// how many parties it takes, and the mediator strategy it needs (if any).
type Protocol struct {
	Name string
	// New returns a fresh mechanism; one per negotiation.
	New func() mechanism.Mechanism
	// MinParties and MaxParties bound the scenario's party count (0: no
	// upper bound).
	MinParties, MaxParties int
	// Mediator returns a fresh mediator strategy for protocols that need
	// one; nil for direct protocols.
	Mediator func() (mechanism.Party, error)
	// Confidential grants the mediator the parties' profiles.
	Confidential bool
}

// Protocols returns the protocols tournaments know by default, by name.
func Protocols() map[string]Protocol {
	return map[string]Protocol{
		"sao": {Name: "sao", New: func() mechanism.Mechanism { return mechanism.NewSAO() }, MinParties: 2},
	}
}

// Env is what a plan is checked and run against: how scenarios are loaded,
// strategies built and protocols made. The zero Env uses DefaultLoader,
// strategy.New and Protocols().
type Env struct {
	// Load reads a scenario reference (see Plan.Scenarios); nil means
	// DefaultLoader.
	Load func(ref string) (*scenario.Scenario, error)
	// NewParty builds a fresh party for a spec; it must return an error
	// naming the problem for an unknown strategy or bad parameter. nil
	// means the strategy registry (strategy.New).
	NewParty func(s Spec) (mechanism.Party, error)
	// Protocols by name; nil means Protocols().
	Protocols map[string]Protocol
}

// DefaultLoader reads "" or "builtin:NAME" from the embedded scenarios and
// anything else with scenario.Load; a "#VARIANT" suffix applies a variant.
func DefaultLoader(ref string) (*scenario.Scenario, error) {
	base, variant, _ := strings.Cut(ref, "#")
	var (
		sc  *scenario.Scenario
		err error
	)
	switch {
	case base == "" || base == "builtin:":
		sc, err = scenario.Default()
	case strings.HasPrefix(base, "builtin:"):
		sc, err = scenario.Builtin(strings.TrimPrefix(base, "builtin:"))
	default:
		sc, err = scenario.Load(base)
	}
	if err != nil {
		return nil, err
	}
	if variant != "" {
		return sc.WithVariant(variant)
	}
	return sc, nil
}

func (e *Env) load(ref string) (*scenario.Scenario, error) {
	if e != nil && e.Load != nil {
		return e.Load(ref)
	}
	return DefaultLoader(ref)
}

func (e *Env) newParty(s Spec) (mechanism.Party, error) {
	if e != nil && e.NewParty != nil {
		return e.NewParty(s)
	}
	a, err := strategy.New(s.Name, s.Params)
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (e *Env) protocols() map[string]Protocol {
	if e != nil && e.Protocols != nil {
		return e.Protocols
	}
	return Protocols()
}

func (e *Env) protocol(name string) (Protocol, error) {
	ps := e.protocols()
	p, ok := ps[name]
	if !ok {
		names := make([]string, 0, len(ps))
		for n := range ps {
			names = append(names, n)
		}
		sort.Strings(names)
		return Protocol{}, fmt.Errorf("unknown protocol %q (known: %s)", name, strings.Join(names, ", "))
	}
	return p, nil
}

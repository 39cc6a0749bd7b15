package tournament

import (
	"strings"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/strategy"
)

// Env is what a plan is checked and run against: how scenarios are loaded,
// strategies built and protocols found. The zero Env (or a nil *Env) uses
// DefaultLoader, strategy.New and the protocol registry (protocol.Lookup).
type Env struct {
	// Load reads a scenario reference (see Plan.Scenarios); nil means
	// DefaultLoader.
	Load func(ref string) (*scenario.Scenario, error)
	// NewParty builds a fresh party for a spec; it must return an error
	// naming the problem for an unknown strategy or bad parameter. nil
	// means the strategy registry (strategy.New).
	NewParty func(s Spec) (mechanism.Party, error)
	// Protocol finds a protocol by name (or alias); it must return an error
	// listing the known names for an unknown one. nil means protocol.Lookup,
	// the registry every command shares. Tests use it to add protocols
	// (e.g. one whose mediator misbehaves).
	Protocol func(name string) (protocol.Protocol, error)
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

func (e *Env) protocol(name string) (protocol.Protocol, error) {
	if e != nil && e.Protocol != nil {
		return e.Protocol(name)
	}
	return protocol.Lookup(name)
}

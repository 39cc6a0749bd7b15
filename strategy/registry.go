package strategy

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Info describes a registered strategy.
type Info struct {
	Name    string  // lower-case name given to New
	Summary string  // one line
	Source  string  // the paper (or platform) it comes from
	Params  []Param // the parameters New accepts, in a fixed order
}

// Param describes one numeric parameter of a strategy.
type Param struct {
	Name     string
	Default  float64
	Min, Max float64 // the accepted closed range
	Integer  bool    // the value must be a whole number
	Doc      string
}

type entry struct {
	info  Info
	build func(p map[string]float64) *Agent
}

const (
	srcFaratin = "Faratin, Sierra & Jennings 1998, \"Negotiation decision functions for autonomous agents\", Robotics and Autonomous Systems 24(3-4); GENIUS TimeDependentAgent"
	srcTfT     = "Faratin, Sierra & Jennings 1998 (imitative tactics); Baarslag, Hindriks & Jonker 2013, \"A tit for tat negotiation strategy for real-time bilateral negotiations\""
)

func timeDependent(name string, e float64) *Agent {
	return &Agent{Name: name, Bidding: &TimeDependent{E: e}, Acceptance: ACNext{}}
}

var registry = []entry{
	{Info{"boulware", "time-dependent: holds out and concedes near the deadline (e < 1)", srcFaratin,
		[]Param{{Name: "e", Default: 0.2, Min: 0.001, Max: 0.999, Doc: "concession exponent"}}},
		func(p map[string]float64) *Agent { return timeDependent("boulware", p["e"]) }},
	{Info{"linear", "time-dependent: concedes at a constant rate (e = 1)", srcFaratin, nil},
		func(map[string]float64) *Agent { return timeDependent("linear", 1) }},
	{Info{"conceder", "time-dependent: concedes early (e > 1)", srcFaratin,
		[]Param{{Name: "e", Default: 2, Min: 1.001, Max: 1000, Doc: "concession exponent"}}},
		func(p map[string]float64) *Agent { return timeDependent("conceder", p["e"]) }},
	{Info{"hardliner", "always offers its best outcome; accepts only as good (e = 0)", srcFaratin + " (e = 0); GENIUS TimeDependentAgentHardliner", nil},
		func(map[string]float64) *Agent { return timeDependent("hardliner", 0) }},
	{Info{"random", "offers an acceptable outcome at random; accepts what is worth its next offer", "GENIUS RandomParty, restricted to acceptable outcomes", nil},
		func(map[string]float64) *Agent {
			return &Agent{Name: "random", Bidding: &RandomBidding{}, Acceptance: ACNext{}}
		}},
	{Info{"tft-relative", "relative tit-for-tat: concedes by the same ratio the opponent conceded", srcTfT,
		[]Param{{Name: "delay", Default: 1, Min: 1, Max: tftHistory - 1, Integer: true, Doc: "imitate the opponent's move made this many offers ago (δ)"}}},
		func(p map[string]float64) *Agent {
			return &Agent{Name: "tft-relative", Bidding: &TitForTat{Relative: true, Delay: int(p["delay"])}, Acceptance: ACNext{}}
		}},
	{Info{"tft-absolute", "absolute tit-for-tat: concedes by the same utility the opponent conceded", srcTfT,
		[]Param{
			{Name: "delay", Default: 1, Min: 1, Max: tftHistory - 1, Integer: true, Doc: "imitate the opponent's move made this many offers ago (δ)"},
			{Name: "noise", Default: 0, Min: 0, Max: 1, Doc: "uniform noise added to each move, in utility (Faratin's R(M))"},
		}},
		func(p map[string]float64) *Agent {
			return &Agent{Name: "tft-absolute", Bidding: &TitForTat{Delay: int(p["delay"]), Noise: p["noise"]}, Acceptance: ACNext{}}
		}},
	{Info{"micro", "MiCRO: concedes one new offer only after the opponent has made as many distinct offers",
		"de Jonge 2022, \"An analysis of the linear bilateral ANAC domains using the MiCRO benchmark strategy\", IJCAI 2022; NegMAS MiCRO", nil},
		func(map[string]float64) *Agent {
			m := &MiCRO{}
			return &Agent{Name: "micro", Bidding: m, Acceptance: m}
		}},
	{Info{"frequency", "Boulware target; among offers near it, the one a frequency opponent model rates best for the opponent",
		"Baarslag et al. 2014 (BOA); van Krimpen, Looije & Hajizadeh 2013 (HardHeaded frequency model); GENIUS HardHeadedFrequencyModel",
		[]Param{
			{Name: "e", Default: 0.2, Min: 0.001, Max: 1000, Doc: "concession exponent of the target"},
			{Name: "window", Default: 0.05, Min: 0, Max: 1, Doc: "utility band above the target searched for the opponent's favourite"},
			{Name: "candidates", Default: 64, Min: 1, Max: 4096, Integer: true, Doc: "most outcomes examined per offer"},
			{Name: "learn", Default: 0.2, Min: 0, Max: 0.99, Doc: "learning coefficient of the issue weights"},
		}},
		func(p map[string]float64) *Agent {
			return &Agent{Name: "frequency",
				Bidding:    &Trading{E: p["e"], Window: p["window"], Candidates: int(p["candidates"])},
				Acceptance: ACNext{},
				Model:      &FrequencyModel{Learn: p["learn"]}}
		}},
}

// List returns every registered strategy, sorted by name. The slice is the
// caller's to keep.
func List() []Info {
	out := make([]Info, len(registry))
	for i, e := range registry {
		out[i] = e.info
		out[i].Params = slices.Clone(e.info.Params)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the strategy registered under name, if any.
func Lookup(name string) (Info, bool) {
	for _, e := range registry {
		if e.info.Name == name {
			i := e.info
			i.Params = slices.Clone(i.Params)
			return i, true
		}
	}
	return Info{}, false
}

// Names returns the registered names, sorted.
func Names() []string {
	ns := make([]string, len(registry))
	for i, e := range registry {
		ns[i] = e.info.Name
	}
	sort.Strings(ns)
	return ns
}

// New returns a fresh agent of the strategy registered under name, with the
// given parameters (nil or missing ones take their defaults). It returns an
// error naming the strategy and parameter if the name is unknown, a
// parameter is not one the strategy takes, or a value is out of range.
func New(name string, params map[string]float64) (*Agent, error) {
	var e *entry
	for i := range registry {
		if registry[i].info.Name == name {
			e = &registry[i]
		}
	}
	if e == nil {
		return nil, fmt.Errorf("unknown strategy %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	vals := make(map[string]float64, len(e.info.Params))
	for _, p := range e.info.Params {
		vals[p.Name] = p.Default
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := params[k]
		i := slices.IndexFunc(e.info.Params, func(p Param) bool { return p.Name == k })
		if i < 0 {
			return nil, fmt.Errorf("strategy %q has no parameter %q (it takes: %s)", name, k, paramNames(e.info.Params))
		}
		p := e.info.Params[i]
		if math.IsNaN(v) || v < p.Min || v > p.Max {
			return nil, fmt.Errorf("strategy %q: parameter %s = %v is out of range [%v, %v]", name, k, v, p.Min, p.Max)
		}
		if p.Integer && v != math.Trunc(v) {
			return nil, fmt.Errorf("strategy %q: parameter %s = %v must be a whole number", name, k, v)
		}
		vals[k] = v
	}
	return e.build(vals), nil
}

func paramNames(ps []Param) string {
	if len(ps) == 0 {
		return "none"
	}
	ns := make([]string, len(ps))
	for i, p := range ps {
		ns[i] = p.Name
	}
	return strings.Join(ns, ", ")
}

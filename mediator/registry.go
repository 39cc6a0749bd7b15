package mediator

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/backchannel/backchannel/mechanism"
)

// Info describes a registered mediator strategy.
type Info struct {
	Name         string  // the name New takes
	Protocol     string  // the mechanism it serves ("single-text", "shuttle", …)
	Summary      string  // one line
	Source       string  // the paper or platform it comes from
	Confidential bool    // reads the parties' profiles
	Params       []Param // the numeric parameters New accepts
}

// Param is a numeric parameter of a mediator strategy.
type Param struct {
	Name     string
	Default  float64
	Min, Max float64
	Doc      string
}

type entry struct {
	info  Info
	build func(p map[string]float64) mechanism.Party
}

var registry = []entry{
	{Info{Name: "random-flip", Protocol: "single-text", Summary: "flips one issue of the current text at random",
		Source: "GENIUS SimpleMediator"}, func(map[string]float64) mechanism.Party { return &RandomFlip{} }},
	{Info{Name: "hill-climb", Protocol: "single-text", Summary: "tries every one-issue change of the current text once; stops at a local optimum",
		Source: "Klein, Faratin, Sayama & Bar-Yam 2003 (hill climbing)"}, func(map[string]float64) mechanism.Party { return &HillClimb{} }},
	{Info{Name: "annealer", Protocol: "single-text", Summary: "mediator-side simulated annealing over the parties' votes, with a quota guard",
		Source: "Klein, Faratin, Sayama & Bar-Yam 2003; Lang & Fink 2012 (quota)", Params: []Param{
			{Name: "t0", Default: 2, Min: 1e-6, Max: 1e6, Doc: "start temperature"},
			{Name: "t1", Default: 0.02, Min: 1e-9, Max: 1e6, Doc: "end temperature"},
			{Name: "quota", Default: 0.02, Min: -1, Max: 1, Doc: "minimum share of accepted texts before a party counts as blocking (negative: no guard)"},
			{Name: "window", Default: 100, Min: 1, Max: 1e6, Doc: "texts per quota window"},
		}}, func(p map[string]float64) mechanism.Party {
		return &Annealer{T0: p["t0"], T1: p["t1"], Quota: p["quota"], Window: int(p["window"])}
	}},
	{Info{Name: "relay", Protocol: "shuttle", Summary: "passes every offer on as is (reproduces direct talks)",
		Source: "shuttle diplomacy; this project"}, func(map[string]float64) mechanism.Party { return Relay{} }},
	{Info{Name: "bridge", Protocol: "shuttle", Summary: "replaces some offers by packages near the Nash point estimated from the offers seen",
		Source: "this project (frequency model: van Krimpen, Looije & Hajizadeh 2013)", Params: []Param{
			{Name: "warmup", Default: 3, Min: 1, Max: 1e6, Doc: "offers per party before the first package"},
			{Name: "every", Default: 3, Min: 1, Max: 1e6, Doc: "bridge every n-th offer"},
			{Name: "candidates", Default: 64, Min: 1, Max: 1e5, Doc: "crossovers examined per package"},
		}}, func(p map[string]float64) mechanism.Party {
		return &Bridge{Warmup: int(p["warmup"]), Every: int(p["every"]), Candidates: int(p["candidates"])}
	}},
	{Info{Name: "learner", Protocol: "feedback", Summary: "learns value orders from better/worse/same answers, then calls votes on the best text for all",
		Source: "Aydoğan, Hindriks & Jonker 2014", Params: []Param{
			{Name: "explore", Default: 0.6, Min: 0.01, Max: 1, Doc: "share of the talks spent exploring"},
		}}, func(p map[string]float64) mechanism.Party { return &Learner{Explore: p["explore"]} }},
	{Info{Name: "suggester", Protocol: "blind-bidding", Summary: "suggests packages on the frontier between the visible proposals, from the profiles' utilities (not their reservation values)",
		Source: "Thiessen & McMahon 2000 (Smartsettle); this project", Confidential: true, Params: []Param{
			{Name: "count", Default: 5, Min: 1, Max: 8, Doc: "suggestions per session"},
		}}, func(p map[string]float64) mechanism.Party { return &Suggester{Count: int(p["count"])} }},
	{Info{Name: "interpolator", Protocol: "blind-bidding", Summary: "suggests mixtures of the visible proposals, issue by issue, without reading any profile",
		Source: "Smartsettle (suggestions between the proposals); this project", Params: []Param{
			{Name: "count", Default: 5, Min: 1, Max: 8, Doc: "suggestions per session"},
		}}, func(p map[string]float64) mechanism.Party { return &Interpolator{Count: int(p["count"])} }},
	{Info{Name: "proposer", Protocol: "double-blind", Summary: "proposes the Nash point, then packages better for whoever rejected in secret (confidential)",
		Source: "the mediator's double-blind proposal (JAMS ADR Insights 2020); Nash 1950", Confidential: true}, func(map[string]float64) mechanism.Party { return &Proposer{} }},
	{Info{Name: "improver", Protocol: "post-settlement", Summary: "proposes the Nash improvement over the agreement (confidential)",
		Source: "Raiffa 1985", Confidential: true}, func(map[string]float64) mechanism.Party { return &Improver{} }},
	{Info{Name: "arbitrator", Protocol: "arbitration", Summary: "awards the Nash point over outcomes all could accept (confidential)",
		Source: "Nash 1950", Confidential: true}, func(map[string]float64) mechanism.Party { return &Arbitrator{} }},
}

// List returns every registered mediator strategy, sorted by name.
func List() []Info {
	out := make([]Info, len(registry))
	for i, e := range registry {
		out[i] = e.info
		out[i].Params = slices.Clone(e.info.Params)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns the registered names, sorted.
func Names() []string {
	var ns []string
	for _, e := range registry {
		ns = append(ns, e.info.Name)
	}
	sort.Strings(ns)
	return ns
}

// New returns a fresh mediator of the strategy registered under name, with
// the given parameters (missing ones take their defaults). It returns an
// error naming the strategy and parameter if the name is unknown, the
// parameter is not one it takes, or a value is out of range.
func New(name string, params map[string]float64) (mechanism.Party, error) {
	i := slices.IndexFunc(registry, func(e entry) bool { return e.info.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("unknown mediator %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	e := registry[i]
	vals := map[string]float64{}
	for _, p := range e.info.Params {
		vals[p.Name] = p.Default
	}
	for k, v := range params {
		j := slices.IndexFunc(e.info.Params, func(p Param) bool { return p.Name == k })
		if j < 0 {
			return nil, fmt.Errorf("mediator %q has no parameter %q", name, k)
		}
		p := e.info.Params[j]
		if math.IsNaN(v) || v < p.Min || v > p.Max {
			return nil, fmt.Errorf("mediator %q: parameter %s = %v is out of range [%v, %v]", name, k, v, p.Min, p.Max)
		}
		vals[k] = v
	}
	return e.build(vals), nil
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/strategy"
)

// scenarioFlags are the flags of every command that takes a scenario.
func scenarioFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "scenario", Aliases: []string{"s"},
			Usage: "scenario: a native YAML/JSON file, a GENIUS or GeniusWeb folder, or DOMAIN,PROFILE,PROFILE… (default: the embedded Iran–US scenario; 'builtin:NAME' for another built-in)"},
		&cli.StringFlag{Name: "variant", Usage: "apply the scenario's named variant (e.g. coercion_peak_jun_2025)"},
	}
}

// loadScenario reads the scenario the flags name (or the default), applying
// --variant.
func loadScenario(cmd *cli.Command) (*scenario.Scenario, error) {
	return openScenario(cmd.StringSlice("scenario"), cmd.String("variant"))
}

// scenarioOrArgs returns the scenario of a command whose main object is the
// scenario: --scenario, or the positional arguments (the older spelling,
// kept); not both.
func scenarioOrArgs(cmd *cli.Command) ([]string, error) {
	if s := cmd.StringSlice("scenario"); len(s) > 0 {
		if cmd.NArg() > 0 {
			return nil, usagef("the scenario is given twice: --scenario %s and %s; give one", strings.Join(s, ","), strings.Join(cmd.Args().Slice(), " "))
		}
		return s, nil
	}
	return cmd.Args().Slice(), nil
}

func openScenario(args []string, variant string) (*scenario.Scenario, error) {
	var parts []string
	for _, a := range args {
		for _, p := range strings.Split(a, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
	}
	var (
		s   *scenario.Scenario
		err error
	)
	switch {
	case len(parts) == 0:
		s, err = scenario.Default()
	case len(parts) == 1 && strings.HasPrefix(parts[0], "builtin:"):
		s, err = scenario.Builtin(strings.TrimPrefix(parts[0], "builtin:"))
	default:
		s, err = readScenario(parts)
	}
	if err != nil {
		return nil, err
	}
	if variant != "" {
		return s.WithVariant(variant)
	}
	return s, nil
}

// partiesFor reads --parties and checks it names one strategy per party of sc.
func partiesFor(cmd *cli.Command, sc *scenario.Scenario) ([]partySpec, error) {
	specs, err := parsePartySpecs(cmd.StringSlice("parties"))
	if err != nil {
		return nil, err
	}
	if len(specs) != sc.NumParties() {
		return nil, usagef("--parties names %d strategies; scenario %q has %d parties (%s)", len(specs), sc.ID, sc.NumParties(), strings.Join(partyIDs(sc), ", "))
	}
	return specs, nil
}

// roundsFor reads --deadline-rounds; 0 means the scenario's suggestion, else
// fallback.
func roundsFor(cmd *cli.Command, sc *scenario.Scenario, fallback int) (int, error) {
	rounds := int(cmd.Int("deadline-rounds"))
	if rounds < 0 {
		return 0, usagef("--deadline-rounds %d is negative", rounds)
	}
	if rounds == 0 {
		rounds = sc.SuggestedDeadlineRounds
	}
	if rounds == 0 {
		rounds = fallback
	}
	return rounds, nil
}

// partySpec is one entry of --parties: a strategy name with parameters,
// written NAME or NAME:KEY=VALUE:KEY=VALUE.
type partySpec struct {
	Name   string
	Params map[string]float64
}

func (p partySpec) String() string {
	if len(p.Params) == 0 {
		return p.Name
	}
	var b strings.Builder
	b.WriteString(p.Name)
	for _, k := range sortedKeys(p.Params) {
		fmt.Fprintf(&b, ":%s=%g", k, p.Params[k])
	}
	return b.String()
}

func parsePartySpecs(list []string) ([]partySpec, error) {
	var out []partySpec
	for _, item := range list {
		for _, f := range strings.Split(item, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			fields := strings.Split(f, ":")
			sp := partySpec{Name: fields[0]}
			for _, kv := range fields[1:] {
				k, v, ok := strings.Cut(kv, "=")
				x, err := strconv.ParseFloat(v, 64)
				if !ok || err != nil {
					return nil, usagef("--parties %q: parameter %q must be KEY=NUMBER", f, kv)
				}
				if sp.Params == nil {
					sp.Params = map[string]float64{}
				}
				sp.Params[k] = x
			}
			if _, err := strategy.New(sp.Name, sp.Params); err != nil {
				return nil, usagef("--parties: %v", err)
			}
			out = append(out, sp)
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// thousands formats n with thin separators: 552,960.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

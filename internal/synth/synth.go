// Package synth writes synthetic negotiation scenarios for tests and
// benchmarks: random linear-additive profiles on a product space, seeded, in
// the native YAML format (so a tool can write the very file a benchmark
// parses).
package synth

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/backchannel/backchannel/scenario"
)

// Config describes a random linear-additive scenario. The zero values of
// Issues, Values and Reservation mean issue 16's test scenarios: 6 issues of
// 10 options (10⁶ outcomes), reservation value 0.3 for every party.
type Config struct {
	Parties     int     // number of parties, at least 2
	Issues      int     // number of issues; 0 means 6
	Values      int     // options per issue; 0 means 10
	Reservation float64 // every party's reservation value; 0 means 0.3
	Seed        uint64  // the same seed gives the same scenario
}

func (c Config) withDefaults() Config {
	if c.Issues == 0 {
		c.Issues = 6
	}
	if c.Values == 0 {
		c.Values = 10
	}
	if c.Reservation == 0 {
		c.Reservation = 0.3
	}
	return c
}

// YAML returns the scenario as native YAML: issues i0, i1, … with options
// v0, v1, …; parties p1, p2, … each with weights drawn uniformly from (0, 1)
// and normalised to sum to 1, and evaluations drawn uniformly from [0, 1),
// written with full float64 precision. No rules, no red lines.
func YAML(c Config) []byte {
	c = c.withDefaults()
	r := rand.New(rand.NewPCG(c.Seed, uint64(c.Parties)<<32|uint64(c.Issues)<<16|uint64(c.Values)))
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	var y strings.Builder
	fmt.Fprintf(&y, "schema_version: 1\nscenario:\n  id: synth-%dp-%di-%dv-s%d\n  title: \"Random linear additive, %d parties\"\nissues:\n",
		c.Parties, c.Issues, c.Values, c.Seed, c.Parties)
	for i := range c.Issues {
		fmt.Fprintf(&y, "  - id: i%d\n    options: [", i)
		for v := range c.Values {
			if v > 0 {
				y.WriteString(", ")
			}
			fmt.Fprintf(&y, "v%d", v)
		}
		y.WriteString("]\n")
	}
	y.WriteString("parties:\n")
	for p := range c.Parties {
		ws := make([]float64, c.Issues)
		sum := 0.0
		for i := range ws {
			ws[i] = r.Float64() + 1e-9
			sum += ws[i]
		}
		fmt.Fprintf(&y, "  p%d:\n    reservation_value: %s\n    weights: {", p+1, f(c.Reservation))
		for i := range ws {
			if i > 0 {
				y.WriteString(", ")
			}
			fmt.Fprintf(&y, "i%d: %s", i, f(ws[i]/sum))
		}
		y.WriteString("}\n    values:\n")
		for i := range c.Issues {
			fmt.Fprintf(&y, "      i%d: {", i)
			for v := range c.Values {
				if v > 0 {
					y.WriteString(", ")
				}
				fmt.Fprintf(&y, "v%d: %s", v, f(r.Float64()))
			}
			y.WriteString("}\n")
		}
	}
	return []byte(y.String())
}

// Scenario parses YAML(c). It panics if the generated text does not parse (a
// programmer error in this package).
func Scenario(c Config) *scenario.Scenario {
	sc, err := scenario.Parse(YAML(c), "synth.yaml")
	if err != nil {
		panic(fmt.Sprintf("synth: generated scenario does not parse: %v", err))
	}
	return sc
}

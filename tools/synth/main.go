// Command synth writes a random linear-additive scenario in native YAML to
// standard output: issue 16's test scenarios (6 issues × 10 options, n
// parties, reservation value 0.3), seeded.
//
//	go run ./tools/synth -parties 8 -seed 1 > /tmp/p8.yaml
//	backchannel analyze /tmp/p8.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/backchannel/backchannel/internal/synth"
)

func main() {
	var c synth.Config
	flag.IntVar(&c.Parties, "parties", 6, "number of parties")
	flag.IntVar(&c.Issues, "issues", 6, "number of issues")
	flag.IntVar(&c.Values, "values", 10, "options per issue")
	flag.Float64Var(&c.Reservation, "reservation", 0.3, "every party's reservation value")
	flag.Uint64Var(&c.Seed, "seed", 1, "random seed")
	flag.Parse()
	if c.Parties < 2 || c.Issues < 1 || c.Values < 1 {
		fmt.Fprintln(os.Stderr, "synth: need -parties ≥ 2, -issues ≥ 1, -values ≥ 1")
		os.Exit(2)
	}
	os.Stdout.Write(synth.YAML(c))
}

package main

import (
	"github.com/backchannel/backchannel/scenario"
)

// readScenario opens a scenario given as one or more paths.
func readScenario(parts []string) (*scenario.Scenario, error) {
	if len(parts) != 1 {
		return nil, usagef("a scenario list needs the GENIUS/GeniusWeb reader")
	}
	return scenario.Load(parts[0])
}

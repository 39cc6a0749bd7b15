package main

import (
	"github.com/backchannel/backchannel/load"
	"github.com/backchannel/backchannel/scenario"
)

// readScenario opens a scenario given as one or more paths in any format
// backchannel reads (native, GENIUS, GeniusWeb), detected from content.
func readScenario(parts []string) (*scenario.Scenario, error) {
	return load.Scenario(parts...)
}

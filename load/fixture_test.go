package load

import (
	"testing"

	"github.com/backchannel/backchannel/scenario"
)

const fixtureYAML = `scenario: {id: fixture}
issues:
  - {id: color, options: [red, blue]}
  - {id: size, type: integer, min: 1, max: 5}
parties:
  a:
    reservation_value: 0.1
    weights: {color: 0.4, size: 0.6}
    values:
      color: {red: 1, blue: 0.25}
      size: {type: linear, slope: 0.25, offset: 0}
  b:
    reservation_value: 0.2
    weights: {color: 0.5, size: 0.5}
    values:
      color: {red: 0.2, blue: 0.8}
      size: {1: 1, 2: 0.5, 3: 0.7, 4: 0, 5: 0.1}
`

func fixture(t testing.TB) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Parse([]byte(fixtureYAML), "fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

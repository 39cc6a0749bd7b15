package tournament

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Plan is what a tournament runs: every strategy against the others on every
// scenario under every protocol, in every assignment of strategies to roles,
// Repetitions times. It is read from YAML (ReadPlan) or built from flags.
type Plan struct {
	// Strategies are specs (NAME or NAME:KEY=VALUE…), at least as many as
	// the scenarios have parties unless SelfPlay.
	Strategies []string `yaml:"strategies" json:"strategies"`
	// Scenarios are references the Env's loader understands: a file path,
	// "builtin:NAME", either followed by "#VARIANT". Empty means the
	// embedded default scenario.
	Scenarios []string `yaml:"scenarios" json:"scenarios"`
	// Protocols are names of the protocol registry (package protocol, or
	// its short aliases: direct, shuttle, single-text, feedback,
	// post-settlement); empty means "sao".
	Protocols []string `yaml:"protocols" json:"protocols"`
	// Repetitions of each pairing, each with its own seed (≥ 1; 0 means 1).
	Repetitions int `yaml:"repetitions" json:"repetitions"`
	// Seed from which every job's seed is derived.
	Seed uint64 `yaml:"seed" json:"seed"`
	// DeadlineRounds bounds each negotiation in SAO rounds; 0 takes the
	// scenario's suggestion, else 100. Protocols whose mediator proposes
	// texts get protocol.Protocol.Rounds of it.
	DeadlineRounds int `yaml:"deadline_rounds" json:"deadline_rounds"`
	// MoveTime bounds one answer of a party: a party that overruns it loses
	// the negotiation. 0 means DefaultMoveTime.
	MoveTime time.Duration `yaml:"move_time" json:"move_time"`
	// JobTime bounds one negotiation's wall time: the party asked when it
	// passes loses. 0 means DefaultJobTime.
	JobTime time.Duration `yaml:"job_time" json:"job_time"`
	// SelfPlay also pairs a strategy with itself.
	SelfPlay bool `yaml:"self_play" json:"self_play"`
	// Trace keeps every negotiation's event log in the store.
	Trace bool `yaml:"trace" json:"trace"`
}

// DefaultMoveTime and DefaultJobTime are the limits a plan gets when it sets
// none: generous for in-process strategies, short enough that a hung one
// does not stall a tournament for long.
const (
	DefaultMoveTime = 10 * time.Second
	DefaultJobTime  = 5 * time.Minute
)

// MaxJobs is the largest tournament a plan may expand to.
const MaxJobs = 50_000_000

// ReadPlan reads a YAML plan file. Unknown keys are errors, reported with
// their line.
func ReadPlan(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return ParsePlan(data, path)
}

// ParsePlan reads a YAML plan; name is used in error messages.
func ParsePlan(data []byte, name string) (*Plan, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Plan
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the plan is empty (it needs at least 'strategies:')", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &p, nil
}

// PlanError lists every problem found in a plan, so that one run shows them
// all.
type PlanError struct {
	Problems []string
}

func (e *PlanError) Error() string {
	if len(e.Problems) == 1 {
		return "plan: " + e.Problems[0]
	}
	return fmt.Sprintf("plan has %d problems:\n  - %s", len(e.Problems), strings.Join(e.Problems, "\n  - "))
}

func (e *PlanError) add(format string, a ...any) {
	e.Problems = append(e.Problems, fmt.Sprintf(format, a...))
}

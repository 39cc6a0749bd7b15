// Package scenario holds a complete negotiation problem: the outcome space,
// one preference profile per party, an optional mediator profile, named
// variants and the metadata (sources, rationale) that explain the numbers.
//
// The native format is YAML or JSON with one schema (docs/scenario-format.md).
// Importers and exporters for the peers' formats live in their own packages
// (genius, geniusweb) and produce the same Scenario.
package scenario

import (
	"fmt"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// Scenario is a negotiation problem. Parties are in a fixed order; utilities
// everywhere in backchannel are reported in that order.
type Scenario struct {
	ID          string
	Title       string
	Description string
	Source      string // the file or folder it was read from
	Format      string // "native", "genius", "geniusweb"

	Space    *outcome.Space
	Parties  []*Party
	Mediator *Party // nil if the scenario defines none

	Variants []Variant
	Sources  []Reference
	// Themes holds the scenario's optional parameters for coercion, trust and
	// contradictory signals (see package themes in issue 3); raw as read.
	Themes map[string]any
	// SuggestedDeadlineRounds is a hint for runs that give no deadline (0: none).
	SuggestedDeadlineRounds int
	// Warnings are non-fatal remarks made while reading the scenario (for
	// example GENIUS weights that do not sum to 1).
	Warnings []string
	// Meta holds the explanatory keys of the native format that the engine
	// does not interpret, raw as read and nested by where they appear:
	// "scenario" (header keys such as as_of, anchor_article), "protocol",
	// "issues" → issue id → (name, no_deal_option, refs, "options" → option
	// id → refs/description), "constraints" → rule id, "parties" → party id
	// (reservation_derivation, no_deal_values, red_line_refs, description),
	// "mediator". Leaves are string, int64, float64, bool, nil, []any or
	// map[string]any. Marshal writes them back where they came from.
	Meta map[string]any
}

// Party is a named participant with its private profile.
type Party struct {
	ID        string
	Name      string
	Profile   *preference.Profile
	Rationale map[string]string // issue id → why the numbers are what they are
	Refs      []string
}

// Reference is a source the scenario cites.
type Reference struct {
	ID    string
	Title string
	Date  string
	URL   string
	Also  []string // further URLs for the same fact
}

// Variant is a named patch over the baseline profiles.
type Variant struct {
	Name        string
	Description string
	Patches     map[string]Patch // party id → patch
	Refs        []string
}

// Patch changes part of one party's profile; nil fields are inherited.
type Patch struct {
	Reservation *float64
	Discount    *float64
	Weights     map[string]float64            // issue → weight
	Values      map[string]map[string]float64 // issue → value → evaluation
	RedLines    map[string][]string           // issue → values (replaces that issue's red lines)
}

// NumParties returns the number of negotiating parties (the mediator excluded).
func (s *Scenario) NumParties() int { return len(s.Parties) }

// Profiles returns the parties' profiles in party order.
func (s *Scenario) Profiles() []*preference.Profile {
	ps := make([]*preference.Profile, len(s.Parties))
	for i, p := range s.Parties {
		ps[i] = p.Profile
	}
	return ps
}

// PartyIndex returns the position of the party with id, or -1.
func (s *Scenario) PartyIndex(id string) int {
	for i, p := range s.Parties {
		if p.ID == id {
			return i
		}
	}
	return -1
}

// Variant returns the variant named name, or nil.
func (s *Scenario) Variant(name string) *Variant {
	for i := range s.Variants {
		if s.Variants[i].Name == name {
			return &s.Variants[i]
		}
	}
	return nil
}

// WithVariant returns a copy of s with the named variant applied. The copy
// shares the space with s; its profiles are new. Returns an error naming the
// variant, party, issue or value if the variant does not exist or does not fit.
func (s *Scenario) WithVariant(name string) (*Scenario, error) {
	v := s.Variant(name)
	if v == nil {
		names := make([]string, len(s.Variants))
		for i := range s.Variants {
			names[i] = s.Variants[i].Name
		}
		return nil, fmt.Errorf("scenario %q has no variant %q (it has %v)", s.ID, name, names)
	}
	c := *s
	c.ID = s.ID + "/" + name
	c.Parties = make([]*Party, len(s.Parties))
	for i, p := range s.Parties {
		q := *p
		q.Profile = p.Profile.Clone()
		if err := q.Profile.Prepare(s.Space); err != nil { // Clone drops the look-up tables
			return nil, fmt.Errorf("variant %q: %w", name, err)
		}
		c.Parties[i] = &q
	}
	for pid, patch := range v.Patches {
		pi := c.PartyIndex(pid)
		var party *Party
		switch {
		case pi >= 0:
			party = c.Parties[pi]
		case c.Mediator != nil && c.Mediator.ID == pid:
			m := *c.Mediator
			m.Profile = c.Mediator.Profile.Clone()
			c.Mediator = &m
			party = c.Mediator
		default:
			return nil, fmt.Errorf("variant %q: unknown party %q", name, pid)
		}
		if err := patch.apply(s.Space, party.Profile); err != nil {
			return nil, fmt.Errorf("variant %q: party %q: %w", name, pid, err)
		}
		if err := party.Profile.Prepare(s.Space); err != nil {
			return nil, fmt.Errorf("variant %q: %w", name, err)
		}
	}
	return &c, nil
}

func (pt *Patch) apply(sp *outcome.Space, p *preference.Profile) error {
	if pt.Reservation != nil {
		p.Reservation = *pt.Reservation
	}
	if pt.Discount != nil {
		p.Discount = *pt.Discount
	}
	for issue, w := range pt.Weights {
		i := sp.IssueIndex(issue)
		if i < 0 {
			return fmt.Errorf("weights: unknown issue %q", issue)
		}
		p.Issues[i].Weight = w
	}
	for issue, vals := range pt.Values {
		i := sp.IssueIndex(issue)
		if i < 0 {
			return fmt.Errorf("values: unknown issue %q", issue)
		}
		for val, e := range vals {
			vi := sp.Issues[i].ValueIndex(val)
			if vi < 0 {
				return fmt.Errorf("values.%s: unknown value %q", issue, val)
			}
			p.Issues[i].Eval[vi] = e
		}
	}
	if pt.RedLines != nil && p.RedLines == nil {
		p.RedLines = make([][]bool, sp.NumIssues())
	}
	for issue, vals := range pt.RedLines {
		i := sp.IssueIndex(issue)
		if i < 0 {
			return fmt.Errorf("red_lines: unknown issue %q", issue)
		}
		rl := make([]bool, sp.Issues[i].Len())
		for _, val := range vals {
			vi := sp.Issues[i].ValueIndex(val)
			if vi < 0 {
				return fmt.Errorf("red_lines.%s: unknown value %q", issue, val)
			}
			rl[vi] = true
		}
		p.RedLines[i] = rl
	}
	return nil
}

// WithoutRedLines returns a copy of s whose profiles have no red lines and
// whose space has no feasibility rules: the "linear utilities only" reading
// that GENIUS can express.
func (s *Scenario) WithoutRedLines() (*Scenario, error) {
	c := *s
	sp, err := outcome.NewSpace(s.Space.Issues, nil)
	if err != nil {
		return nil, err
	}
	c.Space = sp
	c.Parties = make([]*Party, len(s.Parties))
	for i, p := range s.Parties {
		q := *p
		q.Profile = p.Profile.Clone()
		q.Profile.RedLines = nil
		if err := q.Profile.Prepare(sp); err != nil {
			return nil, err
		}
		c.Parties[i] = &q
	}
	return &c, nil
}

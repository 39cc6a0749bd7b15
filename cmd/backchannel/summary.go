package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/backchannel/backchannel/scenario"
)

// scenarioSummary is the public description of a scenario: no preferences.
type scenarioSummary struct {
	ID            string         `json:"id"`
	Title         string         `json:"title,omitempty"`
	Format        string         `json:"format,omitempty"`
	Parties       []partySummary `json:"parties"`
	Mediator      string         `json:"mediator,omitempty"`
	Issues        []issueSummary `json:"issues"`
	Outcomes      json.Number    `json:"outcomes"`
	OutcomesExact string         `json:"outcomes_exact,omitempty"`
	Rules         int            `json:"rules"`
	Variants      []string       `json:"variants,omitempty"`
	Warnings      []string       `json:"warnings,omitempty"`
}

type partySummary struct {
	ID          string  `json:"id"`
	Name        string  `json:"name,omitempty"`
	Reservation float64 `json:"reservation"`
	Discount    float64 `json:"discount"`
	RedLines    int     `json:"red_lines"`
}

type issueSummary struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Values int    `json:"values"`
}

func summarise(sc *scenario.Scenario) scenarioSummary {
	n, exact := countJSON(sc.Space)
	s := scenarioSummary{ID: sc.ID, Title: sc.Title, Format: sc.Format, Outcomes: n, OutcomesExact: exact,
		Rules: len(sc.Space.Rules), Warnings: sc.Warnings}
	for _, p := range sc.Parties {
		n := 0
		for _, rl := range p.Profile.RedLines {
			for _, b := range rl {
				if b {
					n++
				}
			}
		}
		s.Parties = append(s.Parties, partySummary{ID: p.ID, Name: p.Name, Reservation: p.Profile.Reservation, Discount: p.Profile.Discount, RedLines: n})
	}
	if sc.Mediator != nil {
		s.Mediator = sc.Mediator.ID
	}
	for _, is := range sc.Space.Issues {
		s.Issues = append(s.Issues, issueSummary{is.Name, is.Kind.String(), is.Len()})
	}
	for _, v := range sc.Variants {
		s.Variants = append(s.Variants, v.Name)
	}
	return s
}

func printSummary(w io.Writer, s scenarioSummary) {
	fmt.Fprintf(w, "Scenario  %s", s.ID)
	if s.Title != "" {
		fmt.Fprintf(w, " — %s", s.Title)
	}
	fmt.Fprintln(w)
	for _, p := range s.Parties {
		fmt.Fprintf(w, "Party     %-10s reservation %.3f", p.ID, p.Reservation)
		if p.Discount != 1 {
			fmt.Fprintf(w, ", discount %.3f", p.Discount)
		}
		if p.RedLines > 0 {
			fmt.Fprintf(w, ", %d red-line values", p.RedLines)
		}
		if p.Name != "" && p.Name != p.ID {
			fmt.Fprintf(w, "  (%s)", p.Name)
		}
		fmt.Fprintln(w)
	}
	if s.Mediator != "" {
		fmt.Fprintf(w, "Mediator  %s\n", s.Mediator)
	}
	var iss []string
	for _, is := range s.Issues {
		iss = append(iss, fmt.Sprintf("%s(%d)", is.Name, is.Values))
	}
	fmt.Fprintf(w, "Issues    %d: %s\n", len(s.Issues), strings.Join(iss, " "))
	out := s.OutcomesExact
	if n, err := s.Outcomes.Int64(); err == nil {
		out = thousands(n)
	} else if len(out) > 20 {
		out = fmt.Sprintf("about %se%d", out[:1]+"."+out[1:3], len(out)-1)
	}
	fmt.Fprintf(w, "Outcomes  %s", out)
	if s.Rules > 0 {
		fmt.Fprintf(w, " (%d feasibility rules)", s.Rules)
	}
	fmt.Fprintln(w)
	if len(s.Variants) > 0 {
		fmt.Fprintf(w, "Variants  %s\n", strings.Join(s.Variants, ", "))
	}
	for _, x := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", x)
	}
}

package study

import (
	"context"
	"testing"
)

// TestKleinQualitative: on interdependent scenarios, hill-climbing voters
// with a hill-climbing mediator stall below the welfare the annealing
// mediator reaches (Klein et al. 2003's qualitative result).
func TestKleinQualitative(t *testing.T) {
	rows, err := Klein(context.Background(), 3, 12, 4, 2000, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		t.Logf("%-12s mediator, %-12s voters: welfare share %.3f [%.3f, %.3f], proposals %.0f", r.Mediator, r.Voter, r.Welfare.Mean, r.Welfare.CILo, r.Welfare.CIHi, r.Proposal.Mean)
	}
	if rows[2].Welfare.Mean <= rows[1].Welfare.Mean {
		t.Errorf("annealing mediator %.3f not above hill-climbing mediator %.3f", rows[2].Welfare.Mean, rows[1].Welfare.Mean)
	}
}

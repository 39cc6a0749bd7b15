package study

import (
	"context"
	"testing"

	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/voting"
)

// TestFaceSavingStudy: the face-saving study runs both protocols and their
// public-schedule controls (secret acceptances on E = PublicSchedule) in
// three settings, and on the Iran–US baseline blind bidding agrees where
// direct talks do not.
func TestFaceSavingStudy(t *testing.T) {
	ps := FaceSavingProtocols()
	want := []string{"sao", "single-text/annealer", "blind-bidding/suggester", "blind-bidding/interpolator", "double-blind/proposer",
		"blind-bidding/suggester (public schedule)", "double-blind/proposer (public schedule)"}
	if len(ps) != len(want) {
		t.Fatalf("%d protocols, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		if p.Name != want[i] {
			t.Fatalf("protocol %d is %q, want %q", i, p.Name, want[i])
		}
	}
	for _, p := range ps[5:] {
		v, ok := p.Voter().(*voting.Secret)
		if !ok || v.E != PublicSchedule {
			t.Errorf("%s: voter %#v, want voting.Secret{E: %v}", p.Name, p.Voter(), PublicSchedule)
		}
	}
	s, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := FaceSaving(context.Background(), s, []string{"boulware", "boulware"}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 8 || rs[0].Problem != "baseline" {
		t.Fatalf("%d results, first %q", len(rs), rs[0].Problem)
	}
	if rs[0].Rows[0].Agreement.Mean != 0 || rs[0].Rows[2].Agreement.Mean != 1 {
		t.Errorf("baseline: direct talks agree %v, blind bidding %v; want 0 and 1", rs[0].Rows[0].Agreement.Mean, rs[0].Rows[2].Agreement.Mean)
	}
	for _, row := range rs[0].Rows {
		if len(row.Faults) > 0 {
			t.Errorf("%s: faults %v", row.Protocol, row.Faults)
		}
	}
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAnalyzeMarksGeniusNashBelowReservation: with three parties GENIUS's
// Nash point (the largest Π(uᵢ − rvᵢ) over the frontier) can be a point two
// parties would refuse, two negative factors making a positive product.
// analyze keeps the number and marks it, in JSON and in text.
func TestAnalyzeMarksGeniusNashBelowReservation(t *testing.T) {
	const y = `scenario: {id: two-negatives}
issues:
  - {id: deal, options: [lopsided, balanced]}
parties:
  a: {reservation_value: 0.5, weights: {deal: 1}, values: {deal: {lopsided: 1, balanced: 0.6}}}
  b: {reservation_value: 0.5, weights: {deal: 1}, values: {deal: {lopsided: 0, balanced: 0.6}}}
  c: {reservation_value: 0.5, weights: {deal: 1}, values: {deal: {lopsided: 0, balanced: 0.6}}}
`
	f := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(f, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "", "analyze", "--json", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var a struct {
		Nash       struct{ Outcome map[string]string } `json:"nash"`
		NashGenius struct{ Outcome map[string]string } `json:"nash_genius"`
		Below      []string                            `json:"nash_genius_below_reservation"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if a.NashGenius.Outcome["deal"] != "lopsided" || a.Nash.Outcome["deal"] != "balanced" || !slices.Equal(a.Below, []string{"b", "c"}) {
		t.Fatalf("GENIUS Nash %v, Nash %v, below reservation %v", a.NashGenius.Outcome, a.Nash.Outcome, a.Below)
	}
	text, _, _ := runCLI(t, "", "analyze", f)
	if !strings.Contains(text, "below the reservation value of b, c") {
		t.Fatalf("analyze does not mark GENIUS's Nash point:\n%s", text)
	}
}

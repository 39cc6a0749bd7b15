package tournament

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReportPerProtocol builds the report of a tournament over three
// protocols (one with a panicking mediator) and checks the per-protocol
// rankings against the stored results: every strategy's count, mean
// utility and agreement rate under each protocol, and that a mediator's
// fault is not charged to any strategy.
func TestReportPerProtocol(t *testing.T) {
	env := testEnv(t)
	p := Plan{Strategies: []string{"linear", "boulware", "conceder"}, Scenarios: []string{"small"},
		Protocols: []string{"sao", "single-text/annealer", "shuttle/panicky"}, Repetitions: 2, Seed: 9, DeadlineRounds: 30, MoveTime: time.Second}
	tr := compile(t, env, p)
	st := openStore(t)
	if _, err := Run(context.Background(), tr, st, env, Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	rep, err := BuildReport(context.Background(), st, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Negotiations != len(tr.Jobs) || rep.Faults != 12 {
		t.Fatalf("%d negotiations (want %d), %d faults (want the panicky mediator's 12)", rep.Negotiations, len(tr.Jobs), rep.Faults)
	}
	if len(rep.PerProtocol) != 3 {
		t.Fatalf("%d per-protocol rankings, want 3", len(rep.PerProtocol))
	}
	// What each ranking should say, from the results themselves.
	type key struct{ proto, strat string }
	util, agree, n := map[key]float64{}, map[key]float64{}, map[key]int{}
	for _, r := range results(t, st) {
		for i, s := range r.Strategies {
			k := key{r.Protocol, s}
			util[k] += r.Utilities[i]
			n[k]++
			if r.Status == "agreement" {
				agree[k]++
			}
		}
	}
	for _, rk := range rep.PerProtocol {
		if rk.Scenario != "" || len(rk.Rows) != 3 {
			t.Fatalf("ranking %+v", rk)
		}
		for i, row := range rk.Rows {
			k := key{rk.Protocol, row.Strategy}
			if row.Negotiations != n[k] || n[k] != 8 {
				t.Errorf("%v: %d negotiations, stored %d, want 8", k, row.Negotiations, n[k])
			}
			if math.Abs(row.Utility.Mean-util[k]/float64(n[k])) > 1e-12 || math.Abs(row.Agreement.Mean-agree[k]/float64(n[k])) > 1e-12 {
				t.Errorf("%v: utility %v agreement %v, stored means %v %v", k, row.Utility.Mean, row.Agreement.Mean, util[k]/float64(n[k]), agree[k]/float64(n[k]))
			}
			if !(row.Utility.Lo <= row.Utility.Mean && row.Utility.Mean <= row.Utility.Hi) {
				t.Errorf("%v: mean %v outside its interval [%v, %v]", k, row.Utility.Mean, row.Utility.Lo, row.Utility.Hi)
			}
			if row.Faults != 0 {
				t.Errorf("%v: %d faults charged to the strategy", k, row.Faults)
			}
			if i > 0 && row.Utility.Mean > rk.Rows[i-1].Utility.Mean {
				t.Errorf("%s: not ranked by mean utility", rk.Protocol)
			}
		}
		if rk.Protocol == "shuttle/panicky" && rk.Rows[0].Agreement.Mean != 0 {
			t.Errorf("agreements under a mediator that always panics")
		}
	}
	var text, csvOut bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Overall", "Scenario small", "Protocol sao", "Protocol single-text/annealer", "Protocol shuttle/panicky"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	if err := rep.WriteCSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+3*(1+1+3) || recs[0][1] != "protocol" || recs[len(recs)-1][1] != "single-text/annealer" {
		t.Errorf("CSV has %d lines (want 16), header %v, last %v", len(recs), recs[0], recs[len(recs)-1])
	}
	dir := t.TempDir()
	if err := rep.WriteHTML(dir, ""); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil || !strings.Contains(string(html), "Protocol shuttle/panicky") {
		t.Errorf("HTML report lacks the per-protocol ranking (%v)", err)
	}
}

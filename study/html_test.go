package study

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixture is a 3-issue problem (60 outcomes, one rule, a red line) whose
// weights and evaluations have five significant digits, so that a report
// leaking them would show them verbatim.
func fixture(t testing.TB) *Problem {
	t.Helper()
	sp, err := outcome.NewSpace([]outcome.Issue{
		outcome.NewDiscrete("price", "low", "mid-low", "mid", "mid-high", "high"),
		outcome.NewDiscrete("term", "1y", "2y", "3y", "5y"),
		outcome.NewDiscrete("support", "none", "basic", "full"),
	}, []outcome.Rule{{Name: "high price needs support",
		If:   []outcome.Condition{{Issue: 0, Allowed: []bool{false, false, false, false, true}}},
		Then: []outcome.Condition{{Issue: 2, Allowed: []bool{false, true, true}}}}})
	if err != nil {
		t.Fatal(err)
	}
	ps := []*preference.Profile{
		{Name: "seller", Reservation: 0.31831, Issues: []preference.IssueUtility{
			{Weight: 0.51413, Eval: []float64{0, 0.27183, 0.57721, 0.83147, 1}},
			{Weight: 0.21829, Eval: []float64{1, 0.69315, 0.41421, 0}},
			{Weight: 0.26758, Eval: []float64{1, 0.73205, 0}}}},
		{Name: "buyer", Reservation: 0.28657, Issues: []preference.IssueUtility{
			{Weight: 0.46692, Eval: []float64{1, 0.86603, 0.61803, 0.14142, 0}},
			{Weight: 0.31623, Eval: []float64{0, 0.22361, 0.64575, 1}},
			{Weight: 0.21685, Eval: []float64{0, 0.52915, 1}}},
			RedLines: [][]bool{nil, {true, false, false, false}, nil}},
	}
	for _, p := range ps {
		if err := p.Prepare(sp); err != nil {
			t.Fatal(err)
		}
	}
	return &Problem{Name: "fixture", Space: sp, Profiles: ps, Party: AgentParties([]string{"boulware", "conceder"})}
}

// TestReportGolden compares the HTML report of every protocol on the
// fixture (2 seeds) with testdata/compare.golden.html (go test ./study -run
// Golden -update rewrites it), and checks what a report shown to people
// must hold: one SVG plot per protocol, titled with its name, and none of
// the parties' weights or evaluations.
func TestReportGolden(t *testing.T) {
	pr := fixture(t)
	res, err := Compare(context.Background(), pr, Protocols(), 10, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, "backchannel compare: fixture", []Section{{Title: "fixture", Text: "Boulware vs Conceder, 2 seeds.", Result: res}}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	golden := filepath.Join("testdata", "compare.golden.html")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./study -run Golden -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("report differs from %s at line %d (rerun with -update if the change is meant):\ngot  %.300s\nwant %.300s", golden, i+1, g, w)
			}
		}
	}

	if n, want := strings.Count(got, "<svg"), len(Protocols()); n != want {
		t.Errorf("%d SVG plots, want one per protocol (%d)", n, want)
	}
	for _, p := range Protocols() {
		if strings.Count(got, "<text x='24' y='14'>"+html.EscapeString(p.Name)+"</text>") != 1 {
			t.Errorf("no plot titled %q", p.Name)
		}
	}
	for _, p := range pr.Profiles {
		var nums []float64
		for _, iu := range p.Issues {
			nums = append(nums, iu.Weight)
			for _, e := range iu.Eval {
				if e != 0 && e != 1 {
					nums = append(nums, e)
				}
			}
		}
		for _, x := range nums {
			if s := fmt.Sprint(x); strings.Contains(got, s) {
				t.Errorf("the report shows %s, a weight or evaluation of %s", s, p.Name)
			}
		}
	}
}

// TestReferenceFromAnalysis: the report's yardsticks are analysis's — the
// frontier's distinct utility vectors in ascending u₀ (each non-dominated),
// the Nash point and the largest acceptable welfare — and the JSON of a
// comparison with empty statistics (no agreement anywhere) encodes, with
// null for the missing numbers.
func TestReferenceFromAnalysis(t *testing.T) {
	pr := fixture(t)
	rep, ref, err := analyse(context.Background(), pr.Space, pr.Profiles)
	if err != nil {
		t.Fatal(err)
	}
	if len(ref.Frontier) == 0 || ref.Nash == nil || math.IsNaN(ref.MaxWelfare) {
		t.Fatalf("reference %+v", ref)
	}
	for k := 1; k < len(ref.Frontier); k++ {
		a, b := ref.Frontier[k-1], ref.Frontier[k]
		if !(a[0] < b[0] && a[1] > b[1]) {
			t.Errorf("frontier points %v, %v: not ascending in u₀ and descending in u₁", a, b)
		}
	}
	if d, _ := rep.DistanceToPareto(ref.Nash); d != 0 {
		t.Errorf("Nash point %v is %v from the frontier", ref.Nash, d)
	}
	if w := rep.MaxWelfare.Utility[0] + rep.MaxWelfare.Utility[1]; w != ref.MaxWelfare {
		t.Errorf("max welfare %v, analysis %v", ref.MaxWelfare, w)
	}
	res := &Result{Problem: "x", Ref: &Reference{Reservation: []float64{0, 0}, MaxWelfare: math.NaN()},
		Rows: []Row{{Protocol: "sao", Agreement: wilson(0, 2), DistPareto: meanCI(nil), DistNash: meanCI(nil)}}}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("JSON of a comparison without agreements: %v", err)
	}
	if !bytes.Contains(data, []byte(`"dist_nash":{"n":0,"mean":null,"ci95_lo":null,"ci95_hi":null}`)) || !bytes.Contains(data, []byte(`"max_welfare":null`)) {
		t.Errorf("JSON %s", data)
	}
}

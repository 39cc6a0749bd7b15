package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/internal/corpus"
	"github.com/backchannel/backchannel/scenario"
)

// TestANL2023 loads every ANAC 2023 GeniusWeb scenario as a folder and checks
// its outcome count against the organisers' specials.json.
func TestANL2023(t *testing.T) {
	root := corpus.Dir(t, "anl2023")
	dirs, _ := filepath.Glob(filepath.Join(root, "domain0*"))
	if len(dirs) == 0 {
		t.Fatal("no anl2023 scenarios")
	}
	for _, dir := range dirs {
		s, err := Scenario(dir)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, "specials.json"))
		if err != nil {
			t.Fatal(err)
		}
		var sp struct {
			Size int64 `json:"size"`
			Nash struct {
				Bid     map[string]string `json:"bid"`
				Utility []float64         `json:"utility"`
			} `json:"nash"`
		}
		if err := json.Unmarshal(data, &sp); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Space.Size(); n != sp.Size {
			t.Errorf("%s: %d outcomes, specials.json %d", filepath.Base(dir), n, sp.Size)
		}
		if len(s.Parties) != 2 || s.Format != "geniusweb" {
			t.Errorf("%s: %d parties, format %q", filepath.Base(dir), len(s.Parties), s.Format)
			continue
		}
		o, err := s.Space.Parse(sp.Nash.Bid)
		if err != nil {
			t.Errorf("%s: nash bid: %v", filepath.Base(dir), err)
			continue
		}
		for i, want := range sp.Nash.Utility {
			if got := s.Parties[i].Profile.Utility(o); math.Abs(got-want) > 1e-9 {
				t.Errorf("%s: nash utility %d = %.12g, organisers %.12g", filepath.Base(dir), i, got, want)
			}
		}
		t.Logf("%s: %d outcomes, parties %s, %s", filepath.Base(dir), sp.Size, s.Parties[0].ID, s.Parties[1].ID)
	}
}

// TestIranUSGeniusMatchesNative checks that the GENIUS export of the
// flagship scenario gives the native file's utilities (its linear part) for
// every outcome.
func TestIranUSGeniusMatchesNative(t *testing.T) {
	dir := corpus.Dir(t, "iran-us")
	nat, err := scenario.Load(filepath.Join(dir, "iran_us.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Scenario(filepath.Join(dir, "genius", "domain.xml"), filepath.Join(dir, "genius", "iran.xml"), filepath.Join(dir, "genius", "usa.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Space.NumIssues() != nat.Space.NumIssues() {
		t.Fatalf("%d issues, native %d", g.Space.NumIssues(), nat.Space.NumIssues())
	}
	// Map GENIUS issues and values onto the native ones by name.
	perm := make([]int, g.Space.NumIssues())
	for i, is := range g.Space.Issues {
		perm[i] = nat.Space.IssueIndex(is.Name)
		if perm[i] < 0 {
			t.Fatalf("GENIUS issue %q is not in the native file", is.Name)
		}
	}
	og, on := g.Space.New(), nat.Space.New()
	worst, n := 0.0, 0
	for {
		for i, v := range og {
			ni := perm[i]
			on[ni] = nat.Space.Issues[ni].ValueIndex(g.Space.Issues[i].Values[v])
		}
		for pi := range g.Parties {
			d := math.Abs(g.Parties[pi].Profile.Utility(og) - nat.Parties[pi].Profile.Utility(on))
			worst = max(worst, d)
		}
		n++
		if !g.Space.Next(og) {
			break
		}
	}
	if worst > 1e-12 {
		t.Errorf("largest utility difference %g over %d outcomes", worst, n)
	}
	t.Logf("%d outcomes, largest difference %g", n, worst)
}

func TestEvaluate(t *testing.T) {
	s := fixture(t)
	in := strings.Join([]string{
		`{"color": "red", "size": 3}`,
		``,
		`{"color": "blue", "size": "5"}`,
		`{"color": "green", "size": 3}`,
		`{"colour": "red", "size": 3}`,
		`{"color": "red"}`,
		`not json`,
		`{"color": "red", "size": 3.5}`,
		`{"color": "red", "size": 9}`,
	}, "\n")
	var out bytes.Buffer
	var failed *Failed
	if err := Evaluate(s, strings.NewReader(in), &out); !errors.As(err, &failed) || failed.Lines != 8 || failed.Bad != 6 {
		t.Fatalf("Evaluate returned %v; want a *Failed saying 6 of 8 lines failed", err)
	}
	u := func(o map[string]string) string {
		oc, err := s.Space.Parse(o)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf(`{"utility":[%v,%v]}`, s.Parties[0].Profile.Utility(oc), s.Parties[1].Profile.Utility(oc))
	}
	want := []string{
		u(map[string]string{"color": "red", "size": "3"}),
		u(map[string]string{"color": "blue", "size": "5"}),
		`{"error":"line 4: issue \"color\": unknown value \"green\""}`,
		`{"error":"line 5: unknown issue \"colour\""}`,
		`{"error":"line 6: issue \"size\" has no value"}`,
		`{"error":"line 7: not a JSON object`,
		`{"error":"line 8: party \"b\": issue \"size\": 3.5 is off the grid`,
		`{"error":"line 9: issue \"size\": value 9 is outside [1, 5]"}`,
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("line %d: %s, want %s", i+1, lines[i], want[i])
		}
	}
}

// TestEvaluateHostileInput: a line past the length limit, an issue named
// twice and a line without a final newline each get their own answer and
// evaluation goes on after them; outcomes that break a rule or cross a red
// line say so beside their utility; a clean input returns no error.
func TestEvaluateHostileInput(t *testing.T) {
	s, err := scenario.Parse([]byte(fixtureYAML+`    red_lines: {color: [blue]}
constraints:
  - {id: small-red, if: {color: [red]}, then: {size: {min: 1, max: 2}}}
`), "fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	long := `{"color": "red", "size": 1, "pad": "` + strings.Repeat("x", 2<<20) + `"}`
	in := strings.Join([]string{
		`{"color": "red", "size": 1}`,
		long,
		`{"color": "red", "size": 1, "color": "blue"}`,
		`{"color": "red", "size": 4}`,
		`{"color": "blue", "size": 1}`,
		`{"color": "red", "size": 1}`,
	}, "\n")
	var out bytes.Buffer
	var failed *Failed
	if err := Evaluate(s, strings.NewReader(in), &out); !errors.As(err, &failed) || failed.Bad != 2 || failed.Lines != 6 {
		t.Fatalf("Evaluate returned %v; want 2 of 6 lines failed", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`{"utility":[`,
		`{"error":"line 2: longer than`,
		`{"error":"line 3: issue \"color\" is named twice"}`,
		`"infeasible":["small-red"]}`,
		`"red_line":["b"]}`,
		`{"utility":[`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%.500s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %.200s, want it to contain %s", i+1, lines[i], w)
		}
	}
	if strings.Contains(lines[0], "infeasible") || strings.Contains(lines[0], "red_line") {
		t.Errorf("a clean outcome is flagged: %s", lines[0])
	}
	out.Reset()
	if err := Evaluate(s, strings.NewReader(`{"color": "red", "size": 2}`), &out); err != nil {
		t.Errorf("clean input: %v", err)
	}
}

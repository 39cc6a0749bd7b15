package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/internal/corpus"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// bin is the backchannel binary built once for the CLI tests.
var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "backchannel-cli")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "backchannel")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runCLI runs the binary and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

var volatile = regexp.MustCompile(`"(elapsed_seconds|seconds)": [0-9.e-]+`)

func golden(t *testing.T, name, got string) {
	t.Helper()
	got = volatile.ReplaceAllString(got, `"$1": 0`)
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test ./cmd/backchannel -update' to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if the change is intended)\n--- got ---\n%s", path, got)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"run.txt", []string{"run"}},
		{"run-json.json", []string{"run", "--json", "--parties", "boulware,conceder", "--deadline-rounds", "200", "--seed", "7"}},
		{"run-single-text.txt", []string{"run", "--protocol", "single-text", "--seed", "3"}},
		{"analyze.txt", []string{"analyze"}},
		{"analyze-linear.txt", []string{"analyze", "--linear-only"}},
		{"strategies.txt", []string{"strategies"}},
		{"protocols.txt", []string{"protocols"}},
		{"scenario-list.txt", []string{"scenario", "list"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, "", tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, tc.name, out)
		})
	}
}

func TestAnalyzeJSONAgreesWithIranUSReference(t *testing.T) {
	out, errOut, code := runCLI(t, "", "analyze", "--json", "--linear-only")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var a struct {
		Outcomes    int64     `json:"outcomes"`
		Feasible    int64     `json:"feasible"`
		Acceptable  int64     `json:"acceptable"`
		Reservation []float64 `json:"reservation"`
		Nash        struct {
			Outcome map[string]string `json:"outcome"`
			Utility []float64         `json:"utility"`
		} `json:"nash"`
		MaxWelfare map[string]any `json:"max_welfare_acceptable"`
	}
	for _, k := range []string{"outcomes", "feasible", "acceptable", "reservation", "pareto", "nash", "kalai", "kalai_genius", "nash_genius", "max_welfare", "egalitarian", "opposition"} {
		if !strings.Contains(out, `"`+k+`":`) {
			t.Errorf("analyze --json has no key %q", k)
		}
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	// ../shared/scenarios/iran-us/analysis.json, "baseline" (linear utilities only).
	if a.Outcomes != 552960 || a.Feasible != 350208 || a.Acceptable != 63430 {
		t.Errorf("counts %d/%d/%d, want 552960/350208/63430", a.Outcomes, a.Feasible, a.Acceptable)
	}
	if a.Nash.Outcome["centrifuges"] != "dismantle_all" || a.Nash.Outcome["sanctions"] != "jcpoa_nuclear_secondary" {
		t.Errorf("Nash outcome %v", a.Nash.Outcome)
	}
	if d := a.Nash.Utility[0] - 0.579; d*d > 1e-12 {
		t.Errorf("Nash utility %v, want (0.579, 0.651)", a.Nash.Utility)
	}
}

func TestTraceIsDeterministicAndVerifies(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	if _, e, c := runCLI(t, "", "record", "keygen", key); c != 0 {
		t.Fatal(e)
	}
	var traces []string
	for i := range 2 {
		f := filepath.Join(dir, "trace"+string(rune('a'+i))+".jsonl")
		if _, e, c := runCLI(t, "", "run", "--seed", "11", "--parties", "random,frequency", "--trace", f, "--sign-key", key); c != 0 {
			t.Fatal(e)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		traces = append(traces, string(b))
		out, e, c := runCLI(t, "", "record", "verify", "--key", key+".pub", f)
		if c != 0 || !strings.Contains(out, "intact") {
			t.Fatalf("verify: %s %s", out, e)
		}
	}
	if traces[0] != traces[1] {
		t.Error("the same seed gave different traces")
	}
	if strings.Count(traces[0], "\n") < 10 {
		t.Errorf("trace too short:\n%s", traces[0])
	}
	tampered := filepath.Join(dir, "tampered.jsonl")
	os.WriteFile(tampered, []byte(strings.Replace(traces[0], `"kind":"offer"`, `"kind":"accept"`, 1)), 0o644)
	if _, e, c := runCLI(t, "", "record", "verify", tampered); c == 0 || !strings.Contains(e, "line") {
		t.Errorf("tampered trace verified (exit %d): %s", c, e)
	}
}

func TestErrorsNameTheFix(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`schema_version: 1
scenario: {id: t}
issues:
  - id: x
    options: [a, b]
parties:
  p:
    reservation_value: 0
    weights: {x: -0.2}
    values: {x: {a: 0, b: 1}}
  q:
    reservation_value: 0
    weights: {x: 1}
    values: {x: {a: 1, b: 0}}
`), 0o644)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--parties", "boulware,nosuch"}, 2, `unknown strategy "nosuch"`},
		{[]string{"run", "--parties", "boulware"}, 2, "names 1 strategies"},
		{[]string{"run", "--protocol", "telepathy"}, 2, "unknown protocol"},
		{[]string{"run", "--scenario", bad}, 1, "bad.yaml:9: parties.p.weights.x: -0.2 is negative"},
		{[]string{"analyze", filepath.Join(dir, "missing.yaml")}, 1, "missing.yaml"},
		{[]string{"run", "--variant", "nosuch"}, 1, "has no variant"},
	}
	for _, tc := range tests {
		_, e, c := runCLI(t, "", tc.args...)
		if c != tc.code || !strings.Contains(e, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d containing %q", tc.args, c, e, tc.code, tc.want)
		}
	}
}

func TestEvaluateAndConvertGENIUS(t *testing.T) {
	dir := corpus.Dir(t, "genius/anac/y2010/Travel")
	in := `{"Atmosphere":"Hospitality","Amusement":"Nightlife and entertainment","Culinary":"International cuisine","Shopping":"Markets","Culture":"Cinema","Sport":"Bike tours","Environment":"Monuments"}` + "\n" + `{"Atmosphere":"nope"}` + "\n"
	out, e, c := runCLI(t, in, "evaluate", dir)
	if c != 1 || !strings.Contains(e, "1 of 2 lines") {
		t.Fatalf("exit %d, %s; want exit 1 saying 1 of 2 lines failed", c, e)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"utility":[`) || !strings.Contains(lines[1], `"error":"line 2`) {
		t.Fatalf("evaluate output:\n%s", out)
	}
	conv := filepath.Join(t.TempDir(), "travel.yaml")
	if _, e, c := runCLI(t, "", "convert", "--to", "native", dir, conv); c != 0 {
		t.Fatal(e)
	}
	out2, e, c := runCLI(t, in, "evaluate", conv)
	if c != 1 {
		t.Fatal(e)
	}
	if strings.Split(out2, "\n")[0] != lines[0] {
		t.Errorf("utilities changed by conversion:\n%s\n%s", lines[0], strings.Split(out2, "\n")[0])
	}
}

// TestAnalyzeReproducesANL2023 checks 'analyze --json' against the
// organisers' specials.json of every ANAC 2023 domain: outcome count, Nash,
// Kalai (GENIUS's definition), social welfare, the whole front, opposition
// and distribution, to 1e-9.
func TestAnalyzeReproducesANL2023(t *testing.T) {
	root := corpus.Dir(t, "anl2023")
	dirs, _ := filepath.Glob(filepath.Join(root, "domain*"))
	if len(dirs) == 0 {
		t.Fatal("no anl2023 domains")
	}
	type pt struct {
		Bid     map[string]string `json:"bid"`
		Outcome map[string]string `json:"outcome"`
		Utility []float64         `json:"utility"`
	}
	close := func(a, b []float64) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if d := a[i] - b[i]; d > 1e-9 || d < -1e-9 {
				return false
			}
		}
		return true
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "specials.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want struct {
				Size         int64   `json:"size"`
				Opposition   float64 `json:"opposition"`
				Distribution float64 `json:"distribution"`
				Welfare      pt      `json:"social_welfare"`
				Nash         pt      `json:"nash"`
				Kalai        pt      `json:"kalai"`
				Front        []pt    `json:"pareto_front"`
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			out, e, c := runCLI(t, "", "analyze", "--json", dir)
			if c != 0 {
				t.Fatal(e)
			}
			var got struct {
				Outcomes      int64   `json:"outcomes"`
				OppositionANL float64 `json:"opposition_anl"`
				Distribution  float64 `json:"distribution"`
				Nash          pt      `json:"nash_genius"`
				Kalai         pt      `json:"kalai_genius"`
				Welfare       pt      `json:"max_welfare"`
				Pareto        []pt    `json:"pareto"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if got.Outcomes != int64(want.Size) {
				t.Errorf("outcomes %d, want %d", got.Outcomes, want.Size)
			}
			for _, c := range []struct {
				name      string
				got, want pt
			}{{"nash", got.Nash, want.Nash}, {"kalai", got.Kalai, want.Kalai}, {"social_welfare", got.Welfare, want.Welfare}} {
				if !close(c.got.Utility, c.want.Utility) || fmt.Sprint(c.got.Outcome) != fmt.Sprint(c.want.Bid) {
					t.Errorf("%s: got %v %v, want %v %v", c.name, c.got.Outcome, c.got.Utility, c.want.Bid, c.want.Utility)
				}
			}
			if d := got.OppositionANL - want.Opposition; d > 1e-9 || d < -1e-9 {
				t.Errorf("opposition %v, want %v", got.OppositionANL, want.Opposition)
			}
			if d := got.Distribution - want.Distribution; d > 1e-9 || d < -1e-9 {
				t.Errorf("distribution %v, want %v", got.Distribution, want.Distribution)
			}
			front := map[string]bool{}
			for _, p := range got.Pareto {
				front[fmt.Sprint(p.Outcome)] = true
			}
			for _, p := range want.Front {
				if !front[fmt.Sprint(p.Bid)] {
					t.Errorf("front point %v missing", p.Bid)
				}
			}
			if len(got.Pareto) != len(want.Front) {
				t.Errorf("front has %d points, want %d", len(got.Pareto), len(want.Front))
			}
		})
	}
}

// TestHugeScenario runs and analyses a 10^30-outcome scenario: analyze
// switches to the issue-by-issue frontier by itself, run negotiates with
// offers searched over the per-issue structure, and neither enumerates.
func TestHugeScenario(t *testing.T) {
	var b strings.Builder
	b.WriteString("schema_version: 1\nscenario: {id: treaty}\nissues:\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  - {id: clause%02d, options: [o0, o1, o2, o3, o4, o5, o6, o7, o8, o9]}\n", i)
	}
	b.WriteString("parties:\n")
	for k, party := range []string{"north", "south"} {
		fmt.Fprintf(&b, "  %s:\n    reservation_value: 0.3\n    weights: {", party)
		for i := range 30 {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "clause%02d: %d", i, 1+(i*7+k*13)%10)
		}
		b.WriteString("}\n    values:\n")
		for i := range 30 {
			fmt.Fprintf(&b, "      clause%02d: {", i)
			for v := range 10 {
				if v > 0 {
					b.WriteString(", ")
				}
				x := float64((v*(3+i)+k*5*i)%10) / 9
				fmt.Fprintf(&b, "o%d: %.4f", v, x)
			}
			b.WriteString("}\n")
		}
	}
	path := filepath.Join(t.TempDir(), "treaty.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, e, c := runCLI(t, "", "analyze", "--json", path)
	if c != 0 {
		t.Fatalf("analyze: %s", e)
	}
	type estimate struct {
		Value, Bound, Confidence float64
		Samples                  int
	}
	var a struct {
		Outcomes      float64 `json:"outcomes"`
		OutcomesExact string  `json:"outcomes_exact"`
		Method        string  `json:"method"`
		Pareto        []any   `json:"pareto"`
		Nash          *struct {
			Utility []float64 `json:"utility"`
		} `json:"nash"`
		Acceptable           *int64            `json:"acceptable"`
		AcceptableEstimate   *estimate         `json:"acceptable_estimate"`
		DistributionEstimate *estimate         `json:"distribution_estimate"`
		Omitted              map[string]string `json:"omitted"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if a.Outcomes != 1e30 || a.OutcomesExact != "1"+strings.Repeat("0", 30) || !strings.Contains(a.Method, "issue-by-issue") || len(a.Pareto) == 0 || a.Nash == nil {
		t.Fatalf("analyze of 10^30 outcomes: outcomes %g, method %q, %d frontier points, nash %v", a.Outcomes, a.Method, len(a.Pareto), a.Nash)
	}
	// Every figure is exact, estimated with its bound, or left out with the
	// reason.
	if a.Acceptable != nil || a.AcceptableEstimate == nil || a.AcceptableEstimate.Bound <= 0 || a.AcceptableEstimate.Confidence != 0.95 ||
		a.DistributionEstimate == nil || a.DistributionEstimate.Bound <= 0 || a.DistributionEstimate.Samples == 0 || a.Omitted["pareto ties"] == "" {
		t.Fatalf("analyze of 10^30 outcomes: zone %v, estimated %+v, distribution %+v, omitted %v", a.Acceptable, a.AcceptableEstimate, a.DistributionEstimate, a.Omitted)
	}
	text, e, c := runCLI(t, "", "analyze", path)
	if c != 0 || !strings.Contains(text, "± ") || !strings.Contains(text, "95% confidence") || !strings.Contains(text, "pareto ties:") {
		t.Fatalf("analyze of 10^30 outcomes, text (exit %d, %s):\n%s", c, e, text)
	}
	out, e, c = runCLI(t, "", "run", "--json", "--scenario", path, "--parties", "conceder,conceder", "--deadline-rounds", "500")
	if c != 0 {
		t.Fatalf("run: %s", e)
	}
	var r struct {
		Status string `json:"status"`
		Fault  any    `json:"fault"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Fault != nil || r.Status != "agreement" {
		t.Errorf("run on 10^30 outcomes: status %s, fault %v", r.Status, r.Fault)
	}
}

// TestHelpEverywhere runs --help on every command and subcommand: each
// exits 0, shows its usage line, and no flag's default is stated twice.
func TestHelpEverywhere(t *testing.T) {
	var paths [][]string
	var walk func(prefix []string, cs []*cli.Command)
	walk = func(prefix []string, cs []*cli.Command) {
		for _, c := range cs {
			if c.Name == "help" {
				continue
			}
			p := append(append([]string{}, prefix...), c.Name)
			paths = append(paths, p)
			walk(p, c.Commands)
		}
	}
	walk(nil, newApp().Commands)
	if len(paths) < 15 {
		t.Fatalf("only %d commands found: %v", len(paths), paths)
	}
	paths = append(paths, nil) // the top level
	for _, p := range paths {
		out, stderr, code := runCLI(t, "", append(p, "--help")...)
		name := strings.Join(append([]string{"backchannel"}, p...), " ")
		if code != 0 || !strings.Contains(out, "USAGE:") || !strings.Contains(out, name) {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", name, code, out, stderr)
			continue
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.Count(line, "(default") > 1 {
				t.Errorf("%s --help states a default twice: %q", name, strings.TrimSpace(line))
			}
		}
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
)

func init() {
	register(&cli.Command{
		Name:      "analyze",
		Usage:     "analyse a scenario: zone of agreement, Pareto frontier, Nash, Kalai–Smorodinsky, welfare",
		ArgsUsage: "[PATH | DOMAIN PROFILE PROFILE…]",
		Description: "Prints the outcome count, how many outcomes are feasible and acceptable to every\n" +
			"party, the reservation values, the Pareto frontier, and the solution concepts\n" +
			"(each defined in docs/analysis.md). Without PATH it analyses the embedded\n" +
			"Iran–US scenario. Spaces past the enumeration limit (10⁸ outcomes for two\n" +
			"linear-additive parties without rules or red lines, 10⁷ otherwise) are analysed\n" +
			"issue by issue: exact frontier (one outcome per utility vector) and solutions,\n" +
			"exact counts, the zone of agreement and the distribution estimated by sampling\n" +
			"with a 95% bound, and whatever is left out named with the reason.",
		Flags: append(scenarioFlags(),
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object"},
			&cli.BoolFlag{Name: "linear-only", Usage: "ignore red lines and feasibility rules (what GENIUS can express)"},
			&cli.StringFlag{Name: "frontier", Usage: "write the Pareto frontier to `FILE` (.csv or .json)"},
			&cli.StringFlag{Name: "pareto", Value: "all", Usage: "frontier points in the --json output: all, none, or at most N spread evenly along it (its ends included); pareto_size counts them all"},
		),
		Action: analyzeAction,
	})
}

// analyzeJSON is the machine-readable analysis. Every point is
// {"outcome": {ISSUE: VALUE}, "utility": [u1, u2, …]} with utilities in
// party order.
type analyzeJSON struct {
	Scenario         string      `json:"scenario"`
	Parties          []string    `json:"parties"`
	Outcomes         json.Number `json:"outcomes"`
	OutcomesExact    string      `json:"outcomes_exact,omitempty"`
	Feasible         *int64      `json:"feasible"`
	Acceptable       *int64      `json:"acceptable"`
	Reservation      []float64   `json:"reservation"`
	LinearOnly       bool        `json:"linear_only"`
	Method           string      `json:"method"`
	ParetoSize       int         `json:"pareto_size"`
	ParetoAcceptable int         `json:"pareto_acceptable"`
	// ParetoIncluded is how many frontier points "pareto" lists (--pareto).
	ParetoIncluded int `json:"pareto_included"`
	// The frontier ("pareto") is written last, point by point
	// (writeAnalyzeJSON): a huge frontier is never held as JSON in memory.
	points     []analysis.Point
	sp         *outcome.Space
	Nash       *pointJSON `json:"nash"`
	Kalai      *pointJSON `json:"kalai"`
	NashGenius *pointJSON `json:"nash_genius"`
	// NashGeniusBelowReservation lists the parties whose utility at GENIUS's
	// Nash point is below their reservation value (GENIUS maximises
	// Π(uᵢ − rvᵢ) over the whole frontier, so an even number of negative
	// factors can win): the point is kept for reproduction, but it is no
	// bargaining solution then.
	NashGeniusBelowReservation []string   `json:"nash_genius_below_reservation,omitempty"`
	KalaiGenius                *pointJSON `json:"kalai_genius"`
	MaxWelfare                 *pointJSON `json:"max_welfare"`
	MaxWelfareAcceptable       *pointJSON `json:"max_welfare_acceptable"`
	Egalitarian                *pointJSON `json:"egalitarian"`
	Opposition                 *float64   `json:"opposition"`
	// OppositionANL is the ANAC 2023 organisers' "opposition": the distance
	// of the GENIUS Kalai point to (1, …, 1).
	OppositionANL *float64 `json:"opposition_anl"`
	// Distribution is the ANAC 2023 organisers' "distribution": the mean
	// distance of every admissible outcome to the nearest frontier point
	// (two parties, enumerated spaces only).
	Distribution *float64 `json:"distribution,omitempty"`
	// AcceptableEstimate and DistributionEstimate are estimated by sampling
	// where the space was not enumerated: the exact figure lies within
	// bound of value with the stated confidence.
	AcceptableEstimate   *estimateJSON `json:"acceptable_estimate,omitempty"`
	DistributionEstimate *estimateJSON `json:"distribution_estimate,omitempty"`
	// Omitted names each figure left out, or not taken exactly, with the
	// reason.
	Omitted  map[string]string `json:"omitted,omitempty"`
	Warnings []string          `json:"warnings,omitempty"`
	Seconds  float64           `json:"seconds"`
}

// estimateJSON is a figure estimated from samples outcomes drawn uniformly
// at random: |value − exact| ≤ bound with probability confidence.
type estimateJSON struct {
	Value      float64 `json:"value"`
	Bound      float64 `json:"bound"`
	Confidence float64 `json:"confidence"`
	Samples    int     `json:"samples"`
}

func toEstimate(e *analysis.Estimate) *estimateJSON {
	if e == nil {
		return nil
	}
	return &estimateJSON{Value: e.Value, Bound: e.Bound, Confidence: analysis.Confidence, Samples: e.Samples}
}

func analyzeAction(ctx context.Context, cmd *cli.Command) error {
	if f := cmd.String("frontier"); f != "" {
		if err := checkFrontierName(f); err != nil {
			return err
		}
	}
	keep, err := paretoFlag(cmd.String("pareto"))
	if err != nil {
		return err
	}
	args, err := scenarioOrArgs(cmd)
	if err != nil {
		return err
	}
	sc, err := openScenario(args, cmd.String("variant"))
	if err != nil {
		return err
	}
	start := time.Now()
	pr, err := analyse(ctx, sc, cmd.Bool("linear-only"))
	if err != nil {
		return err
	}
	out := buildAnalyzeJSON(sc, pr)
	if pr.Enumerated && pr.Parties == 2 {
		d, err := pr.Distribution(ctx)
		if err != nil {
			return err
		}
		out.Distribution = finite(d)
	}
	out.LinearOnly = cmd.Bool("linear-only")
	out.Seconds = time.Since(start).Seconds()
	if f := cmd.String("frontier"); f != "" {
		if err := writeFrontier(f, sc, pr.Pareto); err != nil {
			return err
		}
	}
	if cmd.Bool("json") {
		out.points = spread(pr.Pareto, keep)
		out.ParetoIncluded = len(out.points)
		w := bufio.NewWriterSize(os.Stdout, 64<<10)
		if err := writeAnalyzeJSON(w, out); err != nil {
			return err
		}
		return w.Flush()
	}
	printAnalysis(os.Stdout, sc, out)
	return nil
}

func buildAnalyzeJSON(sc *scenario.Scenario, pr *analysis.Report) *analyzeJSON {
	sp := sc.Space
	n, exact := countJSON(sp)
	out := &analyzeJSON{Scenario: sc.ID, Parties: partyIDs(sc), Outcomes: n, OutcomesExact: exact, sp: sp,
		Reservation: pr.Reservation, ParetoSize: len(pr.Pareto), ParetoAcceptable: pr.ParetoAcceptable,
		Nash: toPoint(sp, pr.Nash), Kalai: toPoint(sp, pr.Kalai), NashGenius: toPoint(sp, pr.NashGenius),
		KalaiGenius: toPoint(sp, pr.KalaiGenius), MaxWelfare: toPoint(sp, pr.MaxWelfareGenius),
		MaxWelfareAcceptable: toPoint(sp, pr.MaxWelfare), Egalitarian: toPoint(sp, pr.Egalitarian),
		Opposition: finite(pr.Opposition), OppositionANL: finite(pr.OppositionANL), Warnings: sc.Warnings,
		AcceptableEstimate: toEstimate(pr.AcceptableEstimate), DistributionEstimate: toEstimate(pr.DistributionEstimate), Omitted: pr.Omitted}
	if g := pr.NashGenius; g != nil {
		for i, u := range g.Utility {
			if u < pr.Reservation[i]-preference.Tolerance {
				out.NashGeniusBelowReservation = append(out.NashGeniusBelowReservation, out.Parties[i])
			}
		}
	}
	if pr.Enumerated {
		out.Method = "enumeration"
		out.Feasible, out.Acceptable = &pr.Feasible, &pr.Acceptable
	} else {
		out.Method = "issue-by-issue frontier (Minkowski sum); counts from the rules' products, zone and distribution sampled"
		if pr.Feasible >= 0 {
			out.Feasible = &pr.Feasible
		}
		if pr.Epsilon > 0 {
			out.Method += fmt.Sprintf("; ε-approximate frontier, ε = %g", pr.Epsilon)
		}
	}
	return out
}

// paretoFlag reads --pareto: all (−1), none (0) or a positive count.
func paretoFlag(v string) (int, error) {
	switch v {
	case "all", "":
		return -1, nil
	case "none":
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, usagef("--pareto %s: want all, none or a positive number of points", v)
	}
	return n, nil
}

// spread returns at most keep of pts (all if keep < 0), evenly spaced along
// the frontier with both ends.
func spread(pts []analysis.Point, keep int) []analysis.Point {
	if keep < 0 || len(pts) <= keep {
		return pts
	}
	if keep == 0 {
		return nil
	}
	if keep == 1 {
		return pts[:1]
	}
	out := make([]analysis.Point, keep)
	for k := range out {
		out[k] = pts[int(int64(k)*int64(len(pts)-1)/int64(keep-1))]
	}
	return out
}

// countJSON returns the number of outcomes of sp as a JSON number (exact
// while a double holds it exactly, 2⁵³; rounded beyond, so that jq and
// friends can compare it), and the exact count as a decimal string when the
// number is rounded.
func countJSON(sp *outcome.Space) (json.Number, string) {
	c := sp.Count()
	if c.IsInt64() && c.Int64() <= 1<<53 {
		return json.Number(c.String()), ""
	}
	t := c.String()
	return json.Number(t[:1] + "." + t[1:17] + "e" + strconv.Itoa(len(t)-1)), t
}

// writeAnalyzeJSON writes a as one indented JSON object, its frontier
// points last and one at a time.
func writeAnalyzeJSON(w io.Writer, a *analyzeJSON) error {
	head, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	head = bytes.TrimSuffix(bytes.TrimRight(head, "\n"), []byte("}"))
	head = bytes.TrimRight(head, "\n")
	if _, err := fmt.Fprintf(w, "%s,\n  \"pareto\": [", head); err != nil {
		return err
	}
	for k := range a.points {
		b, err := json.Marshal(toPoint(a.sp, &a.points[k]))
		if err != nil {
			return err
		}
		sep := ",\n    "
		if k == 0 {
			sep = "\n    "
		}
		if _, err := fmt.Fprintf(w, "%s%s", sep, b); err != nil {
			return err
		}
	}
	end := "]\n}\n"
	if len(a.points) > 0 {
		end = "\n  ]\n}\n"
	}
	_, err = io.WriteString(w, end)
	return err
}

// checkFrontierName refuses a --frontier file name that is neither .csv
// nor .json, before anything is analysed or any file touched.
func checkFrontierName(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".csv":
		return nil
	}
	return usagef("--frontier %s: use a .csv or .json file name", path)
}

// writeFrontier writes the frontier as CSV (one column per issue, then one
// per party's utility) or JSON, chosen by the file's extension.
func writeFrontier(path string, sc *scenario.Scenario, pts []analysis.Point) error {
	if err := checkFrontierName(path); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--frontier: %w", err)
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	if strings.ToLower(filepath.Ext(path)) == ".json" {
		err = writeFrontierJSON(bw, sc, pts)
	} else {
		err = writeFrontierCSV(bw, sc, pts)
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFrontierJSON writes the points as a JSON array, one point per line.
func writeFrontierJSON(w io.Writer, sc *scenario.Scenario, pts []analysis.Point) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	for k := range pts {
		b, err := json.Marshal(toPoint(sc.Space, &pts[k]))
		if err != nil {
			return err
		}
		sep := ",\n  "
		if k == 0 {
			sep = "\n  "
		}
		if _, err := fmt.Fprintf(w, "%s%s", sep, b); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n]\n")
	return err
}

func writeFrontierCSV(w io.Writer, sc *scenario.Scenario, pts []analysis.Point) error {
	cw := csv.NewWriter(w)
	var head []string
	for _, is := range sc.Space.Issues {
		head = append(head, is.Name)
	}
	for _, p := range sc.Parties {
		head = append(head, "u_"+p.ID)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	row := make([]string, 0, len(head))
	for _, p := range pts {
		row = row[:0]
		for i, is := range sc.Space.Issues {
			row = append(row, is.Values[p.Outcome[i]])
		}
		for _, u := range p.Utility {
			row = append(row, strconv.FormatFloat(u, 'g', -1, 64))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func printAnalysis(w io.Writer, sc *scenario.Scenario, a *analyzeJSON) {
	printSummary(w, summarise(sc))
	if a.LinearOnly {
		fmt.Fprintln(w, "Reading   linear utilities only (red lines and rules ignored)")
	}
	fmt.Fprintf(w, "Method    %s\n", a.Method)
	if a.Feasible != nil {
		fmt.Fprintf(w, "Feasible  %s outcomes satisfy the rules\n", thousands(*a.Feasible))
	}
	if a.Acceptable != nil {
		fmt.Fprintf(w, "Zone      %s outcomes acceptable to every party\n", thousands(*a.Acceptable))
	}
	if e := a.AcceptableEstimate; e != nil {
		fmt.Fprintf(w, "Zone      %.4g ± %.2g outcomes acceptable to every party (%.0f%% confidence, %s samples)\n", e.Value, e.Bound, 100*e.Confidence, thousands(int64(e.Samples)))
	}
	if _, left := a.Omitted["pareto"]; left {
		fmt.Fprintln(w, "Pareto    frontier left out (the reason is below)")
	} else {
		fmt.Fprintf(w, "Pareto    %d points on the frontier, %d of them acceptable to all\n", a.ParetoSize, a.ParetoAcceptable)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-28s %s\n", "solution", "utilities ("+strings.Join(a.Parties, ", ")+")")
	line := func(name string, p *pointJSON) {
		if p == nil {
			fmt.Fprintf(w, "%-28s none\n", name)
			return
		}
		us := make([]string, len(p.Utility))
		for i, u := range p.Utility {
			us[i] = fmt.Sprintf("%.4f", u)
		}
		fmt.Fprintf(w, "%-28s (%s)\n", name, strings.Join(us, ", "))
	}
	line("Nash", a.Nash)
	line("Kalai–Smorodinsky", a.Kalai)
	line("egalitarian (max-min gain)", a.Egalitarian)
	line("max welfare (acceptable)", a.MaxWelfareAcceptable)
	line("max welfare (GENIUS)", a.MaxWelfare)
	genius := func(name, key string, p *pointJSON) {
		if _, left := a.Omitted[key]; left && p == nil {
			fmt.Fprintf(w, "%-28s left out (the reason is below)\n", name)
			return
		}
		line(name, p)
	}
	genius("Nash (GENIUS)", "nash_genius", a.NashGenius)
	if below := a.NashGeniusBelowReservation; len(below) > 0 {
		fmt.Fprintf(w, "%-28s ! below the reservation value of %s: GENIUS's number, kept for reproduction, not a bargaining solution\n", "", strings.Join(below, ", "))
	}
	genius("Kalai (GENIUS: min |u1-u2|)", "kalai_genius", a.KalaiGenius)
	if a.Opposition != nil {
		fmt.Fprintf(w, "%-28s %.4f\n", "opposition", *a.Opposition)
	} else {
		fmt.Fprintf(w, "%-28s %v\n", "opposition", math.Inf(1))
	}
	if a.OppositionANL != nil {
		fmt.Fprintf(w, "%-28s %.4f\n", "opposition (ANL 2023)", *a.OppositionANL)
	}
	if a.Distribution != nil {
		fmt.Fprintf(w, "%-28s %.4f\n", "distribution (ANL 2023)", *a.Distribution)
	}
	if e := a.DistributionEstimate; e != nil {
		fmt.Fprintf(w, "%-28s %.4f ± %.4f (%.0f%% confidence, %s samples)\n", "distribution (ANL 2023)", e.Value, e.Bound, 100*e.Confidence, thousands(int64(e.Samples)))
	}
	if len(a.Omitted) > 0 {
		fmt.Fprintln(w, "\nNot computed exactly")
		for _, k := range slices.Sorted(maps.Keys(a.Omitted)) {
			fmt.Fprintf(w, "  %-22s %s\n", k+":", a.Omitted[k])
		}
	}
	if a.Nash != nil {
		fmt.Fprintln(w, "\nNash outcome")
		for i, is := range sc.Space.Issues {
			fmt.Fprintf(w, "  %-22s %s\n", sc.IssueTitle(i)+":", a.Nash.Outcome[is.Name])
		}
	}
}

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/study"
)

func init() {
	register(&cli.Command{
		Name:  "compare",
		Usage: "compare direct talks with every indirect protocol on the same parties",
		Description: "Runs the same parties under direct talks (stacked alternating offers) and each\n" +
			"indirect protocol — shuttle talks (relay, bridging), the single negotiating text\n" +
			"(random-flip, hill-climbing and annealing mediators), feedback mediation,\n" +
			"post-settlement improvement and the arbitration reference — for seeds 1..N, and\n" +
			"prints agreement rate, each party's mean utility, welfare, distance to the Pareto\n" +
			"frontier and to the Nash point, and rounds, with 95% confidence intervals.\n\n" +
			"Example:\n  backchannel compare --seeds 20 --report out/",
		Flags: append(scenarioFlags(),
			&cli.StringSliceFlag{Name: "parties", Aliases: []string{"p"}, Value: []string{"boulware", "conceder"},
				Usage: "one strategy per party, in party order (see 'backchannel strategies')"},
			&cli.IntFlag{Name: "seeds", Value: 10, Usage: "runs per protocol (seeds 1..N)"},
			&cli.IntFlag{Name: "deadline-rounds", Usage: "deadline of direct and shuttle talks in rounds; texts get 20 per round (default: the scenario's suggestion, else 60)"},
			&cli.BoolFlag{Name: "json", Usage: "print the comparison as JSON"},
			&cli.StringFlag{Name: "report", Usage: "write an HTML report with plots to `DIR`/compare.html"},
		),
		Action: compareAction,
	})
}

func compareAction(ctx context.Context, cmd *cli.Command) error {
	sc, err := loadScenario(cmd)
	if err != nil {
		return err
	}
	specs, err := partiesFor(cmd, sc)
	if err != nil {
		return err
	}
	seeds := int(cmd.Int("seeds"))
	if seeds < 1 {
		return usagef("--seeds %d: want at least 1", seeds)
	}
	rounds, err := roundsFor(cmd, sc, 60)
	if err != nil {
		return err
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	pr, err := study.ProblemFor(sc, study.Setting{Name: sc.ID}, names)
	if err != nil {
		return err
	}
	pr.Party = specParties(specs)
	res, err := study.Compare(ctx, pr, study.Protocols(), rounds, seeds, os.Stderr)
	if err != nil {
		return err
	}
	if dir := cmd.String("report"); dir != "" {
		if err := writeReport(dir, "compare.html", "backchannel compare: "+sc.Title, []study.Section{{Title: sc.Title, Result: res,
			Text: fmt.Sprintf("Parties: %s. %d seeds per protocol; deadline %d rounds (texts: %d).", strings.Join(names, " vs "), seeds, rounds, 20*rounds)}}); err != nil {
			return err
		}
	}
	if cmd.Bool("json") {
		return writeJSON(os.Stdout, res)
	}
	printComparison(res)
	return nil
}

func printComparison(res *study.Result) {
	fmt.Printf("%s — %d seeds\n", res.Problem, res.Seeds)
	fmt.Printf("%-38s %-18s", "protocol", "agreement")
	for _, p := range res.Parties {
		fmt.Printf(" %-20s", "U("+p+")")
	}
	fmt.Printf(" %-20s %-20s %-20s %-10s %s\n", "welfare", "dist Pareto", "dist Nash", "rounds", "faults")
	f := func(s study.Stat) string {
		if s.N == 0 || s.Mean != s.Mean {
			return "–"
		}
		return fmt.Sprintf("%.3f±%.3f", s.Mean, (s.CIHi-s.CILo)/2)
	}
	for _, r := range res.Rows {
		fmt.Printf("%-38s %-18s", r.Protocol, f(r.Agreement))
		for _, u := range r.Utility {
			fmt.Printf(" %-20s", f(u))
		}
		fmt.Printf(" %-20s %-20s %-20s %-10.0f %d\n", f(r.Welfare), f(r.DistPareto), f(r.DistNash), r.Rounds.Mean, len(r.Faults))
		for _, x := range r.Faults {
			fmt.Printf("    fault %s\n", x)
		}
	}
	if n := res.Ref.Nash; n != nil {
		fmt.Printf("Nash point %.3f; max welfare of an outcome all could accept %.3f; no agreement counts as the reservation value\n", n, res.Ref.MaxWelfare)
	}
}

func writeReport(dir, file, title string, sections []study.Section) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	path := filepath.Join(dir, file)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	if err := study.WriteHTML(f, title, sections); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "report written to", path)
	return nil
}

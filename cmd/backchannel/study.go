package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/strategy"
	"github.com/backchannel/backchannel/study"
)

func init() {
	register(&cli.Command{
		Name:  "study",
		Usage: "run a study: iran-us (direct vs indirect talks across coercion, trust and signals), face-saving or klein",
		Description: "backchannel study iran-us runs direct talks against shuttle, single-text,\n" +
			"feedback, post-settlement and arbitration on the Iran–US scenario, baseline and\n" +
			"variants, with coercion escalating, a trust deficit, and Iran unsure of the US type.\n" +
			"backchannel study face-saving runs blind bidding and the double-blind proposal\n" +
			"against controls whose secret acceptances follow the parties' public schedule.\n" +
			"backchannel study klein reproduces Klein et al. 2003 on interdependent issues.\n\n" +
			"Example:\n  backchannel study iran-us --seeds 10 --report out/",
		ArgsUsage: "iran-us|face-saving|klein",
		Flags: append(scenarioFlags(),
			&cli.StringSliceFlag{Name: "parties", Aliases: []string{"p"}, Value: []string{"boulware", "boulware"}, Usage: "one strategy per party"},
			&cli.IntFlag{Name: "seeds", Value: 10, Usage: "runs per protocol and setting"},
			&cli.BoolFlag{Name: "json", Usage: "print the results as JSON"},
			&cli.StringFlag{Name: "report", Usage: "write an HTML report with plots to `DIR`"},
		),
		Action: studyAction,
	})
}

func studyAction(ctx context.Context, cmd *cli.Command) error {
	seeds := int(cmd.Int("seeds"))
	if seeds < 1 {
		return usagef("--seeds %d: want at least 1", seeds)
	}
	switch cmd.Args().First() {
	case "iran-us":
		sc, err := loadScenario(cmd)
		if err != nil {
			return err
		}
		specs, err := partiesFor(cmd, sc)
		if err != nil {
			return err
		}
		var names []string
		for _, s := range specs {
			names = append(names, s.Name)
		}
		rs, err := study.IranUS(ctx, sc, names, seeds, os.Stderr)
		if err != nil {
			return err
		}
		if dir := cmd.String("report"); dir != "" {
			var secs []study.Section
			secs = append(secs, study.Section{Title: "Findings", Text: study.Summary(rs)})
			for _, r := range rs {
				secs = append(secs, study.Section{Title: r.Problem, Result: r})
			}
			if err := writeReport(dir, "iran-us.html", "backchannel study: "+sc.Title, secs); err != nil {
				return err
			}
		}
		if cmd.Bool("json") {
			return writeJSON(os.Stdout, rs)
		}
		for _, r := range rs {
			printComparison(r)
			fmt.Println()
		}
		fmt.Print(study.Summary(rs))
		return nil
	case "face-saving":
		sc, err := loadScenario(cmd)
		if err != nil {
			return err
		}
		specs, err := partiesFor(cmd, sc)
		if err != nil {
			return err
		}
		var names []string
		for _, s := range specs {
			names = append(names, s.Name)
		}
		rs, err := study.FaceSaving(ctx, sc, names, seeds, os.Stderr)
		if err != nil {
			return err
		}
		if dir := cmd.String("report"); dir != "" {
			secs := []study.Section{{Title: "Findings", Text: study.Summary(rs)}}
			for _, r := range rs {
				secs = append(secs, study.Section{Title: r.Problem, Result: r})
			}
			if err := writeReport(dir, "face-saving.html", "backchannel study: face-saving protocols, "+sc.Title, secs); err != nil {
				return err
			}
		}
		if cmd.Bool("json") {
			return writeJSON(os.Stdout, rs)
		}
		for _, r := range rs {
			printComparison(r)
			fmt.Println()
		}
		fmt.Print(study.Summary(rs))
		return nil
	case "klein":
		rows, err := study.Klein(ctx, 10, 16, seeds, 5000, os.Stderr)
		if err != nil {
			return err
		}
		if cmd.Bool("json") {
			return writeJSON(os.Stdout, rows)
		}
		fmt.Println("Klein et al. 2003 reproduction: 10 scenarios of 16 interdependent binary issues, 5,000 texts; welfare as a share of the best")
		for _, r := range rows {
			fmt.Printf("%-12s mediator, %-12s voters: welfare share %.3f [%.3f, %.3f], proposals %.0f\n",
				r.Mediator, r.Voter, r.Welfare.Mean, r.Welfare.CILo, r.Welfare.CIHi, r.Proposal.Mean)
		}
		return nil
	case "":
		return usagef("study: name one: iran-us, face-saving or klein")
	}
	return usagef("study: unknown study %q (known: iran-us, face-saving, klein)", cmd.Args().First())
}

// specParties builds parties from --parties specs, parameters included.
func specParties(specs []partySpec) func(i int) (mechanism.Party, error) {
	return func(i int) (mechanism.Party, error) {
		if i >= len(specs) {
			return nil, fmt.Errorf("no strategy given for party %d", i)
		}
		return strategy.New(specs[i].Name, specs[i].Params)
	}
}

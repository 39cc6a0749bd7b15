package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/scenario"
)

func init() {
	register(&cli.Command{
		Name:  "scenario",
		Usage: "list, validate and describe scenarios",
		Commands: []*cli.Command{
			{
				Name:  "list",
				Usage: "list the built-in scenarios",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print as JSON"}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					type item struct {
						Name  string `json:"name"`
						Title string `json:"title"`
					}
					var items []item
					for _, n := range scenario.BuiltinNames() {
						t, _ := scenario.BuiltinTitle(n)
						items = append(items, item{n, t})
					}
					if cmd.Bool("json") {
						return writeJSON(os.Stdout, items)
					}
					tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
					for _, it := range items {
						fmt.Fprintf(tw, "builtin:%s\t%s\n", it.Name, it.Title)
					}
					return tw.Flush()
				},
			},
			{
				Name:      "validate",
				Usage:     "check a scenario file or folder and summarise it",
				ArgsUsage: "PATH [PROFILE…]",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON"},
					scenarioFlags()[0],
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					args, err := scenarioOrArgs(cmd)
					if err != nil {
						return err
					}
					if len(args) == 0 {
						return usagef("scenario validate needs a PATH (or --scenario PATH)")
					}
					sc, err := openScenario(args, "")
					if err != nil {
						return err
					}
					sum := summarise(sc)
					if cmd.Bool("json") {
						return writeJSON(os.Stdout, sum)
					}
					fmt.Printf("%s: valid (%s format)\n", args[0], sc.Format)
					printSummary(os.Stdout, sum)
					return nil
				},
			},
		},
	})
}

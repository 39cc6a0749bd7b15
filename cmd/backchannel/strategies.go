package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/strategy"
)

func init() {
	register(&cli.Command{
		Name:  "strategies",
		Usage: "list the negotiation strategies, their parameters and sources",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print as JSON"}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			list := strategy.List()
			if cmd.Bool("json") {
				return writeJSON(os.Stdout, list)
			}
			for _, s := range list {
				fmt.Printf("%-13s %s\n", s.Name, s.Summary)
				for _, p := range s.Params {
					fmt.Printf("%-13s   :%s=%g  %s [%g, %g]\n", "", p.Name, p.Default, p.Doc, p.Min, p.Max)
				}
				fmt.Printf("%-13s   source: %s\n", "", s.Source)
			}
			fmt.Println("\nParameters are given as NAME:KEY=VALUE, e.g. --parties boulware:e=0.1,micro")
			return nil
		},
	})
}

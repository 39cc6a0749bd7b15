package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/protocol"
)

func init() {
	register(&cli.Command{
		Name:  "protocols",
		Usage: "list the negotiation protocols, direct and indirect",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print as JSON"}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			type item struct {
				Name     string `json:"name"`
				Indirect bool   `json:"indirect"`
				Summary  string `json:"summary"`
			}
			var items []item
			for _, p := range protocol.All() {
				items = append(items, item{p.Name, p.Indirect, p.Summary})
			}
			if cmd.Bool("json") {
				return writeJSON(os.Stdout, items)
			}
			for _, it := range items {
				kind := "direct  "
				if it.Indirect {
					kind = "indirect"
				}
				fmt.Printf("%-38s %s  %s\n", it.Name, kind, it.Summary)
			}
			fmt.Println("\nShort names: direct, shuttle, single-text, feedback, post-settlement, blind, blind-bidding, mediator-proposal, double-blind.")
			return nil
		},
	})
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/load"
)

func init() {
	register(&cli.Command{
		Name:      "evaluate",
		Usage:     "print every party's utility of outcomes read from standard input",
		ArgsUsage: "[SCENARIO…]",
		Description: "Reads JSON Lines {ISSUE: VALUE, …} from standard input and writes one line\n" +
			"{\"utility\": [u1, u2, …]} per outcome, parties in scenario order — the plainest\n" +
			"way to check backchannel against another tool. An outcome that breaks a rule also\n" +
			"gets \"infeasible\": [RULE…], one past a party's red line \"red_line\": [PARTY…].\n" +
			"A bad line (not an object, an issue named twice or left out, an unknown value,\n" +
			"longer than 1 MiB) gets {\"error\": \"line N: …\"} and evaluation goes on; the\n" +
			"command then exits 1 and says how many lines failed. SCENARIO is a native file,\n" +
			"a GENIUS or GeniusWeb folder, or DOMAIN PROFILE PROFILE… (default: the embedded\n" +
			"Iran–US scenario).",
		Flags: scenarioFlags(),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			args, err := scenarioOrArgs(cmd)
			if err != nil {
				return err
			}
			sc, err := openScenario(args, cmd.String("variant"))
			if err != nil {
				return err
			}
			w := bufio.NewWriter(os.Stdout)
			if err := load.Evaluate(sc, os.Stdin, w); err != nil {
				w.Flush()
				return err
			}
			return w.Flush()
		},
	})
	register(&cli.Command{
		Name:      "convert",
		Usage:     "convert a scenario between the native, GENIUS and GeniusWeb formats",
		ArgsUsage: "IN… OUT",
		Description: "Writes the scenario IN (a native file, a GENIUS or GeniusWeb folder, or DOMAIN\n" +
			"PROFILE…) to OUT in the format --to names: native (one YAML file, or JSON when OUT\n" +
			"ends in .json), genius or geniusweb (a folder). Every outcome keeps its utility for\n" +
			"every party; what the target format cannot express (red lines and rules in\n" +
			"GENIUS, discounts in GeniusWeb, …) is listed, never silently dropped.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "to", Required: true, Usage: "target format: native, genius or geniusweb"},
			&cli.StringFlag{Name: "variant", Usage: "apply the scenario's named variant first"},
			&cli.BoolFlag{Name: "json", Usage: "print what was written and what was not kept as one JSON object"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			args := cmd.Args().Slice()
			if len(args) < 2 {
				return usagef("convert needs IN and OUT")
			}
			sc, err := openScenario(args[:len(args)-1], cmd.String("variant"))
			if err != nil {
				return err
			}
			out := args[len(args)-1]
			lossy, err := load.Convert(sc, cmd.String("to"), out)
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				return writeJSON(os.Stdout, struct {
					Wrote   string   `json:"wrote"`
					Format  string   `json:"format"`
					NotKept []string `json:"not_kept"`
				}{out, cmd.String("to"), append([]string{}, lossy...)})
			}
			fmt.Printf("wrote %s (%s)\n", out, cmd.String("to"))
			for _, l := range lossy {
				fmt.Fprintf(os.Stderr, "not kept: %s\n", l)
			}
			return nil
		},
	})
}

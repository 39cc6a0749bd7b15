// Command backchannel is the negotiation engine and workbench for indirect
// talks: run negotiations, analyse scenarios, compare protocols, run
// tournaments, and serve sessions to people and remote agents.
//
// Each subcommand lives in its own file of this package and registers itself
// with register; main only wires them.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/urfave/cli/v3"
)

var commands []*cli.Command

// register adds a subcommand; called from init functions of this package.
func register(c *cli.Command) { commands = append(commands, c) }

// usageError marks an error caused by how the command was called, so the
// exit code is 2 and the message points at --help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func newApp() *cli.Command {
	slices.SortFunc(commands, func(a, b *cli.Command) int { return strings.Compare(a.Name, b.Name) })
	return &cli.Command{
		Name:  "backchannel",
		Usage: "negotiation engine and workbench for indirect talks",
		Description: "backchannel runs negotiations between strategy agents — directly, or indirectly\n" +
			"through a mediator behind an information barrier — and judges every outcome\n" +
			"against the Pareto frontier, Nash and Kalai–Smorodinsky. It reads GENIUS and\n" +
			"GeniusWeb scenarios and runs tournaments on one machine or many. Without a\n" +
			"scenario, commands use the embedded Iran–US scenario.",
		Commands:              commands,
		EnableShellCompletion: true,
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp().Run(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "backchannel:", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "Run 'backchannel --help' or 'backchannel COMMAND --help' for usage.")
			os.Exit(2)
		}
		os.Exit(1)
	}
}

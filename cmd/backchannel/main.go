// Command backchannel is the negotiation engine and workbench for indirect
// talks: run negotiations, analyse scenarios, compare protocols and run
// tournaments (locally or over NATS), and keep signed records.
//
// Each subcommand lives in its own file of this package and registers itself
// with register; main only wires them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"runtime/pprof"
	"runtime/trace"
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
	for _, c := range commands {
		hideOwnDefaults(c)
	}
	app := &cli.Command{
		Name:  "backchannel",
		Usage: "negotiation engine and workbench for indirect talks",
		Description: "backchannel runs negotiations between strategy agents — directly, or indirectly\n" +
			"through a mediator behind an information barrier — and judges every outcome\n" +
			"against the Pareto frontier, Nash and Kalai–Smorodinsky. It reads GENIUS and\n" +
			"GeniusWeb scenarios and runs tournaments on one machine or many. Without a\n" +
			"scenario, commands use the embedded Iran–US scenario.",
		Commands:              commands,
		EnableShellCompletion: true,
		Action:                unknownCommand,
	}
	applyConventions(app)
	return app
}

// hideOwnDefaults hides urfave/cli's "(default: 0)" on the flags of c and
// its subcommands whose usage already says what the default is (a zero
// value there means "not given": the real default depends on the scenario,
// the plan or the machine).
func hideOwnDefaults(c *cli.Command) {
	for _, f := range c.Flags {
		v := reflect.ValueOf(f)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			continue
		}
		usage, hide := v.Elem().FieldByName("Usage"), v.Elem().FieldByName("HideDefault")
		if usage.Kind() == reflect.String && strings.Contains(usage.String(), "(default") && hide.Kind() == reflect.Bool && hide.CanSet() {
			hide.SetBool(true)
		}
	}
	for _, sub := range c.Commands {
		hideOwnDefaults(sub)
	}
}

func main() { os.Exit(run()) }

// run runs the command line and returns the exit code.
func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// BACKCHANNEL_CPUPROFILE=FILE writes a CPU profile of the whole command
	// (for 'go tool pprof'), e.g. of a worker until it is interrupted;
	// BACKCHANNEL_TRACE=FILE an execution trace ('go tool trace').
	for _, p := range []struct {
		env   string
		start func(io.Writer) error
		stop  func()
	}{
		{"BACKCHANNEL_CPUPROFILE", pprof.StartCPUProfile, pprof.StopCPUProfile},
		{"BACKCHANNEL_TRACE", trace.Start, trace.Stop},
	} {
		path := os.Getenv(p.env)
		if path == "" {
			continue
		}
		f, err := os.Create(path)
		if err == nil {
			err = p.start(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "backchannel: %s: %v\n", p.env, err)
			return 1
		}
		defer func() {
			p.stop()
			f.Close()
		}()
	}
	if err := newApp().Run(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "backchannel:", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "Run 'backchannel --help' or 'backchannel COMMAND --help' for usage.")
			return 2
		}
		return 1
	}
	return 0
}

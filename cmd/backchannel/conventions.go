package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v3"
)

// The command line's conventions (docs/cli.md), applied to every command by
// applyConventions rather than by each command's code:
//
//   - a mistake in how a command is called (unknown command or flag, a value
//     that does not parse or is out of range) exits 2 with one message that
//     names the flag and what it wants, and a pointer to --help — never the
//     whole help text, never a Go parse error;
//   - counts (--deadline-rounds, --seeds, --repetitions, --resamples,
//     --parallel) are at least 1 when given; leaving a flag out means its
//     default, never 0; -j is --parallel wherever it exists;
//   - time limits (--deadline-time, --move-time) are 0 (none) or at least
//     a millisecond.

// countFlags are the flags that count something and so must be ≥ 1 if set.
var countFlags = []string{"deadline-rounds", "seeds", "repetitions", "resamples", "parallel"}

// durationFlags are the time limits: 0 (none) or at least minDuration.
var durationFlags = []string{"deadline-time", "move-time"}

// minDuration is the shortest time limit a command accepts: shorter ones
// cannot be measured reliably and only make every party lose.
const minDuration = time.Millisecond

// applyConventions sets the usage-error handling and the value checks on c
// and its subcommands.
func applyConventions(c *cli.Command) {
	c.OnUsageError = usageErrorFor
	before := c.Before
	c.Before = func(ctx context.Context, cmd *cli.Command) (context.Context, error) {
		if err := checkValues(cmd); err != nil {
			return ctx, err
		}
		if before != nil {
			return before(ctx, cmd)
		}
		return ctx, nil
	}
	for _, sub := range c.Commands {
		applyConventions(sub)
	}
}

// checkValues refuses out-of-range values of the conventional flags cmd has.
func checkValues(cmd *cli.Command) error {
	for _, f := range cmd.Flags {
		name := f.Names()[0]
		if !cmd.IsSet(name) {
			continue
		}
		switch {
		case slices.Contains(countFlags, name):
			if n := cmd.Int(name); n < 1 {
				return usagef("--%s %d: want a whole number of at least 1 (leave the flag out for its default)", name, n)
			}
		case slices.Contains(durationFlags, name):
			if d := cmd.Duration(name); d != 0 && d < minDuration {
				return usagef("--%s %v: want 0 (none) or a duration of at least %v, such as 5s or 1m30s", name, d, minDuration)
			}
		}
	}
	return nil
}

var invalidValue = regexp.MustCompile(`invalid value "(.*)" for flag -([A-Za-z0-9-]+): `)

// usageErrorFor turns urfave/cli's parse errors into one usage error that
// says what the flag wants.
func usageErrorFor(_ context.Context, cmd *cli.Command, err error, _ bool) error {
	msg := err.Error()
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		want := "a valid value"
		for _, f := range cmd.Flags {
			if !slices.Contains(f.Names(), m[2]) {
				continue
			}
			switch f.(type) {
			case *cli.Uint64Flag, *cli.UintFlag:
				want = "a whole number of at least 0"
			case *cli.IntFlag, *cli.Int64Flag:
				want = "a whole number"
			case *cli.FloatFlag:
				want = "a number"
			case *cli.DurationFlag:
				want = "a duration such as 500ms, 5s or 1m30s"
			case *cli.BoolFlag:
				want = "true or false"
			}
		}
		return usagef("--%s %s: want %s", m[2], m[1], want)
	}
	msg = strings.Replace(msg, "flag provided but not defined: -", "unknown flag --", 1)
	if name := strings.TrimPrefix(cmd.FullName(), "backchannel"); name != "" {
		return usagef("%s: %s", strings.TrimSpace(name), msg)
	}
	return usagef("%s", msg)
}

// unknownCommand is the root's action: with arguments, the first is not a
// command.
func unknownCommand(_ context.Context, cmd *cli.Command) error {
	if cmd.NArg() == 0 {
		return cli.ShowAppHelp(cmd)
	}
	var names []string
	for _, c := range cmd.Commands {
		if !c.Hidden && c.Name != "help" {
			names = append(names, c.Name)
		}
	}
	return usagef("unknown command %q (commands: %s)", cmd.Args().First(), strings.Join(names, ", "))
}

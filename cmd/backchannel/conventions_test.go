package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

// leaves returns the path of every runnable command under c.
func leaves(c *cli.Command, path []string) [][]string {
	var out [][]string
	for _, sub := range c.Commands {
		if sub.Name == "help" {
			continue
		}
		p := append(slices.Clone(path), sub.Name)
		if len(sub.Commands) == 0 {
			out = append(out, p)
			continue
		}
		out = append(out, leaves(sub, p)...)
	}
	return out
}

// TestEveryCommandFollowsTheConventions calls every command wrongly: an
// unknown flag, and each conventional flag it has with a value out of range
// or one that does not parse. Each must exit 2 with one short message that
// names the flag — no help text, no Go parse error — before doing anything.
func TestEveryCommandFollowsTheConventions(t *testing.T) {
	bad := map[string][]string{
		"deadline-rounds": {"0", "-3", "ten"},
		"seeds":           {"0"},
		"repetitions":     {"0"},
		"resamples":       {"0"},
		"parallel":        {"0"},
		"deadline-time":   {"1ns", "-5s", "5"},
		"move-time":       {"1ns", "5"},
		"seed":            {"-1"},
	}
	app := newApp()
	check := func(t *testing.T, args []string, flag string) {
		t.Helper()
		out, errOut, code := runCLI(t, "", args...)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || out != "" || len(lines) > 2 || !strings.Contains(errOut, flag) || strings.Contains(errOut, "strconv") || strings.Contains(errOut, "USAGE") {
			t.Errorf("%v: exit %d, %d lines on stdout, stderr:\n%s", args, code, len(strings.Split(out, "\n")), errOut)
		}
	}
	for _, path := range leaves(app, nil) {
		t.Run(strings.Join(path, " "), func(t *testing.T) {
			check(t, append(slices.Clone(path), "--no-such-flag"), "--no-such-flag")
			var c *cli.Command = app
			for _, p := range path {
				c = c.Command(p)
			}
			for _, f := range c.Flags {
				name := f.Names()[0]
				for _, v := range bad[name] {
					check(t, append(slices.Clone(path), "--"+name, v), "--"+name)
				}
			}
		})
	}
	out, errOut, code := runCLI(t, "", "bogus")
	if code != 2 || out != "" || !strings.Contains(errOut, `unknown command "bogus"`) {
		t.Errorf("backchannel bogus: exit %d, stderr %q", code, errOut)
	}
}

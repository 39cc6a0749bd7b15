package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/strategy"
)

func init() {
	register(&cli.Command{
		Name:  "session",
		Usage: "create, show and record live sessions on a server ('backchannel serve')",
		Commands: []*cli.Command{
			{
				Name:  "new",
				Usage: "create a session and print a link for each seat",
				Description: "Creates a session on the server and prints its id, the owner's link and a link for\n" +
					"every seat filled by an agent or a person (keep them: the server stores only their\n" +
					"hashes). --scenario is builtin:NAME, the id of an uploaded scenario, or a local file\n" +
					"or folder, which is uploaded first.\n\n" +
					"Example:\n  backchannel session new --server http://127.0.0.1:8080 --seat iran=agent --seat usa=boulware",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "server", Value: "http://127.0.0.1:8080", Usage: "the server's `URL`"},
					&cli.StringFlag{Name: "token", Sources: cli.EnvVars("BACKCHANNEL_OPERATOR_TOKEN"), Usage: "the server's operator `TOKEN`, if it was started with one"},
					&cli.StringSliceFlag{Name: "scenario", Aliases: []string{"s"}, Usage: "builtin:NAME, an uploaded scenario's id, or local files to upload (default: builtin:iran-us)"},
					&cli.StringFlag{Name: "variant", Usage: "apply the scenario's named variant"},
					&cli.StringFlag{Name: "protocol", Value: "sao", Usage: "protocol: " + strings.Join(protocol.Names(), ", ")},
					&cli.IntFlag{Name: "deadline-rounds", Usage: "deadline in rounds (default: the scenario's suggestion, else 100)"},
					&cli.DurationFlag{Name: "deadline-time", Usage: "deadline in wall time, e.g. 10m (0: none)"},
					&cli.DurationFlag{Name: "move-time", Usage: "limit on one move; a seat that overruns it loses (0: none)"},
					&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed of the built-in strategies and mediator"},
					&cli.StringSliceFlag{Name: "seat", Usage: "who fills a role: `ROLE=WHO`, WHO one of agent, person, a strategy (NAME or NAME:KEY=VALUE) or, for the mediator, builtin; one per party"},
					&cli.BoolFlag{Name: "json", Usage: "print the answer as JSON"},
				},
				Action: sessionNew,
			},
			{
				Name:      "show",
				Usage:     "show where a session stands, or how it ended",
				ArgsUsage: "LINK",
				Description: "With the owner's link: the session's status, whose move it is, and once ended the\n" +
					"outcome judged against Pareto, Nash and Kalai–Smorodinsky. With a seat's link: what\n" +
					"that seat may see.",
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the answer as JSON"}},
				Action: sessionShow,
			},
			{
				Name:      "record",
				Usage:     "write a session's record (the 'run --trace' format) from the owner's link",
				ArgsUsage: "OWNER-LINK",
				Description: "Writes the session's hash-chained event log, sealed by the server's key if it has one;\n" +
					"'backchannel record verify' and 'record replay' read it.",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` (must not exist) instead of standard output"}},
				Action: sessionRecord,
			},
		},
	})
	register(&cli.Command{
		Name:  "agent",
		Usage: "play a seat of a live session with a built-in strategy, as a remote agent",
		Description: "Plays the seat of --seat (a link from 'session new') with a built-in strategy, over the\n" +
			"same API any remote agent uses, until the session ends. If the server goes away, it\n" +
			"reconnects and resumes when it is back. The strategy is seeded from the session's seed\n" +
			"and the seat, as in 'backchannel run'. With --sign-key, every move is signed with the\n" +
			"agent's own key (docs/commitments.md, Signed moves).\n\n" +
			"Example:\n  backchannel agent --seat http://127.0.0.1:8080/api/seats/TOKEN --strategy boulware",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "seat", Usage: "the seat's `LINK`", Required: true},
			&cli.StringFlag{Name: "strategy", Value: "boulware", Usage: "`NAME` or NAME:KEY=VALUE (see 'backchannel strategies')"},
			&cli.DurationFlag{Name: "think", Usage: "wait this long before each move, as a person would (0: answer at once)"},
			&cli.StringFlag{Name: "sign-key", Usage: "sign every move with the Ed25519 key in `FILE` (from 'backchannel record keygen'): the session log then holds the agent's signature, which the server cannot forge"},
			&cli.BoolFlag{Name: "json", Usage: "print how the session ended as JSON"},
		},
		Action: agentAction,
	})
}

func sessionNew(ctx context.Context, cmd *cli.Command) error {
	c := client.New(cmd.String("server"))
	c.Token = cmd.String("token")
	req := &api.NewSession{Scenario: "builtin:iran-us", Variant: cmd.String("variant"), Protocol: cmd.String("protocol"),
		Deadline: api.Deadline{Rounds: int(cmd.Int("deadline-rounds"))}, Seats: map[string]string{}}
	if d := cmd.Duration("deadline-time"); d > 0 {
		req.Deadline.Time = d.String()
	}
	if d := cmd.Duration("move-time"); d > 0 {
		req.Deadline.MoveTime = d.String()
	}
	seed := cmd.Uint64("seed")
	req.Seed = &seed
	for _, s := range cmd.StringSlice("seat") {
		role, who, ok := strings.Cut(s, "=")
		if !ok || role == "" || who == "" {
			return usagef("--seat %q: write ROLE=WHO, e.g. iran=agent or usa=boulware", s)
		}
		if _, dup := req.Seats[role]; dup {
			return usagef("--seat: role %q is given twice", role)
		}
		req.Seats[role] = who
	}
	if sc := cmd.StringSlice("scenario"); len(sc) > 0 {
		id, err := scenarioRef(ctx, c, sc)
		if err != nil {
			return err
		}
		req.Scenario = id
	}
	created, err := c.CreateSession(ctx, req)
	if err != nil {
		return fmt.Errorf("session new: %w", err)
	}
	if cmd.Bool("json") {
		return writeJSON(os.Stdout, created)
	}
	fmt.Printf("session %s\n", created.Session)
	fmt.Printf("  owner     %s\n", created.Owner)
	for _, r := range sortedKeys(created.Seats) {
		fmt.Printf("  %-9s %s\n", r, created.Seats[r])
	}
	return nil
}

// scenarioRef returns the server's id for --scenario: as given when it is
// builtin:NAME or an id, else the id of the local files once uploaded.
func scenarioRef(ctx context.Context, c *client.Client, args []string) (string, error) {
	var paths []string
	for _, a := range args {
		for _, p := range strings.Split(a, ",") {
			if p = strings.TrimSpace(p); p != "" {
				paths = append(paths, p)
			}
		}
	}
	if len(paths) == 1 {
		if _, err := os.Stat(paths[0]); err != nil {
			return paths[0], nil // builtin:NAME or an uploaded scenario's id
		}
	}
	files := map[string][]byte{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return "", usagef("--scenario: %v", err)
		}
		if !st.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return "", err
			}
			files[filepath.Base(p)] = b
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return "", err
		}
		for _, e := range ents {
			if e.Type().IsRegular() {
				b, err := os.ReadFile(filepath.Join(p, e.Name()))
				if err != nil {
					return "", err
				}
				files[e.Name()] = b
			}
		}
	}
	info, err := c.Upload(ctx, files)
	if err != nil {
		return "", fmt.Errorf("--scenario: upload: %w", err)
	}
	return info.ID, nil
}

func oneLink(cmd *cli.Command) (*client.Link, error) {
	if cmd.NArg() != 1 {
		return nil, usagef("give one LINK (from 'session new')")
	}
	l, err := client.ParseLink(cmd.Args().First())
	if err != nil {
		return nil, usagef("%v", err)
	}
	return l, nil
}

func sessionShow(ctx context.Context, cmd *cli.Command) error {
	l, err := oneLink(cmd)
	if err != nil {
		return err
	}
	if !l.Owner {
		sn, err := l.Snapshot(ctx)
		if err != nil {
			return err
		}
		if cmd.Bool("json") {
			return writeJSON(os.Stdout, sn)
		}
		fmt.Printf("session %s, seat %s (%s), protocol %s, %s\n", sn.Session, sn.Seat.Role, sn.Seat.Kind, sn.Protocol, sn.Status)
		fmt.Printf("  %d events shown to this seat\n", len(sn.Events))
		if sn.Turn != nil {
			fmt.Printf("  your move: step %d, %s\n", sn.Turn.Step, sn.Turn.Request.Kind)
		}
		if sn.End != nil {
			printEnd(os.Stdout, sn.End)
		}
		return nil
	}
	st, err := l.Status(ctx)
	if err != nil {
		return err
	}
	if cmd.Bool("json") {
		return writeJSON(os.Stdout, st)
	}
	fmt.Printf("session %s: %s on %s, seed %d, %s\n", st.Session, st.Protocol, st.Scenario, st.Seed, st.Status)
	for _, s := range st.Seats {
		fmt.Printf("  %-9s %s\n", s.Role, s.Kind)
	}
	fmt.Printf("  step %d, round %d, %d events\n", st.Step, st.Round+1, st.Events)
	if st.Waiting != nil {
		fmt.Printf("  waiting for %s (%s)\n", st.Waiting.Role, st.Waiting.Kind)
	}
	if st.End != nil {
		printEnd(os.Stdout, st.End)
	}
	if v := st.Verdict; v != nil {
		for _, p := range v.Parties {
			u := "—"
			if p.Utility != nil {
				u = fmt.Sprintf("%.4f", *p.Utility)
			}
			fmt.Printf("  %-9s utility %s (reservation %.4f)\n", p.ID, u, p.Reservation)
		}
		if v.DistancePareto != nil {
			fmt.Printf("  distance to Pareto %.4f, to Nash %s, to Kalai %s\n", *v.DistancePareto, optF(v.DistanceNash), optF(v.DistanceKalai))
		}
	}
	return nil
}

func optF(x *float64) string {
	if x == nil {
		return "—"
	}
	return fmt.Sprintf("%.4f", *x)
}

func printEnd(w io.Writer, e *api.End) {
	fmt.Fprintf(w, "  ended: %s (%s) after %d rounds, %d steps\n", e.Status, e.Reason, e.Rounds, e.Steps)
	if e.Fault != nil {
		fmt.Fprintf(w, "  fault of %s: %s\n", e.Fault.Party, e.Fault.Reason)
	}
	keys := make([]string, 0, len(e.Agreement))
	for k := range e.Agreement {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "    %s = %s\n", k, e.Agreement[k])
	}
	if e.Utility != nil {
		fmt.Fprintf(w, "  your utility %.4f\n", *e.Utility)
	}
}

func sessionRecord(ctx context.Context, cmd *cli.Command) error {
	l, err := oneLink(cmd)
	if err != nil {
		return err
	}
	if !l.Owner {
		return usagef("the record needs the owner's link (…/api/owner/TOKEN), not a seat's")
	}
	out := cmd.String("output")
	if out == "" {
		return l.Record(ctx, os.Stdout)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return usagef("--output %s exists: give a new file name (nothing was overwritten)", out)
	}
	if err != nil {
		return err
	}
	if err := l.Record(ctx, f); err != nil {
		f.Close()
		os.Remove(out) // our own partial file
		return err
	}
	return f.Close()
}

func agentAction(ctx context.Context, cmd *cli.Command) error {
	l, err := client.ParseLink(cmd.String("seat"))
	if err != nil {
		return usagef("--seat: %v", err)
	}
	if l.Owner {
		return usagef("--seat: this is the owner's link; an agent needs a seat's link")
	}
	spec := cmd.String("strategy")
	if _, err := strategy.ParseSpec(spec); err != nil {
		return usagef("--strategy: %v", err)
	}
	if f := cmd.String("sign-key"); f != "" {
		k, err := readPrivateKey(f)
		if err != nil {
			return usagef("--sign-key: %v", err)
		}
		l.SignKey = k
	}
	think := cmd.Duration("think")
	end, err := client.Play(ctx, l, func(*client.Seat) (mechanism.Party, error) {
		a, err := strategy.ParseSpec(spec)
		if think > 0 {
			return &thinking{Party: a, d: think}, err
		}
		return a, err
	})
	if err != nil {
		return err
	}
	if cmd.Bool("json") {
		return writeJSON(os.Stdout, end)
	}
	printEnd(os.Stdout, end)
	return nil
}

// thinking waits before each move.
type thinking struct {
	mechanism.Party
	d time.Duration
}

func (p *thinking) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	time.Sleep(p.d)
	return p.Party.Act(c, r)
}

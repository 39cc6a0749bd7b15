package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v3"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/backchannel/backchannel/distributed"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/postgres"
	"github.com/backchannel/backchannel/store/sqlite"
	"github.com/backchannel/backchannel/tournament"
)

func init() {
	register(&cli.Command{
		Name:  "tournament",
		Usage: "run strategies against each other on many scenarios, and report who does best",
		Commands: []*cli.Command{
			{
				Name:      "run",
				Usage:     "run (or resume) a tournament and store one row per negotiation",
				ArgsUsage: "[PLAN.yaml]",
				Description: "Runs every strategy against the others, on every scenario and protocol, in every\n" +
					"assignment of strategies to roles, --repetitions times, on all cores (or on\n" +
					"workers pulling from NATS with --nats). Results go to --db keyed by a hash of each\n" +
					"job, so the same command run again after a crash or kill continues where it\n" +
					"stopped and never stores a negotiation twice. A strategy that panics, overruns\n" +
					"--move-time or breaks the protocol loses that negotiation; the fault is recorded.\n\n" +
					"A PLAN.yaml has the keys strategies, scenarios, protocols, repetitions, seed,\n" +
					"deadline_rounds, move_time, job_time, self_play, trace; flags override it.\n\n" +
					"Example:\n  backchannel tournament run --strategies boulware,conceder,linear,micro --repetitions 5 --db t.db",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "strategies", Usage: "strategy specs NAME or NAME:KEY=VALUE, comma-separated (see 'backchannel strategies')"},
					&cli.StringSliceFlag{Name: "scenarios", Usage: "scenario files or builtin:NAME, comma-separated; FILE#VARIANT applies a variant (default: the embedded scenario)"},
					&cli.StringSliceFlag{Name: "protocols", Usage: "protocols, comma-separated: " + strings.Join(protocol.Names(), ", ") + " (short: direct, shuttle, single-text, feedback, post-settlement, blind, blind-bidding, mediator-proposal, double-blind; default: sao)"},
					&cli.IntFlag{Name: "repetitions", Aliases: []string{"n"}, Usage: "negotiations per pairing, each with its own seed (default 1)"},
					&cli.Uint64Flag{Name: "seed", Usage: "plan seed: every job's seed derives from it (default 0)"},
					&cli.IntFlag{Name: "parallel", Aliases: []string{"j", "workers"}, Usage: "negotiations run at once (default: all cores; --workers is the older name)"},
					&cli.StringFlag{Name: "db", Value: "tournament.db", Usage: "results: an SQLite `FILE` or a postgres:// URL"},
					&cli.IntFlag{Name: "deadline-rounds", Usage: "rounds per negotiation (default: the scenario's suggestion, else 100)"},
					&cli.DurationFlag{Name: "move-time", Usage: "a party that takes longer over one move loses (default 10s)"},
					&cli.DurationFlag{Name: "job-time", Usage: "a negotiation that runs longer is lost by the party asked (default 5m)"},
					&cli.BoolFlag{Name: "self-play", Usage: "also pair each strategy with itself"},
					&cli.BoolFlag{Name: "trace", Usage: "store every negotiation's event log"},
					&cli.StringFlag{Name: "nats", Usage: "publish the jobs to NATS JetStream at `URL` for 'backchannel worker' processes instead of running them here"},
					&cli.DurationFlag{Name: "ack-wait", Usage: "with --nats: a job not acknowledged this long after delivery goes to another worker (default 30s)"},
					&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
				},
				Action: tournamentRun,
			},
			{
				Name:  "report",
				Usage: "rank the strategies of a tournament database",
				Description: "Ranks strategies by mean individual utility (a party at fault scores\n" +
					"min(0, reservation)), advantage (utility − reservation value), welfare of their\n" +
					"negotiations, agreement rate and distance of the outcome to the Nash point, each\n" +
					"with a bootstrap 95% confidence interval, overall, per scenario and (when the results span\n" +
					"several protocols) per protocol.\n\n" +
					"Example:\n  backchannel tournament report --db t.db --html report/",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "db", Value: "tournament.db", Usage: "results: an SQLite `FILE` or a postgres:// URL"},
					&cli.StringFlag{Name: "plan", Usage: "only the results of plan `ID` (default: all)"},
					&cli.BoolFlag{Name: "json", Usage: "write the report as JSON"},
					&cli.BoolFlag{Name: "csv", Usage: "write the rankings as CSV"},
					&cli.StringFlag{Name: "html", Usage: "write an HTML report with plots to `DIR`"},
					&cli.StringFlag{Name: "scenario", Usage: "scenario id whose agreements the HTML report plots over the frontier (default: the first)"},
					&cli.IntFlag{Name: "resamples", Value: 1000, Usage: "bootstrap resamples for the confidence intervals"},
				},
				Action: tournamentReport,
			},
		},
	})
}

// tournamentEnv loads scenarios the way every command does (files, folders,
// builtin:NAME), with FILE#VARIANT for variants.
func tournamentEnv() *tournament.Env {
	return &tournament.Env{Load: func(ref string) (*scenario.Scenario, error) {
		base, variant, _ := strings.Cut(ref, "#")
		var args []string
		if base != "" {
			args = []string{base}
		}
		return openScenario(args, variant)
	}}
}

func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// planFromFlags reads PLAN.yaml if given and applies the flags over it.
func planFromFlags(cmd *cli.Command) (tournament.Plan, error) {
	var p tournament.Plan
	switch cmd.Args().Len() {
	case 0:
	case 1:
		pp, err := tournament.ReadPlan(cmd.Args().First())
		if err != nil {
			return p, err
		}
		p = *pp
	default:
		return p, usagef("tournament run takes at most one PLAN.yaml, got %d arguments", cmd.Args().Len())
	}
	if cmd.IsSet("strategies") {
		p.Strategies = splitList(cmd.StringSlice("strategies"))
	}
	if cmd.IsSet("scenarios") {
		p.Scenarios = splitList(cmd.StringSlice("scenarios"))
	}
	if cmd.IsSet("protocols") {
		p.Protocols = splitList(cmd.StringSlice("protocols"))
	}
	if cmd.IsSet("repetitions") {
		p.Repetitions = int(cmd.Int("repetitions"))
	}
	if cmd.IsSet("seed") {
		p.Seed = cmd.Uint64("seed")
	}
	if cmd.IsSet("deadline-rounds") {
		p.DeadlineRounds = int(cmd.Int("deadline-rounds"))
	}
	if cmd.IsSet("move-time") {
		p.MoveTime = cmd.Duration("move-time")
	}
	if cmd.IsSet("job-time") {
		p.JobTime = cmd.Duration("job-time")
	}
	if cmd.IsSet("self-play") {
		p.SelfPlay = cmd.Bool("self-play")
	}
	if cmd.IsSet("trace") {
		p.Trace = cmd.Bool("trace")
	}
	if len(p.Strategies) == 0 {
		return p, usagef("name the strategies: --strategies a,b,c or a PLAN.yaml with 'strategies:'")
	}
	return p, nil
}

// openExistingStore opens the result store --db names for reading: an
// SQLite file that does not exist is an error, not a new empty database (a
// typo in --db must not leave a file behind).
func openExistingStore(ctx context.Context, db string) (store.Store, error) {
	if !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") && db != "" {
		if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
			return nil, usagef("--db %s: no such file (results are written by 'backchannel tournament run --db %s')", db, db)
		}
	}
	return openStore(ctx, db)
}

// openStore opens the result store --db names, creating an SQLite file
// that does not exist.
func openStore(ctx context.Context, db string) (store.Store, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return postgres.Open(ctx, db)
	}
	if db == "" {
		return nil, usagef("--db is empty: give an SQLite file or a postgres:// URL")
	}
	return sqlite.Open(ctx, db)
}

func tournamentRun(ctx context.Context, cmd *cli.Command) error {
	plan, err := planFromFlags(cmd)
	if err != nil {
		return err
	}
	// With --nats, connect to the queue while the plan compiles.
	var dialed func() dialResult // waits for the connection
	if u := cmd.String("nats"); u != "" {
		ch := make(chan dialResult, 1)
		go func() {
			c, err := distributed.Dial(ctx, distributed.Config{URL: u, AckWait: cmd.Duration("ack-wait")})
			ch <- dialResult{c, err}
		}()
		dialed = sync.OnceValue(func() dialResult { return <-ch })
		defer func() {
			if c := dialed().c; c != nil {
				c.Close()
			}
		}()
	}
	env := tournamentEnv()
	t, err := tournament.Compile(ctx, env, plan)
	if err != nil {
		var pe *tournament.PlanError
		if errors.As(err, &pe) {
			return usageError{err}
		}
		return err
	}
	for _, n := range t.Notes {
		fmt.Fprintln(os.Stderr, "note:", n)
	}
	st, err := openStore(ctx, cmd.String("db"))
	if err != nil {
		return err
	}
	defer st.Close()
	quiet := cmd.Bool("quiet")
	pr := newProgress(ctx, os.Stderr, quiet)
	opts := tournament.Options{Workers: int(cmd.Int("parallel")), Progress: pr.update}
	if !quiet {
		fmt.Fprintf(os.Stderr, "plan %s: %s negotiations (%d strategies, %d scenarios, %d protocols, %d repetitions) → %s\n",
			t.ID, thousands(int64(len(t.Jobs))), len(t.Plan.Strategies), len(t.Scenarios), len(t.Plan.Protocols), t.Plan.Repetitions, cmd.String("db"))
	}
	var pg tournament.Progress
	if dialed != nil {
		r := dialed()
		if r.err != nil {
			pr.finish(false)
			return r.err
		}
		pg, err = r.c.Run(ctx, t, st, opts)
	} else {
		pg, err = tournament.Run(ctx, t, st, env, opts)
	}
	pr.finish(err == nil)
	if err != nil {
		return err
	}
	if !quiet {
		el := time.Since(pg.Started)
		ran := pg.Done - pg.Skipped
		rate := float64(ran) / max(el.Seconds(), 1e-9)
		fmt.Fprintf(os.Stderr, "done: %s negotiations stored (%s this run, %d already there, %d with a fault) in %v, %.1f/s\n",
			thousands(int64(pg.Done)), thousands(int64(ran)), pg.Skipped, pg.Failed, el.Round(time.Millisecond), rate)
	}
	return nil
}

// dialResult is a connection to the queue, or why there is none.
type dialResult struct {
	c   *distributed.Coordinator
	err error
}

// progress shows a bar with rate and ETA on a terminal and plain lines
// (at most one per 2 s, and the last) otherwise.
type progress struct {
	w     io.Writer
	quiet bool
	ctx   context.Context
	p     *mpb.Progress
	bar   *mpb.Bar
	last  time.Time
	pg    tournament.Progress
	seen  int
}

func newProgress(ctx context.Context, w io.Writer, quiet bool) *progress {
	return &progress{w: w, quiet: quiet, ctx: ctx}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func (pr *progress) update(pg tournament.Progress) {
	if pr.quiet {
		return
	}
	pending := pg.Total - pg.Skipped
	if pr.bar == nil && pr.last.IsZero() {
		if pg.Skipped > 0 {
			fmt.Fprintf(pr.w, "resuming: %s of %s already stored\n", thousands(int64(pg.Skipped)), thousands(int64(pg.Total)))
		}
		if isTerminal(pr.w) && pending > 0 {
			pr.p = mpb.NewWithContext(pr.ctx, mpb.WithOutput(pr.w), mpb.WithWidth(40))
			pr.bar = pr.p.AddBar(int64(pending),
				mpb.PrependDecorators(decor.Name("negotiations "), decor.CountersNoUnit("%d/%d")),
				mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.AverageSpeed(0, " %.1f/s"),
					decor.Name("  ETA "), decor.AverageETA(decor.ET_STYLE_GO)))
		}
		pr.last = time.Now()
	}
	ran := pg.Done - pg.Skipped
	if pr.bar != nil {
		pr.bar.IncrBy(ran - pr.seen)
	} else if now := time.Now(); now.Sub(pr.last) >= 2*time.Second || pg.Done == pg.Total {
		el := now.Sub(pg.Started).Seconds()
		rate := float64(ran) / max(el, 1e-9)
		eta := "?"
		if rate > 0 {
			eta = (time.Duration(float64(pg.Total-pg.Done)/rate) * time.Second).Round(time.Second).String()
		}
		fmt.Fprintf(pr.w, "progress: %d/%d negotiations (%.1f%%), %.1f/s, %d faults, ETA %s\n",
			pg.Done, pg.Total, 100*float64(pg.Done)/float64(max(pg.Total, 1)), rate, pg.Failed, eta)
		pr.last = now
	}
	pr.seen = ran
	pr.pg = pg
}

func (pr *progress) finish(ok bool) {
	if pr.bar != nil {
		if !ok {
			pr.bar.Abort(false)
		}
		pr.p.Wait()
	}
}

func tournamentReport(ctx context.Context, cmd *cli.Command) error {
	st, err := openExistingStore(ctx, cmd.String("db"))
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := tournament.BuildReport(ctx, st, cmd.String("plan"), int(cmd.Int("resamples")))
	if err != nil {
		return err
	}
	if rep.Negotiations == 0 {
		return fmt.Errorf("%s holds no results (run 'backchannel tournament run --db %s' first)", cmd.String("db"), cmd.String("db"))
	}
	if dir := cmd.String("html"); dir != "" {
		if err := rep.WriteHTML(dir, cmd.String("scenario")); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s/index.html\n", dir)
	}
	switch {
	case cmd.Bool("json"):
		return rep.WriteJSON(os.Stdout)
	case cmd.Bool("csv"):
		return rep.WriteCSV(os.Stdout)
	case cmd.String("html") != "":
		return nil
	}
	return rep.WriteText(os.Stdout)
}

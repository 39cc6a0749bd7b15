package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/distributed"
	"github.com/backchannel/backchannel/tournament"
)

func init() {
	register(&cli.Command{
		Name:  "worker",
		Usage: "run tournament jobs pulled from a NATS JetStream queue",
		Description: "Connects to the queue a 'backchannel tournament run --nats URL' coordinator\n" +
			"publishes to, runs jobs until interrupted, and sends each result back before\n" +
			"acknowledging the job. Start any number, on any machines; a worker that dies\n" +
			"mid-job loses nothing: the job goes to another worker after the ack wait.\n" +
			"See docs/distributed.md.\n\n" +
			"Example:\n  backchannel worker --nats nats://queue.example:4222 --jobs 8",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "nats", Required: true, Usage: "NATS server `URL`, e.g. nats://HOST:4222"},
			&cli.IntFlag{Name: "parallel", Aliases: []string{"j", "jobs"}, Usage: "negotiations run at once (default: all cores; --jobs is the older name)"},
			&cli.IntFlag{Name: "prefetch", Usage: "most jobs held at once, running or waiting (default: --jobs plus about 20 ms of work)"},
			&cli.StringFlag{Name: "name", Usage: "name of this worker in results (default: HOST:PID)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "do not log each finished job"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "also log each job as it starts"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			n := int(cmd.Int("parallel"))
			if n <= 0 {
				n = runtime.GOMAXPROCS(0)
			}
			var done atomic.Int64
			quiet := cmd.Bool("quiet")
			opts := distributed.WorkerOptions{Concurrency: n, Prefetch: int(cmd.Int("prefetch")), Env: tournamentEnv(), Started: func(j *tournament.Job) {
				if cmd.Bool("verbose") {
					fmt.Fprintf(os.Stderr, "worker: job %s started\n", j.ID)
				}
			}, Ran: func(j *tournament.Job) {
				k := done.Add(1)
				if !quiet {
					fmt.Fprintf(os.Stderr, "worker: job %s done (%d so far)\n", j.ID, k)
				}
			}}
			if !quiet {
				fmt.Fprintf(os.Stderr, "worker: pulling jobs from %s, %d at a time\n", cmd.String("nats"), n)
			}
			err := distributed.Work(ctx, distributed.Config{URL: cmd.String("nats"), Name: cmd.String("name")}, opts)
			if !quiet {
				fmt.Fprintf(os.Stderr, "worker: stopped after %d jobs\n", done.Load())
			}
			return err
		},
	})
}

// Command sessionload drives many live sessions at once over loopback and
// measures the server: acknowledged (durable) actions per second, and the
// round trip of an action — posted by one seat, committed, and arriving as
// an event on the other seat's stream.
//
// Every session is SAO on a small generated scenario (two issues of five
// options) with two "agent" seats, each a remote client of the HTTP API
// that holds its seat's stream open and answers every turn with a valid
// offer (a counter-offer to each offer, so that a session runs to its
// deadline; an ended session is replaced by a new one).
//
//	go run ./tools/sessionload                                   # starts a server in-process over a temporary SQLite file
//	go run ./tools/sessionload --sessions 1000 --rate 10000      # 1,000 sessions offering 10,000 actions/s together
//	go run ./tools/sessionload --db "$PGURL" --fresh             # in-process over a fresh PostgreSQL database
//	go run ./tools/sessionload --server http://127.0.0.1:8080    # against a running 'backchannel serve'
//
// With --rate 0 every seat answers at once (a closed loop: by Little's law
// the round trip is then sessions ÷ throughput); with --rate R each session
// acts every sessions/R seconds, as agents that think would, and the round
// trip is the server's own latency at that load.
//
// The benchmark BenchmarkSessionActions (go test -bench . ./tools/sessionload)
// measures the same with the server in-process; docs/benchmarks.md has the
// figures.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"time"
)

func main() {
	var (
		srv      = flag.String("server", "", "URL of a running server (default: start one in this process)")
		db       = flag.String("db", "", "in-process server's store: an SQLite file or a postgres:// URL (default: a temporary SQLite file)")
		fresh    = flag.Bool("fresh", false, "with a postgres:// --db: create a fresh database for the run and drop it afterwards")
		sessions = flag.Int("sessions", 1000, "sessions running at once")
		rounds   = flag.Int("rounds", 500, "each session's deadline in rounds (two actions a round)")
		rate     = flag.Float64("rate", 0, "target actions per second over all sessions (0: as fast as possible)")
		warmup   = flag.Duration("warmup", 5*time.Second, "run this long before measuring")
		duration = flag.Duration("duration", 20*time.Second, "measure this long")
		scenario = flag.String("scenario", "", "scenario id on the server (default: upload the generated one)")
		spid     = flag.Int("server-pid", 0, "with --server: the server's process `ID`, to report its CPU time per action (Linux)")
		cpuprof  = flag.String("cpuprofile", "", "write a CPU profile of the measured window to `FILE`")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *srv, *db, *fresh, *cpuprof, Config{Sessions: *sessions, Rounds: *rounds, Rate: *rate,
		Warmup: *warmup, Duration: *duration, Scenario: *scenario, ServerPID: *spid}); err != nil {
		fmt.Fprintln(os.Stderr, "sessionload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, base, db string, fresh bool, cpuprof string, cfg Config) error {
	where := base
	if base == "" {
		p, err := startServer(ctx, db, fresh)
		if err != nil {
			return err
		}
		defer p.Close()
		base = p.URL
		where = "in-process, store " + storeName(db)
	}
	cfg.Logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	if cpuprof != "" {
		f, err := os.Create(cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		w := cfg.Warmup
		go func() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(w):
			}
			pprof.StartCPUProfile(f)
		}()
		defer pprof.StopCPUProfile()
	}
	rate := "as fast as possible"
	if cfg.Rate > 0 {
		rate = fmt.Sprintf("target %.0f actions/s", cfg.Rate)
	}
	fmt.Printf("server %s; %d sessions of SAO, %d rounds; %s\n", where, cfg.Sessions, cfg.Rounds, rate)
	res, err := Run(ctx, base, cfg)
	if err != nil {
		return err
	}
	fmt.Print(res)
	return nil
}

func storeName(db string) string {
	switch {
	case db == "":
		return "SQLite (temporary file)"
	case strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://"):
		return "PostgreSQL"
	}
	return "SQLite " + db
}

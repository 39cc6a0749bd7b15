package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/record"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
)

func init() {
	register(&cli.Command{
		Name:  "run",
		Usage: "run one negotiation and judge its outcome",
		Description: "Runs one negotiation between strategy agents on a scenario (default: the embedded\n" +
			"Iran–US talks) and prints the agreement, each party's utility next to its\n" +
			"reservation value, and how the result compares with the Pareto frontier, the\n" +
			"Nash point and the Kalai–Smorodinsky point.\n\n" +
			"Example:\n  backchannel run --protocol sao --parties boulware,conceder --deadline-rounds 200 --seed 7",
		Flags: append(scenarioFlags(),
			&cli.StringFlag{Name: "protocol", Value: "sao", Usage: "protocol: " + strings.Join(protocol.Names(), ", ") + " (short: direct, shuttle, single-text, feedback, post-settlement, blind, blind-bidding, mediator-proposal, double-blind)"},
			&cli.StringSliceFlag{Name: "parties", Aliases: []string{"p"}, Value: []string{"conceder", "linear"},
				Usage: "one strategy per party, in party order: NAME or NAME:KEY=VALUE (see 'backchannel strategies')"},
			&cli.IntFlag{Name: "deadline-rounds", Usage: "deadline in rounds (default: the scenario's suggestion, else 100)"},
			&cli.DurationFlag{Name: "deadline-time", Usage: "deadline in wall time, e.g. 5s (0: none)"},
			&cli.DurationFlag{Name: "move-time", Usage: "limit on one move; a party that overruns it loses (0: none)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed: the same seed gives the same trace"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object"},
			&cli.StringFlag{Name: "trace", Usage: "write the event log (hash-chained JSON Lines) to `FILE`"},
			&cli.StringFlag{Name: "sign-key", Usage: "seal the trace with the Ed25519 private key in `FILE` (see 'backchannel record keygen')"},
		),
		Action: runAction,
	})
}

// runConfig is what the run command decided to do.
type runConfig struct {
	sc       *scenario.Scenario
	protocol string
	specs    []partySpec
	dl       mechanism.Deadline
	seed     uint64
}

func runAction(ctx context.Context, cmd *cli.Command) error {
	sc, err := loadScenario(cmd)
	if err != nil {
		return err
	}
	specs, err := partiesFor(cmd, sc)
	if err != nil {
		return err
	}
	rounds := 0 // a time deadline alone leaves rounds unbounded
	if cmd.IsSet("deadline-rounds") || cmd.Duration("deadline-time") == 0 {
		if rounds, err = roundsFor(cmd, sc, 100); err != nil {
			return err
		}
	}
	rc := runConfig{sc: sc, protocol: cmd.String("protocol"), specs: specs, seed: cmd.Uint64("seed"),
		dl: mechanism.Deadline{Rounds: rounds, Time: cmd.Duration("deadline-time"), MoveTime: cmd.Duration("move-time")}}
	var key ed25519.PrivateKey
	if f := cmd.String("sign-key"); f != "" {
		if key, err = readPrivateKey(f); err != nil {
			return err
		}
	}
	var trace io.WriteCloser
	if f := cmd.String("trace"); f != "" {
		if trace, err = os.Create(f); err != nil {
			return fmt.Errorf("--trace: %w", err)
		}
		defer trace.Close()
	}
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	figures := judgeAsync(jctx, sc)
	res, err := negotiate(ctx, rc, trace, key)
	if err != nil {
		return err
	}
	if trace != nil {
		if err := trace.Close(); err != nil {
			return fmt.Errorf("--trace: %w", err)
		}
	}
	pr, err := figures()
	if err != nil {
		return err
	}
	rep, err := judge(ctx, sc, pr, res)
	if err != nil {
		return err
	}
	proto, _ := protocol.Lookup(rc.protocol)
	rep.Protocol, rep.Seed, rep.DeadlineRounds = proto.Name, rc.seed, rc.dl.Rounds
	for i, s := range specs {
		rep.Parties[i].Strategy = s.String()
	}
	if cmd.Bool("json") {
		return writeJSON(os.Stdout, rep)
	}
	printRun(os.Stdout, sc, rep)
	return nil
}

func partyIDs(sc *scenario.Scenario) []string {
	ids := make([]string, len(sc.Parties))
	for i, p := range sc.Parties {
		ids[i] = p.ID
	}
	return ids
}

// runResult is a finished negotiation with the facts judge needs.
type runResult struct {
	res     mechanism.Result
	elapsed time.Duration
}

// negotiate runs one negotiation, writing its trace to w when w is non-nil.
func negotiate(ctx context.Context, rc runConfig, w io.Writer, key ed25519.PrivateKey) (runResult, error) {
	proto, err := protocol.Lookup(rc.protocol)
	if err != nil {
		return runResult{}, usagef("--protocol: %v", err)
	}
	sc := rc.sc
	parties := make([]mechanism.Party, len(rc.specs))
	for i, s := range rc.specs {
		a, err := strategy.New(s.Name, s.Params)
		if err != nil {
			return runResult{}, usagef("--parties: %v", err)
		}
		parties[i] = proto.Wrap(a)
	}
	warmIndexes(sc)
	med, confidential := proto.NewMediator()
	dl := rc.dl
	dl.Rounds = proto.Rounds(dl.Rounds)
	cfg := &sim.Config{Mechanism: proto.New(), Space: sc.Space, Profiles: sc.Profiles(), Parties: parties,
		Mediator: med, Confidential: confidential, Deadline: dl, Seed: rc.seed}
	var rw *record.Writer
	if w != nil {
		roles := make([]string, len(rc.specs))
		for i, s := range rc.specs {
			roles[i] = s.String()
		}
		h := record.Header{Scenario: sc.ID, Protocol: proto.Name, Parties: partyIDs(sc), Roles: roles, Seed: rc.seed, Rounds: dl.Rounds}
		if med != nil {
			h.Mediator = proto.Name
		}
		if rc.dl.Time > 0 {
			h.Time = rc.dl.Time.String()
		}
		rw = record.NewWriter(w, sc.Space, h)
		cfg.Observer = rw
	}
	start := time.Now()
	res, err := sim.Run(ctx, cfg)
	if err != nil {
		return runResult{}, err
	}
	el := time.Since(start)
	if rw != nil {
		if err := rw.Close(key); err != nil {
			return runResult{}, fmt.Errorf("--trace: %w", err)
		}
	}
	return runResult{res: res, elapsed: el}, nil
}

// warmIndexes builds the parties' offer indexes (strategy.IndexOf, whose
// cache the strategies' Init then finds them in) on every core at once:
// with many parties they are most of a run's work before the first move,
// and Init builds them one after another. Errors are left for Init.
func warmIndexes(sc *scenario.Scenario) {
	if len(sc.Parties) < 3 || sc.Space.CheckEnumerable(strategy.MaxIndexed) != nil {
		return
	}
	work := make(chan *preference.Profile, len(sc.Parties))
	for _, p := range sc.Parties {
		work <- p.Profile
	}
	close(work)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(sc.Parties)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				strategy.IndexOf(sc.Space, p)
			}
		}()
	}
	wg.Wait()
}

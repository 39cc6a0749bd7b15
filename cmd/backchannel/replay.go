package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/record"
)

// replayCommand is 'backchannel record replay': verify a trace, run its
// negotiation again with parties that play back the recorded moves, and say
// whether the outcome and the trace come out the same.
func replayCommand() *cli.Command {
	return &cli.Command{
		Name:      "replay",
		Usage:     "verify a trace, replay its moves through the same protocol, and check that the outcome and the trace come out the same",
		ArgsUsage: "TRACE.jsonl",
		Description: "Verifies the trace's hash chain (and seal, if any), then runs the protocol the\n" +
			"trace names on the scenario with parties and a mediator that play back the\n" +
			"recorded moves. Prints the recorded and the replayed outcome and whether the\n" +
			"replay's trace is byte-identical to the recorded one (up to the seal). Exits 1\n" +
			"when they differ. Pass the scenario the trace was recorded on.\n\n" +
			"Example:\n  backchannel run --seed 7 --trace t.jsonl && backchannel record replay t.jsonl",
		Flags:  append(scenarioFlags(), &cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object"}),
		Action: replayAction,
	}
}

func replayAction(ctx context.Context, cmd *cli.Command) error {
	if cmd.NArg() != 1 {
		return usagef("record replay needs one TRACE file")
	}
	path := cmd.Args().First()
	sc, err := loadScenario(cmd)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sum, err := record.Verify(bytes.NewReader(data), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	h := sum.Header
	if h.Scenario != sc.ID || !slices.Equal(h.Parties, partyIDs(sc)) {
		return usagef("%s: recorded on scenario %q (parties %s); --scenario gives %q (parties %s): pass the scenario the trace was recorded on",
			path, h.Scenario, strings.Join(h.Parties, ", "), sc.ID, strings.Join(partyIDs(sc), ", "))
	}
	l, err := record.Read(bytes.NewReader(data), sc.Space)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	proto, err := protocol.Lookup(h.Protocol)
	if err != nil {
		return fmt.Errorf("%s: header: protocol: %w", path, err)
	}
	rep, err := record.Replay(ctx, l, proto.New())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if cmd.Bool("json") {
		if err := writeJSON(os.Stdout, replayJSON(path, l, rep)); err != nil {
			return err
		}
	} else {
		printReplay(os.Stdout, path, l, rep)
	}
	if !rep.SameOutcome || !rep.SameTrace {
		return fmt.Errorf("%s: the replay does not reproduce the trace", path)
	}
	return nil
}

// replayReport is what 'record replay --json' prints.
type replayReport struct {
	Trace       string            `json:"trace"`
	Signed      bool              `json:"signed"`
	Scenario    string            `json:"scenario"`
	Protocol    string            `json:"protocol"`
	Seed        uint64            `json:"seed"`
	Recorded    string            `json:"recorded_status"`
	Replayed    string            `json:"replayed_status"`
	Agreement   map[string]string `json:"replayed_agreement,omitempty"`
	Rounds      int               `json:"replayed_rounds"`
	Steps       int               `json:"replayed_steps"`
	Events      int               `json:"events"`
	SameOutcome bool              `json:"same_outcome"`
	SameTrace   bool              `json:"same_trace"`
	Diff        string            `json:"first_difference,omitempty"`
	Divergence  string            `json:"first_divergence,omitempty"`
}

func replayJSON(path string, l *record.Log, rep *record.Replayed) replayReport {
	r := replayReport{Trace: path, Signed: l.Signed, Scenario: l.Header.Scenario, Protocol: l.Header.Protocol, Seed: l.Header.Seed,
		Recorded: rep.Recorded.Status.String(), Replayed: rep.Result.Status.String(), Rounds: rep.Result.Rounds, Steps: rep.Result.Steps,
		Events: len(l.Events), SameOutcome: rep.SameOutcome, SameTrace: rep.SameTrace}
	if rep.Result.Agreement != nil {
		r.Agreement = l.Space.Map(rep.Result.Agreement)
	}
	if !rep.SameTrace {
		r.Diff = rep.Diff
	}
	if rep.Err != nil {
		r.Divergence = rep.Err.Error()
	}
	return r
}

func printReplay(w io.Writer, path string, l *record.Log, rep *record.Replayed) {
	h := l.Header
	seal := "not sealed"
	if l.Signed {
		seal = fmt.Sprintf("sealed by %x", l.Key)
	}
	fmt.Fprintf(w, "%s: chain intact, %d lines, %s\n", path, l.Lines, seal)
	var parties []string
	for i, p := range h.Parties {
		if i < len(h.Roles) {
			p += " (" + h.Roles[i] + ")"
		}
		parties = append(parties, p)
	}
	var dls []string
	if h.Rounds > 0 {
		dls = append(dls, fmt.Sprintf("%d rounds", h.Rounds))
	}
	if h.Time != "" {
		dls = append(dls, h.Time)
	}
	dl := strings.Join(dls, ", ")
	fmt.Fprintf(w, "negotiation: %s, %s, seed %d, deadline %s; %s\n", h.Scenario, h.Protocol, h.Seed, dl, strings.Join(parties, ", "))
	rec := rep.Recorded
	fmt.Fprintf(w, "recorded:    %s\n", describeEnd(l.Space, h.Parties, rec.Status, rec.Agreement, rec.Party, rec.Reason))
	res := rep.Result
	who := mechanism.Nobody
	if res.Fault != nil {
		who = res.Fault.Party
	}
	fmt.Fprintf(w, "replayed:    %s after %d rounds, %d steps\n", describeEnd(l.Space, h.Parties, res.Status, res.Agreement, who, res.Reason), res.Rounds, res.Steps)
	if rep.SameOutcome {
		fmt.Fprintln(w, "outcome:     same as recorded")
	} else {
		fmt.Fprintln(w, "outcome:     DIFFERS from the recorded one")
	}
	if rep.SameTrace {
		fmt.Fprintf(w, "trace:       byte-identical (%d events)\n", len(l.Events))
	} else {
		fmt.Fprintf(w, "trace:       DIFFERS at %s\n", rep.Diff)
	}
	if rep.Err != nil {
		fmt.Fprintf(w, "first divergence: %v\n", rep.Err)
	}
}

// describeEnd says in words how a negotiation ended.
func describeEnd(sp *outcome.Space, parties []string, st mechanism.Status, agreement outcome.Outcome, party int, reason string) string {
	switch st {
	case mechanism.Agreement:
		kv := make([]string, len(agreement))
		for i, v := range agreement {
			kv[i] = sp.Issues[i].Name + "=" + sp.Issues[i].Values[v]
		}
		return "agreement {" + strings.Join(kv, ", ") + "}"
	case mechanism.Failed:
		who := "the mediator"
		if party >= 0 && party < len(parties) {
			who = parties[party]
		}
		first, _, _ := strings.Cut(reason, "\n")
		return fmt.Sprintf("failed: %s at fault (%s)", who, first)
	}
	first, _, _ := strings.Cut(reason, "\n")
	return "no agreement (" + first + ")"
}

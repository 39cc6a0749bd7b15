package record_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/record"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
)

// genScenario draws a small outcome space (1–3 issues of 2–4 values, with a
// feasibility rule when there are two issues or more) and one random linear
// profile per party.
func genScenario(t *rapid.T, parties int) (*outcome.Space, []*preference.Profile) {
	k := rapid.IntRange(1, 3).Draw(t, "issues")
	issues := make([]outcome.Issue, k)
	for i := range issues {
		vals := make([]string, rapid.IntRange(2, 4).Draw(t, "values"))
		for v := range vals {
			vals[v] = fmt.Sprintf("v%d", v)
		}
		issues[i] = outcome.NewDiscrete(fmt.Sprintf("i%d", i), vals...)
	}
	var rules []outcome.Rule
	if k >= 2 && rapid.Bool().Draw(t, "rule") {
		cond := func(issue int) outcome.Condition {
			allowed := make([]bool, issues[issue].Len())
			allowed[0] = true
			return outcome.Condition{Issue: issue, Allowed: allowed}
		}
		rules = append(rules, outcome.Rule{Name: "r", If: []outcome.Condition{cond(0)}, Then: []outcome.Condition{cond(1)}})
	}
	sp, err := outcome.NewSpace(issues, rules)
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]*preference.Profile, parties)
	for p := range ps {
		prof := &preference.Profile{Name: fmt.Sprintf("p%d", p), Reservation: rapid.Float64Range(0, 0.4).Draw(t, "reservation")}
		var sum float64
		for i := range issues {
			ev := make([]float64, issues[i].Len())
			for v := range ev {
				ev[v] = rapid.Float64Range(0, 1).Draw(t, "eval")
			}
			w := rapid.Float64Range(0.05, 1).Draw(t, "weight")
			sum += w
			prof.Issues = append(prof.Issues, preference.IssueUtility{Weight: w, Eval: ev})
		}
		for i := range prof.Issues {
			prof.Issues[i].Weight /= sum
		}
		if err := prof.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		ps[p] = prof
	}
	return sp, ps
}

// tb is what the helpers need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
}

// run is one negotiation to record.
type run struct {
	proto    protocol.Protocol
	sp       *outcome.Space
	profiles []*preference.Profile
	parties  []mechanism.Party
	roles    []string
	dl       mechanism.Deadline
	seed     uint64
}

func (r *run) header() record.Header {
	h := record.Header{Scenario: "random", Protocol: r.proto.Name, Roles: r.roles, Seed: r.seed, Rounds: r.dl.Rounds}
	for i := range r.parties {
		h.Parties = append(h.Parties, fmt.Sprintf("p%d", i))
	}
	if r.proto.Mediator != nil {
		h.Mediator = r.proto.Name
	}
	if r.dl.Time > 0 {
		h.Time = r.dl.Time.String()
	}
	return h
}

// record runs r with its own parties and a trace, as 'backchannel run' does.
func (r *run) record(t tb) (mechanism.Result, []byte) {
	t.Helper()
	med, confidential := r.proto.NewMediator()
	var buf bytes.Buffer
	w := record.NewWriter(&buf, r.sp, r.header())
	res, err := sim.Run(context.Background(), &sim.Config{Mechanism: r.proto.New(), Space: r.sp, Profiles: r.profiles,
		Parties: r.parties, Mediator: med, Confidential: confidential, Deadline: r.dl, Seed: r.seed, Observer: w})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return res, buf.Bytes()
}

// replayPlain runs the same mechanism through sim.Run with the replaying
// parties only (no wrapper), writing a new trace.
func (r *run) replayPlain(t tb, l *record.Log) (mechanism.Result, []byte, error) {
	t.Helper()
	rp := record.NewReplayer(l)
	var buf bytes.Buffer
	w := record.NewWriter(&buf, r.sp, r.header())
	cfg := &sim.Config{Mechanism: r.proto.New(), Space: r.sp, Profiles: make([]*preference.Profile, len(r.parties)),
		Parties: rp.Parties(), Deadline: r.dl, Seed: r.seed, Observer: w}
	if r.proto.Mediator != nil {
		cfg.Mediator = rp.Mediator()
	}
	res, err := sim.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return res, buf.Bytes(), rp.Err()
}

func sameResult(a, b mechanism.Result) string {
	switch {
	case a.Status != b.Status:
		return fmt.Sprintf("status %v, want %v", a.Status, b.Status)
	case !a.Agreement.Equal(b.Agreement):
		return fmt.Sprintf("agreement %v, want %v", a.Agreement, b.Agreement)
	case a.Rounds != b.Rounds || a.Steps != b.Steps:
		return fmt.Sprintf("%d rounds %d steps, want %d rounds %d steps", a.Rounds, a.Steps, b.Rounds, b.Steps)
	case a.Reason != b.Reason:
		return fmt.Sprintf("reason %q, want %q", a.Reason, b.Reason)
	case (a.Fault == nil) != (b.Fault == nil) || a.Fault != nil && a.Fault.Party != b.Fault.Party:
		return fmt.Sprintf("fault %+v, want %+v", a.Fault, b.Fault)
	}
	return ""
}

// TestReplayReproducesRandomNegotiations is the property of issue 2: a
// replayed trace gives the same outcome. For random small scenarios,
// strategies and seeds under every registered protocol (direct and
// indirect: sao, shuttle/relay, single-text/annealer, …), the replaying
// parties under the same mechanism give the same Result and a
// byte-identical trace, both through plain sim.Run and through Replay.
func TestReplayReproducesRandomNegotiations(t *testing.T) {
	names := strategy.Names()
	for _, pname := range protocol.Names() {
		proto, err := protocol.Lookup(pname)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(pname, func(t *testing.T) { rapid.Check(t, replaysExactly(proto, names)) })
	}
}

// replaysExactly is the property for one protocol.
func replaysExactly(proto protocol.Protocol, names []string) func(*rapid.T) {
	return func(t *rapid.T) {
		n := 2
		if rapid.IntRange(0, 4).Draw(t, "multilateral") == 0 {
			n = 3
		}
		sp, profiles := genScenario(t, n)
		r := &run{proto: proto, sp: sp, profiles: profiles, seed: rapid.Uint64().Draw(t, "seed"),
			dl: mechanism.Deadline{Rounds: proto.Rounds(rapid.IntRange(1, 30).Draw(t, "rounds"))}}
		for range n {
			name := rapid.SampledFrom(names).Draw(t, "strategy")
			a, err := strategy.New(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			r.parties = append(r.parties, proto.Wrap(a))
			r.roles = append(r.roles, name)
		}
		res, trace := r.record(t)

		l, err := record.Read(bytes.NewReader(trace), sp)
		if err != nil {
			t.Fatalf("Read: %v\n%s", err, trace)
		}
		got, again, err := r.replayPlain(t, l)
		if err != nil {
			t.Fatalf("plain replay: %v", err)
		}
		if why := sameResult(got, res); why != "" {
			t.Fatalf("plain replay: %s\n%s", why, trace)
		}
		if !bytes.Equal(again, trace) {
			t.Fatalf("plain replay: trace differs\nwant:\n%s\ngot:\n%s", trace, again)
		}

		rep, err := record.Replay(context.Background(), l, proto.New())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Err != nil || !rep.SameOutcome || !rep.SameTrace {
			t.Fatalf("Replay: err %v, same outcome %v, same trace %v (%s)", rep.Err, rep.SameOutcome, rep.SameTrace, rep.Diff)
		}
		if why := sameResult(rep.Result, res); why != "" {
			t.Fatalf("Replay: %s", why)
		}
		end, err := l.Ending()
		if err != nil || end.Status != res.Status || !end.Agreement.Equal(res.Agreement) {
			t.Fatalf("Ending = %+v, %v; result %+v", end, err, res)
		}
	}
}

// scripted is a test party whose move is a function of the request.
type scripted struct {
	init func() error
	act  func(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer
}

func (s *scripted) Init(*mechanism.Setup) error {
	if s.init != nil {
		return s.init()
	}
	return nil
}

func (s *scripted) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	return s.act(c, r)
}

func fixedSpace(t *testing.T) *outcome.Space {
	t.Helper()
	sp, err := outcome.NewSpace([]outcome.Issue{outcome.NewDiscrete("x", "a", "b", "c"), outcome.NewDiscrete("y", "a", "b")},
		[]outcome.Rule{{Name: "x=c needs y=a",
			If:   []outcome.Condition{{Issue: 0, Allowed: []bool{false, false, true}}},
			Then: []outcome.Condition{{Issue: 1, Allowed: []bool{true, false}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// haggler offers (0,0) and rejects until round r, then accepts.
func haggler(r int) *scripted {
	return &scripted{act: func(c *mechanism.Clock, req *mechanism.Request) mechanism.Answer {
		switch {
		case req.Kind == mechanism.Respond && c.Round >= r:
			return mechanism.Answer{Kind: mechanism.Accept}
		case req.Kind == mechanism.Respond:
			return mechanism.Answer{Kind: mechanism.Reject}
		}
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{0, 0}}
	}}
}

// after plays haggler until round r, then makes move.
func after(r int, move mechanism.Answer) *scripted {
	h := haggler(1 << 30)
	return &scripted{act: func(c *mechanism.Clock, req *mechanism.Request) mechanism.Answer {
		if c.Round >= r {
			return move
		}
		return h.act(c, req)
	}}
}

// crasher plays haggler until round r, then panics.
func crasher(r int) *scripted {
	h := haggler(1 << 30)
	return &scripted{act: func(c *mechanism.Clock, req *mechanism.Request) mechanism.Answer {
		if c.Round >= r {
			panic("party crashed")
		}
		return h.act(c, req)
	}}
}

// TestReplayFaultsAndTime replays what a party cannot decide alone: faults
// the mechanism finds, faults the driver records, failed Inits, and the end
// at a time deadline. Replay reproduces each exactly; plain replaying
// parties reproduce the outcome.
func TestReplayFaultsAndTime(t *testing.T) {
	sp := fixedSpace(t)
	sao, _ := protocol.Lookup("sao")
	slow := &scripted{act: func(c *mechanism.Clock, req *mechanism.Request) mechanism.Answer {
		time.Sleep(300 * time.Microsecond)
		return haggler(1<<30).act(c, req)
	}}
	shuttle, _ := protocol.Lookup("shuttle/relay")
	moves := 0
	// editor holds the first offer it is asked to relay, replaces the
	// second with its own package, and relays the rest.
	shuttle.Mediator = func() mechanism.Party {
		return &scripted{act: func(c *mechanism.Clock, req *mechanism.Request) mechanism.Answer {
			moves++
			switch moves {
			case 1:
				return mechanism.Answer{Kind: mechanism.Reject}
			case 2:
				return mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{1, 0}}
			}
			return mechanism.Answer{Kind: mechanism.Accept}
		}}
	}
	tests := []struct {
		name       string
		a, b       mechanism.Party
		dl         mechanism.Deadline
		status     mechanism.Status
		plainTrace bool // plain replaying parties also give the same trace
		proto      *protocol.Protocol
	}{
		{"shuttle hold and package", haggler(6), haggler(4), mechanism.Deadline{Rounds: 10}, mechanism.Agreement, true, &shuttle},
		{"agreement", haggler(9), haggler(3), mechanism.Deadline{Rounds: 10}, mechanism.Agreement, true, nil},
		{"round deadline", haggler(99), haggler(99), mechanism.Deadline{Rounds: 5}, mechanism.NoAgreement, true, nil},
		{"walk-away", haggler(9), after(2, mechanism.Answer{Kind: mechanism.End}), mechanism.Deadline{Rounds: 10}, mechanism.NoAgreement, true, nil},
		{"invalid offer", haggler(9), after(2, mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{7, 0}}), mechanism.Deadline{Rounds: 10}, mechanism.Failed, true, nil},
		{"infeasible offer", haggler(9), after(2, mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{2, 1}}), mechanism.Deadline{Rounds: 10}, mechanism.Failed, true, nil},
		{"wrong answer", haggler(9), after(2, mechanism.Answer{Kind: mechanism.Better}), mechanism.Deadline{Rounds: 10}, mechanism.Failed, true, nil},
		{"panic", haggler(9), crasher(2), mechanism.Deadline{Rounds: 10}, mechanism.Failed, false, nil},
		{"init error", haggler(9), &scripted{init: func() error { return errors.New("no profile") }}, mechanism.Deadline{Rounds: 10}, mechanism.Failed, true, nil},
		{"init panic", &scripted{init: func() error { panic("boom") }}, haggler(9), mechanism.Deadline{Rounds: 10}, mechanism.Failed, true, nil},
		{"time deadline", slow, slow, mechanism.Deadline{Time: 15 * time.Millisecond}, mechanism.NoAgreement, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proto := sao
			if tc.proto != nil {
				proto = *tc.proto
			}
			r := &run{proto: proto, sp: sp, profiles: make([]*preference.Profile, 2), parties: []mechanism.Party{tc.a, tc.b},
				roles: []string{"a", "b"}, dl: tc.dl, seed: 3}
			res, trace := r.record(t)
			if res.Status != tc.status {
				t.Fatalf("recorded %v (%s), want %v", res.Status, res.Reason, tc.status)
			}
			l, err := record.Read(bytes.NewReader(trace), sp)
			if err != nil {
				t.Fatal(err)
			}
			if tc.proto != nil && !strings.Contains(string(trace), `"kind":"hold"`) || tc.proto != nil && !strings.Contains(string(trace), `"kind":"package"`) {
				t.Fatalf("the mediator neither held nor replaced an offer:\n%s", trace)
			}
			rep, err := record.Replay(context.Background(), l, proto.New())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Err != nil || !rep.SameOutcome || !rep.SameTrace {
				t.Fatalf("Replay: err %v, same outcome %v, same trace %v (%s)\n%s", rep.Err, rep.SameOutcome, rep.SameTrace, rep.Diff, trace)
			}
			if rep.Result.Status != res.Status || rep.Result.Reason != res.Reason || rep.Result.Steps != res.Steps {
				t.Fatalf("Replay result %+v, recorded %+v", rep.Result, res)
			}
			if tc.dl.Time > 0 {
				return // plain parties cannot end a negotiation at a time deadline
			}
			got, again, _ := r.replayPlain(t, l)
			if got.Status != res.Status || (got.Fault == nil) != (res.Fault == nil) || got.Fault != nil && got.Fault.Party != res.Fault.Party {
				t.Fatalf("plain replay %+v, recorded %+v", got, res)
			}
			if tc.plainTrace && !bytes.Equal(again, trace) {
				t.Fatalf("plain replay: trace differs\nwant:\n%s\ngot:\n%s", trace, again)
			}
		})
	}
}

// TestReplayDetectsDivergence replays a log whose protocol is not the one
// that made it: the replay must say so, not claim a match.
func TestReplayDetectsDivergence(t *testing.T) {
	sp := fixedSpace(t)
	sao, _ := protocol.Lookup("sao")
	r := &run{proto: sao, sp: sp, profiles: make([]*preference.Profile, 2), parties: []mechanism.Party{haggler(9), haggler(3)},
		roles: []string{"a", "b"}, dl: mechanism.Deadline{Rounds: 10}, seed: 1}
	_, trace := r.record(t)
	l, err := record.Read(bytes.NewReader(trace), sp)
	if err != nil {
		t.Fatal(err)
	}
	l.Header.Mediator = "shuttle/relay"
	rep, err := record.Replay(context.Background(), l, mechanism.NewShuttle())
	if err != nil {
		t.Fatal(err)
	}
	if rep.SameTrace || rep.Err == nil || rep.Diff == "" {
		t.Fatalf("replay under another protocol claims a match: %+v", rep)
	}
}

func TestReadErrors(t *testing.T) {
	sp := fixedSpace(t)
	sao, _ := protocol.Lookup("sao")
	r := &run{proto: sao, sp: sp, profiles: make([]*preference.Profile, 2), parties: []mechanism.Party{haggler(9), haggler(3)},
		roles: []string{"a", "b"}, dl: mechanism.Deadline{Rounds: 10}, seed: 1}
	_, trace := r.record(t)
	other, err := outcome.NewSpace([]outcome.Issue{outcome.NewDiscrete("x", "a", "b", "c"), outcome.NewDiscrete("y", "b", "c")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		log  string
		sp   *outcome.Space
		want string
	}{
		{"edited", strings.Replace(string(trace), `"x":"a"`, `"x":"b"`, 1), sp, "content does not match"},
		{"other scenario", string(trace), other, `line 2: outcome: issue "y": unknown value "a"`},
		{"truncated", strings.Join(strings.SplitAfter(string(trace), "\n")[:3], ""), sp, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := record.Read(strings.NewReader(tc.log), tc.sp)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := l.Ending(); !errors.Is(err, record.ErrUnfinished) {
					t.Fatalf("Ending of a cut log: %v, want ErrUnfinished", err)
				}
				if _, err := record.Replay(context.Background(), l, sao.New()); !errors.Is(err, record.ErrUnfinished) {
					t.Fatalf("Replay of a cut log: %v, want ErrUnfinished", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzRead feeds Read arbitrary bytes: it must return a log or an error,
// never panic, and a log it returns must have parsable events.
func FuzzRead(f *testing.F) {
	sp, err := outcome.NewSpace([]outcome.Issue{outcome.NewDiscrete("x", "a", "b", "c"), outcome.NewDiscrete("y", "a", "b")}, nil)
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	w := record.NewWriter(&buf, sp, record.Header{Scenario: "s", Protocol: "sao", Parties: []string{"p", "q"}, Seed: 1, Rounds: 3})
	w.Observe(&mechanism.Event{Step: 1, Party: 0, Kind: "offer", Outcome: outcome.Outcome{1, 1}})
	w.Observe(&mechanism.Event{Step: 2, Party: 1, Kind: "accept", To: []int{1, mechanism.MediatorRole}})
	w.Observe(&mechanism.Event{Step: 2, Party: mechanism.Nobody, Kind: "agreement", Outcome: outcome.Outcome{1, 1}, Note: "accepted by all"})
	if err := w.Close(nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := record.Read(bytes.NewReader(data), sp)
		if err != nil {
			return
		}
		for _, e := range l.Events {
			if e.Outcome != nil && !sp.Valid(e.Outcome) {
				t.Fatalf("Read returned an invalid outcome %v", e.Outcome)
			}
		}
		_, _ = l.Ending()
	})
}

package tournament

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/sqlite"
)

func TestCompileCounts(t *testing.T) {
	env := testEnv(t)
	cases := []struct {
		name string
		plan Plan
		want int
	}{
		{"three strategies both roles", Plan{Strategies: []string{"linear", "boulware", "conceder"}, Scenarios: []string{"small"}, Repetitions: 2}, 3 * 2 * 2},
		{"self-play", Plan{Strategies: []string{"linear", "boulware", "conceder"}, Scenarios: []string{"small"}, Repetitions: 2, SelfPlay: true}, 9 * 2},
		{"three parties", Plan{Strategies: []string{"linear", "boulware", "conceder"}, Scenarios: []string{"three"}}, 6},
		{"two scenarios", Plan{Strategies: []string{"linear", "boulware"}, Scenarios: []string{"small", "three"}, SelfPlay: true}, 4 + 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := compile(t, env, c.plan)
			if len(tr.Jobs) != c.want {
				t.Fatalf("%d jobs, want %d", len(tr.Jobs), c.want)
			}
			ids := map[string]bool{}
			for _, j := range tr.Jobs {
				if ids[j.ID] {
					t.Fatalf("duplicate job id %s", j.ID)
				}
				ids[j.ID] = true
				if !c.plan.SelfPlay {
					seen := map[string]bool{}
					for _, s := range j.Strategies {
						if seen[s] {
							t.Fatalf("job %s pairs %s with itself without self_play", j.ID, s)
						}
						seen[s] = true
					}
				}
			}
		})
	}
}

func TestJobIDsStable(t *testing.T) {
	env := testEnv(t)
	p := Plan{Strategies: []string{"linear", "boulware:e=0.1", "conceder"}, Scenarios: []string{"small"}, Repetitions: 3, Seed: 7}
	a, b := compile(t, env, p), compile(t, env, p)
	if a.ID != b.ID || len(a.Jobs) != len(b.Jobs) {
		t.Fatalf("plan ids differ: %s vs %s", a.ID, b.ID)
	}
	for i := range a.Jobs {
		if !reflect.DeepEqual(a.Jobs[i], b.Jobs[i]) {
			t.Fatalf("job %d differs between compiles:\n%+v\n%+v", i, a.Jobs[i], b.Jobs[i])
		}
		if a.Jobs[i].ID != a.Jobs[i].computeID() {
			t.Fatalf("job %d: id is not the hash of its content", i)
		}
	}
	// Reordering the strategies changes neither ids nor seeds of the jobs.
	p2 := p
	p2.Strategies = []string{"conceder", "linear", "boulware:e=0.1"}
	c := compile(t, env, p2)
	ids := map[string]uint64{}
	for _, j := range a.Jobs {
		ids[j.ID] = j.Seed
	}
	for _, j := range c.Jobs {
		if seed, ok := ids[j.ID]; !ok || seed != j.Seed {
			t.Fatalf("reordered plan has a new job %s (%v)", j.ID, j.Strategies)
		}
	}
	// Another seed gives other jobs.
	p3 := p
	p3.Seed = 8
	for _, j := range compile(t, env, p3).Jobs {
		if _, ok := ids[j.ID]; ok {
			t.Fatalf("seed 8 reuses job id %s of seed 7", j.ID)
		}
	}
}

// TestJobIDsGolden pins the ids of a sao plan to the values they had before
// tournaments moved to the shared protocol registry: results stored by an
// earlier version resume under the same ids.
func TestJobIDsGolden(t *testing.T) {
	p := Plan{Strategies: []string{"linear", "boulware:e=0.1", "conceder"}, Scenarios: []string{"small"}, Repetitions: 2, Seed: 7}
	for _, protos := range [][]string{nil, {"sao"}, {"direct"}} {
		p.Protocols = protos
		tr := compile(t, testEnv(t), p)
		if tr.ID != "43065c8084687044" {
			t.Errorf("protocols %v: plan id %s, want 43065c8084687044", protos, tr.ID)
		}
		want := []struct {
			id   string
			seed uint64
		}{
			{"a011be081e2c4b0a0b58d245046453ca", 12670605830575967046},
			{"da9ac7897cd90f75414d367802b03e61", 15842512717832082327},
			{"9070da180fc785414fdf010d75bc7c9b", 7804618735391053026},
		}
		for i, w := range want {
			if j := tr.Jobs[i]; j.ID != w.id || j.Seed != w.seed {
				t.Errorf("protocols %v: job %d is %s (seed %d), want %s (seed %d)", protos, i, j.ID, j.Seed, w.id, w.seed)
			}
		}
	}
}

func TestPlanErrorsListsAll(t *testing.T) {
	env := testEnv(t)
	p := Plan{
		Strategies:  []string{"linear", "nosuch", "boulware:e=5", "conceder:e"},
		Scenarios:   []string{"small", "missing-file.yaml", "three"},
		Protocols:   []string{"sao", "telepathy", "direct"},
		Repetitions: -1, DeadlineRounds: -3,
	}
	_, err := Compile(context.Background(), env, p)
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("want *PlanError, got %v", err)
	}
	for _, want := range []string{"repetitions -1", "deadline_rounds -3", `"nosuch"`, "boulware:e=5", "conceder:e", "missing-file.yaml", `"telepathy"`, `"direct" is listed twice (it is sao)`, `"three" has 3 parties but only 1`} {
		found := false
		for _, pr := range pe.Problems {
			found = found || strings.Contains(pr, want)
		}
		if !found {
			t.Errorf("no problem mentions %s; got:\n%v", want, err)
		}
	}
}

func TestImpossibleProtocol(t *testing.T) {
	env := testEnv(t)
	env.Protocol = func(name string) (protocol.Protocol, error) {
		pr, err := protocol.Lookup("sao")
		if name == "bilateral" {
			pr.Name, pr.MaxParties = "bilateral", 2
		}
		return pr, err
	}
	_, err := Compile(context.Background(), env, Plan{Strategies: []string{"linear", "boulware", "conceder"}, Scenarios: []string{"three"}, Protocols: []string{"bilateral"}})
	if err == nil || !strings.Contains(err.Error(), `protocol "bilateral" cannot run scenario "three"`) {
		t.Fatalf("want a party-count problem, got %v", err)
	}
}

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func results(t testing.TB, st store.Store) map[string]*store.Result {
	t.Helper()
	out := map[string]*store.Result{}
	if err := st.Scan(context.Background(), "", func(r *store.Result) error {
		if out[r.JobID] != nil {
			t.Fatalf("job %s stored twice", r.JobID)
		}
		out[r.JobID] = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFaultIsolation(t *testing.T) {
	env := testEnv(t)
	p := Plan{Strategies: []string{"linear", "panicker", "hanger", "breaker"}, Scenarios: []string{"small"},
		MoveTime: 100 * time.Millisecond, DeadlineRounds: 50}
	tr := compile(t, env, p)
	st := openStore(t)
	pg, err := Run(context.Background(), tr, st, env, Options{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if pg.Done != len(tr.Jobs) {
		t.Fatalf("done %d of %d", pg.Done, len(tr.Jobs))
	}
	rs := results(t, st)
	if len(rs) != len(tr.Jobs) {
		t.Fatalf("%d results for %d jobs", len(rs), len(tr.Jobs))
	}
	for _, r := range rs {
		bad := map[string]string{"panicker": "panic", "hanger": "", "breaker": ""}
		var culprits []int
		for i, s := range r.Strategies {
			if _, ok := bad[s]; ok {
				culprits = append(culprits, i)
			}
		}
		if len(culprits) == 0 {
			continue
		}
		if r.Status != "failed" {
			t.Errorf("%v: status %q, want failed", r.Strategies, r.Status)
			continue
		}
		// The first misbehaving party to act is the one at fault: with two
		// culprits, whoever acts first in SAO (party 0 proposes first).
		idx := -1
		for i, s := range r.Strategies {
			if s == r.FaultStrategy && r.Roles[i] == r.FaultRole {
				idx = i
			}
		}
		if idx < 0 || r.FaultStrategy == "linear" {
			t.Errorf("%v: fault attributed to %s/%s: %s", r.Strategies, r.FaultRole, r.FaultStrategy, r.Fault)
		}
		if r.FaultStrategy == "panicker" && !strings.Contains(r.Fault, "panic") {
			t.Errorf("panicker's fault reads %q", r.Fault)
		}
		if r.FaultStrategy == "hanger" && !strings.Contains(r.Fault, "move took") && !strings.Contains(r.Fault, "no answer") {
			t.Errorf("hanger's fault reads %q", r.Fault)
		}
		if r.Utilities[idx] != math.Min(0, []float64{0.3, 0.25}[idx]) {
			t.Errorf("party at fault scores %v", r.Utilities[idx])
		}
	}
}

func TestDeterministicBySeed(t *testing.T) {
	env := testEnv(t)
	p := Plan{Strategies: []string{"linear", "boulware", "conceder", "random", "frequency"}, Scenarios: []string{"small"}, Repetitions: 2, Seed: 3, DeadlineRounds: 40}
	tr := compile(t, env, p)
	a, b := openStore(t), openStore(t)
	if _, err := Run(context.Background(), tr, a, env, Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), tr, b, env, Options{Workers: 3, Batch: 3}); err != nil {
		t.Fatal(err)
	}
	ra, rb := results(t, a), results(t, b)
	agreements := 0
	for id, x := range ra {
		y := rb[id]
		if y == nil {
			t.Fatalf("job %s missing from second run", id)
		}
		x.Elapsed, y.Elapsed = 0, 0
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("job %s differs:\n%+v\n%+v", id, x, y)
		}
		if x.Status == "agreement" {
			agreements++
			if x.ParetoDistance < 0 || math.IsNaN(x.ParetoDistance) || math.IsNaN(x.NashDistance) {
				t.Fatalf("job %s: distances %v %v", id, x.ParetoDistance, x.NashDistance)
			}
		}
	}
	if agreements == 0 {
		t.Fatal("no agreement in the whole tournament: the fixture is broken")
	}
}

func TestResumeStoresOnce(t *testing.T) {
	env := testEnv(t)
	p := Plan{Strategies: []string{"linear", "boulware", "conceder"}, Scenarios: []string{"small"}, Repetitions: 4, DeadlineRounds: 30}
	tr := compile(t, env, p)
	st := openStore(t)
	// A first run cancelled early stores part of the jobs.
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := Run(ctx, tr, st, env, Options{Workers: 2, Batch: 2, Progress: func(pg Progress) {
		if n++; pg.Done >= 4 {
			cancel()
		}
	}})
	if err == nil {
		t.Log("first run finished before the cancellation took effect")
	}
	first, _ := st.Count(context.Background())
	pg, err := Run(context.Background(), tr, st, env, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if pg.Skipped != first || pg.Done != len(tr.Jobs) {
		t.Fatalf("resume: skipped %d (stored %d), done %d of %d", pg.Skipped, first, pg.Done, len(tr.Jobs))
	}
	if got := len(results(t, st)); got != len(tr.Jobs) {
		t.Fatalf("%d results for %d jobs", got, len(tr.Jobs))
	}
	// Storing the same results again adds nothing.
	var all []store.Result
	for _, r := range results(t, st) {
		all = append(all, *r)
	}
	added, err := st.Put(context.Background(), all)
	if err != nil || added != 0 {
		t.Fatalf("re-Put added %d (err %v)", added, err)
	}
}

// TestProtocols runs one tournament over direct, indirect and reference
// protocols of the registry (named by registry name and by alias) plus
// "shuttle/panicky", whose mediator panics: every job is stored under its
// protocol's registry name, the panicking mediator's negotiations fail with
// the fault attributed to the mediator, and no other negotiation fails.
func TestProtocols(t *testing.T) {
	env := testEnv(t)
	protos := []string{"direct", "shuttle/relay", "single-text/annealer", "feedback", "sao+post-settlement", "arbitration", "shuttle/panicky"}
	names := []string{"sao", "shuttle/relay", "single-text/annealer", "feedback/learner", "sao+post-settlement", "arbitration", "shuttle/panicky"}
	p := Plan{Strategies: []string{"linear", "boulware", "conceder"}, Scenarios: []string{"small"}, Protocols: protos,
		Repetitions: 2, Seed: 4, DeadlineRounds: 30}
	tr := compile(t, env, p)
	perProto := 3 * 2 * 2
	if len(tr.Jobs) != perProto*len(protos) {
		t.Fatalf("%d jobs, want %d", len(tr.Jobs), perProto*len(protos))
	}
	for _, j := range tr.Jobs {
		pr, err := protocol.Lookup(j.Protocol)
		if j.Protocol == "shuttle/panicky" {
			pr, err = testProtocol(j.Protocol)
		}
		if err != nil {
			t.Fatal(err)
		}
		if j.Rounds != pr.Rounds(30) {
			t.Fatalf("%s job has deadline %d, want %d", j.Protocol, j.Rounds, pr.Rounds(30))
		}
	}
	st := openStore(t)
	pg, err := Run(context.Background(), tr, st, env, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if pg.Done != len(tr.Jobs) {
		t.Fatalf("done %d of %d", pg.Done, len(tr.Jobs))
	}
	type tally struct{ jobs, agreements, failed, mediatorFaults int }
	by := map[string]*tally{}
	for _, n := range names {
		by[n] = &tally{}
	}
	for _, r := range results(t, st) {
		c := by[r.Protocol]
		if c == nil {
			t.Fatalf("result stored under protocol %q, not a registry name of the plan", r.Protocol)
		}
		c.jobs++
		switch r.Status {
		case "agreement":
			c.agreements++
			if math.IsNaN(r.ParetoDistance) || r.ParetoDistance < 0 || math.IsNaN(r.NashDistance) {
				t.Errorf("%s: agreement with distances %v, %v", r.Protocol, r.ParetoDistance, r.NashDistance)
			}
		case "failed":
			c.failed++
		}
		if r.FaultRole == "mediator" {
			c.mediatorFaults++
			if r.FaultStrategy != r.Protocol || !strings.Contains(r.Fault, "panic") {
				t.Errorf("mediator fault attributed to %q: %s", r.FaultStrategy, r.Fault)
			}
			for i, u := range r.Utilities {
				if want := []float64{0.3, 0.25}[i]; u != want {
					t.Errorf("%s: party %d scores %v after the mediator's fault, want its reservation %v", r.Protocol, i, u, want)
				}
			}
		}
	}
	for _, n := range names {
		c := by[n]
		t.Logf("%-22s %d jobs, %d agreements, %d failed", n, c.jobs, c.agreements, c.failed)
		if c.jobs != perProto {
			t.Errorf("%s: %d results, want %d", n, c.jobs, perProto)
		}
		if n == "shuttle/panicky" {
			if c.failed != perProto || c.mediatorFaults != perProto {
				t.Errorf("%s: %d failed, %d mediator faults, want all %d", n, c.failed, c.mediatorFaults, perProto)
			}
			continue
		}
		if c.failed != 0 {
			t.Errorf("%s: %d negotiations failed", n, c.failed)
		}
		if c.agreements == 0 {
			t.Errorf("%s: no agreement at all on the small fixture", n)
		}
	}
}

package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/sqlite"
)

// TestTournamentProtocols runs 'tournament run' over direct, indirect and
// reference protocols of the registry and checks that the database holds
// every negotiation once, under each protocol's registry name.
func TestTournamentProtocols(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	protos := "sao,shuttle/relay,single-text/annealer,feedback/learner,sao+post-settlement,arbitration,shuttle"
	_, e, c := runCLI(t, "", "tournament", "run", "--strategies", "boulware,conceder", "--protocols", protos,
		"--repetitions", "2", "--deadline-rounds", "20", "--db", db)
	if c != 2 || !strings.Contains(e, `protocol "shuttle" is listed twice (it is shuttle/relay)`) {
		t.Fatalf("a protocol named twice (by alias): exit %d, stderr:\n%s", c, e)
	}
	protos = strings.TrimSuffix(protos, ",shuttle")
	_, e, c = runCLI(t, "", "tournament", "run", "--strategies", "boulware,conceder", "--protocols", protos,
		"--repetitions", "2", "--deadline-rounds", "20", "--db", db)
	if c != 0 {
		t.Fatalf("exit %d:\n%s", c, e)
	}
	if !strings.Contains(e, "24 negotiations") || !strings.Contains(e, "6 protocols") {
		t.Errorf("the plan line does not count 24 negotiations over 6 protocols:\n%s", e)
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	by := map[string]int{}
	if err := st.Scan(context.Background(), "", func(r *store.Result) error {
		by[r.Protocol]++
		if r.Fault != "" {
			t.Errorf("%s %v: fault %s/%s: %s", r.Protocol, r.Strategies, r.FaultRole, r.FaultStrategy, r.Fault)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Split(protos, ",") {
		if by[p] != 4 {
			t.Errorf("protocol %s: %d results, want 4 (stored: %v)", p, by[p], by)
		}
	}
}

// TestTournamentBadPlan: an unknown strategy, unknown protocols and the
// pairing they leave impossible are all listed before anything runs, and no
// database is written.
func TestTournamentBadPlan(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	_, e, c := runCLI(t, "", "tournament", "run", "--strategies", "boulware,nosuch", "--protocols", "sao,telepathy,single-text/nosuch",
		"--db", db)
	if c != 2 {
		t.Fatalf("exit %d, want 2:\n%s", c, e)
	}
	for _, want := range []string{"4 problems", `strategy "nosuch"`, `unknown protocol "telepathy"`, `unknown protocol "single-text/nosuch"`, "only 1 distinct strategies"} {
		if !strings.Contains(e, want) {
			t.Errorf("stderr lacks %q:\n%s", want, e)
		}
	}
	if m, _ := filepath.Glob(db + "*"); len(m) > 0 {
		t.Errorf("a rejected plan wrote %v", m)
	}
}

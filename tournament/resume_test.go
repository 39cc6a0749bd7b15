package tournament_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/sqlite"
	"github.com/backchannel/backchannel/strategy"
	"github.com/backchannel/backchannel/tournament"
)

// buildCLI builds the backchannel binary into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "backchannel")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/backchannel/backchannel/cmd/backchannel")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func count(t *testing.T, db string) int {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		return 0 // not created yet
	}
	defer st.Close()
	n, _ := st.Count(context.Background())
	return n
}

// killStrategies and killPlan are the tournament TestKillAndResume kills:
// 8 strategies, both roles, 6 repetitions (336 negotiations of up to 1,000
// rounds on the embedded scenario).
const killStrategies = "boulware,conceder,linear,hardliner,random,micro,tft-relative,frequency"

func killPlan() tournament.Plan {
	return tournament.Plan{Strategies: strings.Split(killStrategies, ","), Repetitions: 6, Seed: 11, DeadlineRounds: 1000}
}

// childEnv tells TestKillChild, in a subprocess, which database to write
// and how many negotiations it may start: "CAP DB".
const childEnv = "BACKCHANNEL_TOURNAMENT_KILL_CHILD"

// TestKillChild is the process TestKillAndResume kills; it skips unless run
// by it. It runs killPlan with tournament.Run (what 'tournament run' does,
// on 2 workers and in small batches so that the kill finds transactions
// under way) into the database it is given, but builds parties through a
// gate that lets it start only CAP negotiations and then blocks: the run
// cannot finish before the parent kills it, however fast the machine.
func TestKillChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("the subprocess of TestKillAndResume")
	}
	capStr, db, _ := strings.Cut(spec, " ")
	limit, err := strconv.Atoi(capStr)
	if err != nil {
		t.Fatalf("%s=%q: %v", childEnv, spec, err)
	}
	var armed atomic.Bool
	var parties atomic.Int64
	env := &tournament.Env{NewParty: func(s tournament.Spec) (mechanism.Party, error) {
		// Executor.Run builds a job's parties before its clock starts, so
		// a party held here is no fault of the strategy's.
		if armed.Load() && parties.Add(1) > int64(2*limit) {
			time.Sleep(2 * time.Minute)
			os.Exit(3) // never killed: the parent is gone
		}
		return strategy.New(s.Name, s.Params)
	}}
	tr, err := tournament.Compile(context.Background(), env, killPlan())
	if err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tournament.Run(context.Background(), tr, st, env, tournament.Options{Workers: 2, Batch: 8, FlushEvery: 10 * time.Millisecond})
	t.Fatalf("the run returned (%v) though its gate holds it", err)
}

// TestKillAndResume kills a tournament process with SIGKILL twice while it
// runs negotiations and writes results, then resumes with 'backchannel
// tournament run' and checks that the database ends with every job of the
// plan exactly once. The killed processes (TestKillChild) may start only a
// share of the plan, so they cannot finish first on a fast machine; each is
// killed when the store holds half of what it was allowed to add (or when
// it has stored all of it and waits at its gate), whichever the polling
// sees first.
func TestKillAndResume(t *testing.T) {
	bin := buildCLI(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	args := []string{"tournament", "run", "--strategies", killStrategies, "--repetitions", "6", "--seed", "11",
		"--deadline-rounds", "1000", "--workers", "2", "--db", db}
	tr, err := tournament.Compile(context.Background(), nil, killPlan())
	if err != nil {
		t.Fatal(err)
	}
	total := len(tr.Jobs)
	// Create the database first, so that the first child and the polling
	// do not both migrate a new file.
	st0, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st0.Close()

	for k, share := range []float64{0.3, 0.6} {
		before := count(t, db)
		limit := int(share*float64(total)) - before
		target := before + max(1, limit/2)
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %s", childEnv, limit, db))
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		deadline := time.Now().Add(time.Minute)
		n := before
	poll:
		for n < target && time.Now().Before(deadline) {
			select {
			case <-exited:
				break poll
			case <-time.After(2 * time.Millisecond):
				n = count(t, db)
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("kill %d: the subprocess was not killed by SIGKILL (%v):\n%s", k+1, cmd.ProcessState, out.String())
		}
		n = count(t, db)
		t.Logf("kill %d: %d of %d stored (this process was allowed %d, killed at ≥ %d)", k+1, n, total, limit, target)
		if n <= before || n >= total {
			t.Fatalf("kill %d: %d stored before, %d after, of %d", k+1, before, n, total)
		}
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("resumed run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "resuming:") {
		t.Errorf("resumed run did not say it resumed:\n%s", out)
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := map[string]bool{}
	for _, j := range tr.Jobs {
		want[j.ID] = true
	}
	seen := map[string]int{}
	err = st.Scan(context.Background(), "", func(r *store.Result) error {
		seen[r.JobID]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, k := range seen {
		if !want[id] {
			t.Errorf("stored job %s is not in the plan", id)
		}
		if k != 1 {
			t.Errorf("job %s stored %d times", id, k)
		}
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("job %s was lost", id)
		}
	}
	if len(seen) != total {
		t.Fatalf("%d results for %d jobs", len(seen), total)
	}
	_ = os.Remove(db)
}

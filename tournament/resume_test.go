package tournament_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/sqlite"
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

// TestKillAndResume kills a real tournament process with SIGKILL twice while
// it writes results, reruns the same command, and checks that the database
// ends with every job of the plan exactly once.
func TestKillAndResume(t *testing.T) {
	bin := buildCLI(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	strategies := "boulware,conceder,linear,hardliner,random,micro,tft-relative,frequency"
	args := []string{"tournament", "run", "--strategies", strategies, "--repetitions", "30", "--seed", "11",
		"--deadline-rounds", "1000", "--workers", "1", "--db", db}
	plan := tournament.Plan{Strategies: strings.Split(strategies, ","), Repetitions: 30, Seed: 11, DeadlineRounds: 1000}
	tr, err := tournament.Compile(context.Background(), nil, plan)
	if err != nil {
		t.Fatal(err)
	}
	total := len(tr.Jobs)

	for range 2 {
		killAt := count(t, db) + 20
		cmd := exec.Command(bin, args...)
		cmd.Stderr, cmd.Stdout = nil, nil
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for count(t, db) < killAt && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		n := count(t, db)
		t.Logf("killed with %d of %d stored", n, total)
		if n >= total {
			t.Fatalf("the run finished before it was killed (%d jobs): make the plan larger", total)
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

package distributed

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/sqlite"
	"github.com/backchannel/backchannel/strategy"
	"github.com/backchannel/backchannel/tournament"
)

// startNATS runs an embedded nats-server with JetStream on a free port.
func startNATS(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(s.Shutdown)
	return s.ClientURL()
}

func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "backchannel")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/backchannel/backchannel/cmd/backchannel").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// worker is a worker subprocess; done counts its finished jobs.
type worker struct {
	cmd     *exec.Cmd
	done    atomic.Int64
	started chan string // ids of jobs as they start
}

// startWorker runs 'backchannel worker' against url, one job at a time.
func startWorker(t *testing.T, bin, url, name string) *worker {
	t.Helper()
	return startProcess(t, exec.Command(bin, "worker", "--nats", url, "--jobs", "1", "--verbose", "--name", name), name)
}

// startProcess starts cmd, a worker that logs "worker: job ID started" and
// "worker: job ID done (…)" lines on stderr, and follows them.
func startProcess(t *testing.T, cmd *exec.Cmd, name string) *worker {
	t.Helper()
	w := &worker{cmd: cmd, started: make(chan string, 1000)}
	errp, err := w.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.Contains(line, " done ("):
				w.done.Add(1)
			case strings.HasSuffix(line, " started"):
				w.started <- strings.Fields(line)[2]
			default:
				t.Logf("%s: %s", name, sc.Text())
			}
		}
	}()
	t.Cleanup(func() { w.cmd.Process.Kill(); w.cmd.Wait() })
	return w
}

// childEnv gives TestWorkerChild, in a subprocess, the NATS URL to work for.
const childEnv = "BACKCHANNEL_DISTRIBUTED_WORKER_CHILD"

// TestWorkerChild is the worker TestWorkersKilledMidJob kills; it skips
// unless run by it. It is 'backchannel worker --jobs 1 --verbose --name w0'
// (distributed.Work with the same logging), except that it builds parties
// through a gate that holds its second job forever once the job has
// started: the job cannot finish before the kill, however fast the machine.
func TestWorkerChild(t *testing.T) {
	url := os.Getenv(childEnv)
	if url == "" {
		t.Skip("the subprocess of TestWorkersKilledMidJob")
	}
	var parties atomic.Int64
	env := &tournament.Env{NewParty: func(s tournament.Spec) (mechanism.Party, error) {
		// Executor.Run builds a job's parties before its clock starts, so
		// a party held here is no fault of the strategy's.
		if parties.Add(1) > 2 {
			time.Sleep(2 * time.Minute)
			os.Exit(3) // never killed: the parent is gone
		}
		return strategy.New(s.Name, s.Params)
	}}
	o := WorkerOptions{Concurrency: 1, Env: env,
		Started: func(j *tournament.Job) { fmt.Fprintf(os.Stderr, "worker: job %s started\n", j.ID) },
		Ran:     func(j *tournament.Job) { fmt.Fprintf(os.Stderr, "worker: job %s done (1 so far)\n", j.ID) }}
	err := Work(context.Background(), Config{URL: url, Name: "w0", AckWait: time.Second}, o)
	t.Fatalf("Work returned (%v) though its gate holds it", err)
}

// TestWorkersKilledMidJob runs a tournament through an embedded JetStream.
// Worker w0 (TestWorkerChild, a subprocess) runs alone until it has
// finished one job (its result confirmed by the results stream) and started
// a second, which it cannot finish; then it is
// killed with SIGKILL and two 'backchannel worker' processes start. The
// killed job must be redelivered to them and every result stored once.
func TestWorkersKilledMidJob(t *testing.T) {
	bin := buildCLI(t)
	url := startNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	plan := tournament.Plan{Strategies: []string{"boulware", "hardliner", "linear"}, Repetitions: 4, Seed: 5, DeadlineRounds: 1000}
	tr, err := tournament.Compile(ctx, nil, plan)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	child := exec.Command(os.Args[0], "-test.run=^TestWorkerChild$", "-test.count=1")
	child.Env = append(os.Environ(), childEnv+"="+url)
	w0 := startProcess(t, child, "w0")
	cfg := Config{URL: url, AckWait: time.Second}
	type outcome struct {
		pg  tournament.Progress
		err error
	}
	coord := make(chan outcome, 1)
	go func() {
		pg, err := Coordinate(ctx, cfg, tr, st, tournament.Options{})
		coord <- outcome{pg, err}
	}()
	var killed string
	for k := range 2 {
		select {
		case killed = <-w0.started:
		case o := <-coord:
			t.Fatalf("the coordinator returned before w0 started its job %d: %+v, %v", k+1, o.pg, o.err)
		case <-ctx.Done():
			t.Fatalf("w0 did not start its job %d", k+1)
		}
	}
	// Results are published without waiting and confirmed afterwards: the
	// first job counts as finished once w0 has its confirmation.
	for w0.done.Load() < 1 {
		select {
		case <-ctx.Done():
			t.Fatal("w0 never had its first result confirmed")
		case <-time.After(time.Millisecond):
		}
	}
	if err := w0.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	w0.cmd.Wait()
	if ws, ok := w0.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("w0 was not killed by the signal: %v", w0.cmd.ProcessState)
	}
	startWorker(t, bin, url, "w1")
	startWorker(t, bin, url, "w2")
	o := <-coord
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.pg.Done != len(tr.Jobs) {
		t.Fatalf("done %d of %d", o.pg.Done, len(tr.Jobs))
	}
	seen := map[string]int{}
	workers := map[string]int{}
	by := map[string]string{}
	if err := st.Scan(ctx, "", func(r *store.Result) error {
		seen[r.JobID]++
		workers[r.Worker]++
		by[r.JobID] = r.Worker
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, j := range tr.Jobs {
		if seen[j.ID] != 1 {
			t.Errorf("job %s stored %d times", j.ID, seen[j.ID])
		}
	}
	if len(seen) != len(tr.Jobs) {
		t.Errorf("%d results for %d jobs", len(seen), len(tr.Jobs))
	}
	t.Logf("results by worker: %v", workers)
	if workers["w0"] != 1 || workers["w1"]+workers["w2"] != len(tr.Jobs)-1 {
		t.Errorf("results by worker %v: want 1 from w0 and the rest from w1 and w2", workers)
	}
	if w := by[killed]; w != "w1" && w != "w2" {
		t.Errorf("job %s, killed mid-run in w0, was stored from %q", killed, w)
	} else {
		t.Logf("job %s, killed mid-run in w0, was finished by %s", killed, w)
	}
	// The killed worker's job went to another worker.
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	cfg.defaults()
	c, err := js.Consumer(ctx, cfg.jobsStream(), workersConsumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Delivered.Consumer <= uint64(len(tr.Jobs)) {
		t.Errorf("no job was redelivered after the kill (delivered %d for %d jobs)", info.Delivered.Consumer, len(tr.Jobs))
	}
	t.Logf("deliveries %d for %d jobs", info.Delivered.Consumer, len(tr.Jobs))
}

// TestCoordinatorResumes stops a coordinator midway, starts it again, and
// checks that the tournament completes with each result once.
func TestCoordinatorResumes(t *testing.T) {
	url := startNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	plan := tournament.Plan{Strategies: []string{"boulware", "linear", "conceder"}, Repetitions: 5, Seed: 2, DeadlineRounds: 100}
	tr, err := tournament.Compile(ctx, nil, plan)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := Config{URL: url, AckWait: time.Second}
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	go Work(wctx, cfg, WorkerOptions{Concurrency: 2})

	cctx, ccancel := context.WithCancel(ctx)
	defer ccancel()
	_, err = Coordinate(cctx, cfg, tr, st, tournament.Options{Batch: 4, Progress: func(pg tournament.Progress) {
		if pg.Done >= 8 {
			ccancel()
		}
	}})
	if err == nil {
		t.Log("the first coordinator finished before it was stopped")
	}
	pg, err := Coordinate(ctx, cfg, tr, st, tournament.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Count(ctx); n != len(tr.Jobs) || pg.Done != len(tr.Jobs) {
		t.Fatalf("stored %d, done %d, of %d jobs", n, pg.Done, len(tr.Jobs))
	}
	if pg.Skipped == 0 {
		t.Error("the second coordinator found nothing stored by the first")
	}
	// The same plan into a fresh database at once: its jobs must not be
	// dropped as duplicates of the first run's messages.
	st2, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t2.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if pg, err := Coordinate(ctx, cfg, tr, st2, tournament.Options{}); err != nil || pg.Done != len(tr.Jobs) || pg.Skipped != 0 {
		t.Fatalf("rerun into a fresh store: %+v, %v", pg, err)
	}
}

// TestCLICoordinator runs 'backchannel tournament run --nats' (which
// connects while it compiles the plan) against one 'backchannel worker'
// process: the command ends once every job has a stored result, and run
// again it finds nothing missing.
func TestCLICoordinator(t *testing.T) {
	url := startNATS(t)
	bin := buildCLI(t)
	startWorker(t, bin, url, "w1")
	db := filepath.Join(t.TempDir(), "t.db")
	args := []string{"tournament", "run", "--nats", url, "--strategies", "boulware,conceder,linear",
		"--repetitions", "2", "--deadline-rounds", "50", "--db", db, "--quiet"}
	for run := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run+1, err, out)
		}
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// 3 strategies → 6 ordered pairings × 2 repetitions on the embedded scenario.
	if n, err := st.Count(context.Background()); err != nil || n != 12 {
		t.Fatalf("%d results stored (%v), want 12", n, err)
	}
}

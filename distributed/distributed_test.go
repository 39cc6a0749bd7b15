package distributed

import (
	"bufio"
	"context"
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

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/sqlite"
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

// worker is a 'backchannel worker' subprocess; done counts its finished jobs.
type worker struct {
	cmd     *exec.Cmd
	done    atomic.Int64
	started chan string // ids of jobs as they start
}

func startWorker(t *testing.T, bin, url, name string) *worker {
	t.Helper()
	w := &worker{cmd: exec.Command(bin, "worker", "--nats", url, "--jobs", "1", "--verbose", "--name", name), started: make(chan string, 1000)}
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

// TestWorkersKilledMidJob runs a tournament through an embedded JetStream
// with three worker processes, kills one with SIGKILL while it runs a job,
// and checks that the job is redelivered and every result stored once.
func TestWorkersKilledMidJob(t *testing.T) {
	bin := buildCLI(t)
	url := startNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	// Long negotiations (5,000 rounds, ~0.1 s each) so that a worker is
	// killed while it runs one, not after.
	plan := tournament.Plan{Strategies: []string{"boulware", "hardliner", "linear"}, Repetitions: 4, Seed: 5, DeadlineRounds: 5000}
	tr, err := tournament.Compile(ctx, nil, plan)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	ws := []*worker{startWorker(t, bin, url, "w0"), startWorker(t, bin, url, "w1"), startWorker(t, bin, url, "w2")}
	killed := make(chan string, 1)
	go func() {
		// Kill w0 just after it starts its second job.
		for k := range 2 {
			select {
			case id := <-ws[0].started:
				if k == 1 {
					ws[0].cmd.Process.Signal(syscall.SIGKILL)
					killed <- id
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	cfg := Config{URL: url, AckWait: time.Second}
	pg, err := Coordinate(ctx, cfg, tr, st, tournament.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pg.Done != len(tr.Jobs) {
		t.Fatalf("done %d of %d", pg.Done, len(tr.Jobs))
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
	select {
	case id := <-killed:
		if w := by[id]; w == "w0" || w == "" {
			t.Errorf("job %s, killed mid-run in w0, was stored from %q", id, w)
		} else {
			t.Logf("job %s, killed mid-run in w0, was finished by %s", id, w)
		}
	default:
		t.Fatal("w0 never started a second job")
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

// Command scaling measures how backchannel's analysis, offer search and
// negotiation speed grow with outcomes, issues and parties, and writes
// markdown tables and log-log SVG plots into an output folder (docs/scaling
// by default).
//
//	go run ./tools/scaling                 # default run, under a minute on 2 cores
//	go run ./tools/scaling -large          # adds 10⁷-outcome enumerations (≈2 GB)
//	go run ./tools/scaling -only rounds,parties   # only the named curves
//
// The curves: frontier, nparty, offers, analyze (analysis and offer search)
// and rounds, parties (negotiation speed).
//
// Every figure is the best of repeated runs within a time budget on one
// goroutine; peak memory is the largest live heap seen while the operation
// ran (sampled every millisecond from runtime/metrics) minus the live heap
// before it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/strategy"
)

func main() {
	out := flag.String("out", "docs/scaling", "folder for the tables and plots")
	large := flag.Bool("large", false, "also run the 10⁷-outcome enumerations (slow, ≈2 GB)")
	only := flag.String("only", "", "comma-separated curves to measure (frontier, nparty, offers, analyze, rounds, parties); empty: all")
	flag.Parse()
	want := map[string]bool{}
	for _, c := range strings.Split(*only, ",") {
		if c = strings.TrimSpace(c); c != "" {
			if !slices.Contains(curves, c) {
				fmt.Fprintf(os.Stderr, "scaling: -only: unknown curve %q (known: %s)\n", c, strings.Join(curves, ", "))
				os.Exit(2)
			}
			want[c] = true
		}
	}
	if err := run(*out, *large, want); err != nil {
		fmt.Fprintln(os.Stderr, "scaling:", err)
		os.Exit(1)
	}
}

// curves are the names -only accepts, one per table written.
var curves = []string{"frontier", "nparty", "offers", "analyze", "rounds", "parties"}

// space returns ni issues × nv values with d random linear profiles
// (weights summing to 1, evaluations uniform in [0,1]).
func space(seed uint64, ni, nv, d int) (*outcome.Space, []*preference.Profile, error) {
	r := rand.New(rand.NewPCG(seed, 11))
	issues := make([]outcome.Issue, ni)
	for i := range issues {
		vs := make([]string, nv)
		for v := range vs {
			vs[v] = fmt.Sprint(v)
		}
		issues[i] = outcome.NewDiscrete(fmt.Sprintf("i%d", i), vs...)
	}
	sp, err := outcome.NewSpace(issues, nil)
	if err != nil {
		return nil, nil, err
	}
	ps := make([]*preference.Profile, d)
	for j := range ps {
		p := &preference.Profile{Name: fmt.Sprintf("p%d", j)}
		sum := 0.0
		ws := make([]float64, ni)
		for i := range ws {
			ws[i] = r.Float64()
			sum += ws[i]
		}
		for i := range ni {
			iu := preference.IssueUtility{Weight: ws[i] / sum}
			for range nv {
				iu.Eval = append(iu.Eval, r.Float64())
			}
			p.Issues = append(p.Issues, iu)
		}
		if err := p.Prepare(sp); err != nil {
			return nil, nil, err
		}
		ps[j] = p
	}
	return sp, ps, nil
}

// measurement is one timed operation.
type measurement struct {
	seconds float64 // best run
	peak    float64 // bytes
	extra   string
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func liveHeap() float64 {
	metrics.Read(heapSample)
	return float64(heapSample[0].Value.Uint64())
}

// measure runs fn at least once and until budget is spent (at most 50
// times), returning the fastest run and the peak live heap above the start.
func measure(budget time.Duration, fn func() (string, error)) (measurement, error) {
	runtime.GC()
	base := liveHeap()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if h := uint64(liveHeap()); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	m := measurement{seconds: math.Inf(1)}
	start := time.Now()
	for k := 0; k < 50 && (k == 0 || time.Since(start) < budget); k++ {
		t0 := time.Now()
		extra, err := fn()
		el := time.Since(t0).Seconds()
		if err != nil {
			close(stop)
			<-done
			return m, err
		}
		m.extra = extra
		m.seconds = min(m.seconds, el)
	}
	if h := uint64(liveHeap()); h > peak.Load() {
		peak.Store(h)
	}
	close(stop)
	<-done
	m.peak = max(float64(peak.Load())-base, 0)
	return m, nil
}

type series struct {
	name string
	x, y []float64
}

type table struct {
	file, title, complexity, xlabel, ylabel string
	header                                  []string
	rows                                    [][]string
	plots                                   []series
}

func (t *table) add(row ...string) {
	t.rows = append(t.rows, row)
	fmt.Println(strings.Join(row, "\t"))
}

func (t *table) point(name string, x, y float64) {
	for i := range t.plots {
		if t.plots[i].name == name {
			t.plots[i].x = append(t.plots[i].x, x)
			t.plots[i].y = append(t.plots[i].y, y)
			return
		}
	}
	t.plots = append(t.plots, series{name, []float64{x}, []float64{y}})
}

func (t *table) write(dir, cmd string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\nComplexity: %s\n\nReproduce: `%s` (writes this file and `%s.svg`).\n\n![%s](%s.svg)\n\n", t.title, t.complexity, cmd, t.file, t.title, t.file)
	b.WriteString("| " + strings.Join(t.header, " | ") + " |\n|")
	for range t.header {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	if err := os.WriteFile(filepath.Join(dir, t.file+".md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, t.file+".svg"), []byte(svg(t.title, t.xlabel, t.ylabel, t.plots)), 0o644)
}

func dur(s float64) string {
	switch {
	case s < 1e-6:
		return fmt.Sprintf("%.0f ns", s*1e9)
	case s < 1e-3:
		return fmt.Sprintf("%.1f µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.2f ms", s*1e3)
	}
	return fmt.Sprintf("%.2f s", s)
}

func mem(b float64) string {
	switch {
	case b < 1<<10:
		return fmt.Sprintf("%.0f B", b)
	case b < 1<<20:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	case b < 1<<30:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", b/(1<<30))
}

// run measures the curves in want (all when want is empty) and writes their
// tables and plots into dir.
func run(dir string, large bool, want map[string]bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := "go run ./tools/scaling"
	budget := 300 * time.Millisecond
	on := func(c string) bool { return len(want) == 0 || want[c] }
	if on("frontier") {
		if err := frontierCurve(dir, cmd, budget, large); err != nil {
			return err
		}
	}
	if on("nparty") {
		if err := npartyCurve(dir, cmd, budget, large); err != nil {
			return err
		}
	}
	if on("offers") {
		if err := offersCurve(dir, cmd, budget, large); err != nil {
			return err
		}
	}
	if on("analyze") {
		if err := analyzeCurve(dir, cmd, budget); err != nil {
			return err
		}
	}
	if on("rounds") || on("parties") {
		// Negotiation rates are noisier than single operations: a longer budget.
		if err := negotiationCurves(dir, cmd, time.Second, large, on("rounds"), on("parties")); err != nil {
			return err
		}
	}
	return nil
}

func frontierCurve(dir, cmd string, budget time.Duration, large bool) error {

	// 1. Bilateral frontier + Nash + Kalai: enumeration vs pruned Minkowski sum.
	ft := &table{file: "frontier", title: "Bilateral frontier, Nash and Kalai: enumeration vs pruned Minkowski sum",
		complexity: "enumeration O(N·I + N log N) time, O(N) memory (N = 10^I outcomes); Minkowski O(Σᵢ |Fᵢ₋₁|·kᵢ·log kᵢ) time and O(Σᵢ|Fᵢ|) memory, independent of N (|F| = frontier size, k = 10 values per issue).",
		xlabel:     "outcomes", ylabel: "seconds", header: []string{"issues × values", "outcomes", "frontier points", "enumerate time", "enumerate peak mem", "Minkowski time", "Minkowski peak mem", "speed-up"}}
	maxEnum := 6
	if large {
		maxEnum = 7
	}
	for _, ni := range []int{3, 4, 5, 6, 7, 10, 20, 30, 50, 100} {
		sp, ps, err := space(1, ni, 10, 2)
		if err != nil {
			return err
		}
		n := math.Pow(10, float64(ni))
		mk, err := measure(budget, func() (string, error) {
			a, err := frontier.Analyze(sp, ps, frontier.Options{})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(a.Frontier.Len()), nil
		})
		if err != nil {
			return err
		}
		et, em, sx := "—", "—", "—"
		if ni <= maxEnum {
			me, err := measure(budget, func() (string, error) {
				f, err := frontier.Enumerate(sp, ps[0], ps[1])
				if err != nil {
					return "", err
				}
				f.Nash([]float64{0, 0})
				f.Kalai([]float64{0, 0})
				return fmt.Sprint(f.Len()), nil
			})
			if err != nil {
				return err
			}
			et, em, sx = dur(me.seconds), mem(me.peak), fmt.Sprintf("%.0f×", me.seconds/mk.seconds)
			ft.point("enumerate", n, me.seconds)
		}
		ft.point("Minkowski", n, mk.seconds)
		ft.add(fmt.Sprintf("%d × 10", ni), fmt.Sprintf("1e%d", ni), mk.extra, et, em, dur(mk.seconds), mem(mk.peak), sx)
	}
	return ft.write(dir, cmd)
}

func npartyCurve(dir, cmd string, budget time.Duration, large bool) error {
	// 2. n-party frontier: streaming skyline vs outcomes and parties.
	st := &table{file: "nparty", title: "n-party Pareto frontier: streaming skyline (any profiles) and n-party Minkowski (linear profiles)",
		complexity: "skyline O(N·(I + W̄·d)) typical, O(N·S·d) worst (S = frontier size, W̄ = window points tested before a dominator is found), O(B·d + S·d) memory; naive O(N²·d). Minkowski O(Σᵢ C log C + C²·(d+1)/64) with C = |Fᵢ₋₁|·kᵢ candidates (the filter's rank bitsets); a step of more than 2¹⁸ candidates is refused (frontier.DefaultMaxCandidates).",
		xlabel:     "outcomes", ylabel: "seconds", header: []string{"parties", "outcomes", "frontier points", "skyline time", "peak mem", "dominance tests", "naive N²/2 tests", "Minkowski time", "Minkowski peak mem"}}
	maxSky := 6
	if large {
		maxSky = 7
	}
	for _, d := range []int{2, 3, 5, 10} {
		for ni := 3; ni <= maxSky; ni++ {
			if d == 10 && ni > 5 {
				continue
			}
			sp, ps, err := space(2, ni, 10, d)
			if err != nil {
				return err
			}
			var stats frontier.SkylineStats
			ms, err := measure(budget, func() (string, error) {
				f, s, err := frontier.Skyline(context.Background(), sp, ps)
				stats = s
				if err != nil {
					return "", err
				}
				return fmt.Sprint(f.Len()), nil
			})
			if err != nil {
				return err
			}
			n := math.Pow(10, float64(ni))
			mt, mm := "—", "—"
			ml, err := measure(budget, func() (string, error) {
				_, err := frontier.Linear(sp, ps, frontier.Options{})
				return "", err
			})
			switch {
			case errors.Is(err, frontier.ErrFrontierTooLarge):
				mt = "refused (step too large)"
			case err != nil:
				return err
			default:
				mt, mm = dur(ml.seconds), mem(ml.peak)
				st.point(fmt.Sprintf("Minkowski %d parties", d), n, ml.seconds)
			}
			st.point(fmt.Sprintf("skyline %d parties", d), n, ms.seconds)
			st.add(fmt.Sprint(d), fmt.Sprintf("1e%d", ni), ms.extra, dur(ms.seconds), mem(ms.peak), fmt.Sprintf("%.3g", float64(stats.Comparisons)), fmt.Sprintf("%.3g", n*n/2), mt, mm)
		}
	}
	return st.write(dir, cmd)
}

func offersCurve(dir, cmd string, budget time.Duration, large bool) error {
	// 3. Offer search: per-issue search vs the sorted index.
	ot := &table{file: "offers", title: "Offer search: smallest acceptable utility ≥ target",
		complexity: "per-issue search (frontier.Offers.AtLeast) O(I·log k) per query, O(Σᵢ kᵢ) memory; sorted index (strategy) O(N·I + N log N) to build and O(N) memory, then O(log N) per query.",
		xlabel:     "outcomes", ylabel: "seconds per query", header: []string{"issues × values", "outcomes", "per-issue build", "per-issue query", "per-issue peak mem", "index build", "index query", "index peak mem"}}
	for _, ni := range []int{3, 4, 5, 6, 7, 10, 30, 100} {
		sp, ps, err := space(3, ni, 10, 1)
		if err != nil {
			return err
		}
		p := ps[0]
		n := math.Pow(10, float64(ni))
		var off *frontier.Offers
		mb, err := measure(budget, func() (string, error) {
			var err error
			off, err = frontier.NewOffers(sp, p, 0)
			return "", err
		})
		if err != nil {
			return err
		}
		r := rand.New(rand.NewPCG(9, 9))
		o := sp.New()
		const q = 20000
		mq, err := measure(budget, func() (string, error) {
			for range q {
				off.AtLeast(off.Worst()+r.Float64()*(off.Best()-off.Worst()), o)
			}
			return "", nil
		})
		if err != nil {
			return err
		}
		ib, iq, im := "—", "—", "—"
		if ni <= 6 || (large && ni <= 7) {
			var ix *strategy.Index
			mi, err := measure(budget, func() (string, error) {
				var err error
				ix, err = strategy.NewIndex(sp, p)
				return "", err
			})
			if err != nil {
				return err
			}
			v := ix.Above(0)
			lo, hi := v.Worst(), v.Best()
			miq, err := measure(budget, func() (string, error) {
				for range q {
					v.AtLeast(lo+r.Float64()*(hi-lo), o)
				}
				return "", nil
			})
			if err != nil {
				return err
			}
			ib, iq, im = dur(mi.seconds), dur(miq.seconds/q), mem(mi.peak)
			ot.point("sorted index (query)", n, miq.seconds/q)
		}
		ot.point("per-issue search (query)", n, mq.seconds/q)
		ot.add(fmt.Sprintf("%d × 10", ni), fmt.Sprintf("1e%d", ni), dur(mb.seconds), dur(mq.seconds/q), mem(mb.peak), ib, iq, im)
	}
	return ot.write(dir, cmd)
}

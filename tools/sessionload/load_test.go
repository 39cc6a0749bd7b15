package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

var (
	benchSessions = flag.Int("load.sessions", 1000, "BenchmarkSessionActions: sessions running at once")
	benchRates    = flag.String("load.rates", "10000,0", "BenchmarkSessionActions: target actions/s to measure, comma-separated (0: as fast as possible)")
	benchWarmup   = flag.Duration("load.warmup", 5*time.Second, "BenchmarkSessionActions: run this long before measuring")
)

// TestRun drives a few sessions to their end and on, and checks that every
// action was acknowledged and measured (no figures are judged: see the
// benchmark).
func TestRun(t *testing.T) {
	ctx := context.Background()
	p, err := startServer(ctx, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	res, err := Run(ctx, p.URL, Config{Sessions: 4, Rounds: 3, Actions: 60})
	if err != nil {
		t.Fatal(err)
	}
	if res.NErrors != 0 || res.Actions < 60 || len(res.RTT) == 0 || res.Ended == 0 {
		t.Fatalf("run: %s", res)
	}
}

// BenchmarkSessionActions drives -load.sessions live sessions over loopback
// against a server in the same process (two remote agent seats each, every
// seat holding its stream open), and reports acknowledged durable actions
// per second and the round trip post → commit → event on the other seat's
// stream. One op is one acknowledged action. Over SQLite (a fresh temporary
// file) and, when BACKCHANNEL_TEST_POSTGRES is set, PostgreSQL (a fresh
// database). Use -benchtime Nx (e.g. 100000x): every run starts its
// sessions and warms up anew.
func BenchmarkSessionActions(b *testing.B) {
	stores := []struct{ name, db string }{{"sqlite", ""}}
	if u := os.Getenv("BACKCHANNEL_TEST_POSTGRES"); u != "" {
		stores = append(stores, struct{ name, db string }{"postgres", u})
	}
	var rates []float64
	for _, f := range strings.Split(*benchRates, ",") {
		var r float64
		if _, err := fmt.Sscan(f, &r); err != nil {
			b.Fatalf("-load.rates %q: %v", *benchRates, err)
		}
		rates = append(rates, r)
	}
	for _, st := range stores {
		for _, rate := range rates {
			name := fmt.Sprintf("store=%s/sessions=%d/rate=%s", st.name, *benchSessions, rateName(rate))
			b.Run(name, func(b *testing.B) {
				ctx := context.Background()
				p, err := startServer(ctx, st.db, true)
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				b.ResetTimer()
				res, err := Run(ctx, p.URL, Config{Sessions: *benchSessions, Rounds: 500, Rate: rate, Warmup: *benchWarmup, Actions: b.N})
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if res.NErrors > 0 {
					b.Fatalf("%d errors: %s", res.NErrors, res.Errors)
				}
				// The timer ran through the set-up and warm-up: ns/op is
				// replaced by the measured window's.
				b.ReportMetric(float64(res.Elapsed.Nanoseconds())/float64(res.Actions), "ns/op")
				b.ReportMetric(res.PerSec(), "actions/s")
				b.ReportMetric(Pct(res.RTT, 50), "p50-ms")
				b.ReportMetric(Pct(res.RTT, 99), "p99-ms")
				b.ReportMetric(float64(res.CPU.Microseconds())/float64(res.Actions), "cpu-µs/action")
			})
		}
	}
}

func rateName(r float64) string {
	if r <= 0 {
		return "max"
	}
	return fmt.Sprintf("%.0f", r)
}

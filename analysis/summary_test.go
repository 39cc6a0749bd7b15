package analysis

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/genius"
	"github.com/backchannel/backchannel/internal/corpus"
	"github.com/backchannel/backchannel/internal/racedetect"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
)

func identicalPoint(t *rapid.T, name string, got, want *Point) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("%s: got %v, want %v", name, got, want)
	}
	if got == nil {
		return
	}
	if !slices.Equal(got.Outcome, want.Outcome) || !slices.Equal(got.Utility, want.Utility) {
		t.Fatalf("%s: got %v %v, want %v %v", name, got.Outcome, got.Utility, want.Outcome, want.Utility)
	}
}

// TestSummarizeMatchesAnalyze holds the frontier-free figures (Summarize and
// Summary.DistanceToPareto) against Analyze and Solve, which build the
// frontier, on random small problems of 2 to 8 parties with frequent ties,
// red lines, rules and caps: the same counts, the same points (outcome and
// utilities, bit for bit) and the same distances.
func TestSummarizeMatchesAnalyze(t *testing.T) {
	defer func(old int) { maxBall = old }(maxBall)
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 8).Draw(t, "parties")
		sp, ps := genProblem(t, n)
		opts := Options{IgnoreConstraints: rapid.Bool().Draw(t, "ignore")}
		maxBall = rapid.SampledFrom([]int{1, 2, 3, 1 << 20}).Draw(t, "ball")
		ctx := context.Background()
		r, err := Analyze(ctx, sp, ps, opts)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Summarize(ctx, sp, ps, opts)
		if err != nil {
			t.Fatal(err)
		}
		if s.Outcomes != r.Outcomes || s.Feasible != r.Feasible || s.Admissible != r.Admissible || s.Acceptable != r.Acceptable {
			t.Fatalf("counts %d %d %d %d, want %d %d %d %d", s.Outcomes, s.Feasible, s.Admissible, s.Acceptable, r.Outcomes, r.Feasible, r.Admissible, r.Acceptable)
		}
		if !slices.Equal(s.Ideal, r.Ideal) || s.Opposition != r.Opposition {
			t.Fatalf("ideal %v opposition %v, want %v %v", s.Ideal, s.Opposition, r.Ideal, r.Opposition)
		}
		identicalPoint(t, "Nash", s.Nash, r.Nash)
		identicalPoint(t, "Kalai", s.Kalai, r.Kalai)
		identicalPoint(t, "Egalitarian", s.Egalitarian, r.Egalitarian)
		identicalPoint(t, "MaxWelfare", s.MaxWelfare, r.MaxWelfare)
		identicalPoint(t, "MaxWelfareGenius", s.MaxWelfareGenius, r.MaxWelfareGenius)
		// Distances from every outcome's utilities (admissible or not) and
		// from a few vectors that are no outcome's.
		var us [][]float64
		o := sp.New()
		size, _ := sp.Size()
		for k := range min(size, 40) {
			sp.Decode(outcome.Index(k), o)
			us = append(us, Utilities(ps, o, nil))
		}
		for range 3 {
			u := make([]float64, n)
			for i := range u {
				u[i] = rapid.Float64Range(0, 1).Draw(t, "u")
			}
			us = append(us, u)
		}
		for _, u := range us {
			want, _ := r.DistanceToPareto(u)
			got, err := s.DistanceToPareto(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if got != want && !(math.IsInf(got, 1) && math.IsInf(want, 1)) {
				t.Fatalf("DistanceToPareto(%v) = %v, want %v", u, got, want)
			}
		}
	})
}

// checkSummaryAgrees checks Summarize and Summary.DistanceToPareto against
// Analyze on one problem: equal counts, identical solution points, and
// identical distances from the utilities of k outcomes spread over the space.
func checkSummaryAgrees(tb testing.TB, name string, sp *outcome.Space, ps []*preference.Profile, opts Options, k int) bool {
	tb.Helper()
	ctx := context.Background()
	r, err := Analyze(ctx, sp, ps, opts)
	if errors.Is(err, outcome.ErrTooLarge) {
		return false
	}
	if err != nil {
		tb.Errorf("%s: Analyze: %v", name, err)
		return false
	}
	s, err := Summarize(ctx, sp, ps, opts)
	if err != nil {
		tb.Errorf("%s: Summarize: %v", name, err)
		return false
	}
	if s.Acceptable != r.Acceptable || s.Admissible != r.Admissible || s.Feasible != r.Feasible || s.Opposition != r.Opposition {
		tb.Errorf("%s: counts or opposition differ", name)
	}
	for _, c := range []struct {
		what      string
		got, want *Point
	}{{"Nash", s.Nash, r.Nash}, {"Kalai", s.Kalai, r.Kalai}, {"Egalitarian", s.Egalitarian, r.Egalitarian},
		{"MaxWelfare", s.MaxWelfare, r.MaxWelfare}, {"MaxWelfareGenius", s.MaxWelfareGenius, r.MaxWelfareGenius}} {
		if (c.got == nil) != (c.want == nil) || c.got != nil && (!slices.Equal(c.got.Outcome, c.want.Outcome) || !slices.Equal(c.got.Utility, c.want.Utility)) {
			tb.Errorf("%s: %s %v, Analyze's %v", name, c.what, c.got, c.want)
		}
	}
	size, _ := sp.Size()
	o := sp.New()
	for j := range int64(k) {
		sp.Decode(outcome.Index(j*size/int64(k)), o)
		u := Utilities(ps, o, nil)
		want, _ := r.DistanceToPareto(u)
		got, err := s.DistanceToPareto(ctx, u)
		if err != nil || got != want {
			tb.Errorf("%s: DistanceToPareto(%v) = %v, %v; Analyze's %v", name, u, got, err, want)
		}
	}
	return true
}

// TestSummaryCorpus holds the frontier-free figures to Analyze's, bit for
// bit, on every GENIUS scenario of the shared corpus with at most
// corpusLimit outcomes (its first three parties, as the ANAC 2015–2016
// scenarios have) and on the Iran–US scenario with and without its constraints.
func TestSummaryCorpus(t *testing.T) {
	sc, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, ignore := range []bool{false, true} {
		checkSummaryAgrees(t, "iran-us", sc.Space, sc.Profiles(), Options{IgnoreConstraints: ignore}, 16)
	}
	root := corpus.Dir(t, "genius")
	n := 0
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		s, err := genius.ReadDir(p)
		if err != nil || len(s.Parties) < 2 {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if size, ok := s.Space.Size(); racedetect.Enabled && (!ok || size > 100_000) {
			return nil // the race detector's pass checks the smaller scenarios only
		}
		ps := s.Profiles()
		if len(ps) > 3 {
			ps = ps[:3] // Analyze, the reference, takes minutes on the 5- and 70-party ones
		}
		if checkSummaryAgrees(t, rel, s.Space, ps, Options{Limit: corpusLimit}, 8) {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d GENIUS scenarios checked", n)
	if n == 0 {
		t.Fatal("no GENIUS scenario checked")
	}
}

// TestAutoLeavesOutTooLargeFrontier: where the frontier of more than two
// parties is too large to build, Auto still answers, with every figure that
// needs no frontier exact (equal to the full analysis's) and the frontier
// and the figures taken over it named in Omitted.
func TestAutoLeavesOutTooLargeFrontier(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(3, 6).Draw(t, "parties")
		sp, ps := genProblem(t, n)
		full, err := Analyze(context.Background(), sp, ps, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(full.Pareto) < 2 {
			t.Skip("the frontier fits in one point")
		}
		r, err := Auto(context.Background(), sp, ps, Options{MaxPoints: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Pareto) != 0 || r.Omitted["pareto"] == "" || r.Omitted["nash_genius"] == "" || r.NashGenius != nil {
			t.Fatalf("frontier of %d points, omitted %v", len(r.Pareto), r.Omitted)
		}
		if r.Acceptable != full.Acceptable || r.Opposition != full.Opposition {
			t.Fatalf("zone %d opposition %v, full analysis %d %v", r.Acceptable, r.Opposition, full.Acceptable, full.Opposition)
		}
		for _, c := range []struct {
			what      string
			got, want *Point
		}{{"Nash", r.Nash, full.Nash}, {"Kalai", r.Kalai, full.Kalai}, {"MaxWelfareGenius", r.MaxWelfareGenius, full.MaxWelfareGenius}} {
			identicalPoint(t, c.what, c.got, c.want)
		}
	})
}

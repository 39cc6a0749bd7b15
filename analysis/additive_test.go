package analysis

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/genius"
	"github.com/backchannel/backchannel/internal/corpus"
	"github.com/backchannel/backchannel/internal/racedetect"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// sameReports fails unless the additive path's report a and the enumerating
// path's report e agree bit for bit: counts, frontier (outcomes, utilities,
// order), every solution (by position on the frontier), opposition and the
// ANL distribution.
func sameReports(t interface {
	Helper()
	Fatal(...any)
	Fatalf(string, ...any)
}, a, e *Report) {
	t.Helper()
	if a.Outcomes != e.Outcomes || a.Feasible != e.Feasible || a.Admissible != e.Admissible || a.Acceptable != e.Acceptable {
		t.Fatalf("counts %d/%d/%d/%d, enumerated %d/%d/%d/%d", a.Outcomes, a.Feasible, a.Admissible, a.Acceptable, e.Outcomes, e.Feasible, e.Admissible, e.Acceptable)
	}
	if len(a.Pareto) != len(e.Pareto) {
		t.Fatalf("frontier of %d points, enumerated %d", len(a.Pareto), len(e.Pareto))
	}
	for k := range a.Pareto {
		if !slices.Equal(a.Pareto[k].Outcome, e.Pareto[k].Outcome) || !slices.Equal(a.Pareto[k].Utility, e.Pareto[k].Utility) {
			t.Fatalf("frontier point %d: %v %v, enumerated %v %v", k, a.Pareto[k].Outcome, a.Pareto[k].Utility, e.Pareto[k].Outcome, e.Pareto[k].Utility)
		}
	}
	pos := func(r *Report, p *Point) int {
		for k := range r.Pareto {
			if &r.Pareto[k] == p {
				return k
			}
		}
		return -1
	}
	for _, s := range []struct {
		name string
		a, e *Point
	}{
		{"Nash", a.Nash, e.Nash}, {"Kalai", a.Kalai, e.Kalai}, {"egalitarian", a.Egalitarian, e.Egalitarian},
		{"max welfare", a.MaxWelfare, e.MaxWelfare}, {"GENIUS Nash", a.NashGenius, e.NashGenius},
		{"GENIUS Kalai", a.KalaiGenius, e.KalaiGenius}, {"GENIUS welfare", a.MaxWelfareGenius, e.MaxWelfareGenius},
	} {
		if pos(a, s.a) != pos(e, s.e) {
			t.Fatalf("%s at frontier position %d, enumerated %d", s.name, pos(a, s.a), pos(e, s.e))
		}
	}
	if a.Opposition != e.Opposition || !sameFloat(a.OppositionANL, e.OppositionANL) {
		t.Fatalf("opposition %v / %v, enumerated %v / %v", a.Opposition, a.OppositionANL, e.Opposition, e.OppositionANL)
	}
	da, err := a.Distribution(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	de, err := e.Distribution(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sameFloat(da, de) {
		t.Fatalf("distribution %.17g, enumerated %.17g", da, de)
	}
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// TestAdditiveMatchesEnumeration: on random two-party linear problems
// without rules or red lines — evaluations on a coarse grid (many ties) or
// arbitrary, capped at one or not, with reservation values — the additive
// path and the enumerating path give the same report, bit for bit.
func TestAdditiveMatchesEnumeration(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ni := rapid.IntRange(1, 6).Draw(t, "issues")
		issues := make([]outcome.Issue, ni)
		for i := range issues {
			vals := make([]string, rapid.IntRange(1, 7).Draw(t, fmt.Sprint("values", i)))
			for v := range vals {
				vals[v] = fmt.Sprint("v", v)
			}
			issues[i] = outcome.NewDiscrete(fmt.Sprint("i", i), vals...)
		}
		sp, err := outcome.NewSpace(issues, nil)
		if err != nil {
			t.Fatal(err)
		}
		coarse := rapid.Bool().Draw(t, "coarse")
		val := func(label string) float64 {
			if coarse {
				return rapid.SampledFrom([]float64{0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.75, 1}).Draw(t, label)
			}
			return rapid.Float64Range(0, 1).Draw(t, label)
		}
		ps := make([]*preference.Profile, 2)
		for p := range ps {
			prof := &preference.Profile{Name: fmt.Sprint("p", p), Issues: make([]preference.IssueUtility, ni)}
			for i := range prof.Issues {
				ev := make([]float64, issues[i].Len())
				for v := range ev {
					ev[v] = val(fmt.Sprint("eval", p, i, v))
				}
				prof.Issues[i] = preference.IssueUtility{Weight: val(fmt.Sprint("w", p, i)), Eval: ev}
			}
			prof.Reservation = rapid.SampledFrom([]float64{0, 0.2, 0.5, 0.8}).Draw(t, fmt.Sprint("rv", p))
			prof.CapAtOne = rapid.Bool().Draw(t, fmt.Sprint("cap", p))
			if err := prof.Prepare(sp); err != nil {
				t.Fatal(err)
			}
			ps[p] = prof
		}
		if !additive2(sp, ps) {
			t.Fatal("the additive path does not apply")
		}
		a, err := Analyze(context.Background(), sp, ps, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !a.hasDistribution {
			t.Fatal("the additive path was not taken")
		}
		e, err := Analyze(context.Background(), sp, ps, Options{enumerate: true})
		if err != nil {
			t.Fatal(err)
		}
		sameReports(t, a, e)
	})
}

// TestOnePassMatchesEnumeration: on random two-party problems with
// feasibility rules, red lines and reservation values (genProblem), read
// with and without the constraints, the one-pass path (the scanner's pass
// where rules or red lines apply) and the enumerating path give the same
// report, bit for bit.
func TestOnePassMatchesEnumeration(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sp, ps := genProblem(t, 2)
		ignore := rapid.Bool().Draw(t, "ignore")
		a, err := Analyze(context.Background(), sp, ps, Options{IgnoreConstraints: ignore})
		if err != nil {
			t.Fatal(err)
		}
		if !a.hasDistribution {
			t.Fatal("the one-pass path was not taken")
		}
		e, err := Analyze(context.Background(), sp, ps, Options{IgnoreConstraints: ignore, enumerate: true})
		if err != nil {
			t.Fatal(err)
		}
		sameReports(t, a, e)
	})
}

// TestAdditiveMatchesEnumerationOnCorpus compares the two paths on every
// two-party GENIUS scenario of the corpus with at most corpusLimit outcomes
// (200,000 under the race detector, which slows the passes tenfold).
func TestAdditiveMatchesEnumerationOnCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the corpus comparison enumerates every scenario twice")
	}
	root := corpus.Dir(t, "genius")
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		ents, _ := os.ReadDir(p)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".xml") {
				dirs = append(dirs, p)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	limit := int64(corpusLimit)
	if racedetect.Enabled {
		limit = 200_000
	}
	compared := 0
	for _, dir := range dirs {
		s, err := genius.ReadDir(dir)
		if err != nil || len(s.Parties) < 2 {
			continue
		}
		ps := s.Profiles()[:2]
		if n, ok := s.Space.Size(); !ok || n > limit || !additive2(s.Space, ps) {
			continue
		}
		rel, _ := filepath.Rel(root, dir)
		t.Run(rel, func(t *testing.T) {
			a, err := Analyze(context.Background(), s.Space, ps, Options{})
			if err != nil {
				t.Fatal(err)
			}
			e, err := Analyze(context.Background(), s.Space, ps, Options{enumerate: true})
			if err != nil {
				t.Fatal(err)
			}
			sameReports(t, a, e)
		})
		compared++
	}
	t.Logf("%d scenarios compared", compared)
	if compared == 0 {
		t.Fatal("no GENIUS scenario compared")
	}
}

// TestNearestGrid: for random staircases and query vectors inside the
// grid's box, outside it, on frontier points and on cell corners, the grid
// gives the same smallest square distance as a scan of every point.
func TestNearestGrid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := rapid.IntRange(1, 300).Draw(t, "points")
		xs := make([]float64, m)
		ys := make([]float64, m)
		for k := range xs {
			xs[k] = rapid.Float64Range(0, 1).Draw(t, fmt.Sprint("x", k))
			ys[k] = rapid.Float64Range(0, 1).Draw(t, fmt.Sprint("y", k))
		}
		slices.Sort(xs)
		slices.Sort(ys)
		slices.Reverse(ys)
		xs, ys = dedupStaircase(xs, ys)
		lo0, lo1 := rapid.Float64Range(-0.5, 0.5).Draw(t, "lo0"), rapid.Float64Range(-0.5, 0.5).Draw(t, "lo1")
		g := newNearestGrid(xs, ys, lo0, lo0+rapid.Float64Range(0, 1.5).Draw(t, "w0"), lo1, lo1+rapid.Float64Range(0, 1.5).Draw(t, "w1"))
		for q := range 200 {
			var u0, u1 float64
			switch rapid.IntRange(0, 3).Draw(t, fmt.Sprint("kind", q)) {
			case 0:
				u0, u1 = rapid.Float64Range(-1, 2).Draw(t, fmt.Sprint("u0", q)), rapid.Float64Range(-1, 2).Draw(t, fmt.Sprint("u1", q))
			case 1:
				k := rapid.IntRange(0, len(xs)-1).Draw(t, fmt.Sprint("k", q))
				u0, u1 = xs[k], ys[k]
			case 2:
				i, j := rapid.IntRange(0, nnCells).Draw(t, fmt.Sprint("i", q)), rapid.IntRange(0, nnCells).Draw(t, fmt.Sprint("j", q))
				u0, u1 = g.lo0+float64(i)*g.w0, g.lo1+float64(j)*g.w1
			default:
				k := rapid.IntRange(0, len(xs)-1).Draw(t, fmt.Sprint("k", q))
				u0, u1 = xs[k]-rapid.Float64Range(0, 0.3).Draw(t, fmt.Sprint("d0", q)), ys[k]-rapid.Float64Range(0, 0.3).Draw(t, fmt.Sprint("d1", q))
			}
			want := math.Inf(1)
			for k := range xs {
				dx, dy := xs[k]-u0, ys[k]-u1
				want = min(want, dx*dx+dy*dy)
			}
			if got := g.dist2(u0, u1); got != want {
				t.Fatalf("query (%v, %v): square distance %v, scan %v", u0, u1, got, want)
			}
		}
	})
}

// dedupStaircase keeps the first of equal x (or equal y) values, so the
// points are distinct and form a strict staircase.
func dedupStaircase(xs, ys []float64) ([]float64, []float64) {
	var ox, oy []float64
	for k := range xs {
		if k > 0 && (xs[k] == ox[len(ox)-1] || ys[k] == oy[len(oy)-1]) {
			continue
		}
		ox, oy = append(ox, xs[k]), append(oy, ys[k])
	}
	return ox, oy
}

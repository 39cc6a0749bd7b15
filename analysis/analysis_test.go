package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// genProblem draws a small random problem: 1–4 issues of 1–5 values, n
// profiles whose evaluations come from a coarse grid (so that equal
// utilities, and equal utility vectors from different outcomes, are common),
// random red lines, feasibility rules and reservation values.
func genProblem(t *rapid.T, n int) (*outcome.Space, []*preference.Profile) {
	ni := rapid.IntRange(1, 4).Draw(t, "issues")
	issues := make([]outcome.Issue, ni)
	for i := range issues {
		nv := rapid.IntRange(1, 5).Draw(t, fmt.Sprint("values", i))
		vals := make([]string, nv)
		for v := range vals {
			vals[v] = fmt.Sprint("v", v)
		}
		issues[i] = outcome.NewDiscrete(fmt.Sprint("i", i), vals...)
	}
	var rules []outcome.Rule
	for r := range rapid.IntRange(0, 2).Draw(t, "rules") {
		cond := func(label string) outcome.Condition {
			is := rapid.IntRange(0, ni-1).Draw(t, label+"issue")
			allowed := make([]bool, issues[is].Len())
			for v := range allowed {
				allowed[v] = rapid.Bool().Draw(t, fmt.Sprint(label, v))
			}
			return outcome.Condition{Issue: is, Allowed: allowed}
		}
		rules = append(rules, outcome.Rule{Name: fmt.Sprint("r", r), If: []outcome.Condition{cond(fmt.Sprint("if", r))}, Then: []outcome.Condition{cond(fmt.Sprint("then", r))}})
	}
	sp, err := outcome.NewSpace(issues, rules)
	if err != nil {
		t.Fatal(err)
	}
	grid := rapid.SampledFrom([]float64{0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.75, 1})
	ps := make([]*preference.Profile, n)
	for p := range ps {
		prof := &preference.Profile{Name: fmt.Sprint("p", p), Issues: make([]preference.IssueUtility, ni)}
		for i := range prof.Issues {
			ev := make([]float64, issues[i].Len())
			for v := range ev {
				ev[v] = grid.Draw(t, fmt.Sprint("eval", p, i, v))
			}
			prof.Issues[i] = preference.IssueUtility{Weight: grid.Draw(t, fmt.Sprint("w", p, i)), Eval: ev}
		}
		if rapid.Bool().Draw(t, fmt.Sprint("redlines", p)) {
			prof.RedLines = make([][]bool, ni)
			is := rapid.IntRange(0, ni-1).Draw(t, fmt.Sprint("rlissue", p))
			prof.RedLines[is] = make([]bool, issues[is].Len())
			prof.RedLines[is][rapid.IntRange(0, issues[is].Len()-1).Draw(t, fmt.Sprint("rlvalue", p))] = true
		}
		prof.Reservation = rapid.SampledFrom([]float64{0, 0.2, 0.5, 0.8}).Draw(t, fmt.Sprint("rv", p))
		prof.CapAtOne = rapid.Bool().Draw(t, fmt.Sprint("cap", p))
		if err := prof.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		ps[p] = prof
	}
	return sp, ps
}

// brute is the obviously correct reference: every outcome listed with its
// utilities, admissibility and acceptability, and the frontier found by
// comparing every pair, O(N²).
type brute struct {
	u          [][]float64
	admissible []bool
	acceptable []bool
	feasible   int64
	frontier   []int64 // dense indices, in Report.Pareto order
}

func bruteForce(sp *outcome.Space, ps []*preference.Profile, ignore bool) *brute {
	b := &brute{}
	o := sp.New()
	for {
		u := make([]float64, len(ps))
		f := sp.Feasible(o)
		if f {
			b.feasible++
		}
		adm, acc := ignore || f, true
		for i, p := range ps {
			u[i] = p.Utility(o)
			adm = adm && (ignore || !p.Violates(o))
			acc = acc && u[i] >= p.Reservation-preference.Tolerance
		}
		b.u = append(b.u, u)
		b.admissible = append(b.admissible, adm)
		b.acceptable = append(b.acceptable, adm && acc)
		if !sp.Next(o) {
			break
		}
	}
	for k := range b.u {
		if !b.admissible[k] {
			continue
		}
		dominated := false
		for j := range b.u {
			if b.admissible[j] && dominates(b.u[j], b.u[k]) {
				dominated = true
				break
			}
		}
		if !dominated {
			b.frontier = append(b.frontier, int64(k))
		}
	}
	// Utilities ascending; equal vectors in GENIUS's order, the last issue's
	// value compared first.
	colex := func(x int64) []int32 {
		o := sp.Decode(outcome.Index(x), sp.New())
		slices.Reverse(o)
		return o
	}
	slices.SortFunc(b.frontier, func(x, y int64) int {
		if c := slices.Compare(b.u[x], b.u[y]); c != 0 {
			return c
		}
		return slices.Compare(colex(x), colex(y))
	})
	return b
}

func count(bs []bool) (n int64) {
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// onFrontier reports whether p is one of r.Pareto's elements.
func onFrontier(r *Report, p *Point) bool {
	for k := range r.Pareto {
		if &r.Pareto[k] == p {
			return true
		}
	}
	return false
}

func product(u, rv []float64) float64 {
	x := 1.0
	for i := range u {
		x *= max(u[i]-rv[i], 0)
	}
	return x
}

func checkProblem(t *rapid.T, n int) {
	sp, ps := genProblem(t, n)
	ignore := rapid.Bool().Draw(t, "ignore")
	r, err := Analyze(context.Background(), sp, ps, Options{IgnoreConstraints: ignore})
	if err != nil {
		t.Fatal(err)
	}
	b := bruteForce(sp, ps, ignore)
	size, _ := sp.Size()
	if r.Outcomes != size || r.Feasible != b.feasible || r.Admissible != count(b.admissible) || r.Acceptable != count(b.acceptable) {
		t.Fatalf("counts %d/%d/%d/%d, brute force %d/%d/%d/%d", r.Outcomes, r.Feasible, r.Admissible, r.Acceptable, size, b.feasible, count(b.admissible), count(b.acceptable))
	}
	got := make([]int64, len(r.Pareto))
	for k, p := range r.Pareto {
		got[k] = int64(sp.Index(p.Outcome))
		if !slices.Equal(p.Utility, b.u[got[k]]) {
			t.Fatalf("frontier point %v: utility %v, brute force %v", p.Outcome, p.Utility, b.u[got[k]])
		}
	}
	if !slices.Equal(got, b.frontier) {
		t.Fatalf("frontier %v, brute force %v", got, b.frontier)
	}
	// The candidate set alone (no two-party pre-filter), compacted often.
	c := newCandidates(sp, n, DefaultMaxPoints)
	c.limit = rapid.IntRange(1, 8).Draw(t, "room")
	for k, u := range b.u {
		if b.admissible[k] {
			if err := c.add(int64(k), u); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.compact(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.idx, b.frontier) {
		t.Fatalf("compacted candidates %v, brute force %v", c.idx, b.frontier)
	}
	// Every admissible outcome is dominated by or equal to a frontier point,
	// and no admissible outcome dominates a frontier point.
	oppo, meanDist := math.Inf(1), 0.0
	for k, u := range b.u {
		if !b.admissible[k] {
			continue
		}
		oppo = min(oppo, Distance(u, slices.Repeat([]float64{1}, n)))
		covered := false
		for _, p := range r.Pareto {
			if dominates(u, p.Utility) {
				t.Fatalf("outcome %d %v dominates frontier point %v", k, u, p.Utility)
			}
			covered = covered || dominates(p.Utility, u) || slices.Equal(p.Utility, u)
		}
		if !covered {
			t.Fatalf("outcome %d %v is neither on nor below the frontier", k, u)
		}
		d, _ := r.DistanceToPareto(u)
		if slices.Contains(b.frontier, int64(k)) && d != 0 {
			t.Fatalf("frontier outcome %d at distance %v from the frontier", k, d)
		}
		naive := math.Inf(1)
		for _, p := range r.Pareto {
			naive = min(naive, Distance(u, p.Utility))
		}
		if d != naive {
			t.Fatalf("outcome %d %v: distance to the frontier %v, naive %v", k, u, d, naive)
		}
		meanDist += d
	}
	if dist, err := r.Distribution(context.Background()); err != nil || (r.Admissible > 0 && math.Abs(dist-meanDist/float64(r.Admissible)) > 1e-12) || (r.Admissible == 0 && !math.IsNaN(dist)) {
		t.Fatalf("distribution %v (%v), brute force %v", dist, err, meanDist/float64(r.Admissible))
	}
	if math.Abs(oppo-r.Opposition) > 1e-12 && !(math.IsInf(oppo, 1) && math.IsInf(r.Opposition, 1)) {
		t.Fatalf("opposition %v, brute force %v", r.Opposition, oppo)
	}
	// Utilities stay within each profile's range.
	for i, p := range ps {
		lo, hi := p.Range()
		for _, q := range r.Pareto {
			if q.Utility[i] < lo-1e-12 || q.Utility[i] > hi+1e-12 {
				t.Fatalf("party %d utility %v outside [%v, %v]", i, q.Utility[i], lo, hi)
			}
		}
	}
	// Solutions lie on the frontier and attain the brute-force optimum over
	// all acceptable outcomes.
	anyAcc := count(b.acceptable) > 0
	for name, p := range map[string]*Point{"nash": r.Nash, "kalai": r.Kalai, "egalitarian": r.Egalitarian, "max welfare": r.MaxWelfare} {
		if (p != nil) != anyAcc {
			t.Fatalf("%s: %v with %d acceptable outcomes", name, p, count(b.acceptable))
		}
		if p != nil && (!onFrontier(r, p) || !acceptable(p.Utility, r.Reservation)) {
			t.Fatalf("%s %v is not an acceptable frontier point", name, p)
		}
	}
	// GENIUS's Nash search starts at a product of −1, so with utilities
	// outside [0, 1] it may find none.
	// Its Kalai search starts at an asymmetry of 2.
	nashG, kalaiG := false, false
	for _, p := range r.Pareto {
		g, asym := 1.0, 0.0
		for i, v := range p.Utility {
			g *= v - r.Reservation[i]
			for j := i + 1; j < n; j++ {
				asym += math.Abs(v - p.Utility[j])
			}
		}
		nashG = nashG || g > -1
		kalaiG = kalaiG || asym < 2
	}
	for name, c := range map[string]struct {
		p    *Point
		want bool
	}{"nash_genius": {r.NashGenius, nashG}, "kalai_genius": {r.KalaiGenius, kalaiG}, "max_welfare_genius": {r.MaxWelfareGenius, len(r.Pareto) > 0}} {
		if (c.p != nil) != c.want || (c.p != nil && !onFrontier(r, c.p)) {
			t.Fatalf("%s %v is not a frontier point (%d points)", name, c.p, len(r.Pareto))
		}
	}
	if !anyAcc {
		return
	}
	ideal := slices.Repeat([]float64{math.Inf(-1)}, n)
	bestProd, bestWelfare, bestEgal := math.Inf(-1), math.Inf(-1), math.Inf(-1)
	for k, u := range b.u {
		if !b.acceptable[k] {
			continue
		}
		for i := range u {
			ideal[i] = max(ideal[i], u[i])
		}
		bestProd = max(bestProd, product(u, r.Reservation))
		bestWelfare = max(bestWelfare, welfare(u))
		e := math.Inf(1)
		for i := range u {
			e = min(e, max(u[i]-r.Reservation[i], 0))
		}
		bestEgal = max(bestEgal, e)
	}
	if !slices.Equal(ideal, r.Ideal) {
		t.Fatalf("ideal %v, brute force %v", r.Ideal, ideal)
	}
	if product(r.Nash.Utility, r.Reservation) != bestProd {
		t.Fatalf("nash %v has product %v, best %v", r.Nash.Utility, product(r.Nash.Utility, r.Reservation), bestProd)
	}
	if welfare(r.MaxWelfare.Utility) != bestWelfare {
		t.Fatalf("max welfare %v, best %v", r.MaxWelfare.Utility, bestWelfare)
	}
	lambda := func(u []float64) float64 {
		l := math.Inf(1)
		for i := range u {
			if span := ideal[i] - r.Reservation[i]; span > 0 {
				l = min(l, max(u[i]-r.Reservation[i], 0)/span)
			}
		}
		return l
	}
	for k, u := range b.u {
		if b.acceptable[k] && lambda(u) > lambda(r.Kalai.Utility) {
			t.Fatalf("outcome %v has λ %v above Kalai's %v", u, lambda(u), lambda(r.Kalai.Utility))
		}
	}
	e := math.Inf(1)
	for i, v := range r.Egalitarian.Utility {
		e = min(e, max(v-r.Reservation[i], 0))
	}
	if e != bestEgal {
		t.Fatalf("egalitarian %v has min gain %v, best %v", r.Egalitarian.Utility, e, bestEgal)
	}
}

func TestAnalyzeTwoParties(t *testing.T)   { rapid.Check(t, func(t *rapid.T) { checkProblem(t, 2) }) }
func TestAnalyzeThreeParties(t *testing.T) { rapid.Check(t, func(t *rapid.T) { checkProblem(t, 3) }) }
func TestAnalyzeOneAndFour(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { checkProblem(t, rapid.SampledFrom([]int{1, 4}).Draw(t, "parties")) })
}

// TestCompaction forces many compactions (a tiny candidate room and an
// anti-correlated space where most outcomes are Pareto-optimal) and compares
// with the brute-force frontier.
func TestCompaction(t *testing.T) {
	for _, n := range []int{2, 3} {
		sp, err := outcome.NewSpace([]outcome.Issue{outcome.NewInteger("a", 0, 40), outcome.NewInteger("b", 0, 40)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ps := make([]*preference.Profile, n)
		for p := range ps {
			ev := func(i int) []float64 {
				e := make([]float64, 41)
				for v := range e {
					x := float64(v) / 40
					switch {
					case p == 0:
						e[v] = x
					case p == 1:
						e[v] = 1 - x*x
					default:
						e[v] = float64((v*7+i*3)%11) / 10
					}
				}
				return e
			}
			ps[p] = &preference.Profile{Issues: []preference.IssueUtility{{Weight: 0.6, Eval: ev(0)}, {Weight: 0.4, Eval: ev(1)}}}
			if err := ps[p].Prepare(sp); err != nil {
				t.Fatal(err)
			}
		}
		c := newCandidates(sp, n, DefaultMaxPoints)
		c.limit = 16
		o := sp.New()
		u := make([]float64, n)
		for idx := int64(0); ; idx++ {
			if err := c.add(idx, Utilities(ps, o, u)); err != nil {
				t.Fatal(err)
			}
			if !sp.Next(o) {
				break
			}
		}
		if err := c.compact(); err != nil {
			t.Fatal(err)
		}
		b := bruteForce(sp, ps, true)
		if !slices.Equal(c.idx, b.frontier) {
			t.Fatalf("%d parties: compacted frontier has %d points, brute force %d", n, len(c.idx), len(b.frontier))
		}
		r, err := Analyze(context.Background(), sp, ps, Options{MaxPoints: 10})
		if !errors.Is(err, ErrFrontierTooLarge) {
			t.Fatalf("%d parties, frontier of %d points, MaxPoints 10: err = %v, want ErrFrontierTooLarge", n, len(b.frontier), err)
		}
		if r != nil {
			t.Fatal("a report came back with the error")
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	big := make([]outcome.Issue, 9)
	for i := range big {
		big[i] = outcome.NewInteger(fmt.Sprint("i", i), 0, 9)
	}
	bigSpace, err := outcome.NewSpace(big, nil)
	if err != nil {
		t.Fatal(err)
	}
	small, err := outcome.NewSpace(big[:2], nil)
	if err != nil {
		t.Fatal(err)
	}
	flat := func(sp *outcome.Space) *preference.Profile {
		p := &preference.Profile{Name: "flat"}
		for i := range sp.Issues {
			p.Issues = append(p.Issues, preference.IssueUtility{Weight: 1, Eval: make([]float64, sp.Issues[i].Len())})
		}
		if err := p.Prepare(sp); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		sp   *outcome.Space
		ps   []*preference.Profile
		opts Options
		want error
	}{
		{"too large", context.Background(), bigSpace, []*preference.Profile{flat(bigSpace)}, Options{Limit: 1000}, outcome.ErrTooLarge},
		{"cancelled", cancelled, small, []*preference.Profile{flat(small)}, Options{}, context.Canceled},
		{"no profiles", context.Background(), small, nil, Options{}, nil},
		{"wrong space", context.Background(), small, []*preference.Profile{flat(bigSpace)}, Options{}, nil},
		{"nil profile", context.Background(), small, []*preference.Profile{nil}, Options{}, nil},
		{"nil space", context.Background(), nil, []*preference.Profile{flat(small)}, Options{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Analyze(tc.ctx, tc.sp, tc.ps, tc.opts)
			if err == nil || r != nil {
				t.Fatalf("got %v, %v; want an error", r, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestSolveTies checks the documented tie rules on a hand-made frontier.
func TestSolveTies(t *testing.T) {
	pt := func(u0, u1 float64) Point { return Point{Utility: []float64{u0, u1}} }
	tests := []struct {
		name    string
		pareto  []Point
		rv      []float64
		nash    int // indices into pareto, -1 for none
		kalai   int
		kalaiG  int
		nashG   int
		welfare int
		egal    int
	}{
		{
			// |u₀−u₁| ties between 0.4/0.6 and 0.6/0.4: GENIUS takes the first.
			name:   "symmetric",
			pareto: []Point{pt(0.2, 0.9), pt(0.4, 0.6), pt(0.6, 0.4), pt(0.9, 0.2)},
			rv:     []float64{0, 0},
			nash:   1, kalai: 1, kalaiG: 1, nashG: 1, welfare: 0, egal: 1,
		},
		{
			// Below rv: GENIUS's Kalai still picks among all points; the
			// textbook concepts only among the acceptable.
			name:   "reservation",
			pareto: []Point{pt(0.1, 1), pt(0.4, 0.6), pt(0.7, 0.45), pt(1, 0.1)},
			rv:     []float64{0.5, 0},
			nash:   2, kalai: 2, kalaiG: 1, nashG: 2, welfare: 2, egal: 2,
		},
		{
			// GENIUS's Nash multiplies two negative gains into a positive one.
			name:   "nobody acceptable",
			pareto: []Point{pt(0.1, 1), pt(0.5, 0.9), pt(0.7, 0.2), pt(1, 0.1)},
			rv:     []float64{0.6, 0.95},
			nash:   -1, kalai: -1, kalaiG: 1, nashG: 1, welfare: -1, egal: -1,
		},
		{name: "empty", rv: []float64{0, 0}, nash: -1, kalai: -1, kalaiG: -1, nashG: -1, welfare: -1, egal: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Solve(tc.pareto, tc.rv)
			for name, c := range map[string]struct {
				got  *Point
				want int
			}{"nash": {s.Nash, tc.nash}, "kalai": {s.Kalai, tc.kalai}, "kalai_genius": {s.KalaiGenius, tc.kalaiG}, "nash_genius": {s.NashGenius, tc.nashG}, "max_welfare": {s.MaxWelfare, tc.welfare}, "egalitarian": {s.Egalitarian, tc.egal}} {
				switch {
				case c.want < 0 && c.got != nil:
					t.Errorf("%s = %v, want none", name, c.got.Utility)
				case c.want >= 0 && c.got != &tc.pareto[c.want]:
					t.Errorf("%s = %v, want %v", name, c.got, tc.pareto[c.want].Utility)
				}
			}
		})
	}
}

func TestDistances(t *testing.T) {
	r := &Report{Pareto: []Point{{Utility: []float64{0, 1}}, {Utility: []float64{0.6, 0.8}}, {Utility: []float64{1, 0}}}}
	r.Solutions = Solve(r.Pareto, []float64{0, 0})
	if d, k := r.DistanceToPareto([]float64{0.3, 0.4}); math.Abs(d-0.5) > 1e-15 || k != 1 {
		t.Errorf("distance to Pareto = %v at %d, want 0.5 at 1", d, k)
	}
	if d := r.DistanceToNash([]float64{0.6, 0.8}); d != 0 {
		t.Errorf("distance to Nash = %v, want 0", d)
	}
	if d := r.DistanceToKalai([]float64{0.6, 0.8}); d != 0 {
		t.Errorf("distance to Kalai = %v, want 0", d)
	}
	empty := &Report{}
	if d, k := empty.DistanceToPareto([]float64{0, 0}); !math.IsInf(d, 1) || k != -1 || !math.IsInf(empty.DistanceToNash([]float64{0, 0}), 1) {
		t.Errorf("empty frontier: %v, %d", d, k)
	}
}

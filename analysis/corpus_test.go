package analysis

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/genius"
	"github.com/backchannel/backchannel/internal/corpus"
	"github.com/backchannel/backchannel/outcome"
)

// corpusLimit bounds the spaces the corpus walk enumerates, to keep the test
// within seconds (the largest ANAC 2010–2013 linear domains are below it).
const corpusLimit = 2_000_000

// covers reports whether every point of a is weakly dominated, within tol in
// every coordinate, by some point of b.
func covers(b, a [][]float64, tol float64) bool {
	for _, p := range a {
		ok := false
		for _, q := range b {
			all := true
			for i := range p {
				if q[i] < p[i]-tol {
					all = false
					break
				}
			}
			if all {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// TestGeniusCorpus analyses every GENIUS scenario of the shared corpus with at
// most corpusLimit outcomes (its first two profiles, as GENIUS pairs them) by
// enumeration (the path that does not use package frontier) and checks the
// result against an independent algorithm: the issue-by-issue Minkowski
// frontier of package frontier, for linear profiles. The two add
// utilities in different orders, so the frontiers are compared as sets that
// cover each other within 1e-9, and the Nash products to 1e-9. It logs one
// line per scenario (outcomes, frontier size, time).
func TestGeniusCorpus(t *testing.T) {
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
	sort.Strings(dirs)
	analysed, crossChecked := 0, 0
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		s, err := genius.ReadDir(dir)
		if err != nil || len(s.Parties) < 2 {
			continue // loading is package genius's business (TestCorpusLoads)
		}
		ps := s.Profiles()[:2]
		start := time.Now()
		r, err := Analyze(context.Background(), s.Space, ps, Options{Limit: corpusLimit, enumerate: true})
		if errors.Is(err, outcome.ErrTooLarge) {
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		el := time.Since(start)
		analysed++
		if len(r.Pareto) == 0 || r.KalaiGenius == nil || r.NashGenius == nil || r.MaxWelfareGenius == nil {
			t.Errorf("%s: frontier of %d points, GENIUS Kalai %v, Nash %v, welfare %v", rel, len(r.Pareto), r.KalaiGenius, r.NashGenius, r.MaxWelfareGenius)
			continue
		}
		t.Logf("%-45s %10d outcomes %5d frontier points %8.1f ms", rel, r.Outcomes, len(r.Pareto), float64(el.Microseconds())/1000)
		if !ps[0].IsLinear() || !ps[1].IsLinear() {
			continue
		}
		f, err := frontier.Linear(s.Space, ps, frontier.Options{})
		if err != nil {
			t.Errorf("%s: frontier.Linear: %v", rel, err)
			continue
		}
		ours := make([][]float64, len(r.Pareto))
		for k := range r.Pareto {
			ours[k] = r.Pareto[k].Utility
		}
		theirs := make([][]float64, f.Len())
		for k := range theirs {
			theirs[k] = f.Utilities(k)
		}
		if !covers(ours, theirs, 1e-9) || !covers(theirs, ours, 1e-9) {
			t.Errorf("%s: frontier of %d points, frontier.Linear %d, and they do not cover each other within 1e-9", rel, len(ours), len(theirs))
		}
		if r.Nash != nil {
			k, ok := f.Nash(r.Reservation)
			if !ok || math.Abs(product(r.Nash.Utility, r.Reservation)-product(f.Utilities(k), r.Reservation)) > 1e-9 {
				t.Errorf("%s: Nash %v, frontier.Linear's %v", rel, r.Nash.Utility, f.Utilities(k))
			}
		}
		crossChecked++
	}
	t.Logf("%d scenarios analysed, %d cross-checked against frontier.Linear", analysed, crossChecked)
	if analysed == 0 {
		t.Fatal("no GENIUS scenario analysed")
	}
}

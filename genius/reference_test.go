package genius

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/internal/corpus"
)

// reference is the part of a genius-reference/*.json file this package checks:
// what GENIUS 10.4's own classes computed for a scenario.
type reference struct {
	Dir        string `json:"dir"`
	DomainFile string `json:"domain_file"`
	NOutcomes  int64  `json:"n_outcomes"`
	Profiles   []struct {
		File        string             `json:"file"`
		Discount    float64            `json:"discount_factor"`
		Reservation float64            `json:"reservation_value"`
		Weights     map[string]float64 `json:"weights"`
	} `json:"profiles"`
	RandomBids []struct {
		Bid       map[string]any `json:"bid"`
		Utilities []float64      `json:"utilities"`
	} `json:"random_bids"`
}

// TestGeniusReference checks every utility, weight, discount and reservation
// value GENIUS 10.4 computed for the ANAC 2010 and 2011 scenarios.
func TestGeniusReference(t *testing.T) {
	ref := corpus.Dir(t, "genius-reference")
	root := corpus.Dir(t, "genius")
	files, _ := filepath.Glob(filepath.Join(ref, "y201[01]", "*.json"))
	if len(files) == 0 {
		t.Fatal("no reference files")
	}
	bids := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r reference
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(r.Dir, "tests/data/scenarios/")))
		profs := make([]string, len(r.Profiles))
		for i, p := range r.Profiles {
			profs[i] = filepath.Join(dir, p.File)
		}
		s, err := Read(filepath.Join(dir, r.DomainFile), profs...)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		name := filepath.Base(f)
		if n, _ := s.Space.Size(); n != r.NOutcomes {
			t.Errorf("%s: %d outcomes, GENIUS %d", name, n, r.NOutcomes)
		}
		for pi, rp := range r.Profiles {
			p := s.Parties[pi].Profile
			if p.Discount != rp.Discount || p.Reservation != rp.Reservation {
				t.Errorf("%s %s: discount %v reservation %v, GENIUS %v %v", name, rp.File, p.Discount, p.Reservation, rp.Discount, rp.Reservation)
			}
			for issue, w := range rp.Weights {
				i := s.Space.IssueIndex(issue)
				if i < 0 {
					t.Errorf("%s: no issue %q", name, issue)
					continue
				}
				if p.Issues[i].Weight != w {
					t.Errorf("%s %s: weight of %q %v, GENIUS %v", name, rp.File, issue, p.Issues[i].Weight, w)
				}
			}
		}
		for bi, b := range r.RandomBids {
			m := make(map[string]string, len(b.Bid))
			for k, v := range b.Bid {
				m[k] = fmt.Sprint(v)
			}
			o, err := s.Space.Parse(m)
			if err != nil {
				t.Errorf("%s bid %d: %v", name, bi, err)
				continue
			}
			for pi, want := range b.Utilities {
				if got := s.Parties[pi].Profile.Utility(o); math.Abs(got-want) > 1e-9 {
					t.Errorf("%s bid %d party %d: utility %.17g, GENIUS %.17g", name, bi, pi, got, want)
				}
			}
			bids++
		}
	}
	t.Logf("%d reference files, %d bids checked", len(files), bids)
}

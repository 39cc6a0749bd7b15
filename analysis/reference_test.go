package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/genius"
	"github.com/backchannel/backchannel/internal/corpus"
	"github.com/backchannel/backchannel/outcome"
)

// geniusPoint is a point as the reference files write it.
type geniusPoint struct {
	Utility []float64      `json:"utility"`
	Bid     map[string]any `json:"bid"`
}

// geniusRef is the part of a genius-reference/*.json file that holds what
// GENIUS 10.4's BidSpace computed for the first profile pair.
type geniusRef struct {
	Dir        string `json:"dir"`
	DomainFile string `json:"domain_file"`
	NOutcomes  int64  `json:"n_outcomes"`
	Profiles   []struct {
		File string `json:"file"`
	} `json:"profiles"`
	Pairs []struct {
		ProfileIndices []int            `json:"profile_indices"`
		Computed       bool             `json:"computed"`
		ParetoUtil     [][]float64      `json:"pareto_utilities"`
		ParetoBids     []map[string]any `json:"pareto_bids"`
		Nash           *geniusPoint     `json:"nash"`
		Kalai          *geniusPoint     `json:"kalai"`
		MaxWelfare     *geniusPoint     `json:"max_social_welfare"`
		Opposition     float64          `json:"opposition_full"`
	} `json:"pairs"`
}

func bidMatches(sp *outcome.Space, o outcome.Outcome, bid map[string]any) error {
	m := sp.Map(o)
	if len(bid) != len(m) {
		return fmt.Errorf("bid names %d issues, the space has %d", len(bid), len(m))
	}
	for k, v := range bid {
		if m[k] != fmt.Sprint(v) {
			return fmt.Errorf("%s = %q, want %q", k, m[k], fmt.Sprint(v))
		}
	}
	return nil
}

func samePoint(sp *outcome.Space, got *Point, want *geniusPoint) error {
	if got == nil {
		return fmt.Errorf("none, want %v", want.Utility)
	}
	for i := range want.Utility {
		if math.Abs(got.Utility[i]-want.Utility[i]) > 1e-9 {
			return fmt.Errorf("utilities %v, want %v", got.Utility, want.Utility)
		}
	}
	if want.Bid != nil {
		return bidMatches(sp, got.Outcome, want.Bid)
	}
	return nil
}

// TestGeniusReference reproduces what GENIUS 10.4's own analysis computed for
// the ANAC 2010 and 2011 scenarios (genius-reference/): the full Pareto
// frontier with its bids in GENIUS's order (ties of equal utility from
// different bids all kept), its Nash, Kalai and social-welfare points and
// the opposition, to 1e-9.
func TestGeniusReference(t *testing.T) {
	refDir := corpus.Dir(t, "genius-reference")
	root := corpus.Dir(t, "genius")
	files, _ := filepath.Glob(filepath.Join(refDir, "y201[01]", "*.json"))
	if len(files) == 0 {
		t.Fatal("no reference files under genius-reference/y2010, y2011")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var ref geniusRef
			if err := json.Unmarshal(data, &ref); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(ref.Dir, "tests/data/scenarios/")))
			for _, pair := range ref.Pairs {
				if !pair.Computed {
					continue
				}
				profs := make([]string, len(pair.ProfileIndices))
				for i, pi := range pair.ProfileIndices {
					profs[i] = filepath.Join(dir, ref.Profiles[pi].File)
				}
				s, err := genius.Read(filepath.Join(dir, ref.DomainFile), profs...)
				if err != nil {
					t.Fatal(err)
				}
				r, err := Analyze(context.Background(), s.Space, s.Profiles(), Options{})
				if err != nil {
					t.Fatal(err)
				}
				if r.Outcomes != ref.NOutcomes {
					t.Errorf("%d outcomes, GENIUS %d", r.Outcomes, ref.NOutcomes)
				}
				if len(r.Pareto) != len(pair.ParetoUtil) {
					t.Fatalf("frontier of %d points, GENIUS %d", len(r.Pareto), len(pair.ParetoUtil))
				}
				for k, p := range r.Pareto {
					w := pair.ParetoUtil[k]
					if math.Abs(p.Utility[0]-w[0]) > 1e-9 || math.Abs(p.Utility[1]-w[1]) > 1e-9 {
						t.Errorf("frontier point %d: %v, GENIUS %v", k, p.Utility, w)
					}
					if err := bidMatches(s.Space, p.Outcome, pair.ParetoBids[k]); err != nil {
						t.Errorf("frontier point %d: %v", k, err)
					}
				}
				for what, c := range map[string]struct {
					got  *Point
					want *geniusPoint
				}{"nash_genius": {r.NashGenius, pair.Nash}, "kalai_genius": {r.KalaiGenius, pair.Kalai}, "max_welfare": {r.MaxWelfare, pair.MaxWelfare}, "max_welfare_genius": {r.MaxWelfareGenius, pair.MaxWelfare}} {
					if err := samePoint(s.Space, c.got, c.want); err != nil {
						t.Errorf("%s: %v", what, err)
					}
				}
				if math.Abs(r.Opposition-pair.Opposition) > 1e-9 {
					t.Errorf("opposition %.17g, GENIUS %.17g", r.Opposition, pair.Opposition)
				}
			}
		})
	}
}

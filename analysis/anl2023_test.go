package analysis

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/backchannel/backchannel/geniusweb"
	"github.com/backchannel/backchannel/internal/corpus"
)

// anlSpecials is an ANAC 2023 ANL specials.json, computed by the
// competition's organisers.
type anlSpecials struct {
	Size         int64         `json:"size"`
	Opposition   float64       `json:"opposition"`
	Distribution float64       `json:"distribution"`
	Welfare      geniusPoint   `json:"social_welfare"`
	Nash         geniusPoint   `json:"nash"`
	Kalai        geniusPoint   `json:"kalai"`
	Pareto       []geniusPoint `json:"pareto_front"`
}

// TestANL2023Specials reproduces every anl2023/*/specials.json to 1e-9: the
// outcome count, the complete Pareto front with its bids (party A's utility
// ascending), the Nash point (largest u_A·u_B on the front: no reservation
// values in these profiles), the Kalai point in GENIUS's definition (the
// front point with the smallest |u_A − u_B|), the social-welfare point
// (largest u_A + u_B), the opposition (the Kalai point's distance to (1, 1):
// not GENIUS's smallest distance of any outcome) and the distribution (the
// mean distance of every outcome to the nearest front point).
func TestANL2023Specials(t *testing.T) {
	root := corpus.Dir(t, "anl2023")
	dirs, _ := filepath.Glob(filepath.Join(root, "domain*"))
	if len(dirs) == 0 {
		t.Fatal("no anl2023/domain* folders")
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "specials.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want anlSpecials
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatalf("specials.json: %v", err)
			}
			s, err := geniusweb.Read(filepath.Join(dir, name+".json"), filepath.Join(dir, "profileA.json"), filepath.Join(dir, "profileB.json"))
			if err != nil {
				t.Fatal(err)
			}
			r, err := Analyze(context.Background(), s.Space, s.Profiles(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcomes != want.Size {
				t.Errorf("%d outcomes, specials %d", r.Outcomes, want.Size)
			}
			if len(r.Pareto) != len(want.Pareto) {
				t.Fatalf("front of %d points, specials %d", len(r.Pareto), len(want.Pareto))
			}
			for k := range r.Pareto {
				if err := samePoint(s.Space, &r.Pareto[k], &want.Pareto[k]); err != nil {
					t.Errorf("front point %d: %v", k, err)
				}
			}
			for what, c := range map[string]struct {
				got  *Point
				want *geniusPoint
			}{"nash": {r.Nash, &want.Nash}, "nash_genius": {r.NashGenius, &want.Nash}, "kalai_genius": {r.KalaiGenius, &want.Kalai}, "max_welfare": {r.MaxWelfare, &want.Welfare}} {
				if err := samePoint(s.Space, c.got, c.want); err != nil {
					t.Errorf("%s: %v", what, err)
				}
			}
			if math.Abs(r.OppositionANL-want.Opposition) > 1e-9 {
				t.Errorf("opposition (ANL) %.17g, specials %.17g", r.OppositionANL, want.Opposition)
			}
			if d, err := r.Distribution(context.Background()); err != nil || math.Abs(d-want.Distribution) > 1e-9 {
				t.Errorf("distribution %.17g (%v), specials %.17g", d, err, want.Distribution)
			}
		})
	}
}

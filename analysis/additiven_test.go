package analysis

import (
	"context"
	"errors"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/internal/synth"
)

// TestAdditiveNMatchesEnumeration holds the n-party additive path (the
// frontier's vectors issue by issue, then one pass for counts and ties) to
// the enumerating path, bit for bit, on random problems of 3 to 8 parties
// with frequent ties, rules, red lines, caps, and constraints honoured or
// ignored: the same counts, the same frontier (every tied outcome, in the
// same order) and the same solution points.
func TestAdditiveNMatchesEnumeration(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(3, 8).Draw(t, "parties")
		sp, ps := genProblem(t, n)
		opts := Options{IgnoreConstraints: rapid.Bool().Draw(t, "ignore")}
		a, err := Analyze(context.Background(), sp, ps, opts)
		if err != nil {
			t.Fatal(err)
		}
		opts.enumerate = true
		e, err := Analyze(context.Background(), sp, ps, opts)
		if err != nil {
			t.Fatal(err)
		}
		sameReports(t, a, e)
		if a.Opposition != e.Opposition {
			t.Fatalf("opposition %v, enumerated %v", a.Opposition, e.Opposition)
		}
	})
}

// TestManyPartiesCancelled: a cancelled context stops Analyze (the n-party
// additive path), Summarize and DistanceToPareto with the context's error.
func TestManyPartiesCancelled(t *testing.T) {
	sc := synth.Scenario(synth.Config{Parties: 5, Issues: 4, Values: 6, Seed: 2})
	s, err := Summarize(context.Background(), sc.Space, sc.Profiles(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Analyze(ctx, sc.Space, sc.Profiles(), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Analyze: %v", err)
	}
	if _, err := Summarize(ctx, sc.Space, sc.Profiles(), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Summarize: %v", err)
	}
	u := make([]float64, 5)
	if _, err := s.DistanceToPareto(ctx, u); !errors.Is(err, context.Canceled) {
		t.Errorf("DistanceToPareto: %v", err)
	}
}

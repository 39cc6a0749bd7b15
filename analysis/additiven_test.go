package analysis

import (
	"context"
	"testing"

	"pgregory.net/rapid"
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

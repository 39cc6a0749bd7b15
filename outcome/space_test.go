package outcome_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/outcome"
)

func genSpace(t *rapid.T) *outcome.Space {
	n := rapid.IntRange(1, 6).Draw(t, "issues")
	var issues []outcome.Issue
	for i := range n {
		k := rapid.IntRange(1, 5).Draw(t, fmt.Sprintf("values%d", i))
		vals := make([]string, k)
		for v := range vals {
			vals[v] = fmt.Sprintf("v%d", v)
		}
		issues = append(issues, outcome.NewDiscrete(fmt.Sprintf("i%d", i), vals...))
	}
	sp, err := outcome.NewSpace(issues, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// TestIndexDecodeNext checks that Next enumerates every outcome once, in
// dense-index order, and that Index and Decode are inverse.
func TestIndexDecodeNext(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sp := genSpace(t)
		n, ok := sp.Size()
		if !ok || sp.Count().Int64() != n {
			t.Fatalf("size %d %v, count %s", n, ok, sp.Count())
		}
		o := sp.New()
		buf := sp.New()
		var i int64
		for {
			if got := sp.Index(o); int64(got) != i {
				t.Fatalf("outcome %v has index %d, want %d", o, got, i)
			}
			if !sp.Decode(outcome.Index(i), buf).Equal(o) {
				t.Fatalf("Decode(%d) = %v, want %v", i, buf, o)
			}
			if !sp.Valid(o) {
				t.Fatalf("%v not valid", o)
			}
			i++
			if !sp.Next(o) {
				break
			}
		}
		if i != n {
			t.Fatalf("Next visited %d outcomes, want %d", i, n)
		}
	})
}

func TestParseAndMap(t *testing.T) {
	sp, err := outcome.NewSpace([]outcome.Issue{outcome.NewDiscrete("x", "a", "b"), outcome.NewInteger("n", 3, 5), outcome.NewReal("r", 0, 1, 3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := sp.Parse(map[string]string{"x": "b", "n": "4", "r": "0.5"})
	if err != nil || !o.Equal(outcome.Outcome{1, 1, 1}) {
		t.Fatalf("Parse = %v, %v", o, err)
	}
	if m := sp.Map(o); m["x"] != "b" || m["n"] != "4" || m["r"] != "0.5" {
		t.Errorf("Map = %v", m)
	}
	for _, tc := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"x": "a", "n": "3"}, `issue "r" has no value`},
		{map[string]string{"x": "c", "n": "3", "r": "0"}, `issue "x": unknown value "c"`},
		{map[string]string{"x": "a", "n": "3", "r": "0", "y": "1"}, `unknown issue "y"`},
		{map[string]string{"x": "a", "n": "9", "r": "0"}, `issue "n": unknown value "9"`},
	} {
		if _, err := sp.Parse(tc.m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%v) error %v, want %q", tc.m, err, tc.want)
		}
	}
}

func TestNewSpaceRejectsBadIssues(t *testing.T) {
	for _, tc := range []struct {
		issues []outcome.Issue
		want   string
	}{
		{[]outcome.Issue{outcome.NewDiscrete("x")}, `issue "x" has no values`},
		{[]outcome.Issue{outcome.NewDiscrete("x", "a"), outcome.NewDiscrete("x", "b")}, `issue "x" appears twice`},
		{[]outcome.Issue{outcome.NewDiscrete("x", "a", "a")}, `value "a" appears twice`},
		{[]outcome.Issue{outcome.NewDiscrete("", "a")}, "has no name"},
	} {
		if _, err := outcome.NewSpace(tc.issues, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

func TestHugeSpacesAreCountedNotEnumerated(t *testing.T) {
	var issues []outcome.Issue
	for i := range 100 {
		issues = append(issues, outcome.NewDiscrete(fmt.Sprint("i", i), "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
	}
	sp, err := outcome.NewSpace(issues, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sp.Size(); ok {
		t.Error("Size of 10^100 outcomes reported as fitting an int64")
	}
	if s := sp.Count().String(); s != "1"+strings.Repeat("0", 100) {
		t.Errorf("Count = %s", s)
	}
	if err := sp.CheckEnumerable(0); !errors.Is(err, outcome.ErrTooLarge) {
		t.Errorf("CheckEnumerable = %v, want ErrTooLarge", err)
	}
}

func TestRules(t *testing.T) {
	// "if x is c then y must be a".
	sp, err := outcome.NewSpace([]outcome.Issue{outcome.NewDiscrete("x", "a", "b", "c"), outcome.NewDiscrete("y", "a", "b")},
		[]outcome.Rule{{Name: "r", If: []outcome.Condition{{Issue: 0, Allowed: []bool{false, false, true}}}, Then: []outcome.Condition{{Issue: 1, Allowed: []bool{true, false}}}}})
	if err != nil {
		t.Fatal(err)
	}
	feasible := 0
	o := sp.New()
	for ok := true; ok; ok = sp.Next(o) {
		if sp.Feasible(o) {
			feasible++
		} else if !o.Equal(outcome.Outcome{2, 1}) {
			t.Errorf("%v wrongly infeasible", o)
		}
	}
	if feasible != 5 {
		t.Errorf("%d feasible, want 5", feasible)
	}
	_, err = outcome.NewSpace(sp.Issues, []outcome.Rule{{Name: "bad", If: []outcome.Condition{{Issue: 3, Allowed: []bool{true}}}}})
	if err == nil || !strings.Contains(err.Error(), `rule "bad"`) {
		t.Errorf("bad rule accepted: %v", err)
	}
}

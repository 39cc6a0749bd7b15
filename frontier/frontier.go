// Package frontier computes Pareto frontiers, the Nash and Kalai–Smorodinsky
// solutions and offer searches on outcome spaces far too large to enumerate,
// by working issue by issue on linear-additive profiles.
//
// The frontier of a sum of independent per-issue contributions is the
// Pareto-pruned Minkowski sum of the per-issue frontiers (the dominance
// pruning used by dynamic programming for the multi-objective knapsack and
// multiple-choice knapsack problems: Klamroth & Wiecek 2000, "Dynamic
// programming approaches to the multiple criteria knapsack problem";
// Bazgan, Hugot & Vanderpooten 2009, "Solving efficiently the 0–1
// multi-objective knapsack problem"): if a prefix of an outcome (its values
// on the first issues) is dominated by another prefix, replacing it yields an
// outcome that dominates the first, so dominated prefixes can be dropped
// after every issue. [Bilateral] and [Linear] do this and keep, per frontier
// point, one value index per issue as a back-pointer chain, never whole
// outcomes. [Skyline] is the enumerating n-party frontier for any utility
// function (sort-filter-skyline over a stream). [Offers] searches one
// party's acceptable outcomes by utility over the per-issue structure.
// Every fast path has a slow reference in the tests ([Enumerate] is the
// enumerating bilateral one).
package frontier

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// DefaultMaxPoints is the frontier size (per piece and issue step) above which
// an exact computation stops with [ErrFrontierTooLarge] unless Options says
// otherwise: 4 Mi points, about 100 MB of working memory for two parties.
const DefaultMaxPoints = 1 << 22

// ErrFrontierTooLarge is returned when the exact frontier would hold more
// points than allowed; ask for an ε-approximate frontier (Options.Epsilon)
// instead.
var ErrFrontierTooLarge = errors.New("frontier: the exact Pareto frontier is too large to hold")

// ErrNotLinear is returned for a profile whose utility is not linear additive
// (a Custom function); such spaces must be enumerated ([Skyline]).
var ErrNotLinear = errors.New("frontier: profile is not linear additive")

// Options tunes a frontier computation. The zero value asks for the exact
// frontier with the default size limit.
type Options struct {
	// Epsilon > 0 asks for an ε-approximate frontier: every point of the exact
	// frontier p has a returned point q with q₀ ≥ p₀ and qⱼ ≥ pⱼ − Epsilon for
	// the other parties j (two parties; for more parties qⱼ ≥ pⱼ − Epsilon for
	// every j). Every returned point is a real outcome with its exact
	// utilities. 0 asks for the exact frontier.
	Epsilon float64
	// MaxPoints bounds the frontier size held at any step; 0 means
	// DefaultMaxPoints. Exceeding it returns an error wrapping
	// ErrFrontierTooLarge.
	MaxPoints int
	// MaxCandidates bounds the candidates of one step with more than two
	// parties (|Fᵢ₋₁|·|Gᵢ|; the step's filter costs about C²·(d+1)/128 word
	// operations, so this bounds its time); 0 means DefaultMaxCandidates.
	// Exceeding it returns an error wrapping ErrFrontierTooLarge.
	MaxCandidates int
}

// DefaultMaxCandidates is the candidate count of one n-party step above
// which Linear stops with [ErrFrontierTooLarge] unless Options says
// otherwise: 2¹⁸, a step of at most about 6·10⁹ word operations for ten
// parties (seconds on the reference machine) and 20 MiB of bitsets. On
// issue 16's random 10⁶-outcome scenarios the last step of 8 and 9
// parties tests 179,000 and 164,000 candidates (exact in a few seconds),
// that of 10 parties 483,000 (about 36 s of CPU: refused).
const DefaultMaxCandidates = 1 << 18

// Frontier is a Pareto frontier: the utility vectors of the outcomes no other
// outcome weakly improves for every party and strictly for one, one point per
// distinct utility vector, with one representative outcome per point.
//
// Representative: among the outcomes with a point's utility vector, the one
// whose value indices are lexicographically smallest in the space's issue
// order. This holds exactly whenever the utility sums are free of rounding
// (evaluations on a binary grid); otherwise the representative is an outcome
// with exactly that utility vector (as [preference.Profile.Utility] computes
// it). For a profile capped at one whose cap binds, the representative is
// the smallest among the outcomes on the uncapped frontier with that point. A Frontier is immutable and safe for concurrent use.
type Frontier struct {
	// Parties is the number of utilities per point.
	Parties int
	// U holds point k's utilities at U[k·Parties : (k+1)·Parties], in party
	// order. Points are sorted by party 0's utility ascending, then by the
	// next parties' ascending.
	U []float64
	// Exact is false for an ε-approximate frontier.
	Exact bool
	// Epsilon is the additive bound of an approximate frontier (0 if exact).
	Epsilon float64
	// Pieces is the number of rule-consistent sub-spaces computed ([Split]).
	Pieces int
	// MaxHeld is the largest number of points held at one issue step.
	MaxHeld int

	space  *outcome.Space
	chains []*chain
	ref    []ref
	idx    []outcome.Index // enumerated frontiers: each point's dense index
}

type ref struct{ piece, idx int32 }

// chain holds the back-pointers of one piece: at issue step s, point k came
// from point parent[s][k] of step s−1 with value val[s][k] of issue s.
type chain struct {
	parent [][]int32
	val    [][]int32
}

// Len returns the number of frontier points.
func (f *Frontier) Len() int {
	if f.Parties == 0 {
		return 0
	}
	return len(f.U) / f.Parties
}

// Utilities returns point k's utilities (a sub-slice of U; do not modify).
func (f *Frontier) Utilities(k int) []float64 { return f.U[k*f.Parties : (k+1)*f.Parties] }

// Outcome writes point k's representative outcome into dst (len NumIssues of
// the space) and returns it. It costs O(issues) and never allocates.
func (f *Frontier) Outcome(k int, dst outcome.Outcome) outcome.Outcome {
	if f.idx != nil {
		return f.space.Decode(f.idx[k], dst)
	}
	r := f.ref[k]
	f.chains[r.piece].decode(r.idx, dst)
	return dst
}

func (c *chain) decode(idx int32, dst outcome.Outcome) {
	for s := len(c.val) - 1; s >= 0; s-- {
		dst[s] = c.val[s][idx]
		idx = c.parent[s][idx]
	}
}

// prefixCmp compares the representative prefixes (issues 0…step) of points a
// and b of one step lexicographically. Walking back until the chains meet,
// the last difference seen is the first in issue order. O(depth of the meet).
func (c *chain) prefixCmp(step int, a, b int32) int {
	d := 0
	for s := step; s >= 0 && a != b; s-- {
		if va, vb := c.val[s][a], c.val[s][b]; va != vb {
			d = cmp.Compare(va, vb)
		}
		a, b = c.parent[s][a], c.parent[s][b]
	}
	return d
}

func checkProfiles(sp *outcome.Space, ps []*preference.Profile) error {
	if sp == nil {
		return errors.New("frontier: no outcome space")
	}
	if len(ps) == 0 {
		return errors.New("frontier: no profiles")
	}
	for _, p := range ps {
		if p == nil {
			return errors.New("frontier: nil profile")
		}
		if !p.IsLinear() {
			return fmt.Errorf("%w: profile %q (enumerate the space with Skyline instead)", ErrNotLinear, p.Name)
		}
		if len(p.Issues) != sp.NumIssues() {
			return fmt.Errorf("frontier: profile %q has %d issues, the space has %d", p.Name, len(p.Issues), sp.NumIssues())
		}
		for i := range p.Issues {
			if len(p.Issues[i].Eval) != sp.Issues[i].Len() {
				return fmt.Errorf("frontier: profile %q: issue %q has %d evaluations for %d values", p.Name, sp.Issues[i].Name, len(p.Issues[i].Eval), sp.Issues[i].Len())
			}
		}
	}
	return nil
}

// Bilateral returns the Pareto frontier of two linear-additive profiles over
// the outcomes of sp that satisfy its rules and cross neither party's red
// lines, without enumerating the space. It is [Linear] for two profiles.
func Bilateral(sp *outcome.Space, a, b *preference.Profile, opt Options) (*Frontier, error) {
	return Linear(sp, []*preference.Profile{a, b}, opt)
}

// Linear returns the Pareto frontier of linear-additive profiles over the
// outcomes of sp that satisfy its rules and cross no red line of any profile.
//
// Algorithm: the space is split into P rule-consistent products ([Split]);
// for each, the frontier is built issue by issue as the Pareto-pruned
// Minkowski sum of the running frontier Fᵢ₋₁ and issue i's own frontier Gᵢ
// (package doc). With two parties each step is a k-way merge of the |Gᵢ|
// shifted copies of Fᵢ₋₁ followed by a sweep: O(|Fᵢ₋₁|·|Gᵢ|·log|Gᵢ|). With
// d > 2 parties each step is a sort-filter-skyline (Chomicki et al. 2003) of
// the |Fᵢ₋₁|·|Gᵢ| candidates: O(C log C + C·|Fᵢ|·d). Pieces are merged by a
// final prune. Total O(P·Σᵢ |Fᵢ₋₁|·|Gᵢ|·log|Gᵢ|) time for two parties and
// O(Σᵢ|Fᵢ|) memory for the back-pointers; the frontier size |F| is bounded by
// the number of distinct utility pairs, and for k random values per issue
// grows roughly linearly with the number of issues.
//
// Profiles capped at one (GENIUS) are handled exactly: capping is monotone,
// so the capped frontier is the pruned image of the uncapped one.
func Linear(sp *outcome.Space, ps []*preference.Profile, opt Options) (*Frontier, error) {
	return LinearContext(context.Background(), sp, ps, opt)
}

// LinearContext is [Linear] that stops with ctx.Err() when ctx is cancelled
// (checked before every issue step and every 4,096 candidates of an n-party
// step's filter).
func LinearContext(ctx context.Context, sp *outcome.Space, ps []*preference.Profile, opt Options) (*Frontier, error) {
	if err := checkProfiles(sp, ps); err != nil {
		return nil, err
	}
	if opt.Epsilon < 0 || math.IsNaN(opt.Epsilon) || math.IsInf(opt.Epsilon, 0) {
		return nil, fmt.Errorf("frontier: epsilon %v must be a finite number ≥ 0", opt.Epsilon)
	}
	if opt.MaxPoints <= 0 {
		opt.MaxPoints = DefaultMaxPoints
	}
	pieces, err := Split(sp, ps...)
	if err != nil {
		return nil, err
	}
	d := len(ps)
	f := &Frontier{Parties: d, Exact: opt.Epsilon == 0, Epsilon: opt.Epsilon, Pieces: len(pieces), space: sp}
	delta := 0.0
	if opt.Epsilon > 0 && sp.NumIssues() > 0 {
		delta = opt.Epsilon / float64(sp.NumIssues())
	}
	var all []float64
	var refs []ref
	mk := newMinkowski(d, delta, opt.MaxPoints)
	mk.ctx = ctx
	mk.maxCand = opt.MaxCandidates
	if mk.maxCand <= 0 {
		mk.maxCand = DefaultMaxCandidates
	}
	for pi, pc := range pieces {
		ch, u, held, err := mk.run(ps, pc)
		if err != nil {
			return nil, err
		}
		f.MaxHeld = max(f.MaxHeld, held)
		f.chains = append(f.chains, ch)
		for k := range len(u) / d {
			refs = append(refs, ref{int32(pi), int32(k)})
		}
		all = append(all, u...)
	}
	capped := false
	for j, p := range ps {
		if p.CapAtOne {
			capped = true
			for k := j; k < len(all); k += d {
				all[k] = min(all[k], 1)
			}
		}
	}
	// One piece without caps is already pruned: each step's output is
	// mutually non-dominated (the filter keeps a point only if no earlier,
	// larger-sum point covers it, and a later point never dominates an
	// earlier one).
	f.U, f.ref = f.final(all, refs, len(pieces) > 1 || capped)
	return f, nil
}

// outcomeCmp compares the representatives of two candidate points of the
// final merge lexicographically.
func (f *Frontier) outcomeCmp(a, b ref, bufA, bufB outcome.Outcome) int {
	if a.piece == b.piece {
		ch := f.chains[a.piece]
		return ch.prefixCmp(len(ch.val)-1, a.idx, b.idx)
	}
	f.chains[a.piece].decode(a.idx, bufA)
	f.chains[b.piece].decode(b.idx, bufB)
	return slices.Compare(bufA, bufB)
}

// final prunes the union of the pieces' frontiers (after caps; for more than
// two parties only when prune is set) and sorts it by party 0 ascending. Two parties: sort and sweep, O(F log F); more: a
// sort-filter-skyline, O(F log F + F²·(d+1)/64) (filterSorted).
func (f *Frontier) final(all []float64, refs []ref, prune bool) ([]float64, []ref) {
	d := f.Parties
	n := len(refs)
	ord := make([]int32, n)
	for k := range ord {
		ord[k] = int32(k)
	}
	bufA, bufB := f.space.New(), f.space.New()
	vec := func(k int32) []float64 { return all[int(k)*d : int(k)*d+d] }
	score := func(k int32) float64 {
		s := 0.0
		for _, x := range vec(k) {
			s += x
		}
		return s
	}
	var keptU []float64
	var keptR []ref
	if d == 2 {
		// Party 0 descending, then party 1 descending, then representative: a
		// point is on the frontier iff its party-1 utility beats every earlier
		// one; of equal vectors the first (smallest representative) stays.
		slices.SortFunc(ord, func(a, b int32) int {
			if c := slices.Compare(vec(b), vec(a)); c != 0 {
				return c
			}
			return f.outcomeCmp(refs[a], refs[b], bufA, bufB)
		})
		best := math.Inf(-1)
		for _, k := range ord {
			if p := vec(k); p[1] > best {
				best = p[1]
				keptU = append(keptU, p...)
				keptR = append(keptR, refs[k])
			}
		}
	} else if !prune {
		keptU, keptR = all, refs
	} else {
		// Score descending: a dominator (whose sum is ≥ by monotone rounding)
		// comes first; equal scores are ordered by vector then representative.
		slices.SortFunc(ord, func(a, b int32) int {
			if c := cmp.Compare(score(b), score(a)); c != 0 {
				return c
			}
			if c := slices.Compare(vec(b), vec(a)); c != 0 {
				return c
			}
			return f.outcomeCmp(refs[a], refs[b], bufA, bufB)
		})
		keep := make([]bool, n)
		filterSorted(d, n, func(k int) []float64 { return vec(ord[k]) }, 0, keep, nil)
		for j, k := range ord {
			if keep[j] {
				keptU = append(keptU, vec(k)...)
				keptR = append(keptR, refs[k])
			}
		}
	}
	m := len(keptR)
	ord = ord[:m]
	for k := range ord {
		ord[k] = int32(k)
	}
	slices.SortFunc(ord, func(a, b int32) int {
		return slices.Compare(keptU[int(a)*d:int(a)*d+d], keptU[int(b)*d:int(b)*d+d])
	})
	u := make([]float64, 0, m*d)
	r := make([]ref, 0, m)
	for _, k := range ord {
		u = append(u, keptU[int(k)*d:int(k)*d+d]...)
		r = append(r, keptR[k])
	}
	return u, r
}

// covers reports whether q weakly dominates p, with slack delta on every
// coordinate (delta = 0: plain weak dominance, equal vectors included).
func covers(q, p []float64, delta float64) bool {
	for j := range p {
		if q[j] < p[j]-delta {
			return false
		}
	}
	return true
}

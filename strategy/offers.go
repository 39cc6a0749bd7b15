package strategy

import (
	"cmp"
	"container/list"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"

	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// Offers is what a bidding strategy may offer: one party's acceptable
// outcomes (feasible under the space's rules, crossing none of its red lines,
// utility at least a floor, normally its reservation value), searchable by the
// party's own utility.
//
// Every outcome an Offers method writes is acceptable in that sense; a
// strategy that draws its offers from Offers can never break a red line, a
// rule or its reservation value. Utilities are the profile's undiscounted
// utilities. Methods write into buffers the caller owns and never allocate.
//
// The sorted index ([Index]) implements it for spaces that can be enumerated;
// a variant for larger spaces can search the per-issue structure instead
// without any change to the strategies, which use only this interface.
// An Offers value is used by one party at a time.
type Offers interface {
	// Empty reports whether no outcome is acceptable; the other methods must
	// then not be called.
	Empty() bool
	// Best returns the highest utility of an acceptable outcome.
	Best() float64
	// Worst returns the lowest utility of an acceptable outcome (≥ the floor).
	Worst() float64
	// AtLeast writes to dst the acceptable outcome of lowest utility that is
	// at least target and returns its utility. If target is above Best it
	// writes a best outcome; if target is at or below Worst, a worst one. Ties
	// are broken by a fixed order, so the same target gives the same outcome.
	AtLeast(target float64, dst outcome.Outcome) float64
	// Nth writes to dst the n-th best acceptable outcome (n = 0 is a best one)
	// and returns its utility and true, or false if n is out of range. The
	// order is fixed: the same n gives the same outcome.
	Nth(n int, dst outcome.Outcome) (float64, bool)
	// Within appends to buf, as runs of NumIssues value indices, up to limit
	// acceptable outcomes whose utility lies in [lo, hi], in order of
	// increasing utility, and returns the extended buffer.
	Within(lo, hi float64, limit int, buf []int32) []int32
	// Sample writes to dst an acceptable outcome drawn uniformly at random
	// with r and returns its utility.
	Sample(r *rand.Rand, dst outcome.Outcome) float64
}

// MaxIndexed is the largest outcome space the sorted index enumerates. It
// stores 12 bytes per outcome it keeps, so at most about 200 MB.
const MaxIndexed = 1 << 24

// Index is one profile's feasible, red-line-free outcomes over one space as
// dense indices sorted by the profile's utility (ascending; ties by index).
//
// It is sorted lazily: building it costs one pass over the N outcomes,
// O(N·n̄) with utilities kept as prefix sums (n̄ ≈ 1 addition per outcome),
// plus a counting sort of the M kept outcomes into 4,096 buckets of equal
// utility width, O(M); a bucket is sorted, O(b log b) for its b outcomes,
// the first time a query reaches it. A strategy that only offers near the
// top of its range (Boulware) sorts a few buckets, never all M outcomes.
// Queries cost O(log M) once their bucket is sorted. An Index is safe for
// concurrent use (each bucket is sorted once, under a sync.Once); its order
// is the same as a full sort's. [Index.Above] gives a party its view.
type Index struct {
	space *outcome.Space
	util  []float64 // ascending once every bucket is sorted
	idx   []int32   // dense outcome index of each entry
	// vals holds each entry's value indices back to back when every issue
	// has at most 256 values and the table stays small (maxTable bytes):
	// copying them is several times faster than decoding the dense index.
	// A bucket's rows are written when it is sorted.
	vals []uint8

	radix     []int64     // the space's mixed radix, to decode into vals
	lo, scale float64     // bucket of u: bucketOf(u)
	start     []int32     // bucket b holds entries start[b] … start[b+1]−1
	sorted    []sync.Once // one per bucket
}

// maxTable bounds the decoded-outcome table of an Index (bytes).
const maxTable = 1 << 26

// indexBuckets is the number of utility buckets of an Index.
const indexBuckets = 1 << 12

// NewIndex enumerates sp and builds p's sorted index. It returns an error
// wrapping [outcome.ErrTooLarge] if sp has more than MaxIndexed outcomes, and
// an error if p does not fit sp. Most callers want the cached [IndexOf].
func NewIndex(sp *outcome.Space, p *preference.Profile) (*Index, error) {
	if sp == nil || p == nil {
		return nil, errors.New("strategy: index needs a space and a profile")
	}
	if err := sp.CheckEnumerable(MaxIndexed); err != nil {
		return nil, fmt.Errorf("strategy: offer index for profile %q: %w", p.Name, err)
	}
	if p.Custom == nil && len(p.Issues) != sp.NumIssues() {
		return nil, fmt.Errorf("strategy: profile %q has %d issues, the space has %d (was it prepared for another space?)", p.Name, len(p.Issues), sp.NumIssues())
	}
	if p.RedLines != nil && len(p.RedLines) != sp.NumIssues() {
		return nil, fmt.Errorf("strategy: profile %q has red lines for %d issues, the space has %d", p.Name, len(p.RedLines), sp.NumIssues())
	}
	util, idx := kept(sp, p)
	// Counting sort into buckets of equal utility width; stable, so each
	// bucket lists its outcomes in index order.
	ix := &Index{space: sp, start: make([]int32, indexBuckets+1), sorted: make([]sync.Once, indexBuckets)}
	ix.lo, ix.scale = 0, 1
	if len(util) > 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, u := range util {
			lo, hi = min(lo, u), max(hi, u)
		}
		if hi > lo && !math.IsInf(hi-lo, 0) {
			ix.lo, ix.scale = lo, indexBuckets/(hi-lo)
		}
	}
	count := make([]int32, indexBuckets+1)
	for _, u := range util {
		count[ix.bucketOf(u)+1]++
	}
	for b := range indexBuckets {
		count[b+1] += count[b]
	}
	copy(ix.start, count)
	ix.util = make([]float64, len(util))
	ix.idx = make([]int32, len(util))
	for k, u := range util {
		b := ix.bucketOf(u)
		at := count[b]
		count[b]++
		ix.util[at], ix.idx[at] = u, idx[k]
	}
	ni := sp.NumIssues()
	small := len(util)*ni <= maxTable
	for i := range sp.Issues {
		small = small && sp.Issues[i].Len() <= 256
	}
	if small {
		ix.vals = make([]uint8, len(util)*ni)
		ix.radix = make([]int64, ni)
		r := int64(1)
		for i := ni - 1; i >= 0; i-- {
			ix.radix[i] = r
			r *= int64(sp.Issues[i].Len())
		}
	}
	return ix, nil
}

// kept lists the outcomes of sp that satisfy its rules and cross none of
// p's red lines, in index order, with p's utility of each (bit-identical to
// Profile.Utility: linear utilities are prefix sums added in issue order
// from 0, recomputed from the first issue a step changed).
func kept(sp *outcome.Space, p *preference.Profile) ([]float64, []int32) {
	n, _ := sp.Size()
	util := make([]float64, 0, n)
	idx := make([]int32, 0, n)
	o := sp.New()
	ni := len(o)
	linear := p.Custom == nil
	pre := make([]float64, ni+1)
	bad := make([]bool, ni+1)
	from := 0
	for i := int64(0); i < n; i++ {
		for t := from; t < ni; t++ {
			bad[t+1] = bad[t] || (p.RedLines != nil && p.RedLines[t] != nil && p.RedLines[t][o[t]])
			if linear {
				pre[t+1] = pre[t] + p.Contribution(t, o[t])
			}
		}
		from = ni
		if !bad[ni] && sp.Feasible(o) {
			u := pre[ni]
			if !linear {
				u = p.Utility(o)
			} else if p.CapAtOne && u > 1 {
				u = 1
			}
			util = append(util, u)
			idx = append(idx, int32(i))
		}
		t := ni - 1
		for ; t >= 0; t-- {
			o[t]++
			if int(o[t]) < len(sp.Issues[t].Values) {
				break
			}
			o[t] = 0
		}
		from = max(t, 0)
	}
	return util, idx
}

// bucketOf returns u's bucket: monotone in u, so a lower bucket holds only
// lower utilities. NaN goes to bucket 0, where cmp.Compare sorts it first.
func (ix *Index) bucketOf(u float64) int {
	x := (u - ix.lo) * ix.scale
	switch {
	case x >= indexBuckets-1:
		return indexBuckets - 1
	case x > 0:
		return int(x)
	}
	return 0
}

// sortBucket sorts bucket b (once) by utility, ties by index, and fills its
// rows of the value table. It never allocates (strategies must not allocate
// per request once started).
func (ix *Index) sortBucket(b int) {
	ix.sorted[b].Do(func() {
		lo, hi := int(ix.start[b]), int(ix.start[b+1])
		heapSort(ix.util[lo:hi], ix.idx[lo:hi])
		if ix.vals == nil {
			return
		}
		ni := len(ix.radix)
		for k := lo; k < hi; k++ {
			x := int64(ix.idx[k])
			row := ix.vals[k*ni : (k+1)*ni]
			for i, r := range ix.radix { // as outcome.Space.Decode
				row[i] = uint8(x / r)
				x %= r
			}
		}
	})
}

// heapSort sorts the parallel slices u, i by (u, i) ascending in place:
// O(b log b), no allocation (Williams 1964).
func heapSort(u []float64, i []int32) {
	less := func(a, b int) bool {
		if c := cmp.Compare(u[a], u[b]); c != 0 {
			return c < 0
		}
		return i[a] < i[b]
	}
	swap := func(a, b int) {
		u[a], u[b] = u[b], u[a]
		i[a], i[b] = i[b], i[a]
	}
	down := func(root, n int) {
		for {
			c := 2*root + 1
			if c >= n {
				return
			}
			if c+1 < n && less(c, c+1) {
				c++
			}
			if !less(root, c) {
				return
			}
			swap(root, c)
			root = c
		}
	}
	n := len(u)
	for r := n/2 - 1; r >= 0; r-- {
		down(r, n)
	}
	for end := n - 1; end > 0; end-- {
		swap(0, end)
		down(0, end)
	}
}

// ready sorts the bucket that holds entry k and returns the first entry of
// the next bucket.
func (ix *Index) ready(k int) int {
	b := sort.Search(indexBuckets, func(b int) bool { return int(ix.start[b+1]) > k })
	ix.sortBucket(b)
	return int(ix.start[b+1])
}

// utilAt returns entry k's utility.
func (ix *Index) utilAt(k int) float64 {
	ix.ready(k)
	return ix.util[k]
}

// firstAtLeast returns the first entry whose utility is ≥ t (len if none):
// only t's own bucket can hold both smaller and larger utilities.
func (ix *Index) firstAtLeast(t float64) int {
	if len(ix.util) == 0 || math.IsNaN(t) {
		return len(ix.util) // as sort.SearchFloat64s: nothing is ≥ NaN
	}
	b := ix.bucketOf(t)
	ix.sortBucket(b)
	lo, hi := int(ix.start[b]), int(ix.start[b+1])
	return lo + sort.SearchFloat64s(ix.util[lo:hi], t)
}

// Len returns the number of feasible, red-line-free outcomes in the index.
func (ix *Index) Len() int { return len(ix.util) }

// Above returns the view of ix restricted to outcomes of utility ≥ floor:
// the party's acceptable outcomes when floor is its reservation value. The
// view is cheap (no copy) and belongs to one party at a time.
func (ix *Index) Above(floor float64) *IndexOffers {
	return &IndexOffers{ix: ix, lo: ix.firstAtLeast(floor)}
}

// IndexOffers is an [Index] restricted to a utility floor: it implements
// [Offers] with binary search in O(log M) and a Decode in O(I).
type IndexOffers struct {
	ix *Index
	lo int // first entry at or above the floor
}

// Len returns the number of acceptable outcomes.
func (v *IndexOffers) Len() int { return len(v.ix.util) - v.lo }

// Empty reports whether no outcome is acceptable.
func (v *IndexOffers) Empty() bool { return v.lo >= len(v.ix.util) }

// Best returns the highest acceptable utility.
func (v *IndexOffers) Best() float64 { return v.ix.utilAt(len(v.ix.util) - 1) }

// Worst returns the lowest acceptable utility.
func (v *IndexOffers) Worst() float64 { return v.ix.utilAt(v.lo) }

func (v *IndexOffers) at(k int, dst outcome.Outcome) float64 {
	v.ix.ready(k)
	v.ix.decode(k, dst)
	return v.ix.util[k]
}

// decode writes entry k's outcome into dst; k's bucket must be sorted.
func (ix *Index) decode(k int, dst outcome.Outcome) {
	if ix.vals == nil {
		ix.space.Decode(outcome.Index(ix.idx[k]), dst)
		return
	}
	src := ix.vals[k*len(dst) : (k+1)*len(dst)]
	for j, b := range src {
		dst[j] = int32(b)
	}
}

// AtLeast writes the acceptable outcome of lowest utility ≥ target.
func (v *IndexOffers) AtLeast(target float64, dst outcome.Outcome) float64 {
	k := max(v.lo, v.ix.firstAtLeast(target))
	if k == len(v.ix.util) {
		k--
	}
	return v.at(k, dst)
}

// Nth writes the n-th best acceptable outcome.
func (v *IndexOffers) Nth(n int, dst outcome.Outcome) (float64, bool) {
	k := len(v.ix.util) - 1 - n
	if n < 0 || k < v.lo {
		return 0, false
	}
	return v.at(k, dst), true
}

// Within appends acceptable outcomes with utility in [lo, hi].
func (v *IndexOffers) Within(lo, hi float64, limit int, buf []int32) []int32 {
	ix := v.ix
	u := ix.util
	k := max(v.lo, ix.firstAtLeast(lo))
	ni := ix.space.NumIssues()
	end := -1 // first entry past the sorted bucket that holds k
	for n := 0; k < len(u) && n < limit; k, n = k+1, n+1 {
		if k >= end {
			end = ix.ready(k)
		}
		if u[k] > hi {
			break
		}
		if cap(buf)-len(buf) < ni {
			buf = slices.Grow(buf, ni)
		}
		buf = buf[:len(buf)+ni]
		ix.decode(k, outcome.Outcome(buf[len(buf)-ni:]))
	}
	return buf
}

// Sample writes a uniformly random acceptable outcome.
func (v *IndexOffers) Sample(r *rand.Rand, dst outcome.Outcome) float64 {
	return v.at(v.lo+r.IntN(v.Len()), dst)
}

// The index cache: building an index for half a million outcomes costs tens
// of milliseconds, so a tournament that plays the same profile many times
// builds it once. Keys are pointers: profiles and spaces are immutable once
// prepared. The cache holds at most cacheEntries indices and cacheOutcomes
// stored outcomes in all, evicting the least recently used.
const (
	cacheEntries  = 64
	cacheOutcomes = 1 << 25
)

type cacheKey struct {
	sp *outcome.Space
	p  *preference.Profile
}

type cacheEntry struct {
	key  cacheKey
	once sync.Once
	ix   *Index
	err  error
	size int
	el   *list.Element
}

type cache struct {
	mu    sync.Mutex
	m     map[cacheKey]*cacheEntry
	lru   list.List // front = most recently used; values *cacheEntry
	total int       // stored outcomes of the built entries
}

var indexCache = cache{m: map[cacheKey]*cacheEntry{}}

// IndexOf returns p's sorted index over sp, building it on first use and
// caching it (safe for concurrent use; concurrent callers for the same pair
// wait for one build). The cache assumes sp and p are not modified after
// p.Prepare; a modified profile must be a new *Profile (Clone).
func IndexOf(sp *outcome.Space, p *preference.Profile) (*Index, error) {
	c := &indexCache
	k := cacheKey{sp, p}
	c.mu.Lock()
	e := c.m[k]
	if e == nil {
		e = &cacheEntry{key: k}
		c.m[k] = e
		e.el = c.lru.PushFront(e)
	} else if e.el != nil {
		c.lru.MoveToFront(e.el)
	}
	c.mu.Unlock()
	e.once.Do(func() {
		e.ix, e.err = NewIndex(sp, p)
		if e.err != nil {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if e.el == nil { // evicted while building: do not account it
			return
		}
		e.size = e.ix.Len()
		c.total += e.size
		c.evict(e)
	})
	if e.err != nil {
		c.mu.Lock()
		if c.m[k] == e { // do not cache failures: the caller may fix the input
			c.remove(e)
		}
		c.mu.Unlock()
	}
	return e.ix, e.err
}

// evict drops least recently used entries other than keep until the cache is
// within its bounds. c.mu must be held.
func (c *cache) evict(keep *cacheEntry) {
	for c.lru.Len() > cacheEntries || c.total > cacheOutcomes {
		el := c.lru.Back()
		for el != nil && el.Value.(*cacheEntry) == keep {
			el = el.Prev()
		}
		if el == nil {
			return
		}
		c.remove(el.Value.(*cacheEntry))
	}
}

// remove drops e from the cache. c.mu must be held.
func (c *cache) remove(e *cacheEntry) {
	if e.el != nil {
		c.lru.Remove(e.el)
		e.el = nil
	}
	delete(c.m, e.key)
	c.total -= e.size
	e.size = 0
}

// OffersFor returns the acceptable outcomes of p over sp with utility at
// least floor (normally p.Reservation). Spaces of at most MaxIndexed outcomes
// use the cached sorted index (exact). Larger spaces with a linear-additive
// profile use frontier.Offers, which searches the per-issue structure: its
// Best and Nth are exact, its AtLeast may overshoot the lowest utility ≥ the
// target by at most its Gap, and its Sample is uniform whenever acceptable
// outcomes are not rare. It returns an error for a larger space with a
// non-linear profile, and if floor is not a number.
func OffersFor(sp *outcome.Space, p *preference.Profile, floor float64) (Offers, error) {
	if sp == nil || p == nil {
		return nil, errors.New("strategy: offers need a space and a profile")
	}
	if math.IsNaN(floor) {
		return nil, fmt.Errorf("strategy: profile %q: the utility floor is not a number", p.Name)
	}
	if sp.CheckEnumerable(MaxIndexed) != nil && p.IsLinear() {
		o, err := frontier.NewOffers(sp, p, floor)
		if err != nil {
			return nil, fmt.Errorf("strategy: offers for profile %q over %s outcomes: %w", p.Name, sp.Count(), err)
		}
		return o, nil
	}
	ix, err := IndexOf(sp, p)
	if err != nil {
		return nil, err
	}
	return ix.Above(floor), nil
}

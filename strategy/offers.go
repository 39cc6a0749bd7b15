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
// Building it costs O(N·(I+R) + M log M) for N outcomes, I issues, R rules and
// M kept outcomes; queries cost O(log M). An Index is immutable and safe for
// concurrent use; [Index.Above] gives a party its view.
type Index struct {
	space *outcome.Space
	util  []float64 // ascending
	idx   []int32   // dense outcome index of each entry
	// vals holds each entry's value indices back to back when every issue
	// has at most 256 values and the table stays small (maxTable bytes):
	// copying them is several times faster than decoding the dense index.
	vals []uint8
}

// maxTable bounds the decoded-outcome table of an Index (bytes).
const maxTable = 1 << 26

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
	n, _ := sp.Size()
	type entry struct {
		u float64
		i int32
	}
	es := make([]entry, 0, min(n, 1<<16))
	o := sp.New()
	for i := int64(0); i < n; i++ {
		if !p.Violates(o) && sp.Feasible(o) {
			es = append(es, entry{p.Utility(o), int32(i)})
		}
		sp.Next(o)
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := cmp.Compare(a.u, b.u); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	ix := &Index{space: sp, util: make([]float64, len(es)), idx: make([]int32, len(es))}
	for k, e := range es {
		ix.util[k], ix.idx[k] = e.u, e.i
	}
	ni := sp.NumIssues()
	small := len(es)*ni <= maxTable
	for i := range sp.Issues {
		small = small && sp.Issues[i].Len() <= 256
	}
	if small {
		ix.vals = make([]uint8, len(es)*ni)
		for k, e := range es {
			sp.Decode(outcome.Index(e.i), o)
			for j, v := range o {
				ix.vals[k*ni+j] = uint8(v)
			}
		}
	}
	return ix, nil
}

// Len returns the number of feasible, red-line-free outcomes in the index.
func (ix *Index) Len() int { return len(ix.util) }

// Above returns the view of ix restricted to outcomes of utility ≥ floor:
// the party's acceptable outcomes when floor is its reservation value. The
// view is cheap (no copy) and belongs to one party at a time.
func (ix *Index) Above(floor float64) *IndexOffers {
	lo := sort.SearchFloat64s(ix.util, floor)
	return &IndexOffers{ix: ix, lo: lo}
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
func (v *IndexOffers) Best() float64 { return v.ix.util[len(v.ix.util)-1] }

// Worst returns the lowest acceptable utility.
func (v *IndexOffers) Worst() float64 { return v.ix.util[v.lo] }

func (v *IndexOffers) at(k int, dst outcome.Outcome) float64 {
	v.ix.decode(k, dst)
	return v.ix.util[k]
}

// decode writes entry k's outcome into dst.
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
	u := v.ix.util
	lo, hi := v.lo, len(u)
	for lo < hi { // first k in [v.lo, len) with u[k] >= target
		m := int(uint(lo+hi) >> 1)
		if u[m] < target {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(u) {
		lo = len(u) - 1
	}
	return v.at(lo, dst)
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
	u := v.ix.util
	k := v.lo + sort.SearchFloat64s(u[v.lo:], lo)
	ni := v.ix.space.NumIssues()
	for n := 0; k < len(u) && u[k] <= hi && n < limit; k, n = k+1, n+1 {
		if cap(buf)-len(buf) < ni {
			buf = slices.Grow(buf, ni)
		}
		buf = buf[:len(buf)+ni]
		v.ix.decode(k, outcome.Outcome(buf[len(buf)-ni:]))
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

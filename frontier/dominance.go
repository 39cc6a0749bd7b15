package frontier

import (
	"cmp"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// bitsMemory bounds the bitsets filterSorted builds (bytes).
const bitsMemory = 1 << 28

// filterSorted is the filter of a sort-filter-skyline (Chomicki, Godfrey,
// Gryz & Liang 2003): given m points of d utilities (vec(k) is the k-th) in
// an order where every point that covers another comes first (sum of
// utilities descending), it sets keep[k] when no earlier kept point covers
// point k with slack delta (covers: ≥ p − delta in every coordinate).
//
// The kept points that may cover a point are found with bitsets instead of
// a scan of every kept point (dominance bitmaps: Chan, Eng & Tan 2005,
// "Stratified computation of skylines with partially-ordered domains";
// Tan, Eng & Ooi 2001, "Efficient progressive skyline computation"): per
// coordinate the points are ranked by that utility and cut into B buckets
// of equal size, and bucket b's bitset marks the points ranked in buckets
// 0…b. A point's possible coverers are the kept points in every
// coordinate's bitset up to the bucket of its threshold: one AND of d + 1
// words per 64 earlier points, then an exact test of each bit left.
// Cost O(m²·(d+1)/64 + m·F'·d) for F' false candidates (points in the
// right buckets that do not cover), against O(m·F·d) for the plain scan;
// memory O(d·B·m/8) bytes, B ≤ 64 chosen to stay within 256 MiB. Small
// inputs take the plain scan. Exact: the bitsets only narrow the points
// tested, and every test is the plain one. When stop is non-nil it is
// called every 4,096 points; if it returns true the filter returns at once
// (keep is then incomplete; the caller discards it).
func filterSorted(d, m int, vec func(k int) []float64, delta float64, keep []bool, stop func() bool) {
	if m < 512 {
		var kept []int
		for k := range m {
			p := vec(k)
			drop := false
			for _, q := range kept {
				if covers(vec(q), p, delta) {
					drop = true
					break
				}
			}
			if !drop {
				kept = append(kept, k)
			}
			keep[k] = !drop
		}
		return
	}
	words := (m + 63) / 64
	nb := 64
	for nb > 4 && d*nb*words*8 > bitsMemory {
		nb /= 2
	}
	bs := (m + nb - 1) / nb        // ranks per bucket
	sorted := make([][]float64, d) // per coordinate, the values descending
	cum := make([][]uint64, d)     // cum[t][b·words:(b+1)·words]: ranks < (b+1)·bs
	bucket := make([][]uint8, d)   // delta = 0: the bucket of point k's own threshold
	// The coordinates' orders are independent: sort them on every core.
	coords := make(chan int, d)
	for t := range d {
		coords <- t
	}
	close(coords)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), d) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rank := make([]int32, m)
			col := make([]float64, m)
			for t := range coords {
				for k := range rank {
					rank[k] = int32(k)
					col[k] = vec(k)[t]
				}
				slices.SortFunc(rank, func(a, b int32) int { return cmp.Compare(col[b], col[a]) })
				vals := make([]float64, m)
				c := make([]uint64, nb*words)
				for r, k := range rank {
					vals[r] = col[k]
					c[(r/bs)*words+int(k)/64] |= 1 << (uint(k) % 64)
				}
				for b := 1; b < nb; b++ {
					cur, prev := c[b*words:(b+1)*words], c[(b-1)*words:b*words]
					for w := range cur {
						cur[w] |= prev[w]
					}
				}
				if delta == 0 {
					// Walking up the ranks, the last rank of each run of
					// equal values is every member's threshold rank.
					bk := make([]uint8, m)
					for r := m - 1; r >= 0; {
						e := r
						for r >= 0 && vals[r] == vals[e] {
							bk[rank[r]] = uint8(e / bs)
							r--
						}
					}
					bucket[t] = bk
				}
				sorted[t], cum[t] = vals, c
			}
		}()
	}
	wg.Wait()
	kept := make([]uint64, words)
	sel := make([][]uint64, d)
	bsel := make([]int, d)
	dims := make([]int, d)
	for k := range m {
		if k&4095 == 0 && stop != nil && stop() {
			return
		}
		p := vec(k)
		for t := range d {
			if delta == 0 {
				bsel[t] = int(bucket[t][k])
			} else {
				// The last rank whose value reaches the threshold (p
				// itself does, so it exists).
				th := p[t] - delta
				vals := sorted[t]
				bsel[t] = max(sort.Search(m, func(r int) bool { return vals[r] < th })-1, 0) / bs
			}
			dims[t] = t
		}
		// The narrowest bitsets first: the AND empties sooner.
		slices.SortFunc(dims, func(a, b int) int { return cmp.Compare(bsel[a], bsel[b]) })
		for j, t := range dims {
			sel[j] = cum[t][bsel[t]*words : (bsel[t]+1)*words]
		}
		drop := false
		last := (k - 1) / 64
		for w := 0; w <= last && k > 0 && !drop; w++ {
			x := kept[w]
			for j := 0; j < d && x != 0; j++ {
				x &= sel[j][w]
			}
			for x != 0 {
				q := w*64 + bits.TrailingZeros64(x)
				x &= x - 1
				if covers(vec(q), p, delta) {
					drop = true
					break
				}
			}
		}
		if !drop {
			kept[k/64] |= 1 << (uint(k) % 64)
		}
		keep[k] = !drop
	}
}

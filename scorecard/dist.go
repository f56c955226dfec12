package scorecard

import (
	"math"
	"slices"
	"sort"
)

// dist is a multiset of durations (micros) for percentiles.
//
// An incremental recompute adds and removes a few hundred values at a time
// in distributions of up to hundreds of thousands (the global subject's, a
// big program's), and then reads two percentiles. Re-sorting or even
// rewriting the whole distribution for that cost as much as the rest of the
// recompute, so a large distribution is kept sorted in chunks of at most
// maxChunk values (square-root decomposition): placing or removing a value
// moves at most one chunk's values, and finding a rank walks the chunk
// lengths. Most distributions (a system's, an owner's) are small and stay one
// sorted slice. Additions wait unsorted until the values are read, so a
// distribution built from scratch is sorted once, as a plain slice would be.
type dist struct {
	// vals holds the placed values, sorted, while they fit in one chunk
	// (chunks is nil); afterwards chunks hold them: at least two, each
	// sorted and non-empty, and every value of a chunk is ≤ every value of
	// the next.
	// Chunks cut from one sorted run share its array, each capped at its
	// own end, so growing one never writes over another.
	vals   []int64
	chunks [][]int64
	tops   []int64 // each chunk's last value, for finding chunks without visiting them
	n      int     // values placed
	// pending holds the values added since the values were last read,
	// unsorted.
	pending []int64
}

const (
	chunkSize = 512           // length of the chunks a sorted run is cut into
	maxChunk  = 2 * chunkSize // a longer chunk is cut again
	minChunk  = chunkSize / 4 // a shorter one joins a neighbour
)

func (d *dist) add(v int64) { d.pending = append(d.pending, v) }

// remove takes out one occurrence of v; there is nothing to do if there is
// none (the engine only removes what it added).
func (d *dist) remove(v int64) {
	d.place()
	if d.chunks == nil {
		if j, found := slices.BinarySearch(d.vals, v); found {
			d.vals = slices.Delete(d.vals, j, j+1)
			d.n--
		}
		return
	}
	// v, if present, is in the first chunk ending at v or later: a later
	// chunk holding v starts at a value ≥ that chunk's last, so that chunk
	// ends with v too.
	i, _ := slices.BinarySearch(d.tops, v)
	if i == len(d.chunks) {
		return
	}
	c := d.chunks[i]
	j, found := slices.BinarySearch(c, v)
	if !found {
		return
	}
	c = slices.Delete(c, j, j+1)
	d.chunks[i] = c
	d.n--
	if len(c) < minChunk {
		d.join(i)
	} else {
		d.tops[i] = c[len(c)-1]
	}
}

func (d *dist) change(v int64, sign int) {
	if sign > 0 {
		d.add(v)
	} else {
		d.remove(v)
	}
}

// join merges the short chunk i into a neighbour, so that removals do not
// leave many short chunks for rank lookups to walk.
func (d *dist) join(i int) {
	if i == len(d.chunks)-1 {
		i--
	}
	// chunks[i]'s spare capacity is its own (see chunks), so appending to it
	// overwrites nothing.
	joined := append(d.chunks[i], d.chunks[i+1]...)
	d.chunks = slices.Delete(d.chunks, i, i+2)
	d.tops = slices.Delete(d.tops, i, i+2)
	if len(d.chunks) == 0 && len(joined) <= maxChunk { // back to one slice
		d.vals, d.chunks, d.tops = joined, nil, nil
		return
	}
	if len(joined) > maxChunk {
		h := len(joined) / 2
		right := slices.Clone(joined[h:])
		joined = joined[:h]
		d.chunks = slices.Insert(d.chunks, i, joined, right)
		d.tops = slices.Insert(d.tops, i, joined[h-1], right[len(right)-1])
	} else {
		d.chunks = slices.Insert(d.chunks, i, joined)
		d.tops = slices.Insert(d.tops, i, joined[len(joined)-1])
	}
}

// place sorts the pending additions into the chunks: each chunk they land
// in takes its share in one merge, and the others are not visited.
func (d *dist) place() {
	if len(d.pending) == 0 {
		return
	}
	add := d.pending
	slices.Sort(add)
	d.n += len(add)
	if d.chunks == nil {
		if len(d.vals) == 0 {
			d.vals, d.pending = add, nil // vals takes over the array
		} else {
			d.vals, d.pending = merge(d.vals, add), d.pending[:0]
		}
		if len(d.vals) > maxChunk {
			d.cut(d.vals)
			d.vals = nil
		}
		return
	}
	for len(add) > 0 {
		i, _ := slices.BinarySearch(d.tops, add[0])
		k := len(add)
		if last := len(d.chunks) - 1; i >= last {
			i = last
		} else {
			top := d.tops[i]
			k = sort.Search(len(add), func(j int) bool { return add[j] > top })
		}
		d.store(i, merge(d.chunks[i], add[:k]))
		add = add[k:]
	}
	d.pending = d.pending[:0]
}

// store makes c chunk i, split in two if it grew past maxChunk (in more
// pieces if a large batch landed in it).
func (d *dist) store(i int, c []int64) {
	switch {
	case len(c) <= maxChunk:
		d.chunks[i], d.tops[i] = c, c[len(c)-1]
	case len(c) <= 2*maxChunk:
		// the right half moves out, so the left keeps the spare capacity
		h := len(c) / 2
		right := slices.Clone(c[h:])
		d.chunks[i], d.tops[i] = c[:h], c[h-1]
		d.chunks = slices.Insert(d.chunks, i+1, right)
		d.tops = slices.Insert(d.tops, i+1, right[len(right)-1])
	default:
		rest, restTops := slices.Clone(d.chunks[i+1:]), slices.Clone(d.tops[i+1:])
		d.chunks, d.tops = d.chunks[:i], d.tops[:i]
		d.cut(c)
		d.chunks, d.tops = append(d.chunks, rest...), append(d.tops, restTops...)
	}
}

// cut appends the sorted run s to the chunks, in pieces of chunkSize when it
// is longer than maxChunk. The pieces share s's array, each capped at its
// end but the last, whose spare capacity no other chunk uses.
func (d *dist) cut(s []int64) {
	for len(s) > maxChunk {
		d.chunks = append(d.chunks, s[:chunkSize:chunkSize])
		d.tops = append(d.tops, s[chunkSize-1])
		s = s[chunkSize:]
	}
	d.chunks = append(d.chunks, s)
	d.tops = append(d.tops, s[len(s)-1])
}

// merge inserts the sorted add into the sorted c and returns the result (in
// c's array if it has room). It works from the back, moving each run of c
// that goes after an added value once, with copy.
func merge(c, add []int64) []int64 {
	n := len(c)
	c = slices.Grow(c, len(add))[:n+len(add)]
	end, hi := len(c), n // c[end:] is final; c[:hi] has not moved
	for j := len(add) - 1; j >= 0; j-- {
		v := add[j]
		lo := sort.Search(hi, func(i int) bool { return c[i] > v })
		end -= hi - lo
		copy(c[end:], c[lo:hi])
		end--
		c[end] = v
		hi = lo
	}
	return c
}

// rank2 returns the values of ranks k and k+1 (from 0) among the placed
// values; the second is the first when k is the last rank.
func (d *dist) rank2(k int) (int64, int64) {
	if d.chunks == nil {
		return d.vals[k], d.vals[min(k+1, len(d.vals)-1)]
	}
	for i, c := range d.chunks {
		if k >= len(c) {
			k -= len(c)
			continue
		}
		switch {
		case k+1 < len(c):
			return c[k], c[k+1]
		case i+1 < len(d.chunks):
			return c[k], d.chunks[i+1][0]
		default:
			return c[k], c[k]
		}
	}
	panic("scorecard: rank out of range")
}

// quantile interpolates linearly between closest ranks, as PostgreSQL's
// percentile_cont and NumPy's default do, and converts micros to seconds.
func (d *dist) quantile(q float64) float64 {
	d.place()
	if d.n == 0 {
		return math.NaN()
	}
	pos := q * float64(d.n-1)
	lo := int(math.Floor(pos))
	x, y := d.rank2(lo)
	if lo+1 >= d.n {
		return seconds(x)
	}
	a, b := seconds(x), seconds(y)
	return a + (pos-float64(lo))*(b-a)
}

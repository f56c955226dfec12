package scorecard

import (
	"math"
	"slices"
)

// dist is a multiset of durations (micros) for percentiles, kept so that an
// incremental recompute can add and remove values: additions go to an
// unsorted tail, removals are counted, and settle folds both in once, when
// the values are read.
type dist struct {
	vals    []int64 // vals[:sorted] is sorted; the rest is not yet
	sorted  int
	removed map[int64]int
}

func (d *dist) add(v int64) { d.vals = append(d.vals, v) }

func (d *dist) remove(v int64) {
	if d.removed == nil {
		d.removed = map[int64]int{}
	}
	d.removed[v]++
}

func (d *dist) change(v int64, sign int) {
	if sign > 0 {
		d.add(v)
	} else {
		d.remove(v)
	}
}

// settle returns the values sorted, applying pending additions and removals.
func (d *dist) settle() []int64 {
	if len(d.removed) > 0 {
		kept, sortedKept := d.vals[:0], 0
		for i, v := range d.vals {
			if n := d.removed[v]; n > 0 {
				d.removed[v] = n - 1
				continue
			}
			kept = append(kept, v)
			if i < d.sorted {
				sortedKept++
			}
		}
		d.vals, d.sorted = kept, sortedKept
		clear(d.removed)
	}
	if d.sorted < len(d.vals) {
		tail := d.vals[d.sorted:]
		slices.Sort(tail)
		if d.sorted > 0 {
			mergeTail(d.vals, d.sorted)
		}
		d.sorted = len(d.vals)
	}
	return d.vals
}

// mergeTail merges the sorted vals[:n] and vals[n:] in place, from the back,
// copying only the (usually short) tail.
func mergeTail(vals []int64, n int) {
	tail := slices.Clone(vals[n:])
	i, j := n-1, len(tail)-1
	for k := len(vals) - 1; j >= 0; k-- {
		if i >= 0 && vals[i] > tail[j] {
			vals[k] = vals[i]
			i--
		} else {
			vals[k] = tail[j]
			j--
		}
	}
}

// quantile interpolates linearly between closest ranks, as PostgreSQL's
// percentile_cont and NumPy's default do, and converts micros to seconds.
func (d *dist) quantile(q float64) float64 {
	xs := d.settle()
	if len(xs) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(xs) {
		return seconds(xs[lo])
	}
	a, b := seconds(xs[lo]), seconds(xs[lo+1])
	return a + (pos-float64(lo))*(b-a)
}

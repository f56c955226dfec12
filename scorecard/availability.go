package scorecard

import (
	"slices"
)

// interval is a half-open interval [from, to) in unix micros.
type interval struct{ from, to int64 }

// availability holds, per configured system, its merged outage intervals and
// the degraded time not already covered by an outage, so no moment is
// counted twice. An unresolved incident runs to the end of time; clipping to
// a window that ends at `at` makes that "until at", as SPEC section 4 says.
type availability struct {
	weight   float64
	outage   []merged
	degraded []merged // degraded minus outage
	// members lists, per system, its incidents with an outage or degraded
	// impact, so a change rebuilds only the systems it touches.
	members [][]int32
}

func newAvailability(m *model, x *index) *availability {
	n := len(m.systems)
	av := &availability{weight: m.cfg.Policy.Availability.DegradedWeight,
		outage: make([]merged, n), degraded: make([]merged, n), members: make([][]int32, n)}
	for i := range x.incidents {
		if si := m.incSys[i]; si >= 0 && hasImpact(&x.incidents[i]) {
			av.members[si] = append(av.members[si], int32(i))
		}
	}
	for si := range av.members {
		av.rebuild(x, si)
	}
	return av
}

func hasImpact(in *incident) bool {
	return in.impact == symOutage || in.impact == symDegraded
}

// update follows incidents that changed: before maps each touched slot to
// the system it counted for until now (-1 for none or a new slot).
func (av *availability) update(m *model, x *index, before map[int]int32) {
	dirty := map[int32]bool{}
	for i, old := range before {
		if old >= 0 {
			if l := av.members[old]; slices.Contains(l, int32(i)) {
				av.members[old] = slices.DeleteFunc(l, func(j int32) bool { return j == int32(i) })
				dirty[old] = true
			}
		}
		if si := m.incSys[i]; si >= 0 && hasImpact(&x.incidents[i]) {
			av.members[si] = append(av.members[si], int32(i))
			dirty[si] = true
		}
	}
	for si := range dirty {
		av.rebuild(x, int(si))
	}
}

// rebuild merges one system's intervals from its member incidents.
func (av *availability) rebuild(x *index, si int) {
	var out, deg []interval
	for _, i := range av.members[si] {
		in := &x.incidents[i]
		iv := interval{in.opened, in.resolved}
		if in.resolved == absent {
			iv.to = math64Max
		}
		if iv.from >= iv.to {
			continue
		}
		if in.impact == symOutage {
			out = append(out, iv)
		} else {
			deg = append(deg, iv)
		}
	}
	outage := union(out)
	av.outage[si] = newMerged(outage)
	av.degraded[si] = newMerged(subtract(union(deg), outage))
}

// downtime is the system's downtime within [from, to), in micros.
func (av *availability) downtime(si int, from, to int64) float64 {
	d := float64(av.outage[si].overlap(from, to))
	if av.weight > 0 {
		d += av.weight * float64(av.degraded[si].overlap(from, to))
	}
	return d
}

// union merges intervals into sorted, disjoint ones.
func union(ivs []interval) []interval {
	if len(ivs) == 0 {
		return nil
	}
	slices.SortFunc(ivs, func(a, b interval) int {
		switch {
		case a.from < b.from:
			return -1
		case a.from > b.from:
			return 1
		}
		return 0
	})
	out := []interval{ivs[0]}
	for _, iv := range ivs[1:] {
		last := &out[len(out)-1]
		if iv.from <= last.to {
			last.to = max(last.to, iv.to)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// subtract removes the sorted disjoint intervals b from the sorted disjoint a.
func subtract(a, b []interval) []interval {
	var out []interval
	j := 0
	for _, iv := range a {
		from := iv.from
		for j < len(b) && b[j].to <= from {
			j++
		}
		for k := j; k < len(b) && b[k].from < iv.to; k++ {
			if b[k].from > from {
				out = append(out, interval{from, b[k].from})
			}
			from = max(from, b[k].to)
		}
		if from < iv.to {
			out = append(out, interval{from, iv.to})
		}
	}
	return out
}

// merged is sorted disjoint intervals with the prefix sums of their
// lengths, so the time they cover within a window is two binary searches
// and a difference. An unresolved incident's interval has no end, so its
// length is not summed: it is always the last interval, clipped by the
// window's end.
type merged struct {
	ivs []interval
	pre []int64 // pre[i]: total length of ivs[:i] (open-ended ones count 0)
}

func newMerged(ivs []interval) merged {
	if len(ivs) == 0 {
		return merged{}
	}
	pre := make([]int64, len(ivs)+1)
	for i, iv := range ivs {
		l := iv.to - iv.from
		if iv.to == math64Max {
			l = 0
		}
		pre[i+1] = pre[i] + l
	}
	return merged{ivs: ivs, pre: pre}
}

// overlap is the length of the intervals within [from, to).
func (mg *merged) overlap(from, to int64) int64 {
	ivs := mg.ivs
	if len(ivs) == 0 || from >= to {
		return 0
	}
	// a: first interval ending after from; b: first starting at or after to
	a, _ := slices.BinarySearchFunc(ivs, from, func(iv interval, t int64) int {
		if iv.to <= t {
			return -1
		}
		return 1
	})
	b, _ := slices.BinarySearchFunc(ivs, to, func(iv interval, t int64) int {
		if iv.from < t {
			return -1
		}
		return 1
	})
	switch {
	case a >= b:
		return 0
	case b-a <= 2:
		return overlap(ivs[a:b], from, to)
	}
	// the inner intervals lie wholly within the window; the first and last
	// are clipped
	return overlap(ivs[a:a+1], from, to) + (mg.pre[b-1] - mg.pre[a+1]) + overlap(ivs[b-1:b], from, to)
}

// overlap is the length of the sorted disjoint intervals within [from, to).
func overlap(ivs []interval, from, to int64) int64 {
	i, _ := slices.BinarySearchFunc(ivs, from, func(iv interval, t int64) int {
		if iv.to <= t {
			return -1
		}
		return 1
	})
	var sum int64
	for ; i < len(ivs) && ivs[i].from < to; i++ {
		if lo, hi := max(ivs[i].from, from), min(ivs[i].to, to); lo < hi {
			sum += hi - lo
		}
	}
	return sum
}

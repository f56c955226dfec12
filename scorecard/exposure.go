package scorecard

import (
	"cmp"
	"math"
	"slices"

	"github.com/steward-sh/steward/kpi"
)

// span of a system a subject answers for: the whole system, or one owner's
// tenure of it.
type sysSpan struct {
	sys    int32
	tenure int32 // -1: the whole window
}

// exposures lists, per subject, the systems whose availability it answers
// for (SPEC section 4), in system order so that downtime sums add up in
// the same order whatever is asked: a system's own, its program's and
// program manager's, and global's whole windows; an owner's tenures.
func exposures(m *model) [][]sysSpan {
	out := make([][]sysSpan, len(m.subj.list))
	for si := range m.systems {
		sys := &m.systems[si]
		for _, s := range [...]int32{sys.subject, sys.program, sys.manager, m.global} {
			if s >= 0 {
				out[s] = append(out[s], sysSpan{int32(si), -1})
			}
		}
		for j, t := range sys.tenures {
			if t.owner >= 0 {
				out[t.owner] = append(out[t.owner], sysSpan{int32(si), int32(j)})
			}
		}
	}
	return out
}

// downtimes holds every system's downtime over one window, for evaluations
// of many subjects: a system counts for itself, its program, its program
// manager and the global subject.
type downtimes struct {
	from, at int64
	down     []float64
}

// wholeSpans counts the systems the subjects answer for over whole
// windows: the evaluations that read a cache of every system's downtime.
// An owner answers for their tenures only, so the owners of a role read
// none and are better off without the cache.
func (st *state) wholeSpans(subjects []int32) int {
	n := 0
	for _, si := range subjects {
		if int(si) >= len(st.spans) {
			continue
		}
		for _, sp := range st.spans[si] {
			if sp.tenure < 0 {
				n++
			}
		}
	}
	return n
}

func (st *state) downtimes(from, at int64) *downtimes {
	d := &downtimes{from: from, at: at, down: make([]float64, len(st.m.systems))}
	for si := range d.down {
		d.down[si] = st.av.downtime(si, from, at)
	}
	return d
}

// exposure returns a subject's exposure (micros) and downtime (micros,
// weighted) over [from, at); cached, if not nil, holds the systems'
// downtimes over that window.
func (st *state) exposure(si int32, from, at int64, cached *downtimes) (int64, float64) {
	if int(si) >= len(st.spans) {
		return 0, 0
	}
	var exposure int64
	var downtime float64
	for _, sp := range st.spans[si] {
		if sp.tenure < 0 {
			exposure += at - from
			if cached != nil {
				downtime += cached.down[sp.sys]
			} else {
				downtime += st.av.downtime(int(sp.sys), from, at)
			}
			continue
		}
		t := st.m.systems[sp.sys].tenures[sp.tenure]
		lo, hi := max(t.from, from), min(t.to, at)
		if lo >= hi {
			continue
		}
		exposure += hi - lo
		downtime += st.av.downtime(int(sp.sys), lo, hi)
	}
	return exposure, downtime
}

// unowned counts configured systems with no owner at `at`: those never
// owned, and those whose first owner came later.
type unowned struct {
	never int
	first []int64 // each owned system's first tenure start, sorted
}

func newUnowned(m *model) unowned {
	var u unowned
	for si := range m.systems {
		if ts := m.systems[si].tenures; len(ts) == 0 {
			u.never++
		} else {
			u.first = append(u.first, ts[0].from)
		}
	}
	slices.Sort(u.first)
	return u
}

func (u *unowned) at(t int64) int {
	return u.never + len(u.first) - upperBound(u.first, t)
}

// upperBound returns the first position in s holding a value > t.
func upperBound(s []int64, t int64) int {
	lo, hi := 0, len(s)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if s[h] <= t {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// owned is how long (micros) subject si, a system owner, owned at least one
// system during [from, at): the union of its tenures' parts in the window
// (SPEC 4, Exposure: E). It is -1 for the other roles, whose exposure is
// the window's length.
func (st *state) owned(si int32, from, at int64) int64 {
	if st.m.subj.list[si].Role != RoleSystemOwner {
		return -1
	}
	var buf [16][2]int64 // most owners own a few systems: no allocation
	parts := buf[:0]
	if int(si) < len(st.spans) {
		for _, sp := range st.spans[si] {
			t := st.m.systems[sp.sys].tenures[sp.tenure]
			if lo, hi := max(t.from, from), min(t.to, at); lo < hi {
				parts = append(parts, [2]int64{lo, hi})
			}
		}
	}
	slices.SortFunc(parts, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	var total, end int64
	end = from
	for _, p := range parts {
		lo := max(p[0], end)
		if p[1] > lo {
			total += p[1] - lo
			end = p[1]
		}
	}
	return total
}

// noExposure leaves a subject that was accountable for nothing in the
// window with its counts only: every KPI that is not a count has no value.
func noExposure(v *Values) {
	for _, k := range kpi.All() {
		if k.Unit != kpi.UnitCount {
			v[k.ID] = math.NaN()
		}
	}
}

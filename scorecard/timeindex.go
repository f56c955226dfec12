package scorecard

import (
	"slices"
)

// timeIndex holds every population's members sorted by time, per pool, with
// prefix sums of their values, so that what a window holds is two binary
// searches and its counts and sums are differences.
//
// A pool is a set of records evaluated together. Every attributed record
// is in the base pool of its system and its owner's tenure (or of the part
// of the system's life without an owner), so a system is the sum of its
// base pools, an owner the sum of those of their tenures, a program those
// of its systems. The global subject (and the process owners through it),
// every team and every process manager also have a pool of their own: they
// cut across systems or span all of them.
//
// Per population, the members of every pool sit in one array, pool after
// pool, each pool's part sorted by key: the members of pool q for
// population p are keys[p][off[p][q]:off[p][q+1]], and a valued
// population's pre[p][i] is the sum of the values of members before i (so
// member i's value is pre[p][i+1]-pre[p][i]).
type timeIndex struct {
	keys [numPop][]int64
	pre  [numPop][]int64
	off  [numPop][]int32
	// sysPool is each configured system's first base pool: the part of its
	// life without an owner, then one pool per tenure.
	sysPool []int32
	// ownPool is the pool of each subject that has one (-1 none), as of
	// the build.
	ownPool []int32
	pools   int
	// subject pools: per subject (as of the build) the pools it sums
	subjPools [][]int32
	// records covered, for the delta to tell new slots from built ones
	incidents, changes int
}

// tenureAt returns the index of the tenure holding t, or -1.
func (s *sysInfo) tenureAt(t int64) int {
	if t == absent {
		return -1
	}
	i, _ := slices.BinarySearchFunc(s.tenures, t, func(tn tenure, t int64) int {
		if tn.to <= t {
			return -1
		}
		return 1
	})
	if i < len(s.tenures) && s.tenures[i].from <= t {
		return i
	}
	return -1
}

// hasOwnPool reports whether a subject's records are pooled apart.
func hasOwnPool(r Role) bool { return r == RoleTeam || r == RoleProcessManager || r == RoleGlobal }

// entryPools lists the pools of the records of each attribution entry:
// its base pool and the own pools of the subjects it counts for.
func entryPools(m *model, ti *timeIndex) [][]int32 {
	out := make([][]int32, len(m.entries))
	for n, en := range m.entries {
		var ps []int32
		if en.sys >= 0 {
			ps = append(ps, ti.sysPool[en.sys]+en.tenure+1)
		}
		for _, s := range m.lists.get(en.list) {
			if p := ti.ownPool[s]; p >= 0 {
				ps = append(ps, p)
			}
		}
		out[n] = ps
	}
	return out
}

// buildTimeIndex indexes every record of x under the attribution m.
func buildTimeIndex(m *model, x *index, r *rules) *timeIndex {
	ti := &timeIndex{incidents: len(x.incidents), changes: len(x.changes)}
	n := int32(0)
	ti.sysPool = make([]int32, len(m.systems))
	for si := range m.systems {
		ti.sysPool[si] = n
		n += int32(len(m.systems[si].tenures) + 1)
	}
	ti.ownPool = make([]int32, len(m.subj.list))
	for si, s := range m.subj.list {
		ti.ownPool[si] = -1
		if hasOwnPool(s.Role) {
			ti.ownPool[si] = n
			n++
		}
	}
	ti.pools = int(n)
	ti.subjPools = subjectPools(m, ti)
	pools := entryPools(m, ti)
	global := ti.ownPool[m.global]

	var ms []member
	var b builder
	for _, group := range [][]pop{
		{popOpened1, popOpened2, popOpened3, popOpened4, popOpened5, popUnattributedInc},
		{popResolved, popUntargeted, popBreach},
		{popAcked, popAckedEarly},
		{popReviewDue, popReviewOnTime},
		{popReviewSettled},
	} {
		b.reset(group)
		for i := range x.incidents {
			ms = r.incidentMembers(ms[:0], &x.incidents[i], m.incSys[i])
			b.take(ms, m.incAttr[i])
		}
		b.place(ti, pools, global)
	}
	b.reset([]pop{popCompleted, popFailedOutcome, popEmergency, popUnauthorized, popLead, popCauseLinked, popUnattributedChg})
	for i := range x.changes {
		ms = r.changeMembers(ms[:0], &x.changes[i], m.chgSys[i])
		b.take(ms, m.chgAttr[i])
	}
	b.place(ti, pools, global)
	return ti
}

// subjectPools lists, per subject, the pools whose sum is its population.
func subjectPools(m *model, ti *timeIndex) [][]int32 {
	out := make([][]int32, len(m.subj.list))
	for si := range m.systems {
		sys := &m.systems[si]
		base := func(j int) int32 { return ti.sysPool[si] + int32(j+1) }
		for j := -1; j < len(sys.tenures); j++ {
			for _, s := range [...]int32{sys.subject, sys.program, sys.manager} {
				if s >= 0 {
					out[s] = append(out[s], base(j))
				}
			}
		}
		for j, t := range sys.tenures {
			if t.owner >= 0 {
				out[t.owner] = append(out[t.owner], base(j))
			}
		}
	}
	for si := range out {
		if p := ti.ownPool[si]; p >= 0 {
			out[si] = []int32{p}
		}
	}
	for _, s := range m.procOwner {
		if s >= 0 {
			out[s] = []int32{ti.ownPool[m.global]}
		}
	}
	return out
}

// builder gathers the members of a group of populations that share a time
// field, sorts them by time once and deals them out to their pools in that
// order, so that each pool's part comes out sorted.
type builder struct {
	group []pop
	keys  []int64
	vals  []int64
	ents  []uint32 // the member's record's attribution entry
	pops  []pop
	in    [numPop]bool
}

func (b *builder) reset(group []pop) {
	b.group = group
	b.keys, b.vals, b.ents, b.pops = b.keys[:0], b.vals[:0], b.ents[:0], b.pops[:0]
	b.in = [numPop]bool{}
	for _, p := range group {
		b.in[p] = true
	}
}

func (b *builder) take(ms []member, entry uint32) {
	for _, mb := range ms {
		if b.in[mb.pop] {
			b.keys = append(b.keys, mb.key)
			b.vals = append(b.vals, mb.val)
			b.ents = append(b.ents, entry)
			b.pops = append(b.pops, mb.pop)
		}
	}
}

// place sorts the gathered members and stores them in ti; pools lists the
// pools of each attribution entry.
func (b *builder) place(ti *timeIndex, pools [][]int32, global int32) {
	order := sortByKey(b.keys)
	keys, vals, ents, ps := permute(b.keys, order), permute(b.vals, order), permute(b.ents, order), permute(b.pops, order)
	cnt := make([][]int32, numPop)
	for _, p := range b.group {
		cnt[p] = make([]int32, ti.pools+1)
	}
	for e, p := range ps {
		if pops[p].globalOnly {
			cnt[p][global+1]++
			continue
		}
		c := cnt[p]
		for _, q := range pools[ents[e]] {
			c[q+1]++
		}
	}
	for _, p := range b.group {
		c := cnt[p]
		for q := 1; q < len(c); q++ {
			c[q] += c[q-1]
		}
		total := c[len(c)-1]
		ti.off[p] = slices.Clone(c)
		ti.keys[p] = make([]int64, total)
		if pops[p].valued {
			ti.pre[p] = make([]int64, total+1)
		}
	}
	put := func(p pop, q int32, e int) {
		i := cnt[p][q]
		cnt[p][q]++
		ti.keys[p][i] = keys[e]
		if pre := ti.pre[p]; pre != nil {
			pre[i+1] = vals[e]
		}
	}
	for e, p := range ps {
		if pops[p].globalOnly {
			put(p, global, e)
			continue
		}
		for _, q := range pools[ents[e]] {
			put(p, q, e)
		}
	}
	for _, p := range b.group {
		pre := ti.pre[p]
		for i := 1; i < len(pre); i++ {
			pre[i] += pre[i-1]
		}
	}
	// the sorted copies take the place of the gathering arrays for the
	// next group
	b.keys, b.vals, b.ents, b.pops = keys[:0], vals[:0], ents[:0], ps[:0]
}

func permute[T any](s []T, order []int32) []T {
	out := make([]T, len(s))
	for i, j := range order {
		out[i] = s[j]
	}
	return out
}

// sortByKey returns the positions of keys in ascending key order (stable):
// a least-significant-digit radix sort, linear in the members.
func sortByKey(keys []int64) []int32 {
	order := make([]int32, len(keys))
	for i := range order {
		order[i] = int32(i)
	}
	if len(keys) < 2 {
		return order
	}
	lo, hi := slices.Min(keys), slices.Max(keys)
	span := uint64(hi - lo)
	tmp := make([]int32, len(keys))
	var count [1 << 16]int32
	for shift := uint(0); shift < 64 && span>>shift > 0; shift += 16 {
		count = [1 << 16]int32{}
		for _, i := range order {
			count[(uint64(keys[i]-lo)>>shift)&0xffff]++
		}
		sum := int32(0)
		for d := range count {
			sum, count[d] = sum+count[d], sum
		}
		for _, i := range order {
			d := (uint64(keys[i]-lo) >> shift) & 0xffff
			tmp[count[d]] = i
			count[d]++
		}
		order, tmp = tmp, order
	}
	return order
}

// lowerBound returns the first position in s holding a value ≥ t.
func lowerBound(s []int64, t int64) int {
	lo, hi := 0, len(s)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if s[h] < t {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

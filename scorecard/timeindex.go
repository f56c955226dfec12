package scorecard

import (
	"math"
	"runtime"
	"slices"
	"sync"
)

// timeIndex holds every population's members sorted by time, per pool, with
// prefix sums of their values, so that what a window holds is two binary
// searches and its counts and sums are differences.
//
// A pool is a set of records evaluated together. Every attributed record
// is in the base pool of its system and its owner's tenure (or of the part
// of the system's life without an owner), so a system is the sum of its
// base pools and an owner the sum of those of their tenures. Every
// program, team and process manager also has a pool of its own: they span
// many systems or cut across them. A program manager sums their programs'
// pools; the global subject (and the process owners through it) sums every
// program's, the base pools of systems in no program, and the pool of the
// records whose system matches nothing.
//
// Per population, the members of every pool sit in one array, pool after
// pool, each pool's part sorted by key: the members of pool q for
// population p are keys[p][lo:hi] with {lo, hi} = spans[q*numPop+p] (a
// pool's spans side by side, as an evaluation reads them), and a valued
// population's pre[p][i] is the sum of the values of members before i (so
// member i's value is pre[p][i+1]-pre[p][i]).
type timeIndex struct {
	keys  [numPop][]int64
	pre   [numPop][]int64
	until [numPop][]int64 // an expiring population's members' until times
	spans []part
	// bounds holds each pool's earliest and latest key: a window after
	// all of a pool's members reads only their counts
	bounds []bounds
	// sysPool is each configured system's first base pool: the part of its
	// life without an owner, then one pool per tenure.
	sysPool []int32
	// ownPool is the pool of each subject that has one (-1 none), as of
	// the build.
	ownPool []int32
	// unattributed is the pool of records whose system matches nothing.
	unattributed int32
	pools        int
	// subject pools: per subject (as of the build) the pools it sums
	subjPools [][]int32
	// records covered, for the delta to tell new slots from built ones
	incidents, changes int
}

type bounds struct{ first, last int64 }

// part is where one pool's members of one population lie.
type part struct{ lo, hi int32 }

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

// hasOwnPool reports whether a subject's records are pooled apart: those
// that span many systems (a program holds a hundred) or cut across them.
func hasOwnPool(r Role) bool {
	return r == RoleProgram || r == RoleTeam || r == RoleProcessManager
}

// entryPools lists the pools of the records of each attribution entry:
// its base pool and the own pools of the subjects it counts for.
func entryPools(m *model, ti *timeIndex) [][]int32 {
	out := make([][]int32, len(m.entries))
	for n, en := range m.entries {
		ps := []int32{ti.unattributed}
		if en.sys >= 0 {
			ps[0] = ti.sysPool[en.sys] + en.tenure + 1
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
	ti.unattributed = n
	n++
	ti.ownPool = make([]int32, len(m.subj.list))
	for si, s := range m.subj.list {
		ti.ownPool[si] = -1
		if hasOwnPool(s.Role) {
			ti.ownPool[si] = n
			n++
		}
	}
	ti.pools = int(n)
	ti.spans = make([]part, ti.pools*int(numPop))
	pools := entryPools(m, ti)

	// the groups of populations sharing a time field are built apart, on
	// two CPUs: each writes its own populations' arrays and parts
	groups := [][]pop{
		{popOpened1, popOpened2, popOpened3, popOpened4, popOpened5, popUnattributedInc, popEstimatedInc, popSecurity, popDetected},
		{popResolved, popResolvedEstimated, popUntargeted, popBreach, popSecurityTTR},
		{popAcked, popAckedEarly, popMitigated}, // a group need not share a time field: it is sorted once
		{popReviewDue, popReviewOnTime},
		{popReviewSettled},
		{popActionOpen, popActionDone, popActionDue, popActionDueDone},
		{popRecovery},
		{popCompleted, popFailedOutcome, popEmergency, popUnauthorized, popLead, popCauseLinked, popUnattributedChg, popRetroactive, popEstimatedChg,
			popApproved, popPlanned, popOnSchedule, popRework},
	}
	next := make(chan []pop, len(groups))
	for _, g := range groups {
		next <- g
	}
	close(next)
	var wg sync.WaitGroup
	for range min(2, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			var ms []member
			var b builder
			for group := range next {
				b.reset(group)
				var want popSet
				for _, p := range group {
					want |= 1 << p
				}
				if pops[group[0]].change {
					for i := range x.changes {
						ms = r.changeMembers(ms[:0], &x.changes[i], m.chgSys[i])
						b.take(ms, m.chgAttr[i])
					}
				} else {
					for i := range x.incidents {
						ms = r.incidentMembersIn(ms[:0], &x.incidents[i], m.incAttr[i], want)
						b.take(ms, m.incAttr[i])
					}
				}
				b.place(ti, pools)
			}
		})
	}
	wg.Wait()
	ti.bounds = make([]bounds, ti.pools)
	for q := range ti.pools {
		bd := bounds{first: math64Max, last: math.MinInt64}
		for p, sp := range ti.spans[q*int(numPop):][:numPop] {
			if sp.lo < sp.hi {
				bd.first = min(bd.first, ti.keys[p][sp.lo])
				bd.last = max(bd.last, ti.keys[p][sp.hi-1])
			}
		}
		ti.bounds[q] = bd
	}
	ti.subjPools = subjectPools(m, ti)
	return ti
}

// empty reports whether pool q has no members.
func (ti *timeIndex) empty(q int32) bool {
	for _, sp := range ti.spans[int(q)*int(numPop):][:numPop] {
		if sp.lo != sp.hi {
			return false
		}
	}
	return true
}

// subjectPools lists, per subject, the pools whose sum is its population.
func subjectPools(m *model, ti *timeIndex) [][]int32 {
	out := make([][]int32, len(m.subj.list))
	for si := range m.systems {
		sys := &m.systems[si]
		base := func(j int) int32 { return ti.sysPool[si] + int32(j+1) }
		for j := -1; j < len(sys.tenures); j++ {
			out[sys.subject] = append(out[sys.subject], base(j))
		}
		// a program manager sums the pools of their programs
		if sys.manager >= 0 && !slices.Contains(out[sys.manager], ti.ownPool[sys.program]) {
			out[sys.manager] = append(out[sys.manager], ti.ownPool[sys.program])
		}
		for j, t := range sys.tenures {
			if t.owner >= 0 {
				out[t.owner] = append(out[t.owner], base(j))
			}
		}
	}
	all := []int32{ti.unattributed}
	for si, s := range m.subj.list {
		if s.Role == RoleProgram {
			all = append(all, ti.ownPool[si])
		}
	}
	for si := range m.systems {
		if sys := &m.systems[si]; sys.program < 0 {
			all = append(all, out[sys.subject]...)
		}
	}
	out[m.global] = all
	for _, s := range m.procOwner {
		if s >= 0 {
			out[s] = all
		}
	}
	for si := range out {
		if p := ti.ownPool[si]; p >= 0 {
			out[si] = []int32{p}
		}
		out[si] = slices.DeleteFunc(slices.Clone(out[si]), ti.empty)
	}
	return out
}

// builder gathers the members of a group of populations that share a time
// field, sorts them by time once and deals them out to their pools in that
// order, so that each pool's part comes out sorted.
type builder struct {
	group    []pop
	expiring bool // the group has an expiring population: until is gathered
	keys     []int64
	vals     []int64
	until    []int64
	ents     []uint32 // the member's record's attribution entry
	pops     []pop
	in       [numPop]bool
}

func (b *builder) reset(group []pop) {
	b.group = group
	b.keys, b.vals, b.until, b.ents, b.pops = b.keys[:0], b.vals[:0], b.until[:0], b.ents[:0], b.pops[:0]
	b.in = [numPop]bool{}
	b.expiring = false
	for _, p := range group {
		b.in[p] = true
		b.expiring = b.expiring || pops[p].expiring
	}
}

func (b *builder) take(ms []member, entry uint32) {
	for _, mb := range ms {
		if b.in[mb.pop] {
			b.keys = append(b.keys, mb.key)
			b.vals = append(b.vals, mb.val)
			if b.expiring {
				b.until = append(b.until, mb.until)
			}
			b.ents = append(b.ents, entry)
			b.pops = append(b.pops, mb.pop)
		}
	}
}

// place sorts the gathered members and stores them in ti; pools lists the
// pools of each attribution entry. The populations only the global
// subject counts (unattributed records) go to the unattributed pool only.
func (b *builder) place(ti *timeIndex, pools [][]int32) {
	global := ti.unattributed
	order := sortByKey(b.keys)
	keys, vals, ents, ps := permute(b.keys, order), permute(b.vals, order), permute(b.ents, order), permute(b.pops, order)
	var until []int64
	if b.expiring {
		until = permute(b.until, order)
	}
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
		for q := range ti.pools {
			ti.spans[q*int(numPop)+int(p)] = part{c[q], c[q+1]}
		}
		ti.keys[p] = make([]int64, total)
		if pops[p].valued {
			ti.pre[p] = make([]int64, total+1)
		}
		if pops[p].expiring {
			ti.until[p] = make([]int64, total)
		}
	}
	put := func(p pop, q int32, e int) {
		i := cnt[p][q]
		cnt[p][q]++
		ti.keys[p][i] = keys[e]
		if pre := ti.pre[p]; pre != nil {
			pre[i+1] = vals[e]
		}
		if u := ti.until[p]; u != nil {
			u[i] = until[e]
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
	b.keys, b.vals, b.until, b.ents, b.pops = keys[:0], vals[:0], until[:0], ents[:0], ps[:0]
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

// lowerBound returns the first position in s holding a value ≥ t. The
// loop has no branch on the data (the compiler makes the step a
// conditional move), which the searches of many small parts favour.
func lowerBound(s []int64, t int64) int {
	base, n := 0, len(s)
	if n == 0 {
		return 0
	}
	for n > 1 {
		half := n / 2
		if s[base+half-1] < t {
			base += half
		}
		n -= half
	}
	if s[base] < t {
		base++
	}
	return base
}

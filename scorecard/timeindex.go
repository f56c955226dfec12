package scorecard

import (
	"encoding/binary"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// timeIndex holds every population's members sorted by time, per pool, with
// prefix sums of their values, so that what a window holds is two binary
// searches and its counts and sums are differences.
//
// A pool is a set of records evaluated together. Every attributed record
// is in the base pool of its system. Every system owner, program, team and
// process manager also has a pool of its own: they span many systems or
// cut across them. An owner's own pool holds the records of their tenures:
// an evaluation of an owner then reads one pool rather than a part of each
// of their systems' (six on average at the reference size), scattered over
// the index: reading the index costs mostly waiting for memory, so an
// owner costs about a third as much, for one more copy of the owned
// records' members (80 MiB at 1M incidents and 1M changes). A program
// manager sums their programs' pools; the global subject (and the process
// owners through it) sums every program's, the base pools of systems in no
// program, and the pool of the records whose system matches nothing.
//
// The members of each class of populations (see class) sit in keys[c],
// pool after pool and, within a pool, population after population, each
// part sorted: an evaluation reads one pool's parts from one stretch of
// memory. The members of pool q for population p are keys[class(p)]'s
// [lo, hi) with {lo, hi} = spans[q*numPop+p] (in 6 bytes each, see
// stamps); for a valued class, pre[c][i] is the sum of the values of the
// members before i (so member i's value is pre[c][i+1]-pre[c][i]), and
// until holds the expiring members' until times, beside keys[expiring].
// The populations the evidence lists rows from (popInfo.listed) keep each
// member's record slot in ids[c], beside keys[c]: the rows of a window
// are read from them, the most recent first, without walking the records.
type timeIndex struct {
	keys  [numClass]stamps
	pre   [numClass][]int64
	ids   [numClass][]int32
	until []int64
	spans []part
	// held is the populations each pool has members of
	held []popSet
	// bounds holds each pool's earliest and latest key: a window after
	// all of a pool's members reads only their counts
	bounds []bounds
	// sysPool is each configured system's base pool.
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

// A class of populations is stored alike: without values, with values, or
// with values and until times; the listed ones with their record slots
// too (expiring ones always have them).
const (
	plain = iota
	valued
	expiring
	listed       // plain, with record slots
	listedValued // valued, with record slots
	numClass
)

func class(p pop) int {
	switch info := &pops[p]; {
	case info.expiring:
		return expiring
	case info.valued && info.listed:
		return listedValued
	case info.valued:
		return valued
	case info.listed:
		return listed
	}
	return plain
}

// hasPre, hasUntil and hasIDs say what a class stores beside its keys.
func hasPre(c int) bool   { return c == valued || c == expiring || c == listedValued }
func hasUntil(c int) bool { return c == expiring }
func hasIDs(c int) bool   { return c == listed || c == listedValued || c == expiring }

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
// that span many systems (a program holds a hundred, an owner a few
// tenures) or cut across them.
func hasOwnPool(r Role) bool {
	return r == RoleProgram || r == RoleTeam || r == RoleProcessManager || r == RoleSystemOwner
}

// entryPools lists the pools of the records of each attribution entry:
// its base pool and the own pools of the subjects it counts for. Entry n's
// pools are pools[ends[n-1]:ends[n]].
type entryPools struct {
	pools []int32
	ends  []int32
}

func newEntryPools(m *model, ti *timeIndex) entryPools {
	ep := entryPools{pools: make([]int32, 0, 3*len(m.entries)), ends: make([]int32, len(m.entries))}
	for n, en := range m.entries {
		base := ti.unattributed
		if en.sys >= 0 {
			base = ti.sysPool[en.sys]
		}
		ep.pools = append(ep.pools, base)
		for _, s := range m.lists.get(en.list) {
			if p := ti.ownPool[s]; p >= 0 {
				ep.pools = append(ep.pools, p)
			}
		}
		ep.ends[n] = int32(len(ep.pools))
	}
	return ep
}

func (ep *entryPools) of(n uint32) []int32 {
	start := int32(0)
	if n > 0 {
		start = ep.ends[n-1]
	}
	return ep.pools[start:ep.ends[n]]
}

// buildTimeIndex indexes every record of x under the attribution m.
//
// It is a counting sort in two steps. A first pass over the records counts
// each pool's members of each class; each class's pools are then put in
// groups of consecutive pools, up to groupMembers members each. A second
// pass writes each member after those of its group written before,
// tagged with its part; then each group is sorted out into its parts, and
// each part put in key order. Writing each member straight to its part
// would cost more: the 196,000 parts of the reference dataset are written
// a member at a time, each far from the last, and nearly every write
// missed the caches; the next places of the groups (about 250) stay in
// them, and so does a group as it is sorted out. The build takes a quarter
// less time so (BenchmarkBuild, alternated with the direct placing).
//
// Records come in roughly by time, so most parts are in order already or
// nearly so, and sorting them costs a look. Each pass runs on two CPUs,
// each over its own share of the records; the second pass writes each
// share's members after those of the shares before it, so that a part
// holds its members in record order whatever the number of CPUs.
func buildTimeIndex(m *model, x *index, r *rules) *timeIndex {
	ti := &timeIndex{incidents: len(x.incidents), changes: len(x.changes)}
	n := int32(0)
	ti.sysPool = make([]int32, len(m.systems))
	for si := range m.systems {
		ti.sysPool[si] = n
		n++
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
	b := &indexBuilder{m: m, x: x, r: r, ti: ti, ep: newEntryPools(m, ti)}
	workers := min(2, runtime.GOMAXPROCS(0))
	b.at = make([][]int32, workers)
	b.least, b.most = make([]int64, workers), make([]int64, workers)
	b.parallel(workers, b.count)
	count := b.layout()
	code := codeFor(slices.Min(b.least), slices.Max(b.most))
	// hundreds of MB, which the allocator may have to clear: on every CPU
	var wg sync.WaitGroup
	for c, n := range count {
		wg.Go(func() { b.tags[c] = make([]uint16, n) })
		wg.Go(func() { ti.keys[c] = newStamps(int(n), code) })
		if hasPre(c) {
			wg.Go(func() { ti.pre[c] = make([]int64, n+1) })
		}
		if hasIDs(c) {
			wg.Go(func() { ti.ids[c] = make([]int32, n) })
		}
	}
	ti.until = make([]int64, count[expiring])
	ti.spans = make([]part, ti.pools*int(numPop))
	wg.Wait()
	b.parallel(workers, b.place)
	b.free = nil
	// every group of every class, on every CPU
	var work []groupRef
	for c := range numClass {
		for g := range len(b.groups[c].first) - 1 {
			work = append(work, groupRef{c, g})
		}
	}
	var next atomic.Int32
	for range workers {
		wg.Go(func() {
			var sc groupScratch
			for {
				k := int(next.Add(1)) - 1
				if k >= len(work) {
					return
				}
				b.sortGroup(work[k].c, work[k].g, &sc)
			}
		})
	}
	wg.Wait()
	b.tags = [numClass][]uint16{}
	ti.held, ti.bounds = make([]popSet, ti.pools), make([]bounds, ti.pools)
	for q := range ti.pools {
		bd := bounds{first: math64Max, last: math.MinInt64}
		for p, sp := range ti.spans[q*int(numPop):][:numPop] {
			if sp.lo < sp.hi {
				keys, _, _ := ti.part(sp, pop(p))
				ti.held[q] |= 1 << p
				bd.first, bd.last = min(bd.first, keys.at(0)), max(bd.last, keys.at(keys.n-1))
			}
		}
		ti.bounds[q] = bd
	}
	for _, pre := range ti.pre {
		for i := 1; i < len(pre); i++ {
			pre[i] += pre[i-1]
		}
	}
	ti.subjPools = subjectPools(m, ti)
	return ti
}

// groupMembers is how many members of a class a group of pools holds
// (or one pool's more): fewer make more groups to write to at once, more
// make larger groups to sort out (both measured slower at the reference
// size, by a few percent at half and at twice as many). groupPools is how
// many pools a group holds at most: tags number a group's parts in 16
// bits.
var groupMembers = 1 << 17

const groupPools = (1 << 16) / int(numPop)

// indexBuilder holds what the passes of buildTimeIndex share.
type indexBuilder struct {
	m  *model
	x  *index
	r  *rules
	ti *timeIndex
	ep entryPools
	// at holds per share of the records and per pool and class
	// (q*numClass+c) the count of the share's members
	at [][]int32
	// least and most are per share its least and most key
	least, most []int64
	// groups are each class's groups of pools; group is each pool's
	// group in each class and the tag of its first part there
	groups [numClass]poolGroups
	group  [][numClass]poolGroup
	// free holds per share, class and group the places left to the
	// share's members, the next one first
	free [][numClass][]part
	// tags number each member's part in its group, until it is there
	tags [numClass][]uint16
}

// poolGroups are the groups of pools of one class: the first pool of each
// and where its members start, then the number of pools and of members.
type poolGroups struct{ first, start []int32 }

// poolGroup is a pool's group, and the tag of its first part there. A
// class has fewer than 1<<16 groups: any two neighbouring groups hold more
// than groupMembers members (of fewer than 2³¹), or one of them
// groupPools pools.
type poolGroup struct{ g, tag uint16 }

// groupRef names a group of a class.
type groupRef struct{ c, g int }

// parallel runs pass over the records in as many shares.
func (b *indexBuilder) parallel(shares int, pass func(w, shares int)) {
	var wg sync.WaitGroup
	for w := range shares {
		wg.Go(func() { pass(w, shares) })
	}
	wg.Wait()
}

// share returns the w-th of shares equal parts of n.
func share(n, w, shares int) (lo, hi int) { return n * w / shares, n * (w + 1) / shares }

// members calls fn with the members of every record of share w, the
// pools of the record's attribution entry and its slot.
func (b *indexBuilder) members(w, shares int, fn func(ms []member, pools []int32, slot int32)) {
	var ms []member
	x, m, r := b.x, b.m, b.r
	lo, hi := share(len(x.incidents), w, shares)
	for i := lo; i < hi; i++ {
		ms = r.incidentMembers(ms[:0], &x.incidents[i], m.incAttr[i])
		fn(ms, b.ep.of(m.incAttr[i]), int32(i))
	}
	lo, hi = share(len(x.changes), w, shares)
	for i := lo; i < hi; i++ {
		ms = r.changeMembers(ms[:0], &x.changes[i], m.chgSys[i])
		fn(ms, b.ep.of(m.chgAttr[i]), int32(i))
	}
}

// global is where the populations only the global subject counts
// (unattributed records) go: to the unattributed pool only.
func (b *indexBuilder) global() []int32 { return []int32{b.ti.unattributed} }

func (b *indexBuilder) count(w, shares int) {
	at, global := make([]int32, b.ti.pools*numClass), b.global()
	b.at[w] = at
	least, most := int64(math64Max), int64(math.MinInt64)
	b.members(w, shares, func(ms []member, pools []int32, _ int32) {
		for _, mb := range ms {
			least, most = min(least, mb.key), max(most, mb.key)
			ps := pools
			if pops[mb.pop].globalOnly {
				ps = global
			}
			c := class(mb.pop)
			for _, q := range ps {
				at[int(q)*numClass+c]++
			}
		}
	})
	b.least[w], b.most[w] = least, most
}

// layout groups each class's pools, places the class's members group
// after group and, within a group, share after share, and returns the
// members of each class.
func (b *indexBuilder) layout() (count [numClass]int32) {
	pools := b.ti.pools
	b.group = make([][numClass]poolGroup, pools)
	b.free = make([][numClass][]part, len(b.at))
	for c := range numClass {
		gs := &b.groups[c]
		for q := range pools {
			n := int32(0)
			for _, at := range b.at {
				n += at[q*numClass+c]
			}
			if g := len(gs.first); g == 0 || count[c] > gs.start[g-1] && count[c]-gs.start[g-1]+n > int32(groupMembers) ||
				q-int(gs.first[g-1]) == groupPools {
				gs.first, gs.start = append(gs.first, int32(q)), append(gs.start, count[c])
				for w := range b.free {
					b.free[w][c] = append(b.free[w][c], part{})
				}
			}
			g := len(gs.first) - 1
			b.group[q][c] = poolGroup{g: uint16(g), tag: uint16((q - int(gs.first[g])) * int(numPop))}
			for w, at := range b.at {
				b.free[w][c][g].hi += at[q*numClass+c] // counted, for now
			}
			count[c] += n
		}
		gs.first, gs.start = append(gs.first, int32(pools)), append(gs.start, count[c])
		for g := range len(gs.first) - 1 {
			// the shares' counts become their places in the group
			at := gs.start[g]
			for _, free := range b.free {
				n := free[c][g].hi
				free[c][g], at = part{at, at + n}, at+n
			}
		}
	}
	b.at = nil
	return count
}

// place writes each member, tagged with its part, after those of its
// group and class written before; a valued member's value goes to pre,
// which is summed up once all are sorted, and an expiring one's until
// time to until, a listed one's record slot to ids.
func (b *indexBuilder) place(w, shares int) {
	free, global, ti := &b.free[w], b.global(), b.ti
	b.members(w, shares, func(ms []member, pools []int32, slot int32) {
		for _, mb := range ms {
			ps := pools
			if pops[mb.pop].globalOnly {
				ps = global
			}
			c := class(mb.pop)
			for _, q := range ps {
				pg := b.group[q][c]
				left := &free[c][pg.g]
				i := left.lo
				left.lo++
				if left.lo < left.hi {
					// the next place is this share's too, written later
					ti.keys[c].setOver(int(i), mb.key)
				} else {
					ti.keys[c].set(int(i), mb.key)
				}
				b.tags[c][i] = pg.tag + uint16(mb.pop)
				if hasPre(c) {
					ti.pre[c][i+1] = mb.val
				}
				if hasUntil(c) {
					ti.until[i] = mb.until
				}
				if hasIDs(c) {
					ti.ids[c][i] = slot
				}
			}
		}
	})
}

// groupScratch is where a worker sorts a group's members out.
type groupScratch struct {
	keys []int64
	extras
	pos []int32
}

// extras holds what a run of members carries beside its keys: values,
// until times and record slots, each nil when its class has none.
type extras struct {
	vals, until []int64
	ids         []int32
}

// put sets member j of e to member i of from.
func (e extras) put(j int, from extras, i int) {
	if e.vals != nil {
		e.vals[j] = from.vals[i]
	}
	if e.until != nil {
		e.until[j] = from.until[i]
	}
	if e.ids != nil {
		e.ids[j] = from.ids[i]
	}
}

// slice returns members [a, z) of e.
func (e extras) slice(a, z int32) extras {
	return extras{within(e.vals, a, z), within(e.until, a, z), within(e.ids, a, z)}
}

// copy copies from's members into e's.
func (e extras) copy(from extras) {
	copy(e.vals, from.vals)
	copy(e.until, from.until)
	copy(e.ids, from.ids)
}

// alike returns room for n members carrying what e carries, in room's
// slices where they are large enough (grown there otherwise).
func (e extras) alike(n int, room *extras) extras {
	var out extras
	if e.vals != nil {
		room.vals = grow(room.vals, n)
		out.vals = room.vals
	}
	if e.until != nil {
		room.until = grow(room.until, n)
		out.until = room.until
	}
	if e.ids != nil {
		room.ids = grow(room.ids, n)
		out.ids = room.ids
	}
	return out
}

// sortGroup sorts class c's group g out into its parts, puts each part
// in key order, stores their keys as stamps, and notes the parts' spans.
func (b *indexBuilder) sortGroup(c, g int, sc *groupScratch) {
	ti, gs := b.ti, &b.groups[c]
	q0, q1 := int(gs.first[g]), int(gs.first[g+1])
	lo, hi := gs.start[g], gs.start[g+1]
	spans := ti.spans[q0*int(numPop) : q1*int(numPop)]
	tags := b.tags[c][lo:hi]
	// each part's members, then where its next one goes in the scratch
	pos := grow(sc.pos, len(spans))
	sc.pos = pos
	clear(pos)
	for _, t := range tags {
		pos[t]++
	}
	at := lo
	for t := range spans {
		if class(pop(t%int(numPop))) == c {
			spans[t] = part{at, at + pos[t]}
			pos[t], at = at-lo, at+pos[t]
		}
	}
	if lo == hi {
		return
	}
	n := int(hi - lo)
	keys := ti.keys[c].slice(int(lo), int(hi))
	var group extras
	if hasPre(c) {
		group.vals = ti.pre[c][lo+1 : hi+1]
	}
	if hasUntil(c) {
		group.until = ti.until[lo:hi]
	}
	if hasIDs(c) {
		group.ids = ti.ids[c][lo:hi]
	}
	sc.keys = grow(sc.keys, n)
	scratch := group.alike(n, &sc.extras)
	for i, t := range tags {
		j := pos[t]
		pos[t]++
		// the bytes after the group's last key are the next group's,
		// which another CPU may be writing
		sc.keys[j] = keys.atExact(i)
		scratch.put(int(j), group, i)
	}
	for t := range spans {
		// the other classes' parts are another CPU's to set
		if class(pop(t%int(numPop))) != c || spans[t].lo == spans[t].hi {
			continue
		}
		a, z := spans[t].lo-lo, spans[t].hi-lo
		k := sc.keys[a:z]
		sortPart(k, scratch.slice(a, z))
		stored := keys.slice(int(a), int(z))
		stored.pack(k)
	}
	group.copy(scratch)
}

// within returns s[a:z], nil for a nil s.
func within[T any](s []T, a, z int32) []T {
	if s == nil {
		return nil
	}
	return s[a:z]
}

// grow returns s with at least n elements.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// sortPart sorts keys, and their extras along with them. Parts come
// nearly sorted, so it sorts by insertion, which costs a part in order one
// look and one nearly so little more; past 4 moves per key it hands the
// part to sortSpread. (Most parts take a few moves or none; the few that
// do not, about a tenth of the members at the reference size, take
// hundreds: with 8 moves per key before the handover, sorting took about
// 5% more CPU.)
func sortPart(keys []int64, ex extras) {
	vals, until, ids := ex.vals, ex.until, ex.ids
	budget := 4 * len(keys)
	for i := 1; i < len(keys); i++ {
		k := keys[i]
		if keys[i-1] <= k {
			continue
		}
		j := i
		switch {
		case ids != nil:
			// listed parts: few, moved one slice at a time
			for ; j > 0 && keys[j-1] > k; j-- {
			}
			copy(keys[j+1:i+1], keys[j:i])
			keys[j] = k
			id := ids[i]
			copy(ids[j+1:i+1], ids[j:i])
			ids[j] = id
			for _, w := range [][]int64{vals, until} {
				if w != nil {
					v := w[i]
					copy(w[j+1:i+1], w[j:i])
					w[j] = v
				}
			}
		case vals == nil:
			for ; j > 0 && keys[j-1] > k; j-- {
				keys[j] = keys[j-1]
			}
			keys[j] = k
		case until == nil:
			v := vals[i]
			for ; j > 0 && keys[j-1] > k; j-- {
				keys[j], vals[j] = keys[j-1], vals[j-1]
			}
			keys[j], vals[j] = k, v
		default:
			v, u := vals[i], until[i]
			for ; j > 0 && keys[j-1] > k; j-- {
				keys[j], vals[j], until[j] = keys[j-1], vals[j-1], until[j-1]
			}
			keys[j], vals[j], until[j] = k, v, u
		}
		if budget -= i - j; budget < 0 {
			sortSpread(keys, ex)
			return
		}
	}
}

// sortSpread sorts keys, and their extras along with them, when they are
// too far from order for sortPart's insertion: one pass spreads them by
// their offsets from the least key into buckets, about spreadPer keys
// each, in which they keep their order; each bucket is then sorted as a
// part. A part's keys are out of order by hours or days (resolutions in
// the order of openings) over years, so a bucket's few keys are nearly in
// order: two passes over the keys rather than a radix sort's five (of 11
// bits over 46-bit offsets). Each bucket spans at most half the keys'
// span, so keys bunched together are spread again, in fewer passes than
// the bits of their span.
func sortSpread(keys []int64, ex extras) {
	n := len(keys)
	if n < 2 {
		return
	}
	least, most := slices.Min(keys), slices.Max(keys)
	span := uint64(most) - uint64(least)
	if span == 0 {
		return
	}
	// 2^width buckets of 2^shift offsets each
	width := min(max(bits.Len(uint(n/spreadPer)), 1), spreadBits)
	shift := max(bits.Len64(span)-width, 0)
	starts := make([]int32, 1<<width+1)
	for _, k := range keys {
		starts[(uint64(k)-uint64(least))>>shift+1]++
	}
	for b := 1; b < len(starts); b++ {
		starts[b] += starts[b-1]
	}
	at := slices.Clone(starts[:len(starts)-1])
	spread, spreadEx := make([]int64, n), ex.alike(n, &extras{})
	for i, k := range keys {
		b := (uint64(k) - uint64(least)) >> shift
		j := at[b]
		at[b]++
		spread[j] = k
		spreadEx.put(int(j), ex, i)
	}
	copy(keys, spread)
	ex.copy(spreadEx)
	for b := range len(starts) - 1 {
		if a, z := starts[b], starts[b+1]; z-a > 1 {
			sortPart(keys[a:z], ex.slice(a, z))
		}
	}
}

// spreadPer is about how many keys sortSpread puts in a bucket, and
// spreadBits the most buckets it makes (2^spreadBits: their counts stay in
// the cache).
const (
	spreadPer  = 4
	spreadBits = 16
)

// empty reports whether pool q has no members.
func (ti *timeIndex) empty(q int32) bool { return ti.held[q] == 0 }

// subjectPools lists, per subject, the pools whose sum is its population.
func subjectPools(m *model, ti *timeIndex) [][]int32 {
	out := make([][]int32, len(m.subj.list))
	for si := range m.systems {
		sys := &m.systems[si]
		out[sys.subject] = append(out[sys.subject], ti.sysPool[si])
		// a program manager sums the pools of their programs
		if sys.manager >= 0 && !slices.Contains(out[sys.manager], ti.ownPool[sys.program]) {
			out[sys.manager] = append(out[sys.manager], ti.ownPool[sys.program])
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

// lowerBound returns the first position in [lo, hi) of s holding a key ≥
// t, hi if none. It reads s's bytes itself, and compares offsets from
// s's base, so that a step costs little more than its load.
func lowerBound(s stamps, lo, hi int, t int64) int {
	if lo >= hi || t <= s.base {
		return lo
	}
	d := uint64(t) - uint64(s.base) // the offset of t: > 0
	b, w, mask, n := s.b, s.w, s.mask, hi-lo
	i, off := lo, lo*w
	for n > 1 {
		half := n / 2
		step := half * w
		if offsetAt(b, off+step-w, mask) < d {
			i, off = i+half, off+step
		}
		n -= half
	}
	if offsetAt(b, off, mask) < d {
		i++
	}
	return i
}

// offsetAt returns the offset from their base of the key of stamps' bytes
// b at byte off.
func offsetAt(b []byte, off int, mask uint64) uint64 {
	return binary.LittleEndian.Uint64(b[off:off+8]) & mask
}

// guess is where in a part of n members of a pool with bounds bd, first <
// t ≤ last, the first member at or after t would be if the members were
// spread evenly over the pool's time: records arrive at a fairly steady
// rate, so it is usually a few members off.
func guess(n int, bd bounds, t int64) int {
	return int(float64(t-bd.first) / float64(bd.last-bd.first+1) * float64(n))
}

// lowerBoundNear returns lowerBound(s, 0, n, t), looking first at
// position g and then at twice as far each time, outwards from it: a good
// guess reads a cache line or two of s where a binary search reads one per
// halving. Any g gives the same answer.
func lowerBoundNear(s stamps, n int, t int64, g int) int {
	if n == 0 || t <= s.base {
		return 0
	}
	d := uint64(t) - uint64(s.base) // the offset of t: > 0
	b, w, mask := s.b, s.w, s.mask
	g = min(max(g, 0), n-1)
	if offsetAt(b, g*w, mask) < d {
		// the answer is after g: s[lo-1] < t
		lo, step := g+1, 1
		for {
			i := lo + step - 1
			if i >= n {
				return lowerBound(s, lo, n, t)
			}
			if offsetAt(b, i*w, mask) >= d {
				return lowerBound(s, lo, i, t)
			}
			lo, step = i+1, 2*step
		}
	}
	// the answer is at or before g: s[hi] ≥ t
	hi, step := g, 1
	for {
		i := hi - step
		if i < 0 {
			return lowerBound(s, 0, hi, t)
		}
		if offsetAt(b, i*w, mask) < d {
			return lowerBound(s, i+1, hi, t)
		}
		hi, step = i, 2*step
	}
}

package scorecard

import (
	"time"
)

// live is the state behind the latest snapshot: one frame per configured
// window and per previous window, kept between recomputes. A recompute
// takes back and re-adds only the records that changed since the last one
// and those with a time that crossed a window boundary as `at` moved, so
// its cost follows the records that moved, not the records stored.
type live struct {
	m      *model
	rules  *rules
	frames []*frame // per configured window: current, then previous
	events events
	// cards holds the last published card of each subject (by subject
	// number) per window, reused while neither of its frames is dirty.
	cards [][]Card
	// marked dedupes the records of one recompute.
	incMarked, chgMarked bits
}

// prior is what a changed record contributed to the frames before it
// changed; nil for a record the frames have not seen yet.
type prior[T any] struct {
	rec  T
	sys  int32
	attr []int32
}

// newLive computes every frame from scratch.
func newLive(m *model, x *index, av *availability, at time.Time) *live {
	l := &live{m: m, rules: newRules(m, x)}
	for _, w := range m.cfg.Windows {
		for _, end := range []time.Time{at, at.Add(-w.Duration)} {
			f := newFrame(end, w.Duration, len(m.subj.list))
			f.dirty = make([]bool, len(f.acc))
			f.all(m, x, l.rules)
			f.availability(m, av)
			l.frames = append(l.frames, f)
		}
	}
	l.events.build(x, l.rules)
	return l
}

// advance moves every frame to at, applying the records changed since the
// last recompute. It reports false when so much moved that computing from
// scratch is cheaper.
func (l *live) advance(x *index, av *availability, at time.Time, incs map[int]*prior[incident], chgs map[int]*prior[change]) bool {
	m, now := l.m, micros(at)
	l.incMarked.fit(len(x.incidents))
	l.chgMarked.fit(len(x.changes))
	var incSet, chgSet []int
	defer func() {
		l.incMarked.unset(incSet)
		l.chgMarked.unset(chgSet)
	}()
	markInc := func(i int) {
		if !l.incMarked.set(i) {
			incSet = append(incSet, i)
		}
	}
	markChg := func(i int) {
		if !l.chgMarked.set(i) {
			chgSet = append(chgSet, i)
		}
	}
	for i := range incs {
		markInc(i)
	}
	for i := range chgs {
		markChg(i)
	}
	for wi, w := range m.cfg.Windows {
		length := w.Duration.Microseconds()
		cur := l.frames[2*wi]
		// the boundaries of the current and previous windows: at, at-L, at-2L
		for k := int64(0); k <= 2; k++ {
			l.events.each(x, l.rules, cur.at-k*length, now-k*length, markInc, markChg)
		}
	}
	if len(incSet)+len(chgSet) > (len(x.incidents)+len(x.changes))/4 {
		return false
	}
	g := m.global
	for fi, f := range l.frames {
		f.fit(len(m.subj.list))
		for _, i := range incSet {
			if p, changed := incs[i]; changed {
				if p != nil {
					f.incident(l.rules, &p.rec, p.sys, p.attr, g, -1)
				}
			} else {
				f.incident(l.rules, &x.incidents[i], m.incSys[i], m.incSubjects(i), g, -1)
			}
		}
		for _, i := range chgSet {
			if p, changed := chgs[i]; changed {
				if p != nil {
					f.change(l.rules, &p.rec, p.sys, p.attr, g, -1)
				}
			} else {
				f.change(l.rules, &x.changes[i], m.chgSys[i], m.chgSubjects(i), g, -1)
			}
		}
		length := f.at - f.from
		end := now
		if fi%2 == 1 { // a previous window ends where the current one starts
			end = now - length
		}
		f.at, f.from = end, end-length
		for _, i := range incSet {
			f.incident(l.rules, &x.incidents[i], m.incSys[i], m.incSubjects(i), g, 1)
		}
		for _, i := range chgSet {
			f.change(l.rules, &x.changes[i], m.chgSys[i], m.chgSubjects(i), g, 1)
		}
		f.availability(m, av)
	}
	for i := range incs {
		l.events.addIncident(&x.incidents[i], i, l.rules)
	}
	for i := range chgs {
		l.events.addChange(&x.changes[i], i)
	}
	return true
}

// bits is a set of record slots.
type bits []uint64

func (b *bits) fit(n int) {
	for len(*b)*64 < n {
		*b = append(*b, 0)
	}
}

// set adds i and reports whether it was there already.
func (b bits) set(i int) bool {
	w, m := i/64, uint64(1)<<(i%64)
	was := b[w]&m != 0
	b[w] |= m
	return was
}

// unset takes the slots out again, leaving the set empty for the next use.
func (b bits) unset(slots []int) {
	for _, i := range slots {
		b[i/64] &^= uint64(1) << (i % 64)
	}
}

// events indexes records by their times in hour-long buckets, so that
// finding the records whose times a moving boundary crossed costs what
// crossed, and building the index costs no sort. A bucket lists record
// slots (the top bit marks a change) and the times are read from the
// records, so an entry takes 4 bytes. A record stays listed in the buckets
// of its earlier versions' times, which only costs a look at it.
type events struct {
	buckets map[int64][]uint32
}

const (
	bucketWidth = int64(time.Hour / time.Microsecond)
	changeBit   = uint32(1) << 31
)

func bucketOf(t int64) int64 {
	b := t / bucketWidth
	if t < 0 && t%bucketWidth != 0 {
		b--
	}
	return b
}

// incidentTimes and changeTimes list the times at which a record's
// contribution can change as `at` moves past them (absent ones included).
func incidentTimes(in *incident, r *rules) [5]int64 {
	due := int64(absent)
	if in.resolved != absent {
		due = in.resolved + r.reviewDue
	}
	return [5]int64{in.opened, in.acked, in.resolved, in.reviewDone, due}
}

func changeTimes(c *change) [2]int64 { return [2]int64{c.finished, c.causeOpened} }

// build indexes every record, sizing each bucket exactly.
func (ev *events) build(x *index, r *rules) {
	counts := map[int64]int{}
	total := 0
	x.eachEventBucket(r, func(b int64, _ uint32) { counts[b]++; total++ })
	ev.buckets = make(map[int64][]uint32, len(counts))
	all := make([]uint32, total)
	for b, n := range counts {
		ev.buckets[b], all = all[:0:n], all[n:]
	}
	x.eachEventBucket(r, func(b int64, e uint32) { ev.buckets[b] = append(ev.buckets[b], e) })
}

// eachEventBucket calls fn for every record and bucket it is listed in.
func (x *index) eachEventBucket(r *rules, fn func(b int64, e uint32)) {
	for i := range x.incidents {
		ts := incidentTimes(&x.incidents[i], r)
		eachBucket(ts[:], func(b int64) { fn(b, uint32(i)) })
	}
	for i := range x.changes {
		ts := changeTimes(&x.changes[i])
		eachBucket(ts[:], func(b int64) { fn(b, uint32(i)|changeBit) })
	}
}

// eachBucket calls fn once for each distinct bucket of the present times.
func eachBucket(ts []int64, fn func(b int64)) {
	for k, t := range ts {
		if t == absent {
			continue
		}
		b, seen := bucketOf(t), false
		for _, u := range ts[:k] {
			if u != absent && bucketOf(u) == b {
				seen = true
				break
			}
		}
		if !seen {
			fn(b)
		}
	}
}

func (ev *events) addIncident(in *incident, i int, r *rules) {
	ts := incidentTimes(in, r)
	eachBucket(ts[:], func(b int64) { ev.buckets[b] = append(ev.buckets[b], uint32(i)) })
}

func (ev *events) addChange(c *change, i int) {
	ts := changeTimes(c)
	eachBucket(ts[:], func(b int64) { ev.buckets[b] = append(ev.buckets[b], uint32(i)|changeBit) })
}

// each calls inc or chg for every record with a time in [lo, hi) (or
// [hi, lo) when time went backwards), once per bucket it is listed in.
func (ev *events) each(x *index, r *rules, lo, hi int64, inc, chg func(i int)) {
	if hi < lo {
		lo, hi = hi, lo
	}
	if lo == hi {
		return
	}
	in := func(ts []int64) bool {
		for _, t := range ts {
			if t != absent && t >= lo && t < hi {
				return true
			}
		}
		return false
	}
	for b := bucketOf(lo); b <= bucketOf(hi-1); b++ {
		for _, e := range ev.buckets[b] {
			if e&changeBit != 0 {
				i := int(e &^ changeBit)
				if ts := changeTimes(&x.changes[i]); in(ts[:]) {
					chg(i)
				}
			} else if ts := incidentTimes(&x.incidents[e], r); in(ts[:]) {
				inc(int(e))
			}
		}
	}
}

// publish returns every window's cards in subject order, rebuilding only
// those of subjects whose populations changed since the last publish.
func (l *live) publish(order []int32, card func(si int32, window string, cur, prev Values) Card) map[string][]Card {
	m := l.m
	out := make(map[string][]Card, len(m.cfg.Windows))
	l.cards = append(l.cards, make([][]Card, len(m.cfg.Windows)-len(l.cards))...)
	for wi, w := range m.cfg.Windows {
		cur, prev := l.frames[2*wi], l.frames[2*wi+1]
		uc, up := cur.unowned(m), prev.unowned(m)
		known := len(l.cards[wi])
		for len(l.cards[wi]) < len(m.subj.list) {
			l.cards[wi] = append(l.cards[wi], Card{})
		}
		for si := range m.subj.list {
			// global carries systems_unowned, which moves with `at`
			if si < known && !cur.dirty[si] && !prev.dirty[si] && int32(si) != m.global {
				continue
			}
			l.cards[wi][si] = card(int32(si), w.Name, cur.value(si, uc), prev.value(si, up))
		}
		clear(cur.dirty)
		clear(prev.dirty)
		cards := make([]Card, 0, len(order))
		for _, si := range order {
			cards = append(cards, l.cards[wi][si])
		}
		out[w.Name] = cards
	}
	return out
}

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
	// mark dedupes the records of one recompute.
	incMark, chgMark []uint32
	tick             uint32
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
	l := &live{m: m, rules: newRules(m)}
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
	l.tick++
	l.incMark = grow(l.incMark, len(x.incidents))
	l.chgMark = grow(l.chgMark, len(x.changes))
	var incSet, chgSet []int
	markInc := func(i int) {
		if l.incMark[i] != l.tick {
			l.incMark[i] = l.tick
			incSet = append(incSet, i)
		}
	}
	markChg := func(i int) {
		if l.chgMark[i] != l.tick {
			l.chgMark[i] = l.tick
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
			l.events.each(cur.at-k*length, now-k*length, func(kind int8, i int32) {
				if kind == kindIncident {
					markInc(int(i))
				} else {
					markChg(int(i))
				}
			})
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
				f.incident(l.rules, &x.incidents[i], m.incSys[i], m.incAttr[i], g, -1)
			}
		}
		for _, i := range chgSet {
			if p, changed := chgs[i]; changed {
				if p != nil {
					f.change(l.rules, &p.rec, p.sys, p.attr, g, -1)
				}
			} else {
				f.change(l.rules, &x.changes[i], m.chgSys[i], m.chgAttr[i], g, -1)
			}
		}
		length := f.at - f.from
		end := now
		if fi%2 == 1 { // a previous window ends where the current one starts
			end = now - length
		}
		f.at, f.from = end, end-length
		for _, i := range incSet {
			f.incident(l.rules, &x.incidents[i], m.incSys[i], m.incAttr[i], g, 1)
		}
		for _, i := range chgSet {
			f.change(l.rules, &x.changes[i], m.chgSys[i], m.chgAttr[i], g, 1)
		}
		f.availability(m, av)
	}
	for i := range incs {
		l.events.addIncident(&x.incidents[i], int32(i), l.rules)
	}
	for i := range chgs {
		l.events.addChange(&x.changes[i], int32(i))
	}
	return true
}

func grow(s []uint32, n int) []uint32 {
	for len(s) < n {
		s = append(s, 0)
	}
	return s
}

const (
	kindIncident int8 = iota
	kindChange
)

// event is a time at which a record's contribution can change as `at`
// moves past it.
type event struct {
	t    int64
	i    int32
	kind int8
}

// events indexes every record's times in hour-long buckets, so that
// finding the records whose times a moving boundary crossed costs what
// crossed, and building the index costs no sort. Times of earlier versions
// of a record stay listed; they only make a recompute revisit it.
type events struct {
	buckets map[int64][]event
}

const bucketWidth = int64(time.Hour / time.Microsecond)

func bucketOf(t int64) int64 {
	b := t / bucketWidth
	if t < 0 && t%bucketWidth != 0 {
		b--
	}
	return b
}

func (ev *events) build(x *index, r *rules) {
	ev.buckets = map[int64][]event{}
	for i := range x.incidents {
		ev.addIncident(&x.incidents[i], int32(i), r)
	}
	for i := range x.changes {
		ev.addChange(&x.changes[i], int32(i))
	}
}

func (ev *events) add(t int64, i int32, kind int8) {
	if t != absent {
		b := bucketOf(t)
		ev.buckets[b] = append(ev.buckets[b], event{t, i, kind})
	}
}

func (ev *events) addIncident(in *incident, i int32, r *rules) {
	ev.add(in.opened, i, kindIncident)
	ev.add(in.acked, i, kindIncident)
	ev.add(in.resolved, i, kindIncident)
	ev.add(in.reviewDone, i, kindIncident)
	if in.resolved != absent {
		ev.add(in.resolved+r.reviewDue, i, kindIncident)
	}
}

func (ev *events) addChange(c *change, i int32) {
	ev.add(c.finished, i, kindChange)
	ev.add(c.causeOpened, i, kindChange)
}

// each calls fn for every event in [lo, hi) (or [hi, lo) when time went
// backwards).
func (ev *events) each(lo, hi int64, fn func(kind int8, i int32)) {
	if hi < lo {
		lo, hi = hi, lo
	}
	if lo == hi {
		return
	}
	for b := bucketOf(lo); b <= bucketOf(hi-1); b++ {
		for _, e := range ev.buckets[b] {
			if e.t >= lo && e.t < hi {
				fn(e.kind, e.i)
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

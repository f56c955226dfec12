package scorecard

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/steward-sh/steward/config"
)

// state is everything the engine derives from the records and the config
// in force: attribution, availability, the time index, and the records
// changed since the time index was built (the delta), which evaluation
// takes back and adds again one by one. When the delta grows past a share
// of the records the time index is built again and the delta emptied, so
// the cost of a write stays proportional to what it wrote and the cost of
// an evaluation to the windows it asks for.
type state struct {
	m     *model
	r     *rules
	av    *availability
	ti    *timeIndex
	spans [][]sysSpan
	own   unowned
	nx    *successions
	// incPrior and chgPrior hold, for each record slot changed since the
	// time index was built, the version the index holds (nil: a slot the
	// index does not have).
	incPrior map[int]*prior[incident]
	chgPrior map[int]*prior[change]
	// delta lists per subject the record versions to take back (old) or
	// add (current) on top of what its pools hold.
	delta map[int32][]deltaRef
	// minRebuild is the delta below which the time index is never rebuilt.
	minRebuild int
	// objectives by KPI, for scoring without map lookups
	objectives [numKPI]*config.Objective
}

// prior is a record version the time index holds, with its attribution
// entry.
type prior[T any] struct {
	rec   T
	sys   int32
	entry uint32
}

type deltaRef struct {
	slot   int32
	change bool
	old    bool
}

// newState attributes every record of x under cfg and indexes them.
func newState(cfg *config.Config, x *index) *state {
	m := newModel(cfg)
	m.update(x, true)
	x.linkCauses()
	x.compact() // now, so that availability, built beside the rest, reads incidents nothing writes
	x.trim()
	st := &state{m: m, r: newRules(m, x), minRebuild: defaultMinRebuild,
		objectives: *objectivesByKPI(cfg.Objectives)}
	// availability and the time index only read the records and the
	// attribution: the one is built while the other waits on a CPU
	var wg sync.WaitGroup
	wg.Go(func() { st.av = newAvailability(m, x) })
	st.nx = newSuccessions(st, x)
	x.settled()
	st.rebuild(x)
	wg.Wait()
	return st
}

// rebuild builds the time index from every record and empties the delta.
func (st *state) rebuild(x *index) {
	st.ti = nil // let the collector take the old index while the new one is built
	x.compact() // no earlier version of a record is held any more
	st.ti = buildTimeIndex(st.m, x, st.r)
	st.spans = exposures(st.m)
	st.own = newUnowned(st.m)
	st.incPrior, st.chgPrior, st.delta = map[int]*prior[incident]{}, map[int]*prior[change]{}, nil
	st.ready()
}

// ready precomputes what readers would otherwise compute lazily, so that
// any number of them may read the state at once.
func (st *state) ready() {
	order := st.m.subj.sorted()
	for _, si := range order {
		st.m.subj.definedKPIs(si)
	}
	if len(st.spans) < len(st.m.subj.list) {
		st.spans = append(st.spans, make([][]sysSpan, len(st.m.subj.list)-len(st.spans))...)
	}
}

// absorb takes in the records x took in since the last absorb: their
// attribution, availability and cause links, noting for the delta what
// the time index holds of each.
func (st *state) absorb(x *index) {
	m, ti := st.m, st.ti
	st.delta = nil // listed again by settle
	for _, i := range x.touchedInc {
		if _, noted := st.incPrior[i]; noted {
			continue
		}
		var p *prior[incident]
		if i < ti.incidents {
			old, replaced := x.replacedInc[i]
			if !replaced {
				old = x.incidents[i]
			}
			p = &prior[incident]{old, m.incSys[i], m.incAttr[i]}
		}
		st.incPrior[i] = p
	}
	for _, i := range x.touchedChg {
		if _, noted := st.chgPrior[i]; noted {
			continue
		}
		var p *prior[change]
		if i < ti.changes {
			old, replaced := x.replacedChg[i]
			if !replaced {
				old = x.changes[i]
			}
			p = &prior[change]{old, m.chgSys[i], m.chgAttr[i]}
		}
		st.chgPrior[i] = p
	}
	before := make(map[int]int32, len(x.touchedInc))
	for _, i := range x.touchedInc {
		before[i] = -1
		if i < len(m.incSys) {
			before[i] = m.incSys[i]
		}
	}
	m.update(x, false)
	st.av.update(m, x, before)
	note := func(changed map[int]change) {
		for j, old := range changed {
			if _, noted := st.chgPrior[j]; !noted && j < ti.changes {
				st.chgPrior[j] = &prior[change]{old, m.chgSys[j], m.chgAttr[j]}
			}
		}
	}
	note(x.linkCauses())
	note(st.nx.update(st, x, x.touchedChg))
	x.settled()
}

// large reports whether the delta has grown past a quarter of the records
// the index holds (and minRebuild): evaluating it then costs more than
// building the index again. Growing by a quarter between rebuilds keeps
// their total cost during a bulk load at about five final builds.
func (st *state) large(x *index) bool {
	return len(st.incPrior)+len(st.chgPrior) > max(st.minRebuild, (st.ti.incidents+st.ti.changes)/4)
}

// settle rebuilds the time index when the delta has grown large, and
// otherwise lists the delta per subject.
func (st *state) settle(x *index) {
	if st.large(x) {
		st.rebuild(x)
		return
	}
	m := st.m
	st.delta = map[int32][]deltaRef{}
	add := func(entry uint32, ref deltaRef) {
		for _, s := range m.subjectsOf(entry) {
			st.delta[s] = append(st.delta[s], ref)
		}
	}
	for i, p := range st.incPrior {
		if p != nil {
			add(p.entry, deltaRef{slot: int32(i), old: true})
		}
		add(m.incAttr[i], deltaRef{slot: int32(i)})
	}
	for i, p := range st.chgPrior {
		if p != nil {
			add(p.entry, deltaRef{slot: int32(i), change: true, old: true})
		}
		add(m.chgAttr[i], deltaRef{slot: int32(i), change: true})
	}
	st.ready()
}

// defaultMinRebuild is the delta below which the time index is never
// rebuilt: rebuilding costs about a second at two million records, taking
// back and adding a record again a fraction of a microsecond per subject
// and window it counts for.
const defaultMinRebuild = 20000

// evaluator computes KPI values from a state; each goroutine has its own.
type evaluator struct {
	st *state
	x  *index
	t  tally
	ts []tally // a trend's or a plan's, one per point or window
	// pos is a plan's scratch: a part's position of each boundary
	pos []int
	// touched keeps what touchPool read, so that the reads stay
	touched int64
	// stride is the distance between the items this evaluator is given
	// by parallel: the next one is the current one plus stride
	stride int
	ms     []member
	// downs holds the systems' downtimes of the windows evaluated for many
	// subjects (nil: computed per subject)
	downs []*downtimes
	meas  *measView     // nil: the config reads no measurements
	fb    *feedbackView // nil: no feedback
	// sums are the percentile populations of the last values call: only
	// the cards of a snapshot need them, so values does not return them
	sums Summaries
	// owned is what st.owned gave for the window values last evaluated,
	// for the card to read rather than compute again
	owned int64
	// sel is the KPIs evaluated (allKPIs: every one), need what they read:
	// the values of the others are left without a value
	sel  set
	need need
}

// newEvaluator returns an evaluator of the KPIs in sel.
func (e *Engine) newEvaluator(st *state, sel set) *evaluator {
	ev := &evaluator{st: st, x: e.x, sel: sel, need: needOf(sel)}
	if ev.need.has(srcMeasures) {
		ev.meas = e.meas.viewFor(st.m.cfg)
	}
	if ev.need.has(srcFeedback) {
		ev.fb = e.fb.viewFor(st)
	}
	ev.t.collect = ev.need.src & (srcTTRs | srcLeads)
	return ev
}

// pops returns the populations subject si counts that the KPIs evaluated
// read.
func (ev *evaluator) pops(si int32) popSet {
	k, global := ev.kinds(si)
	return counted(k, global) & ev.need.pops
}

// addDelta adds subject si's delta over [from, at) to t.
func (ev *evaluator) addDelta(t *tally, si int32, from, at int64) {
	if refs := ev.st.delta[si]; len(refs) > 0 {
		ps := ev.pops(si)
		for _, ref := range refs {
			ev.addRef(t, ref, from, at, ps)
		}
	}
}

// tallyPlan tallies subject si's pools over each window of pl, in ev.ts
// (window k in ev.ts[k]), for finish to turn into values.
func (ev *evaluator) tallyPlan(si int32, pl *plan) []tally {
	st := ev.st
	for len(ev.ts) < len(pl.spans) {
		ev.ts = append(ev.ts, tally{})
	}
	ts := ev.ts[:len(pl.spans)]
	for k := range ts {
		ts[k].collect = ev.t.collect
		ts[k].reset()
	}
	if len(ev.pos) < len(pl.bounds) {
		ev.pos = make([]int, len(pl.bounds))
	}
	if int(si) < len(st.ti.subjPools) {
		ps := ev.pops(si)
		for _, q := range st.ti.subjPools[si] {
			addPoolPlan(ts, st.ti, q, pl, ps, ev.pos)
		}
	}
	return ts
}

// touch reads the parts of subject si's pools that tallyPlan will read
// (see touchPool): called one subject ahead, the reads are under way while
// the subject before is tallied.
func (ev *evaluator) touch(si int32, pl *plan) {
	st := ev.st
	if int(si) < len(st.ti.subjPools) {
		ps := ev.pops(si)
		for _, q := range st.ti.subjPools[si] {
			ev.touched += touchPool(st.ti, q, pl, ps)
		}
	}
}

// trend evaluates subject si over [at-length, at) for each of ats.
func (ev *evaluator) trend(si int32, ats []int64, length int64) []Values {
	st := ev.st
	order := make([]int, len(ats))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(ats[i], ats[j]) })
	sorted := make([]int64, len(ats))
	for j, i := range order {
		sorted[j] = ats[i]
	}
	for len(ev.ts) < len(ats) {
		ev.ts = append(ev.ts, tally{})
	}
	ts := ev.ts[:len(ats)]
	for j := range ts {
		ts[j].collect = ev.t.collect
		ts[j].reset()
	}
	if int(si) < len(st.ti.subjPools) {
		ps := ev.pops(si)
		for _, q := range st.ti.subjPools[si] {
			addPoolTrend(ts, st.ti, q, sorted, length, ps)
		}
	}
	out := make([]Values, len(ats))
	for j, i := range order {
		out[i] = ev.finish(&ts[j], si, sorted[j], length)
	}
	return out
}

// kinds returns the record kinds subject si counts, and whether it is
// the global subject.
func (ev *evaluator) kinds(si int32) (kinds, bool) {
	k := kindBoth
	if ev.st.isProcOwner(si) {
		k = ev.st.procKinds(si)
	}
	return k, si == ev.st.m.global
}

// finish turns tally t of subject si's pools over [at-length, at) into
// its values: the delta on top, then what is not counted from records.
func (ev *evaluator) finish(t *tally, si int32, at, length int64) Values {
	st := ev.st
	from := at - length
	ev.addDelta(t, si, from, at)
	v := t.values(length)
	if ev.need.has(srcDowntime) {
		var cached *downtimes
		for _, d := range ev.downs {
			if d.from == from && d.at == at {
				cached = d
			}
		}
		if exp, down := st.exposure(si, from, at, cached); exp > 0 {
			d := down / 1e6
			v[DowntimeSeconds] = d
			v[AvailabilityRatio] = 1 - d/(float64(exp)/1e6)
		}
	}
	v[SystemsUnowned] = float64(st.own.at(at))
	if ev.need.has(srcMeasures) {
		ev.meas.fill(&v, st, si, from, at)
	}
	if ev.need.has(srcFeedback) {
		ev.fb.fill(&v, si, from, at)
	}
	ev.sums = t.summaries()
	ev.owned = st.owned(si, from, at)
	switch owned := ev.owned; {
	case owned == 0:
		noExposure(&v)
		ev.sums = Summaries{}
	case owned > 0:
		// a system owner's rates are over the time they owned something
		days := (time.Duration(owned) * time.Microsecond).Hours() / 24
		v[DeploymentsPerDay] = float64(t.n[popCompleted]-t.n[popFailedOutcome]) / days
	}
	if ev.sel != allKPIs {
		// the populations of the others were not read: their values
		// would be wrong
		for k := range numKPI {
			if !ev.sel.has(k) {
				v[k] = math.NaN()
			}
		}
	}
	return v
}

func (st *state) isProcOwner(si int32) bool {
	return st.m.procOwner[procIncident] == si || st.m.procOwner[procChange] == si
}

// procKinds is what a process owner counts: the records of its processes.
func (st *state) procKinds(si int32) kinds {
	var k kinds
	if st.m.procOwner[procIncident] == si {
		k |= kindIncident
	}
	if st.m.procOwner[procChange] == si {
		k |= kindChange
	}
	return k
}

// addRef applies one record version of the delta to t.
func (ev *evaluator) addRef(t *tally, ref deltaRef, from, at int64, ps popSet) {
	ms, sign := ev.refMembers(ref, ps)
	t.addMembers(ms, from, at, ps, sign)
}

// refMembers returns the members of populations ps (at least) of one
// record version of the delta, and whether it is taken back (-1, the
// version the index holds) or added. They stay valid until the next call.
func (ev *evaluator) refMembers(ref deltaRef, ps popSet) ([]member, int) {
	st, x := ev.st, ev.x
	sign := 1
	if ref.old {
		sign = -1
	}
	i := int(ref.slot)
	switch {
	case ref.change && ref.old:
		p := st.chgPrior[i]
		ev.ms = st.r.changeMembers(ev.ms[:0], &p.rec, p.sys)
	case ref.change:
		ev.ms = st.r.changeMembers(ev.ms[:0], &x.changes[i], st.m.chgSys[i])
	case ref.old:
		p := st.incPrior[i]
		ev.ms = st.r.incidentMembersIn(ev.ms[:0], &p.rec, p.entry, ps)
	default:
		ev.ms = st.r.incidentMembersIn(ev.ms[:0], &x.incidents[i], st.m.incAttr[i], ps)
	}
	return ev.ms, sign
}

package scorecard

import (
	"math"
	"slices"
	"time"
)

// acc accumulates one subject's populations over one window. Every field
// is an integer (durations in micros), so an incremental recompute that
// removes and re-adds records ends exactly where a full one does.
type acc struct {
	completed, failed, emergency, unauthorized, succeeded int
	leadTimes                                             dist

	opened              [6]int // by severity; [0] unused
	resolved            int
	ttrSum              int64
	ttrs                dist
	acked               int
	ackSum              int64
	slaTargeted, breach int
	open, overdue       int
	reviewsDue, onTime  int

	exposure int64   // micros
	downtime float64 // micros

	unattributedInc, unattributedChg int
}

// rules is the policy in the form the passes use.
type rules struct {
	countedEnv     []sym
	failFromCauses bool
	reviewDue      int64
	reviewMaxSev   int8
	sla            [6]int64 // micros by severity; 0: no target
	degradedWeight float64
}

func newRules(m *model, x *index) *rules {
	pol := &m.cfg.Policy
	r := &rules{failFromCauses: pol.ChangeFailureFromIncidents,
		reviewDue: pol.Review.Due.Microseconds(), reviewMaxSev: int8(pol.Review.SeverityThreshold),
		degradedWeight: pol.Availability.DegradedWeight}
	for _, e := range pol.ChangeEnvironments {
		r.countedEnv = append(r.countedEnv, x.syms.id(e))
	}
	for sev, d := range pol.SLA {
		if sev >= 1 && sev <= 5 {
			r.sla[sev] = d.Microseconds()
		}
	}
	return r
}

// frame is the state of one evaluation: every subject's populations over
// the window [from, at).
type frame struct {
	at, from int64
	length   time.Duration
	acc      []acc
	// dirty marks the subjects whose populations changed since the live
	// state last published them (nil outside the live state).
	dirty []bool
}

func (f *frame) touch(s int32) {
	if f.dirty != nil {
		f.dirty[s] = true
	}
}

func newFrame(at time.Time, length time.Duration, subjects int) *frame {
	return &frame{at: micros(at), from: micros(at.Add(-length)), length: length, acc: make([]acc, subjects)}
}

// fit makes room for subjects added since the frame was built (teams first
// seen in new records).
func (f *frame) fit(subjects int) {
	for len(f.acc) < subjects {
		f.acc = append(f.acc, acc{})
		if f.dirty != nil {
			f.dirty = append(f.dirty, true)
		}
	}
}

func (f *frame) in(t int64) bool { return t != absent && t >= f.from && t < f.at }

// change adds (sign +1) or removes (sign -1) one change's contribution.
func (f *frame) change(r *rules, c *change, sys int32, attr []int32, global int32, sign int) {
	if !slices.Contains(r.countedEnv, c.env) || !f.in(c.finished) {
		return
	}
	if sys < 0 {
		f.acc[global].unattributedChg += sign
		f.touch(global)
	}
	if c.outcome != symSuccess && c.outcome != symFailed && c.outcome != symRolledBack {
		return
	}
	failed := c.outcome != symSuccess || (r.failFromCauses && c.causeOpened != absent && c.causeOpened < f.at)
	for _, s := range attr {
		f.touch(s)
		a := &f.acc[s]
		a.completed += sign
		if failed {
			a.failed += sign
		}
		if c.typ == symEmergency {
			a.emergency += sign
		}
		if !c.authorized {
			a.unauthorized += sign
		}
		if c.outcome == symSuccess {
			a.succeeded += sign
			if c.created != absent {
				a.leadTimes.change(c.finished-c.created, sign)
			}
		}
	}
}

// incident adds (sign +1) or removes (sign -1) one incident's contribution.
func (f *frame) incident(r *rules, in *incident, sys int32, attr []int32, global int32, sign int) {
	if in.opened >= f.at {
		return // not yet opened at `at`: counts nowhere
	}
	openedIn := f.in(in.opened)
	if openedIn && sys < 0 {
		f.acc[global].unattributedInc += sign
		f.touch(global)
	}
	resolvedIn := f.in(in.resolved)
	ttr := in.resolved - in.opened
	target := r.sla[in.severity]
	ackIn := f.in(in.acked)
	open := in.resolved == absent || in.resolved >= f.at
	required := in.reviewRequired == 1 || (in.reviewRequired == -1 && in.severity <= r.reviewMaxSev)
	var dueIn, onTime, overdue bool
	if required && in.resolved != absent {
		d := in.resolved + r.reviewDue
		dueIn = f.in(d)
		onTime = in.reviewDone != absent && in.reviewDone <= d
		overdue = d < f.at && !(in.reviewDone != absent && in.reviewDone < f.at)
	}
	if !openedIn && !resolvedIn && !ackIn && !open && !dueIn && !overdue {
		return
	}
	for _, s := range attr {
		f.touch(s)
		a := &f.acc[s]
		if openedIn {
			a.opened[in.severity] += sign
		}
		if resolvedIn {
			a.resolved += sign
			a.ttrSum += int64(sign) * ttr
			a.ttrs.change(ttr, sign)
			if target > 0 {
				a.slaTargeted += sign
				if ttr > target {
					a.breach += sign
				}
			}
		}
		if ackIn {
			a.acked += sign
			a.ackSum += int64(sign) * (in.acked - in.opened)
		}
		if open {
			a.open += sign
		}
		if dueIn {
			a.reviewsDue += sign
			if onTime {
				a.onTime += sign
			}
		}
		if overdue {
			a.overdue += sign
		}
	}
}

// all adds every record, for a frame computed from scratch.
func (f *frame) all(m *model, x *index, r *rules) {
	for i := range x.changes {
		f.change(r, &x.changes[i], m.chgSys[i], m.chgSubjects(i), m.global, 1)
	}
	for i := range x.incidents {
		f.incident(r, &x.incidents[i], m.incSys[i], m.incSubjects(i), m.global, 1)
	}
}

// availability sets exposure and downtime per subject from scratch (it is
// cheap: a few intervals per system): whole windows for systems and their
// groups, the owned part of the window for owners.
func (f *frame) availability(m *model, av *availability) {
	type was struct {
		exposure int64
		downtime float64
	}
	var before []was
	if f.dirty != nil {
		before = make([]was, len(f.acc))
	}
	for s := range f.acc {
		if before != nil {
			before[s] = was{f.acc[s].exposure, f.acc[s].downtime}
		}
		f.acc[s].exposure, f.acc[s].downtime = 0, 0
	}
	defer func() {
		for s := range before {
			if before[s] != (was{f.acc[s].exposure, f.acc[s].downtime}) {
				f.dirty[s] = true
			}
		}
	}()
	length := f.at - f.from
	for si := range m.systems {
		sys := &m.systems[si]
		down := av.downtime(si, f.from, f.at)
		for _, s := range [...]int32{sys.subject, sys.program, sys.manager, m.global} {
			if s >= 0 {
				f.acc[s].exposure += length
				f.acc[s].downtime += down
			}
		}
		for _, t := range sys.tenures {
			from, to := max(t.from, f.from), min(t.to, f.at)
			if from >= to || t.owner < 0 {
				continue
			}
			f.acc[t.owner].exposure += to - from
			f.acc[t.owner].downtime += av.downtime(si, from, to)
		}
	}
}

// values turns the frame's populations into KPI values.
func (f *frame) values(m *model) []Values {
	out := make([]Values, len(f.acc))
	unowned := f.unowned(m)
	for s := range f.acc {
		out[s] = f.value(s, unowned)
	}
	return out
}

// unowned counts the configured systems with no owner at the frame's end.
func (f *frame) unowned(m *model) int {
	n := 0
	for si := range m.systems {
		if m.systems[si].ownerAt(f.at) < 0 {
			n++
		}
	}
	return n
}

// value turns one subject's populations into KPI values.
func (f *frame) value(s, unowned int) Values {
	days := f.length.Hours() / 24
	a := &f.acc[s]
	v := noValues()
	v[ChangesCompleted] = float64(a.completed)
	v[ChangesFailed] = float64(a.failed)
	v[ChangeSuccessRatio] = ratio(a.completed-a.failed, a.completed)
	v[EmergencyChangeRatio] = ratio(a.emergency, a.completed)
	v[UnauthorizedChanges] = float64(a.unauthorized)
	v[DeploymentsPerDay] = float64(a.succeeded) / days
	v[ChangeLeadTimeP50] = a.leadTimes.quantile(0.5)
	v[ChangeLeadTimeP90] = a.leadTimes.quantile(0.9)
	total := 0
	for sev := 1; sev <= 5; sev++ {
		v[IncidentsOpenedSev1+KPI(sev-1)] = float64(a.opened[sev])
		total += a.opened[sev]
	}
	v[IncidentsOpened] = float64(total)
	v[IncidentsResolved] = float64(a.resolved)
	v[MTTR] = mean(a.ttrSum, a.resolved)
	v[TimeToRestoreP50] = a.ttrs.quantile(0.5)
	v[TimeToRestoreP90] = a.ttrs.quantile(0.9)
	v[MTTA] = mean(a.ackSum, a.acked)
	v[SLABreachRatio] = ratio(a.breach, a.slaTargeted)
	v[IncidentsOpen] = float64(a.open)
	v[ReviewComplianceRatio] = ratio(a.onTime, a.reviewsDue)
	v[ReviewsOverdue] = float64(a.overdue)
	if a.exposure > 0 {
		down := a.downtime / 1e6
		v[DowntimeSeconds] = down
		v[AvailabilityRatio] = 1 - down/(float64(a.exposure)/1e6)
	}
	v[SystemsUnowned] = float64(unowned)
	v[UnattributedIncidents] = float64(a.unattributedInc)
	v[UnattributedChanges] = float64(a.unattributedChg)
	return v
}

// compute evaluates every subject's KPIs over [at-length, at) from scratch.
func (m *model) compute(x *index, av *availability, at time.Time, length time.Duration) []Values {
	f := newFrame(at, length, len(m.subj.list))
	f.all(m, x, newRules(m, x))
	f.availability(m, av)
	return f.values(m)
}

// pass is one evaluation window over the index, for readers of single
// records (evidence).
type pass struct {
	m        *model
	x        *index
	avail    *availability
	at, from int64
	length   time.Duration
}

func (p *pass) in(t int64) bool { return t != absent && t >= p.from && t < p.at }

func seconds(us int64) float64 { return float64(us) / 1e6 }

func ratio(n, d int) float64 {
	if d == 0 {
		return math.NaN()
	}
	return float64(n) / float64(d)
}

// mean of n durations summing to sum micros, in seconds.
func mean(sum int64, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(sum) / 1e6 / float64(n)
}

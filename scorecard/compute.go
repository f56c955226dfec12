package scorecard

import (
	"math"
	"slices"
	"time"

	"github.com/steward-sh/steward/record"
)

// acc accumulates one subject's populations over one window.
type acc struct {
	completed, failed, emergency, unauthorized, succeeded int
	leadTimes                                             []float64

	opened              [6]int // by severity; [0] unused
	resolved            int
	ttrSum              float64
	ttrs                []float64
	acked               int
	ackSum              float64
	slaTargeted, breach int
	open, overdue       int
	reviewsDue, onTime  int

	exposure int64   // micros
	downtime float64 // micros

	unattributedInc, unattributedChg int
}

// pass computes every subject's KPIs for the window [at-length, at).
type pass struct {
	m        *model
	x        *index
	avail    *availability
	at, from int64
	length   time.Duration
	acc      []acc
}

func (m *model) compute(x *index, av *availability, at time.Time, length time.Duration) []Values {
	p := &pass{m: m, x: x, avail: av, at: micros(at), from: micros(at.Add(-length)), length: length}
	p.acc = make([]acc, len(m.subj.list))
	p.changes()
	p.incidents()
	p.availability()
	return p.values()
}

func (p *pass) in(t int64) bool { return t != absent && t >= p.from && t < p.at }

func (p *pass) changes() {
	pol := &p.m.cfg.Policy
	countedEnv := map[string]bool{}
	for _, e := range pol.ChangeEnvironments {
		countedEnv[e] = true
	}
	for i := range p.x.changes {
		c := &p.x.changes[i]
		if !countedEnv[c.env] || !p.in(c.finished) {
			continue
		}
		if p.m.chgSys[i] < 0 {
			p.acc[p.m.global].unattributedChg++
		}
		if c.outcome != record.OutcomeSuccess && c.outcome != record.OutcomeFailed && c.outcome != record.OutcomeRolledBack {
			continue
		}
		failed := c.outcome != record.OutcomeSuccess ||
			(pol.ChangeFailureFromIncidents && c.causeOpened != absent && c.causeOpened < p.at)
		for _, s := range p.m.chgAttr[i] {
			a := &p.acc[s]
			a.completed++
			if failed {
				a.failed++
			}
			if c.typ == record.TypeEmergency {
				a.emergency++
			}
			if !c.authorized {
				a.unauthorized++
			}
			if c.outcome == record.OutcomeSuccess {
				a.succeeded++
				if c.created != absent {
					a.leadTimes = append(a.leadTimes, seconds(c.finished-c.created))
				}
			}
		}
	}
}

func (p *pass) incidents() {
	pol := &p.m.cfg.Policy
	due := pol.Review.Due.Microseconds()
	for i := range p.x.incidents {
		in := &p.x.incidents[i]
		if in.opened >= p.at {
			continue // not yet opened at `at`: counts nowhere
		}
		openedIn := p.in(in.opened)
		if openedIn && p.m.incSys[i] < 0 {
			p.acc[p.m.global].unattributedInc++
		}
		resolvedIn := p.in(in.resolved)
		ttr := seconds(in.resolved - in.opened)
		target, hasTarget := pol.SLA[int(in.severity)]
		ackIn := p.in(in.acked)
		open := in.resolved == absent || in.resolved >= p.at
		required := in.reviewRequired == 1 || (in.reviewRequired == -1 && int(in.severity) <= pol.Review.SeverityThreshold)
		var dueIn, onTime, overdue bool
		if required && in.resolved != absent {
			d := in.resolved + due
			dueIn = p.in(d)
			onTime = in.reviewDone != absent && in.reviewDone <= d
			overdue = d < p.at && !(in.reviewDone != absent && in.reviewDone < p.at)
		}
		for _, s := range p.m.incAttr[i] {
			a := &p.acc[s]
			if openedIn {
				a.opened[in.severity]++
			}
			if resolvedIn {
				a.resolved++
				a.ttrSum += ttr
				a.ttrs = append(a.ttrs, ttr)
				if hasTarget {
					a.slaTargeted++
					if ttr > target.Seconds() {
						a.breach++
					}
				}
			}
			if ackIn {
				a.acked++
				a.ackSum += seconds(in.acked - in.opened)
			}
			if open {
				a.open++
			}
			if dueIn {
				a.reviewsDue++
				if onTime {
					a.onTime++
				}
			}
			if overdue {
				a.overdue++
			}
		}
	}
}

// availability sums exposure and downtime per subject: whole windows for
// systems and their groups, the owned part of the window for owners.
func (p *pass) availability() {
	length := p.at - p.from
	for si := range p.m.systems {
		sys := &p.m.systems[si]
		down := p.avail.downtime(si, p.from, p.at)
		for _, s := range [...]int32{sys.subject, sys.program, sys.manager, p.m.global} {
			if s >= 0 {
				p.acc[s].exposure += length
				p.acc[s].downtime += down
			}
		}
		for _, t := range sys.tenures {
			from, to := max(t.from, p.from), min(t.to, p.at)
			if from >= to || t.owner < 0 {
				continue
			}
			p.acc[t.owner].exposure += to - from
			p.acc[t.owner].downtime += p.avail.downtime(si, from, to)
		}
	}
}

func (p *pass) values() []Values {
	days := p.length.Hours() / 24
	out := make([]Values, len(p.acc))
	unowned := 0
	for si := range p.m.systems {
		if p.m.systems[si].ownerAt(p.at) < 0 {
			unowned++
		}
	}
	for s := range p.acc {
		a := &p.acc[s]
		v := noValues()
		v[ChangesCompleted] = float64(a.completed)
		v[ChangesFailed] = float64(a.failed)
		v[ChangeSuccessRatio] = ratio(a.completed-a.failed, a.completed)
		v[EmergencyChangeRatio] = ratio(a.emergency, a.completed)
		v[UnauthorizedChanges] = float64(a.unauthorized)
		v[DeploymentsPerDay] = float64(a.succeeded) / days
		v[ChangeLeadTimeP50] = percentile(a.leadTimes, 0.5)
		v[ChangeLeadTimeP90] = percentile(a.leadTimes, 0.9)
		total := 0
		for sev := 1; sev <= 5; sev++ {
			v[IncidentsOpenedSev1+KPI(sev-1)] = float64(a.opened[sev])
			total += a.opened[sev]
		}
		v[IncidentsOpened] = float64(total)
		v[IncidentsResolved] = float64(a.resolved)
		v[MTTR] = mean(a.ttrSum, a.resolved)
		v[TimeToRestoreP50] = percentile(a.ttrs, 0.5)
		v[TimeToRestoreP90] = percentile(a.ttrs, 0.9)
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
		out[s] = v
	}
	return out
}

func seconds(us int64) float64 { return float64(us) / 1e6 }

func ratio(n, d int) float64 {
	if d == 0 {
		return math.NaN()
	}
	return float64(n) / float64(d)
}

func mean(sum float64, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// percentile interpolates linearly between closest ranks, as PostgreSQL's
// percentile_cont and NumPy's default do. It sorts xs in place.
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	pos := q * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(xs) {
		return xs[lo]
	}
	return xs[lo] + (pos-float64(lo))*(xs[lo+1]-xs[lo])
}

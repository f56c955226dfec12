package scorecard

import (
	"slices"
)

// A population is the set of records one KPI counts, each placed at one
// of its times: "completed changes, by finished_at", "incidents resolved,
// by resolved_at". A KPI over W counts the members placed in W; a point in
// time KPI counts those placed before `at`. Every population's rule is
// written once, below, and both the time index (the numbers) and the
// evidence lists read it, so the two cannot drift apart.
type pop uint8

const (
	// incidents, by opened_at, one population per severity
	popOpened1 pop = iota
	popOpened2
	popOpened3
	popOpened4
	popOpened5
	popUnattributedInc // opened, whose system matches nothing (global only)
	// by resolved_at; value TTR
	popResolved
	popUntargeted // resolved, whose severity has no SLA target
	popBreach     // resolved, TTR above its severity's SLA target
	// by acknowledged_at; value acknowledged_at - opened_at
	popAcked      // acknowledged at or after opening
	popAckedEarly // acknowledged before opening: counts once opened (opened_at < at)
	// required reviews of resolved incidents, by their due time
	popReviewDue
	popReviewOnTime // completed no later than due
	// required reviews of resolved incidents that were completed, by the
	// later of due and completion: a review is overdue at `at` when it is
	// due before `at` and not settled before it
	popReviewSettled
	// changes in a counted environment, by finished_at
	popCompleted
	popFailedOutcome // completed with outcome failed or rolled_back
	popEmergency
	popUnauthorized
	popLead // completed successfully with a created_at; value the lead time
	// completed successfully, named as cause by some incident; value
	// finished_at - the first such incident's opened_at: failed once that
	// incident is opened (opened_at < at)
	popCauseLinked
	popUnattributedChg // finished (any outcome), whose system matches nothing (global only)
	numPop
)

// popInfo says how a population is stored and read.
type popInfo struct {
	change bool
	// valued populations keep each member's value (a duration, micros):
	// their sums are prefix differences and their values feed percentiles
	valued bool
	// conditional populations hold members that count only once another
	// time (key - value) is before `at`; a window's members are visited
	conditional bool
	globalOnly  bool // counted for the global subject only
}

var pops = [numPop]popInfo{
	popUnattributedInc: {globalOnly: true},
	popResolved:        {valued: true},
	popAcked:           {valued: true},
	popAckedEarly:      {valued: true, conditional: true},
	popCompleted:       {change: true},
	popFailedOutcome:   {change: true},
	popEmergency:       {change: true},
	popUnauthorized:    {change: true},
	popLead:            {change: true, valued: true},
	popCauseLinked:     {change: true, valued: true, conditional: true},
	popUnattributedChg: {change: true, globalOnly: true},
}

// rules is the policy in the form the rules use.
type rules struct {
	countedEnv     []sym
	failFromCauses bool
	reviewDue      int64
	reviewMaxSev   int8
	sla            [6]int64 // micros by severity; 0: no target
}

func newRules(m *model, x *index) *rules {
	pol := &m.cfg.Policy
	r := &rules{failFromCauses: pol.ChangeFailureFromIncidents,
		reviewDue: pol.Review.Due.Microseconds(), reviewMaxSev: int8(pol.Review.SeverityThreshold)}
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

// member is one population a record belongs to: placed at key, with a
// value for valued populations.
type member struct {
	pop      pop
	key, val int64
}

// reviewRequired applies the review policy (SPEC section 4).
func (r *rules) reviewRequired(in *incident) bool {
	return in.reviewRequired == 1 || (in.reviewRequired == -1 && in.severity <= r.reviewMaxSev)
}

// reviewDueAt is when an incident's review is due, absent when it needs
// none yet (not required, or not resolved).
func (r *rules) reviewDueAt(in *incident) int64 {
	if !r.reviewRequired(in) || in.resolved == absent {
		return absent
	}
	return in.resolved + r.reviewDue
}

// incidentMembers appends the populations incident in belongs to; sys is
// its configured system (-1 none).
func (r *rules) incidentMembers(out []member, in *incident, sys int32) []member {
	out = append(out, member{pop: popOpened1 + pop(in.severity-1), key: in.opened})
	if sys < 0 {
		out = append(out, member{pop: popUnattributedInc, key: in.opened})
	}
	if in.resolved != absent {
		ttr := in.resolved - in.opened
		out = append(out, member{pop: popResolved, key: in.resolved, val: ttr})
		switch target := r.sla[in.severity]; {
		case target == 0:
			out = append(out, member{pop: popUntargeted, key: in.resolved})
		case ttr > target:
			out = append(out, member{pop: popBreach, key: in.resolved})
		}
	}
	if in.acked != absent {
		p := popAcked
		if in.acked < in.opened {
			p = popAckedEarly
		}
		out = append(out, member{pop: p, key: in.acked, val: in.acked - in.opened})
	}
	if due := r.reviewDueAt(in); due != absent {
		out = append(out, member{pop: popReviewDue, key: due})
		if in.reviewDone != absent {
			if in.reviewDone <= due {
				out = append(out, member{pop: popReviewOnTime, key: due})
			}
			out = append(out, member{pop: popReviewSettled, key: max(due, in.reviewDone)})
		}
	}
	return out
}

// counted reports whether a change's environment counts in KPIs.
func (r *rules) counted(c *change) bool { return slices.Contains(r.countedEnv, c.env) }

func completed(c *change) bool {
	return c.outcome == symSuccess || c.outcome == symFailed || c.outcome == symRolledBack
}

// changeMembers appends the populations change c belongs to.
func (r *rules) changeMembers(out []member, c *change, sys int32) []member {
	if !r.counted(c) || c.finished == absent {
		return out
	}
	if sys < 0 {
		out = append(out, member{pop: popUnattributedChg, key: c.finished})
	}
	if !completed(c) {
		return out
	}
	out = append(out, member{pop: popCompleted, key: c.finished})
	if c.outcome != symSuccess {
		out = append(out, member{pop: popFailedOutcome, key: c.finished})
	}
	if c.typ == symEmergency {
		out = append(out, member{pop: popEmergency, key: c.finished})
	}
	if !c.authorized {
		out = append(out, member{pop: popUnauthorized, key: c.finished})
	}
	if c.outcome == symSuccess {
		if c.created != absent {
			out = append(out, member{pop: popLead, key: c.finished, val: c.finished - c.created})
		}
		if r.failFromCauses && c.causeOpened != absent {
			out = append(out, member{pop: popCauseLinked, key: c.finished, val: c.finished - c.causeOpened})
		}
	}
	return out
}

// counts reports whether a conditional population's member counts at `at`.
func counts(key, val, at int64) bool { return key-val < at }

// failedByIncident reports whether a change counts as failed through an
// incident opened before `at` (popCauseLinked's condition).
func (r *rules) failedByIncident(c *change, at int64) bool {
	return r.failFromCauses && c.causeOpened != absent && c.causeOpened < at
}

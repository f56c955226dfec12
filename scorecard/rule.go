package scorecard

import (
	"slices"

	"github.com/steward-sh/steward/record"
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
	// by resolved_at (closed_at standing in); value TTR
	popResolved
	popResolvedEstimated // resolved, with an estimated TTR: counted, no duration
	popUntargeted        // resolved, whose severity has no SLA target
	popBreach            // resolved, TTR above its severity's SLA target
	// by acknowledged_at; value acknowledged_at - opened_at
	popAcked      // acknowledged at or after opening
	popAckedEarly // acknowledged before opening: counts once opened (opened_at < at)
	// required reviews of resolved incidents, by their due time
	popReviewDue
	popReviewOnTime // completed no later than due
	// required reviews of resolved incidents that were completed, by the
	// later of due and completion: a review is overdue at `at` when it is
	// due before `at` and not settled before it; value settled - due
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
	popRetroactive     // completed, its work started (else finished) before it was created
	popApproved        // completed, with created_at and approved_at; value approved - created
	popPlanned         // completed, with a planned_end
	popOnSchedule      // completed, finished by its planned_end
	popRework          // completed, rework
	popSecurity        // opened, whose category is a security category
	popSecurityTTR     // security incidents resolved, by resolved_at; value TTR
	popDetected        // opened, with an impact start; value opened - impact start
	popMitigated       // by mitigated_at; value mitigated - opened
	popEstimatedInc    // opened, with an estimated time (global only)
	popEstimatedChg    // finished, with an estimated time (global only)
	// action items of completed reviews: open at `at` when placed before
	// it by popActionOpen (the review's completion) and not by
	// popActionDone (the later of completion and done_at); overdue
	// likewise between popActionDue (the later of completion and due) and
	// popActionDueDone (the latest of the three)
	popActionOpen
	popActionDone
	popActionDue
	popActionDueDone
	// failed changes, by their recovery; value recovery - finished_at
	// (0 when the recovery came first). A member holds while `at` is no
	// later than its until: the recovery as of `at` depends on the
	// incidents opened before `at` (SPEC 4, Recovery)
	popRecovery
	numPop
)

// popSet (eval.go) holds a bit per population.
var _ = [64 - numPop]struct{}{} // a compile error when there are more than 64

// popInfo says how a population is stored and read.
type popInfo struct {
	change bool
	// valued populations keep each member's value (a duration, micros):
	// their sums are prefix differences and their values feed percentiles
	valued bool
	// conditional populations hold members that count only once another
	// time (key - value) is before `at`; a window's members are visited
	conditional bool
	// expiring populations hold members that count only while `at` is no
	// later than their until time; a window's members are visited
	expiring   bool
	globalOnly bool // counted for the global subject only
	// listed populations are those the evidence's tables list rows from
	// (Tables): their members keep their record's slot in the time index
	listed bool
}

var pops = [numPop]popInfo{
	popOpened1:         {listed: true},
	popOpened2:         {listed: true},
	popOpened3:         {listed: true},
	popOpened4:         {listed: true},
	popOpened5:         {listed: true},
	popBreach:          {listed: true},
	popReviewDue:       {listed: true},
	popReviewSettled:   {valued: true},
	popActionDue:       {listed: true},
	popUnattributedInc: {globalOnly: true},
	popResolved:        {valued: true},
	popAcked:           {valued: true},
	popAckedEarly:      {valued: true, conditional: true},
	popCompleted:       {change: true},
	popFailedOutcome:   {change: true, listed: true},
	popEmergency:       {change: true},
	popUnauthorized:    {change: true},
	popLead:            {change: true, valued: true},
	popCauseLinked:     {change: true, valued: true, conditional: true, listed: true},
	popUnattributedChg: {change: true, globalOnly: true},
	popRetroactive:     {change: true},
	popApproved:        {change: true, valued: true},
	popPlanned:         {change: true},
	popOnSchedule:      {change: true},
	popRework:          {change: true},
	popSecurityTTR:     {valued: true},
	popDetected:        {valued: true},
	popMitigated:       {valued: true},
	popEstimatedInc:    {globalOnly: true},
	popEstimatedChg:    {change: true, globalOnly: true},
	popRecovery:        {change: true, valued: true, expiring: true, listed: true},
}

// rules is the policy in the form the rules use.
type rules struct {
	m              *model
	x              *index
	countedEnv     []sym
	security       []sym // the security categories
	failFromCauses bool
	reviewDue      int64
	reviewMaxSev   int8
	sla            [6]int64 // micros by severity; 0: no target
	signoff        [numSignRoles]bool
	actionDue      int64
}

func newRules(m *model, x *index) *rules {
	pol := &m.cfg.Policy
	r := &rules{m: m, x: x, failFromCauses: pol.ChangeFailureFromIncidents,
		reviewDue: pol.Review.Due.Microseconds(), reviewMaxSev: int8(pol.Review.SeverityThreshold),
		actionDue: pol.Review.ActionDue.Microseconds()}
	for _, role := range pol.Review.Signoff {
		if i := slices.Index(record.SignoffRoles, role); i >= 0 {
			r.signoff[i] = true
		}
	}
	for _, e := range pol.ChangeEnvironments {
		r.countedEnv = append(r.countedEnv, x.syms.id(e))
	}
	for _, c := range pol.SecurityCategories {
		r.security = append(r.security, x.syms.id(c))
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
	until    int64 // expiring populations only
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

// holder is the subject that held a sign-off role for an incident's
// system at its opening, -1 nobody: its attribution entry says which
// system and owner's tenure that was.
func (r *rules) holder(role uint8, en *attrEntry) int32 {
	m := r.m
	switch {
	case role == signProcessOwner:
		return m.procOwner[procIncident]
	case en.sys < 0:
		return -1
	case role == signProgramManager:
		return m.systems[en.sys].manager
	case en.tenure >= 0:
		return m.systems[en.sys].tenures[en.tenure].owner
	}
	return -1
}

// reviewDone is when an incident's review was complete (SPEC 4): its
// completed_at, or with policy.review.signoff the latest of that and the
// first valid sign-off of each role it needs; absent when not complete.
// A sign-off is valid when its person held the role for the incident's
// system at its opening; a role nobody held then needs none.
func (r *rules) reviewDone(in *incident, entry uint32) int64 {
	done := in.reviewDone
	if done == absent {
		return absent
	}
	en := &r.m.entries[entry]
	signs := r.x.extra(in).signoffs
	for role := range numSignRoles {
		if !r.signoff[role] {
			continue
		}
		h := r.holder(role, en)
		if h < 0 {
			continue
		}
		who, first := r.m.subj.list[h].ID, int64(absent)
		for _, so := range signs {
			if so.role == role && (first == absent || so.at < first) && r.x.syms.name(so.person) == who {
				first = so.at
			}
		}
		if first == absent {
			return absent
		}
		done = max(done, first)
	}
	return done
}

// incidentMembers appends the populations incident in belongs to; entry is
// its attribution entry.
func (r *rules) incidentMembers(out []member, in *incident, entry uint32) []member {
	return r.incidentMembersIn(out, in, entry, allPops)
}

// allPops holds every population.
const allPops = popSet(1<<numPop - 1)

// reviewPops and actionPops are the populations of the reviews and of
// their action items: the time index's groups without them skip the work.
const (
	reviewPops = popSet(1<<popReviewDue | 1<<popReviewOnTime | 1<<popReviewSettled)
	actionPops = popSet(1<<popActionOpen | 1<<popActionDone | 1<<popActionDue | 1<<popActionDueDone)
)

// incidentMembersIn is incidentMembers for a reader of the populations in
// want only: it may leave out members of others.
func (r *rules) incidentMembersIn(out []member, in *incident, entry uint32, want popSet) []member {
	sys := r.m.entries[entry].sys
	out = append(out, member{pop: popOpened1 + pop(in.severity-1), key: in.opened})
	if sys < 0 {
		out = append(out, member{pop: popUnattributedInc, key: in.opened})
	}
	if in.estimated != 0 {
		out = append(out, member{pop: popEstimatedInc, key: in.opened})
	}
	security := slices.Contains(r.security, in.category)
	if security {
		out = append(out, member{pop: popSecurity, key: in.opened})
	}
	if in.impactStarted != absent && in.estimated&(estImpact|estOpened) == 0 {
		out = append(out, member{pop: popDetected, key: in.opened, val: in.opened - in.impactStarted})
	}
	if in.mitigated != absent && in.estimated&(estMitigated|estOpened) == 0 {
		out = append(out, member{pop: popMitigated, key: in.mitigated, val: in.mitigated - in.opened})
	}
	switch {
	case in.resolved == absent:
	case in.estimated&(estOpened|estRestored) != 0:
		// SPEC 4, Times: resolved, but its time to restore is no measure
		out = append(out, member{pop: popResolvedEstimated, key: in.resolved})
	default:
		ttr := in.resolved - in.opened
		out = append(out, member{pop: popResolved, key: in.resolved, val: ttr})
		if security {
			out = append(out, member{pop: popSecurityTTR, key: in.resolved, val: ttr})
		}
		switch target := r.sla[in.severity]; {
		case target == 0:
			out = append(out, member{pop: popUntargeted, key: in.resolved})
		case ttr > target:
			out = append(out, member{pop: popBreach, key: in.resolved})
		}
	}
	if in.acked != absent && in.estimated&(estOpened|estAcked) == 0 {
		p := popAcked
		if in.acked < in.opened {
			p = popAckedEarly
		}
		out = append(out, member{pop: p, key: in.acked, val: in.acked - in.opened})
	}
	if want&actionPops != 0 {
		out = r.actionMembers(out, in)
	}
	if want&reviewPops == 0 {
		return out
	}
	if due := r.reviewDueAt(in); due != absent {
		out = append(out, member{pop: popReviewDue, key: due})
		if done := r.reviewDone(in, entry); done != absent {
			if done <= due {
				out = append(out, member{pop: popReviewOnTime, key: due})
			}
			settled := max(due, done)
			out = append(out, member{pop: popReviewSettled, key: settled, val: settled - due})
		}
	}
	return out
}

// actionDueAt is when an action item is due: its own due, else the
// review's due plus policy.review.action_due; absent while the incident
// is not resolved and the item has no due of its own.
func (r *rules) actionDueAt(in *incident, a *action) int64 {
	switch {
	case a.due != absent:
		return a.due
	case in.resolved != absent:
		return in.resolved + r.reviewDue + r.actionDue
	}
	return absent
}

// actionMembers appends the members of a completed review's action items
// (SPEC 4): each exists from the review's completed_at and is open until
// done; its due is its own, else the review's due plus
// policy.review.action_due (none while the incident is not resolved).
func (r *rules) actionMembers(out []member, in *incident) []member {
	if in.reviewDone == absent || in.extra < 0 {
		return out
	}
	c := max(in.reviewDone, in.opened) // an incident not opened yet has no review
	for _, a := range r.x.extra(in).actions {
		out = append(out, member{pop: popActionOpen, key: c})
		if a.done != absent {
			out = append(out, member{pop: popActionDone, key: max(c, a.done)})
		}
		due := r.actionDueAt(in, &a)
		if due == absent {
			continue
		}
		out = append(out, member{pop: popActionDue, key: max(c, due)})
		if a.done != absent {
			out = append(out, member{pop: popActionDueDone, key: max(c, due, a.done)})
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
	if c.estimated != 0 {
		out = append(out, member{pop: popEstimatedChg, key: c.finished})
	}
	if !completed(c) {
		return out
	}
	if c.retroactive() {
		out = append(out, member{pop: popRetroactive, key: c.finished})
	}
	if c.created != absent && c.approved != absent && c.estimated&(estCreated|estApproved) == 0 {
		out = append(out, member{pop: popApproved, key: c.finished, val: c.approved - c.created})
	}
	if c.plannedEnd != absent {
		out = append(out, member{pop: popPlanned, key: c.finished})
		if c.finished <= c.plannedEnd {
			out = append(out, member{pop: popOnSchedule, key: c.finished})
		}
	}
	if c.rework() {
		out = append(out, member{pop: popRework, key: c.finished})
	}
	out = append(out, member{pop: popCompleted, key: c.finished})
	if c.outcome != symSuccess {
		out = append(out, member{pop: popFailedOutcome, key: c.finished})
	}
	if c.typ == symEmergency {
		out = append(out, member{pop: popEmergency, key: c.finished})
	}
	if !c.authorized() {
		out = append(out, member{pop: popUnauthorized, key: c.finished})
	}
	if c.outcome == symSuccess {
		if c.created != absent && c.estimated&(estCreated|estFinished) == 0 {
			out = append(out, member{pop: popLead, key: c.finished, val: c.finished - c.created})
		}
		if r.failFromCauses && c.causeOpened != absent {
			out = append(out, member{pop: popCauseLinked, key: c.finished, val: c.finished - c.causeOpened})
		}
	}
	return r.recoveryMembers(out, c)
}

// recoveryMembers appends a completed change's recoveries (SPEC 4,
// Recovery), each holding while `at` is no later than its until: before
// any incident naming it is opened, a failed or rolled back change
// recovers with the next success of its system; after, once the incidents
// opened so far are all resolved, at the latest resolution, if it counts
// as failed by then. A recovery on an estimated time is left out.
func (r *rules) recoveryMembers(out []member, c *change) []member {
	if c.estimated&estFinished != 0 {
		return out
	}
	failed := c.outcome != symSuccess
	first := c.causeOpened
	if first == absent {
		first = math64Max
	}
	if failed && c.next != absent && !c.nextEst && c.next < first {
		out = append(out, member{pop: popRecovery, key: c.next, val: c.next - c.finished, until: first})
	}
	if !failed && !r.failFromCauses {
		return out
	}
	for _, s := range r.x.segs(c.recs) {
		if !s.est {
			out = append(out, member{pop: popRecovery, key: s.at, val: max(0, s.at-c.finished), until: s.until})
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

// source is what a KPI's value is taken from besides the counts and sums
// of its populations.
type source uint8

const (
	srcTTRs     source = 1 << iota // the window's times to restore (popResolved's values), for percentiles
	srcLeads                       // the window's lead times (popLead's values), for percentiles
	srcDowntime                    // the systems' availability over the subject's exposure
	srcMeasures                    // the measurement samples
	srcFeedback                    // the feedback responses
	allSources  = srcTTRs | srcLeads | srcDowntime | srcMeasures | srcFeedback
)

// need is what evaluating some KPIs reads: an evaluation of a selection of
// KPIs reads only their needs (Query.KPIs).
type need struct {
	pops popSet
	src  source
}

func (n need) has(s source) bool { return n.src&s != 0 }

func (n need) or(o need) need { return need{n.pops | o.pops, n.src | o.src} }

// needAll is what evaluating every KPI reads.
var needAll = need{allPops, allSources}

// popsOf is the set of populations ps.
func popsOf(ps ...pop) popSet {
	var s popSet
	for _, p := range ps {
		s |= 1 << p
	}
	return s
}

// openedPops are the opened incidents, of every severity.
var openedPops = popsOf(popOpened1, popOpened2, popOpened3, popOpened4, popOpened5)

// kpiNeeds says, for each KPI, which populations (and other sources) its
// value is taken from: tally.values and evaluator.finish read them, and a
// test evaluates each KPI alone and compares it with evaluating every
// one. A KPI not listed (systems_unowned) reads only the configuration.
// Whether a system owner owned anything in the window (SPEC 4, Exposure)
// is always known: it costs little and decides which values stand.
var kpiNeeds = [numKPI]need{
	ChangesCompleted:             {pops: popsOf(popCompleted)},
	ChangesFailed:                {pops: popsOf(popFailedOutcome, popCauseLinked)},
	ChangeSuccessRatio:           {pops: popsOf(popCompleted, popFailedOutcome, popCauseLinked)},
	EmergencyChangeRatio:         {pops: popsOf(popCompleted, popEmergency)},
	UnauthorizedChanges:          {pops: popsOf(popUnauthorized)},
	DeploymentsPerDay:            {pops: popsOf(popCompleted, popFailedOutcome)},
	ChangeLeadTimeP50:            {pops: popsOf(popLead), src: srcLeads},
	ChangeLeadTimeP90:            {pops: popsOf(popLead), src: srcLeads},
	IncidentsOpened:              {pops: openedPops},
	IncidentsOpenedSev1:          {pops: popsOf(popOpened1)},
	IncidentsOpenedSev2:          {pops: popsOf(popOpened2)},
	IncidentsOpenedSev3:          {pops: popsOf(popOpened3)},
	IncidentsOpenedSev4:          {pops: popsOf(popOpened4)},
	IncidentsOpenedSev5:          {pops: popsOf(popOpened5)},
	IncidentsResolved:            {pops: popsOf(popResolved, popResolvedEstimated)},
	MTTR:                         {pops: popsOf(popResolved)},
	TimeToRestoreP50:             {pops: popsOf(popResolved), src: srcTTRs},
	TimeToRestoreP90:             {pops: popsOf(popResolved), src: srcTTRs},
	MTTA:                         {pops: popsOf(popAcked, popAckedEarly)},
	SLABreachRatio:               {pops: popsOf(popResolved, popUntargeted, popBreach)},
	IncidentsOpen:                {pops: openedPops | popsOf(popResolved, popResolvedEstimated)},
	ReviewComplianceRatio:        {pops: popsOf(popReviewDue, popReviewOnTime)},
	ReviewsOverdue:               {pops: popsOf(popReviewDue, popReviewSettled)},
	DowntimeSeconds:              {src: srcDowntime},
	AvailabilityRatio:            {src: srcDowntime},
	UnattributedIncidents:        {pops: popsOf(popUnattributedInc)},
	UnattributedChanges:          {pops: popsOf(popUnattributedChg)},
	MeasuredUptimeRatio:          {src: srcMeasures},
	ResponseTimeComplianceRatio:  {src: srcMeasures},
	MeasurementCoverageRatio:     {src: srcMeasures},
	UnattributedMeasurements:     {src: srcMeasures},
	RetroactiveChanges:           {pops: popsOf(popRetroactive)},
	EstimatedIncidents:           {pops: popsOf(popEstimatedInc)},
	EstimatedChanges:             {pops: popsOf(popEstimatedChg)},
	ChangeApprovalSeconds:        {pops: popsOf(popApproved)},
	ChangeScheduleAdherenceRatio: {pops: popsOf(popPlanned, popOnSchedule)},
	ReworkRatio:                  {pops: popsOf(popCompleted, popRework)},
	SecurityIncidents:            {pops: popsOf(popSecurity)},
	SecurityMTTR:                 {pops: popsOf(popSecurityTTR)},
	MTTD:                         {pops: popsOf(popDetected)},
	TimeToMitigate:               {pops: popsOf(popMitigated)},
	FeedbackResponses:            {src: srcFeedback},
	FeedbackStakeholder:          {src: srcFeedback},
	FeedbackEmployee:             {src: srcFeedback},
	SatisfactionStakeholder:      {src: srcFeedback},
	SatisfactionEmployee:         {src: srcFeedback},
	FailedDeploymentRecovery:     {pops: popsOf(popRecovery)},
	ReviewActionsOpen:            {pops: popsOf(popActionOpen, popActionDone)},
	ReviewActionsOverdue:         {pops: popsOf(popActionDue, popActionDueDone)},
}

// needOf is what evaluating the KPIs in ks reads.
func needOf(ks set) need {
	if ks == allKPIs {
		return needAll
	}
	var n need
	for k := range numKPI {
		if ks.has(k) {
			n = n.or(kpiNeeds[k])
		}
	}
	return n
}

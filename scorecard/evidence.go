package scorecard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-sh/steward/record"
)

// Evidence is what stands behind a subject's KPIs over [From, To): the
// records attributed to it that the KPIs of that window count, and the
// systems it answered for. Attribution follows the config in force, as the
// KPIs do, so the evidence and the numbers always agree.
type Evidence struct {
	Subject
	From      time.Time          `json:"from"`
	To        time.Time          `json:"to"`
	Incidents []IncidentEvidence `json:"incidents"`
	Changes   []ChangeEvidence   `json:"changes"`
	Systems   []SystemEvidence   `json:"systems"`
	// Feedback lists the responses submitted in the period that the
	// satisfaction KPIs count for the subject.
	Feedback []FeedbackEvidence `json:"feedback"`
	// Tables, set by Engine.EvidenceTables only, hold at most a limit of
	// rows of each table with their whole counts; Incidents and Changes
	// are then empty.
	Tables *Tables `json:"tables,omitempty"`
}

// FeedbackEvidence is one feedback response submitted in the period.
type FeedbackEvidence struct {
	Source   string `json:"source"`
	ID       string `json:"id"`
	System   string `json:"system,omitempty"`
	Program  string `json:"program,omitempty"`
	Team     string `json:"team,omitempty"`
	Audience string `json:"audience"`
	// Satisfaction is the score scaled to 0..1 on its survey's scale, as
	// satisfaction_ratio averages it.
	Satisfaction float64   `json:"satisfaction"`
	SubmittedAt  time.Time `json:"submitted_at"`
}

// SignoffEvidence is one sign-off of a review; Counts says whether its
// person held the role for the incident's system when it was opened, and
// policy needs that role.
type SignoffEvidence struct {
	Role   string    `json:"role"`
	Person string    `json:"person"`
	At     time.Time `json:"at"`
	Counts bool      `json:"counts"`
}

// ActionEvidence is one follow-up item of a completed review. Due is its
// own due time or the one policy gives it (none while the incident is not
// resolved).
type ActionEvidence struct {
	ID           string     `json:"id"`
	Due          *time.Time `json:"due,omitempty"`
	DoneAt       *time.Time `json:"done_at,omitempty"`
	OpenAtEnd    bool       `json:"open_at_end"`
	OverdueAtEnd bool       `json:"overdue_at_end"`
}

// Review states of an incident's post-incident review, as of the end of the
// evidence period (completion times are taken as stored, like the KPIs do).
const (
	ReviewNotRequired = ""
	ReviewNotDue      = "not_due" // required, but the incident is not resolved
	ReviewPending     = "pending" // due at or after the period's end, not done yet
	ReviewOnTime      = "on_time"
	ReviewLate        = "late"    // completed after it was due
	ReviewMissing     = "missing" // due before the period's end and never completed
)

// IncidentEvidence is one attributed incident: opened, acknowledged or
// resolved in the period, with a review due in it, or still open or with a
// review overdue at its end.
type IncidentEvidence struct {
	Source            string      `json:"source"`
	ID                string      `json:"id"`
	System            string      `json:"system"`     // the configured system id, or the record's name when it matches none
	Attributed        bool        `json:"attributed"` // the system name matched a configured system
	Title             string      `json:"title,omitempty"`
	Team              string      `json:"team,omitempty"`
	Severity          int         `json:"severity"`
	Impact            string      `json:"impact"`
	OpenedAt          time.Time   `json:"opened_at"`
	AcknowledgedAt    *time.Time  `json:"acknowledged_at,omitempty"`
	ResolvedAt        *time.Time  `json:"resolved_at,omitempty"`
	TTRSeconds        *float64    `json:"ttr_seconds,omitempty"`
	SLATargetSeconds  *float64    `json:"sla_target_seconds,omitempty"`
	SLABreached       bool        `json:"sla_breached"` // resolved, with a target, and TTR above it
	ReviewRequired    bool        `json:"review_required"`
	ReviewDue         *time.Time  `json:"review_due,omitempty"`
	ReviewCompletedAt *time.Time  `json:"review_completed_at,omitempty"`
	ReviewStatus      string      `json:"review_status,omitempty"`
	CausedByChange    *record.Ref `json:"caused_by_change,omitempty"`
	Category          string      `json:"category,omitempty"`
	Security          bool        `json:"security"` // its category is one of policy.security_categories
	ImpactStartedAt   *time.Time  `json:"impact_started_at,omitempty"`
	// DetectSeconds is opened_at - impact_started_at, as mttd_seconds
	// counts it (none on an estimated time).
	DetectSeconds *float64   `json:"detect_seconds,omitempty"`
	MitigatedAt   *time.Time `json:"mitigated_at,omitempty"`
	// MitigateSeconds is mitigated_at - opened_at, as
	// time_to_mitigate_seconds counts it.
	MitigateSeconds *float64 `json:"mitigate_seconds,omitempty"`
	// ReviewCompleteAt is when the review was complete: completed_at, or
	// with policy.review.signoff the last sign-off it needed.
	ReviewCompleteAt *time.Time        `json:"review_complete_at,omitempty"`
	ReviewSignoffs   []SignoffEvidence `json:"review_signoffs,omitempty"`
	// ReviewSignoffsMissing are the roles whose sign-off the review needs
	// and does not have.
	ReviewSignoffsMissing []string         `json:"review_signoffs_missing,omitempty"`
	Actions               []ActionEvidence `json:"actions,omitempty"`

	// Estimated lists the record's times a collector had to estimate, as
	// the record names them; LeftOut the durations that start or end on
	// one (time_to_restore, time_to_acknowledge, time_to_mitigate,
	// time_to_detect), which no mean, percentile or ratio counts (SPEC 4,
	// Times): a resolved incident whose time to restore is left out has
	// no ttr_seconds and counts in no MTTR, percentile or SLA breach ratio.
	Estimated []string `json:"estimated,omitempty"`
	LeftOut   []string `json:"left_out,omitempty"`

	OpenedInPeriod       bool `json:"opened_in_period"`
	ResolvedInPeriod     bool `json:"resolved_in_period"`
	OpenAtEnd            bool `json:"open_at_end"`
	ReviewDueInPeriod    bool `json:"review_due_in_period"`
	ReviewOverdueAtEnd   bool `json:"review_overdue_at_end"`
	AcknowledgedInPeriod bool `json:"acknowledged_in_period"`
	MitigatedInPeriod    bool `json:"mitigated_in_period"`
	ActionsOpenAtEnd     int  `json:"actions_open_at_end"`
	ActionsOverdueAtEnd  int  `json:"actions_overdue_at_end"`
}

// ChangeEvidence is one attributed change completed in the period in a
// counted environment (for the global subject also uncompleted ones whose
// system matches nothing, which unattributed_records counts).
type ChangeEvidence struct {
	Source          string     `json:"source"`
	ID              string     `json:"id"`
	System          string     `json:"system"`
	Attributed      bool       `json:"attributed"`
	Team            string     `json:"team,omitempty"`
	Type            string     `json:"type"`
	Environment     string     `json:"environment"`
	Outcome         string     `json:"outcome"`
	Authorized      bool       `json:"authorized"`
	CreatedAt       *time.Time `json:"created_at,omitempty"`
	FinishedAt      time.Time  `json:"finished_at"`
	LeadTimeSeconds *float64   `json:"lead_time_seconds,omitempty"`
	Completed       bool       `json:"completed"`
	Failed          bool       `json:"failed"`
	// FailedByIncident: an incident opened before the period's end names the
	// change as its cause (and policy counts that as a failure).
	FailedByIncident bool         `json:"failed_by_incident"`
	CausedIncidents  []record.Ref `json:"caused_incidents,omitempty"`
	ApprovedAt       *time.Time   `json:"approved_at,omitempty"`
	// ApprovalSeconds is approved_at - created_at, as
	// change_approval_seconds counts it.
	ApprovalSeconds *float64   `json:"approval_seconds,omitempty"`
	PlannedEnd      *time.Time `json:"planned_end,omitempty"`
	// OnSchedule is set for a change with a planned end: finished by it.
	OnSchedule *bool `json:"on_schedule,omitempty"`
	Rework     bool  `json:"rework"`
	// RecoveredAt is, for a failed change recovered in the period as of
	// its end, when (the resolution of the incidents it caused, else the
	// next success of its system); RecoverySeconds the time
	// failed_deployment_recovery_seconds counts.
	RecoveredAt       *time.Time `json:"recovered_at,omitempty"`
	RecoverySeconds   *float64   `json:"recovery_seconds,omitempty"`
	RecoveredInPeriod bool       `json:"recovered_in_period"`
	// Estimated and LeftOut are as for incidents; the durations are
	// lead_time and approval_time.
	Estimated []string `json:"estimated,omitempty"`
	LeftOut   []string `json:"left_out,omitempty"`
}

// The durations an estimated time leaves out, as LeftOut names them.
const (
	LeftOutTimeToRestore     = "time_to_restore"
	LeftOutTimeToAcknowledge = "time_to_acknowledge"
	LeftOutTimeToMitigate    = "time_to_mitigate"
	LeftOutTimeToDetect      = "time_to_detect"
	LeftOutLeadTime          = "lead_time"
	LeftOutApprovalTime      = "approval_time"
)

// SystemEvidence is a system the subject answered for in the period.
type SystemEvidence struct {
	ID      string `json:"id"`
	Tier    int    `json:"tier,omitempty"`
	Program string `json:"program,omitempty"`
	// OwnerAtEnd owned the system at the period's last instant ("" nobody).
	OwnerAtEnd string `json:"owner_at_end,omitempty"`
	// Owned lists, for a system owner, the parts of the period they owned it.
	Owned        []Span        `json:"owned,omitempty"`
	OwnerChanges []OwnerChange `json:"owner_changes,omitempty"`
	// DowntimeSeconds is the system's downtime in the subject's part of the
	// period, weighted as availability_ratio weighs it.
	DowntimeSeconds float64 `json:"downtime_seconds"`
	// Measured is what the measurements read from Prometheus say of the
	// system in the subject's part of the period (SPEC section 9); absent
	// when the config reads none or the role has no measurement KPIs.
	Measured *MeasurementEvidence `json:"measured,omitempty"`
}

// MeasurementEvidence is one system's share of a subject's measurement
// KPIs: the subject's KPIs are these systems' samples and steps added up.
type MeasurementEvidence struct {
	// Steps are the steps of the measurement grid in the subject's part
	// of the period: the samples each measure would have with nothing
	// missing.
	Steps int64 `json:"steps"`
	// UptimeSamples and ResponseTimeSamples are the samples read, absent
	// for a measure the config does not read.
	UptimeSamples       *int `json:"uptime_samples,omitempty"`
	ResponseTimeSamples *int `json:"response_time_samples,omitempty"`
	// CoverageRatio is the samples over the steps of every measure read;
	// the ratios have no value without samples.
	CoverageRatio               *float64 `json:"coverage_ratio"`
	UptimeRatio                 *float64 `json:"uptime_ratio"`
	ResponseTimeComplianceRatio *float64 `json:"response_time_compliance_ratio"`
}

// Span is a half-open time interval [From, To).
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// OwnerChange is an effective-dated owner entry taking effect in the period.
type OwnerChange struct {
	At   time.Time `json:"at"`
	From string    `json:"from"` // "" when the system had no owner
	To   string    `json:"to"`
}

// RecordFinder is implemented by stores that fetch records by key. Evidence
// uses it, when the engine's store has it, for the incident titles the
// in-memory index does not keep.
type RecordFinder interface {
	FindIncidents(ctx context.Context, keys []record.Ref) ([]record.Incident, error)
}

// Evidence lists, for each of the subjects, the records and systems behind
// its KPIs over [from, to). Subjects the engine does not know are left out.
func (e *Engine) Evidence(ctx context.Context, subjects []Subject, from, to time.Time) (map[Subject]*Evidence, error) {
	if !from.Before(to) {
		return nil, fmt.Errorf("scorecard: evidence: start %s is not before end %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	st, _, done, err := e.read(ctx)
	if err != nil {
		return nil, err
	}
	w := window{micros(from.UTC()), micros(to.UTC())}
	out := st.evidence(e.x, e.meas.viewFor(st.m.cfg), subjects, w)
	e.fb.evidence(st, out, w)
	done()
	if err := e.addTitles(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// window is [from, at) in unix micros.
type window struct{ from, at int64 }

func (w window) in(t int64) bool { return t != absent && t >= w.from && t < w.at }

// evidence does the work of Evidence. Which records it lists, and what it
// says of each, comes from the populations' rules (rule.go) the KPIs count.
func (st *state) evidence(x *index, meas *measView, subjects []Subject, w window) map[Subject]*Evidence {
	m := st.m
	bySubject := map[int32]*Evidence{}
	out := make(map[Subject]*Evidence, len(subjects))
	for _, s := range subjects {
		if si := m.subj.lookup(s); si >= 0 {
			ev := &Evidence{Subject: s, From: fromMicros(w.from), To: fromMicros(w.at), Incidents: []IncidentEvidence{}, Changes: []ChangeEvidence{},
				Systems: []SystemEvidence{}, Feedback: []FeedbackEvidence{}}
			bySubject[si], out[s] = ev, ev
		}
	}
	// whether an attribution names a subject asked for, decided once per
	// entry: records share a few tens of thousands of them
	wanted := make([]int8, len(m.entries)) // 0 not decided, 1 yes, -1 no
	wants := func(entry uint32) bool {
		if wanted[entry] == 0 {
			wanted[entry] = -1
			for _, s := range m.subjectsOf(entry) {
				if bySubject[s] != nil {
					wanted[entry] = 1
				}
			}
		}
		return wanted[entry] > 0
	}
	// the incidents listed, found first so that each subject's list is
	// allocated once: the global subject's holds tens of thousands
	var ms []member
	var listed []int
	size := map[int32]int{}
	for i := range m.incSys {
		if !wants(m.incAttr[i]) {
			continue
		}
		in := &x.incidents[i]
		if in.opened >= w.at {
			continue
		}
		if ms = st.r.incidentMembers(ms[:0], in, m.incAttr[i]); !st.incidentListed(x, in, ms, w) {
			continue
		}
		listed = append(listed, i)
		for _, si := range m.incSubjects(i) {
			if bySubject[si] != nil {
				size[si]++
			}
		}
	}
	for si, n := range size {
		bySubject[si].Incidents = make([]IncidentEvidence, 0, n)
	}
	for _, i := range listed {
		var item *IncidentEvidence
		item, ms = st.incidentEvidence(x, i, w, ms)
		if item == nil {
			continue
		}
		for _, si := range m.incSubjects(i) {
			if ev := bySubject[si]; ev != nil {
				ev.Incidents = append(ev.Incidents, *item)
			}
		}
	}
	for i := range m.chgSys {
		if !wants(m.chgAttr[i]) {
			continue
		}
		var item *ChangeEvidence
		item, ms = st.changeEvidence(x, i, w, ms)
		if item == nil {
			continue
		}
		for _, si := range m.chgSubjects(i) {
			// only the global subject counts uncompleted (unattributed) changes
			if ev := bySubject[si]; ev != nil && (item.Completed || item.RecoveredInPeriod || si == m.global) {
				ev.Changes = append(ev.Changes, *item)
			}
		}
	}
	for si, ev := range bySubject {
		var measured map[int32]*MeasurementEvidence
		if slices.Contains(m.subj.definedKPIs(si), MeasurementCoverageRatio) {
			measured = meas.evidence(st, si, w.from, w.at)
		}
		ev.Systems = st.systemEvidence(si, w, measured)
		sortEvidence(ev)
	}
	return out
}

// incidentEvidence describes incident i if some population counts it in
// the window or at its end.
func (st *state) incidentEvidence(x *index, i int, w window, ms []member) (*IncidentEvidence, []member) {
	in := &x.incidents[i]
	if in.opened >= w.at {
		return nil, ms
	}
	m, pol := st.m, &st.m.cfg.Policy
	ms = st.r.incidentMembers(ms[:0], in, m.incAttr[i])
	if !st.incidentListed(x, in, ms, w) {
		return nil, ms
	}
	key := x.incKey(i)
	it := IncidentEvidence{
		Source: key.Source, ID: key.ID, System: x.syms.name(in.system), Attributed: m.incSys[i] >= 0,
		Team: x.syms.name(in.team), Severity: int(in.severity), Impact: x.syms.name(in.impact),
		OpenedAt: fromMicros(in.opened), AcknowledgedAt: optTime(in.acked), ResolvedAt: optTime(in.resolved),
		ReviewRequired: st.r.reviewRequired(in), ReviewCompletedAt: optTime(in.reviewDone),
		Category: x.syms.name(in.category), Security: slices.Contains(st.r.security, in.category),
		ImpactStartedAt: optTime(in.impactStarted), MitigatedAt: optTime(in.mitigated),
	}
	done := st.r.reviewDone(in, m.incAttr[i])
	it.ReviewCompleteAt = optTime(done)
	it.ReviewSignoffs, it.ReviewSignoffsMissing = st.signoffEvidence(x, in, m.incAttr[i])
	it.Actions = st.actionEvidence(x, in, w)
	for _, a := range it.Actions {
		if a.OpenAtEnd {
			it.ActionsOpenAtEnd++
		}
		if a.OverdueAtEnd {
			it.ActionsOverdueAtEnd++
		}
	}
	if si := m.incSys[i]; si >= 0 {
		it.System = m.systems[si].cfg.ID
	}
	if in.cause >= 0 {
		c := x.causeKey(in)
		it.CausedByChange = &c
	}
	if target, ok := pol.SLA[int(in.severity)]; ok {
		it.SLATargetSeconds = ptrFloat(target.Seconds())
	}
	resolvedBefore, settledBefore, due := false, false, int64(absent)
	// a duration whose population the record is not in, though it has
	// both times, was left out: one of them is estimated
	acked, mitigated, detected, ttrLeftOut := false, false, false, false
	for _, mb := range ms {
		switch mb.pop {
		case popMitigated:
			mitigated = true
		case popDetected:
			detected = true
		}
		switch mb.pop {
		case popOpened1, popOpened2, popOpened3, popOpened4, popOpened5:
			it.OpenedInPeriod = w.in(mb.key)
		case popResolved:
			it.ResolvedInPeriod = w.in(mb.key)
			it.TTRSeconds = ptrFloat(seconds(mb.val))
			resolvedBefore = mb.key < w.at
		case popResolvedEstimated: // no time to restore: an estimated time
			it.ResolvedInPeriod = w.in(mb.key)
			resolvedBefore = mb.key < w.at
			ttrLeftOut = true
		case popBreach:
			it.SLABreached = true
		case popAcked, popAckedEarly:
			it.AcknowledgedInPeriod = w.in(mb.key) && counts(mb.key, mb.val, w.at)
			acked = true
		case popReviewDue:
			due = mb.key
			it.ReviewDue = optTime(due)
			it.ReviewDueInPeriod = w.in(due)
		case popReviewSettled:
			settledBefore = mb.key < w.at
		case popDetected:
			it.DetectSeconds = ptrFloat(seconds(mb.val))
		case popMitigated:
			it.MitigatedInPeriod = w.in(mb.key)
			it.MitigateSeconds = ptrFloat(seconds(mb.val))
		}
	}
	if in.estimated != 0 {
		it.Estimated = in.estimated.names(incidentTimes)
		for _, d := range []struct {
			left bool
			name string
		}{
			{ttrLeftOut, LeftOutTimeToRestore},
			{in.acked != absent && !acked, LeftOutTimeToAcknowledge},
			{in.mitigated != absent && !mitigated, LeftOutTimeToMitigate},
			{in.impactStarted != absent && !detected, LeftOutTimeToDetect},
		} {
			if d.left {
				it.LeftOut = append(it.LeftOut, d.name)
			}
		}
	}
	it.OpenAtEnd = !resolvedBefore
	it.ReviewOverdueAtEnd = due != absent && due < w.at && !settledBefore
	if it.ReviewRequired {
		it.ReviewStatus = reviewStatus(done, due, w.at)
	}
	return &it, ms
}

// incidentListed says, from incident in's population members ms and
// without building its evidence, whether the evidence lists it: opened,
// resolved, acknowledged or mitigated in the window, with a review due in
// it, or open, with a review overdue or an action item open at its end.
// The whole evidence walks every record of its subjects, most of them long
// settled before the window, and describes only these.
func (st *state) incidentListed(x *index, in *incident, ms []member, w window) bool {
	resolvedBefore, settledBefore, due := false, false, int64(absent)
	for _, mb := range ms {
		switch mb.pop {
		case popOpened1, popOpened2, popOpened3, popOpened4, popOpened5, popResolved, popResolvedEstimated, popMitigated:
			if w.in(mb.key) {
				return true
			}
		}
		switch mb.pop {
		case popResolved, popResolvedEstimated:
			resolvedBefore = mb.key < w.at
		case popAcked, popAckedEarly:
			if w.in(mb.key) && counts(mb.key, mb.val, w.at) {
				return true
			}
		case popReviewDue:
			if due = mb.key; w.in(due) {
				return true
			}
		case popReviewSettled:
			settledBefore = mb.key < w.at
		}
	}
	if !resolvedBefore || due != absent && due < w.at && !settledBefore {
		return true // open, or its review overdue, at the window's end
	}
	// an action open at the end (actionEvidence's rule)
	if in.reviewDone == absent || max(in.reviewDone, in.opened) >= w.at {
		return false
	}
	for _, a := range x.extra(in).actions {
		if a.done == absent || a.done >= w.at {
			return true
		}
	}
	return false
}

// reviewStatus says where a required review stands at the period's end.
func reviewStatus(done, due, at int64) string {
	switch {
	case due == absent:
		return ReviewNotDue
	case done != absent && done <= due:
		return ReviewOnTime
	case done != absent:
		return ReviewLate
	case due < at:
		return ReviewMissing
	}
	return ReviewPending
}

// causedBy lists the incidents opened before at that name change key
// (by number) as their cause, in slot order.
func causedBy(x *index, key int32, at int64) []record.Ref {
	if key < 0 || int(key) >= len(x.chgLinks) {
		return nil
	}
	var slots []int
	for i := x.chgLinks[key].citing; i >= 0; i = x.nextCiting[i] {
		if x.incidents[i].opened < at {
			slots = append(slots, int(i))
		}
	}
	slices.Sort(slots)
	var out []record.Ref
	for _, i := range slots {
		out = append(out, x.incKey(i))
	}
	return out
}

// changeEvidence describes change i if it is completed in the window, or
// unattributed and finished in it (unattributed_records counts those).
func (st *state) changeEvidence(x *index, i int, w window, ms []member) (*ChangeEvidence, []member) {
	c := &x.changes[i]
	m := st.m
	completed, unattributed, failed := false, false, false
	var recovered *member
	ms = st.r.changeMembers(ms[:0], c, m.chgSys[i])
	for k, mb := range ms {
		switch mb.pop {
		case popRecovery:
			if w.in(mb.key) && w.at <= mb.until {
				recovered = &ms[k]
			}
		case popCompleted:
			completed = w.in(mb.key)
		case popUnattributedChg:
			unattributed = w.in(mb.key)
		case popFailedOutcome:
			failed = failed || w.in(mb.key)
		case popCauseLinked:
			failed = failed || (w.in(mb.key) && counts(mb.key, mb.val, w.at))
		}
	}
	if !completed && !unattributed && recovered == nil {
		return nil, ms
	}
	attributed := m.chgSys[i] >= 0
	key := x.chgKey(i)
	it := ChangeEvidence{
		Source: key.Source, ID: key.ID, System: x.syms.name(c.system), Attributed: attributed, Team: x.syms.name(c.team),
		Type: x.syms.name(c.typ), Environment: x.syms.name(c.env), Outcome: x.syms.name(c.outcome), Authorized: c.authorized(),
		CreatedAt: optTime(c.created), FinishedAt: fromMicros(c.finished), Completed: completed,
		CausedIncidents: causedBy(x, c.key, w.at), Failed: failed, FailedByIncident: st.r.failedByIncident(c, w.at),
		ApprovedAt: optTime(c.approved), PlannedEnd: optTime(c.plannedEnd), Rework: c.rework(),
	}
	if c.plannedEnd != absent {
		it.OnSchedule = ptrBool(c.finished != absent && c.finished <= c.plannedEnd)
	}
	if recovered != nil {
		it.RecoveredInPeriod = true
		it.RecoveredAt = optTime(recovered.key)
		it.RecoverySeconds = ptrFloat(seconds(recovered.val))
	}
	if attributed {
		it.System = m.systems[m.chgSys[i]].cfg.ID
	}
	lead, approval := false, false
	for _, mb := range ms {
		switch mb.pop {
		case popLead:
			it.LeadTimeSeconds = ptrFloat(seconds(mb.val))
			lead = true
		case popApproved:
			approval = true
			it.ApprovalSeconds = ptrFloat(seconds(mb.val))
		}
	}
	if c.estimated != 0 {
		it.Estimated = c.estimated.names(changeTimes)
		if completed && c.outcome == symSuccess && c.created != absent && !lead {
			it.LeftOut = append(it.LeftOut, LeftOutLeadTime)
		}
		if completed && c.created != absent && c.approved != absent && !approval {
			it.LeftOut = append(it.LeftOut, LeftOutApprovalTime)
		}
	}
	return &it, ms
}

// systemEvidence lists the systems subject si answered for in the period:
// its own system, the systems it owned, its programs' systems, the systems
// in a process manager's scope, or every system for global; each with its
// measurements when measured has them.
func (st *state) systemEvidence(si int32, p window, measured map[int32]*MeasurementEvidence) []SystemEvidence {
	m := st.m
	sub := m.subj.list[si]
	out := []SystemEvidence{}
	for i := range m.systems {
		sys := &m.systems[i]
		var owned []Span
		var down float64
		switch {
		case sub.Role == RoleSystemOwner:
			for _, t := range sys.tenures {
				from, to := max(t.from, p.from), min(t.to, p.at)
				if t.owner != si || from >= to {
					continue
				}
				owned = append(owned, Span{fromMicros(from), fromMicros(to)})
				down += st.av.downtime(i, from, to)
			}
			if len(owned) == 0 {
				continue
			}
		case sys.subject == si, sys.program == si, sys.manager == si, si == m.global:
			down = st.av.downtime(i, p.from, p.at)
		case sub.Role == RoleProcessManager && st.inScope(si, sys):
			down = st.av.downtime(i, p.from, p.at)
		default:
			continue
		}
		se := SystemEvidence{ID: sys.cfg.ID, Tier: sys.cfg.Tier, Program: sys.cfg.Program, Owned: owned, DowntimeSeconds: down / 1e6,
			Measured: measured[int32(i)]}
		if o := sys.ownerAt(p.at - 1); o >= 0 {
			se.OwnerAtEnd = m.subj.list[o].ID
		}
		for j, t := range sys.tenures {
			if t.from < p.from || t.from >= p.at {
				continue
			}
			ch := OwnerChange{At: fromMicros(t.from), To: m.subj.list[t.owner].ID}
			if j > 0 {
				ch.From = m.subj.list[sys.tenures[j-1].owner].ID
			}
			se.OwnerChanges = append(se.OwnerChanges, ch)
		}
		out = append(out, se)
	}
	return out
}

func (st *state) inScope(si int32, sys *sysInfo) bool {
	for k := range st.m.procManagers {
		for j := range st.m.procManagers[k] {
			if sc := &st.m.procManagers[k][j]; sc.subject == si && sc.systems[sys.cfg.ID] {
				return true
			}
		}
	}
	return false
}

func sortEvidence(ev *Evidence) {
	slices.SortFunc(ev.Incidents, func(a, b IncidentEvidence) int {
		if c := a.OpenedAt.Compare(b.OpenedAt); c != 0 {
			return c
		}
		return compareKeys(a.Source, a.ID, b.Source, b.ID)
	})
	slices.SortFunc(ev.Changes, func(a, b ChangeEvidence) int {
		if c := a.FinishedAt.Compare(b.FinishedAt); c != 0 {
			return c
		}
		return compareKeys(a.Source, a.ID, b.Source, b.ID)
	})
	slices.SortFunc(ev.Systems, func(a, b SystemEvidence) int { return strings.Compare(a.ID, b.ID) })
}

func compareKeys(s1, id1, s2, id2 string) int {
	if c := strings.Compare(s1, s2); c != 0 {
		return c
	}
	return strings.Compare(id1, id2)
}

// addTitles fills incident titles from the engine's store when it can find
// records by key; without that, titles stay empty (see FillTitles).
func (e *Engine) addTitles(ctx context.Context, out map[Subject]*Evidence) error {
	finder, ok := e.opts.Store.(RecordFinder)
	if !ok {
		return nil
	}
	return FillTitles(ctx, finder, out)
}

// FillTitles sets the incident titles of evidence from a store that finds
// records by key, for callers whose engine reads a store that cannot (one
// wrapped for telemetry, say).
func FillTitles(ctx context.Context, finder RecordFinder, out map[Subject]*Evidence) error {
	return fillTitles(ctx, finder, func(fn func(*IncidentEvidence)) {
		for _, ev := range out {
			for i := range ev.Incidents {
				fn(&ev.Incidents[i])
			}
		}
	})
}

// fillTitles sets the title of every incident each visits, fetching each
// key's once.
func fillTitles(ctx context.Context, finder RecordFinder, each func(func(*IncidentEvidence))) error {
	seen := map[record.Ref]bool{}
	var keys []record.Ref
	each(func(in *IncidentEvidence) {
		if k := (record.Ref{Source: in.Source, ID: in.ID}); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	})
	titles, err := Titles(ctx, finder, keys)
	if err != nil {
		return err
	}
	each(func(in *IncidentEvidence) { in.Title = titles[record.Ref{Source: in.Source, ID: in.ID}] })
	return nil
}

// Titles returns the titles of the incidents with the given keys, from a
// store that finds records by key.
func Titles(ctx context.Context, finder RecordFinder, keys []record.Ref) (map[record.Ref]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	found, err := finder.FindIncidents(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("scorecard: evidence titles: %w", err)
	}
	titles := make(map[record.Ref]string, len(found))
	for i := range found {
		titles[found[i].Key()] = found[i].Title
	}
	return titles, nil
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func optTime(us int64) *time.Time {
	if us == absent {
		return nil
	}
	t := fromMicros(us)
	return &t
}

func ptrFloat(v float64) *float64 { return &v }

func ptrBool(v bool) *bool { return &v }

// signoffEvidence lists a review's sign-offs, each saying whether it counts
// (reviewDone's rule), and the roles policy needs without one.
func (st *state) signoffEvidence(x *index, in *incident, entry uint32) ([]SignoffEvidence, []string) {
	r := st.r
	en := &st.m.entries[entry]
	var holders [numSignRoles]string
	for role := range numSignRoles {
		if h := r.holder(role, en); r.signoff[role] && h >= 0 {
			holders[role] = st.m.subj.list[h].ID
		}
	}
	var out []SignoffEvidence
	var signed [numSignRoles]bool
	for _, so := range x.extra(in).signoffs {
		person := x.syms.name(so.person)
		counts := holders[so.role] != "" && holders[so.role] == person
		signed[so.role] = signed[so.role] || counts
		out = append(out, SignoffEvidence{Role: record.SignoffRoles[so.role], Person: person, At: fromMicros(so.at), Counts: counts})
	}
	var missing []string
	for role := range numSignRoles {
		if holders[role] != "" && !signed[role] {
			missing = append(missing, record.SignoffRoles[role])
		}
	}
	return out, missing
}

// actionEvidence lists a completed review's action items, open and overdue
// at the period's end as review_actions_open and review_actions_overdue
// count them (actionMembers' rule).
func (st *state) actionEvidence(x *index, in *incident, w window) []ActionEvidence {
	if in.reviewDone == absent {
		return nil
	}
	start := max(in.reviewDone, in.opened)
	var out []ActionEvidence
	for _, a := range x.extra(in).actions {
		due := st.r.actionDueAt(in, &a)
		open := start < w.at && (a.done == absent || a.done >= w.at)
		out = append(out, ActionEvidence{ID: a.id, Due: optTime(due), DoneAt: optTime(a.done), OpenAtEnd: open,
			OverdueAtEnd: open && due != absent && due < w.at})
	}
	return out
}

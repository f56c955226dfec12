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

	OpenedInPeriod       bool `json:"opened_in_period"`
	ResolvedInPeriod     bool `json:"resolved_in_period"`
	OpenAtEnd            bool `json:"open_at_end"`
	ReviewDueInPeriod    bool `json:"review_due_in_period"`
	ReviewOverdueAtEnd   bool `json:"review_overdue_at_end"`
	AcknowledgedInPeriod bool `json:"acknowledged_in_period"`
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
}

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
	from, to = from.UTC(), to.UTC()
	e.mu.Lock()
	if err := e.prepare(ctx); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	out := e.evidence(subjects, from, to)
	e.mu.Unlock()
	if err := e.addTitles(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// evidence does the work of Evidence; the caller holds e.mu.
func (e *Engine) evidence(subjects []Subject, from, to time.Time) map[Subject]*Evidence {
	m, x := e.m, e.x
	bySubject := map[int32]*Evidence{}
	out := make(map[Subject]*Evidence, len(subjects))
	for _, s := range subjects {
		if si := m.subj.lookup(s); si >= 0 {
			ev := &Evidence{Subject: s, From: from, To: to, Incidents: []IncidentEvidence{}, Changes: []ChangeEvidence{}, Systems: []SystemEvidence{}}
			bySubject[si], out[s] = ev, ev
		}
	}
	p := &pass{m: m, x: x, avail: e.av, at: micros(to), from: micros(from), length: to.Sub(from)}
	for i := range x.incidents {
		var item *IncidentEvidence
		built := false
		for _, si := range m.incSubjects(i) {
			ev, ok := bySubject[si]
			if !ok {
				continue
			}
			if !built {
				item, built = p.incidentEvidence(i), true
			}
			if item == nil {
				break
			}
			ev.Incidents = append(ev.Incidents, *item)
		}
	}
	causes := p.causes()
	for i := range x.changes {
		var item *ChangeEvidence
		built := false
		for _, si := range m.chgSubjects(i) {
			ev, ok := bySubject[si]
			if !ok {
				continue
			}
			if !built {
				item, built = p.changeEvidence(i, causes), true
			}
			if item == nil {
				break
			}
			// only the global subject counts uncompleted (unattributed) changes
			if item.Completed || si == m.global {
				ev.Changes = append(ev.Changes, *item)
			}
		}
	}
	for si, ev := range bySubject {
		ev.Systems = p.systemEvidence(si)
		sortEvidence(ev)
	}
	return out
}

func (p *pass) incidentEvidence(i int) *IncidentEvidence {
	in := &p.x.incidents[i]
	if in.opened >= p.at {
		return nil
	}
	pol := &p.m.cfg.Policy
	required := in.reviewRequired == 1 || (in.reviewRequired == -1 && int(in.severity) <= pol.Review.SeverityThreshold)
	x := p.x
	key := x.incKey(i)
	it := IncidentEvidence{
		Source: key.Source, ID: key.ID, System: x.syms.name(in.system), Attributed: p.m.incSys[i] >= 0,
		Team: x.syms.name(in.team), Severity: int(in.severity), Impact: x.syms.name(in.impact),
		OpenedAt: fromMicros(in.opened), AcknowledgedAt: optTime(in.acked), ResolvedAt: optTime(in.resolved),
		ReviewRequired: required, ReviewCompletedAt: optTime(in.reviewDone),
		OpenedInPeriod: p.in(in.opened), ResolvedInPeriod: p.in(in.resolved), AcknowledgedInPeriod: p.in(in.acked),
		OpenAtEnd: in.resolved == absent || in.resolved >= p.at,
	}
	if si := p.m.incSys[i]; si >= 0 {
		it.System = p.m.systems[si].cfg.ID
	}
	if in.cause >= 0 {
		c := x.causeKey(in)
		it.CausedByChange = &c
	}
	if target, ok := pol.SLA[int(in.severity)]; ok {
		it.SLATargetSeconds = ptrFloat(target.Seconds())
	}
	if in.resolved != absent {
		ttr := seconds(in.resolved - in.opened)
		it.TTRSeconds = ptrFloat(ttr)
		it.SLABreached = it.SLATargetSeconds != nil && ttr > *it.SLATargetSeconds
	}
	if required {
		it.ReviewStatus = ReviewNotDue
		if in.resolved != absent {
			d := in.resolved + pol.Review.Due.Microseconds()
			it.ReviewDue = optTime(d)
			it.ReviewDueInPeriod = p.in(d)
			doneAtEnd := in.reviewDone != absent && in.reviewDone < p.at
			it.ReviewOverdueAtEnd = d < p.at && !doneAtEnd
			switch {
			case in.reviewDone != absent && in.reviewDone <= d:
				it.ReviewStatus = ReviewOnTime
			case in.reviewDone != absent:
				it.ReviewStatus = ReviewLate
			case d < p.at:
				it.ReviewStatus = ReviewMissing
			default:
				it.ReviewStatus = ReviewPending
			}
		}
	}
	if !(it.OpenedInPeriod || it.ResolvedInPeriod || it.AcknowledgedInPeriod || it.ReviewDueInPeriod || it.OpenAtEnd || it.ReviewOverdueAtEnd) {
		return nil
	}
	return &it
}

// causes maps each change key (by number) to the incidents opened before
// the period's end that name it as their cause.
func (p *pass) causes() map[int32][]record.Ref {
	out := map[int32][]record.Ref{}
	for i := range p.x.incidents {
		in := &p.x.incidents[i]
		if in.cause >= 0 && in.opened < p.at {
			out[in.cause] = append(out[in.cause], p.x.incKey(i))
		}
	}
	return out
}

// changeEvidence describes change i if it finished in the period in a
// counted environment and is completed or unattributed.
func (p *pass) changeEvidence(i int, causes map[int32][]record.Ref) *ChangeEvidence {
	x := p.x
	c := &x.changes[i]
	pol := &p.m.cfg.Policy
	if !slices.Contains(pol.ChangeEnvironments, x.syms.name(c.env)) || !p.in(c.finished) {
		return nil
	}
	completed := c.outcome == symSuccess || c.outcome == symFailed || c.outcome == symRolledBack
	attributed := p.m.chgSys[i] >= 0
	if !completed && attributed {
		return nil
	}
	key := x.chgKey(i)
	it := ChangeEvidence{
		Source: key.Source, ID: key.ID, System: x.syms.name(c.system), Attributed: attributed, Team: x.syms.name(c.team),
		Type: x.syms.name(c.typ), Environment: x.syms.name(c.env), Outcome: x.syms.name(c.outcome), Authorized: c.authorized,
		CreatedAt: optTime(c.created), FinishedAt: fromMicros(c.finished), Completed: completed,
		CausedIncidents: causes[c.key],
	}
	if attributed {
		it.System = p.m.systems[p.m.chgSys[i]].cfg.ID
	}
	if c.outcome == symSuccess && c.created != absent {
		it.LeadTimeSeconds = ptrFloat(seconds(c.finished - c.created))
	}
	it.FailedByIncident = pol.ChangeFailureFromIncidents && c.causeOpened != absent && c.causeOpened < p.at
	it.Failed = completed && (c.outcome != symSuccess || it.FailedByIncident)
	return &it
}

// systemEvidence lists the systems subject si answered for in the period:
// its own system, the systems it owned, its programs' systems, the systems
// in a process manager's scope, or every system for global.
func (p *pass) systemEvidence(si int32) []SystemEvidence {
	m := p.m
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
				down += p.avail.downtime(i, from, to)
			}
			if len(owned) == 0 {
				continue
			}
		case sys.subject == si, sys.program == si, sys.manager == si, si == m.global:
			down = p.avail.downtime(i, p.from, p.at)
		case sub.Role == RoleProcessManager && p.inScope(si, sys):
			down = p.avail.downtime(i, p.from, p.at)
		default:
			continue
		}
		se := SystemEvidence{ID: sys.cfg.ID, Tier: sys.cfg.Tier, Program: sys.cfg.Program, Owned: owned, DowntimeSeconds: down / 1e6}
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

func (p *pass) inScope(si int32, sys *sysInfo) bool {
	for k := range p.m.procManagers {
		for j := range p.m.procManagers[k] {
			if sc := &p.m.procManagers[k][j]; sc.subject == si && sc.systems[sys.cfg.ID] {
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
	seen := map[record.Ref]bool{}
	var keys []record.Ref
	for _, ev := range out {
		for _, in := range ev.Incidents {
			if k := (record.Ref{Source: in.Source, ID: in.ID}); !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	found, err := finder.FindIncidents(ctx, keys)
	if err != nil {
		return fmt.Errorf("scorecard: evidence titles: %w", err)
	}
	titles := make(map[record.Ref]string, len(found))
	for i := range found {
		titles[found[i].Key()] = found[i].Title
	}
	for _, ev := range out {
		for i := range ev.Incidents {
			ev.Incidents[i].Title = titles[record.Ref{Source: ev.Incidents[i].Source, ID: ev.Incidents[i].ID}]
		}
	}
	return nil
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

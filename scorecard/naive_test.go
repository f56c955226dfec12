package scorecard

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/kpi"
	"github.com/steward-sh/steward/record"
)

// naive computes SPEC section 4 the plain way: for one subject, window and
// evaluation time it loops over every record, attributes it from the
// config, and applies each KPI's definition as written. It shares no code
// with the engine beyond the record and config types.
type naive struct {
	cfg       *config.Config
	incidents map[record.Ref]record.Incident
	changes   map[record.Ref]record.Change
	feedback  map[record.Ref]record.Feedback
	// sums are the percentile populations of the last values call
	sums Summaries
}

func (n *naive) put(b record.Batch) {
	for _, in := range b.Incidents {
		n.incidents[in.Key()] = in
	}
	for _, c := range b.Changes {
		n.changes[c.Key()] = c
	}
	for _, f := range b.Feedback {
		n.feedback[f.Key()] = f
	}
}

// feedbackFor says whether a feedback response counts for sub (SPEC 2,
// Feedback): about a system, like an incident of it; about a program, for
// it and its manager; about a team, for the team; always for global.
func (n *naive) feedbackFor(sub Subject, f record.Feedback) bool {
	if sub.Role == RoleGlobal {
		return true
	}
	program := f.Program
	if f.System != "" {
		s, ok := n.cfg.System(f.System)
		if !ok {
			return false
		}
		switch {
		case sub.Role == RoleSystem && sub.ID == s.ID:
			return true
		case sub.Role == RoleSystemOwner && ownerAt(s, f.SubmittedAt) == sub.ID:
			return true
		}
		program = s.Program
	}
	if p, ok := n.cfg.Program(program); ok && program != "" {
		return (sub.Role == RoleProgram && sub.ID == p.ID) || (sub.Role == RoleProgramManager && sub.ID == p.Manager)
	}
	return sub.Role == RoleTeam && f.Team != "" && sub.ID == f.Team
}

// ownerAt is the system's owner at t ("" none).
func ownerAt(s *config.System, t time.Time) string {
	owner := ""
	for _, o := range s.Owners {
		if !o.Since.After(t) {
			owner = o.Owner
		}
	}
	return owner
}

// attributed says whether a record of kind ("incident" or "change") with
// the given system name, team and attribution time counts for sub.
func (n *naive) attributed(sub Subject, kind, system, team string, at *time.Time) bool {
	sys, known := n.cfg.System(system)
	var proc *config.Process
	if kind == "incident" {
		proc = n.cfg.Processes.Incident
	} else {
		proc = n.cfg.Processes.Change
	}
	switch sub.Role {
	case RoleGlobal:
		return true
	case RoleTeam:
		return team != "" && team == sub.ID
	case RoleProcessOwner:
		return proc != nil && proc.Owner == sub.ID
	case RoleProcessManager:
		if proc == nil {
			return false
		}
		for _, m := range proc.Managers {
			if m.Manager == sub.ID && ((team != "" && slices.Contains(m.Teams, team)) || (known && slices.Contains(m.Systems, sys.ID))) {
				return true
			}
		}
		return false
	}
	if !known {
		return false
	}
	switch sub.Role {
	case RoleSystem:
		return sys.ID == sub.ID
	case RoleSystemOwner:
		return at != nil && ownerAt(sys, *at) == sub.ID
	case RoleProgram:
		return sys.Program == sub.ID
	case RoleProgramManager:
		p, ok := n.cfg.Program(sys.Program)
		return ok && p.Manager == sub.ID
	}
	return false
}

func changeAttrTime(c *record.Change) *time.Time {
	switch {
	case c.FinishedAt != nil:
		return c.FinishedAt
	case c.StartedAt != nil:
		return c.StartedAt
	}
	return c.CreatedAt
}

func inW(t *time.Time, from, at time.Time) bool { return t != nil && !t.Before(from) && t.Before(at) }

func us(d time.Duration) int64 { return d.Microseconds() }

// percentile by linear interpolation between closest ranks, in seconds.
func naivePercentile(vs []int64, q float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	a := float64(s[lo]) / 1e6
	if lo+1 >= len(s) {
		return a
	}
	b := float64(s[lo+1]) / 1e6
	return a + (pos-float64(lo))*(b-a)
}

func naiveRatio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func naiveMean(sum int64, k int) float64 {
	if k == 0 {
		return math.NaN()
	}
	return float64(sum) / 1e6 / float64(k)
}

// values evaluates every KPI of sub over [at-length, at).
func (n *naive) values(sub Subject, at time.Time, length time.Duration) Values {
	from := at.Add(-length)
	pol := &n.cfg.Policy
	v := noValues()

	// changes
	var completed, failed, emergency, unauthorized, succeeded, unattributedChg, retroactive, estimatedChg int
	var approvals, planned, onSchedule, rework int
	var approvalSum int64
	var leads []int64
	for _, c := range n.changes {
		if !slices.Contains(pol.ChangeEnvironments, c.Environment) || !inW(c.FinishedAt, from, at) {
			continue
		}
		if _, known := n.cfg.System(c.System); !known && sub.Role == RoleGlobal {
			unattributedChg++
		}
		if len(c.Estimated) > 0 && sub.Role == RoleGlobal {
			estimatedChg++
		}
		if !n.attributed(sub, "change", c.System, c.Team, changeAttrTime(&c)) {
			continue
		}
		if c.Outcome != record.OutcomeSuccess && c.Outcome != record.OutcomeFailed && c.Outcome != record.OutcomeRolledBack {
			continue
		}
		completed++
		start := c.StartedAt
		if start == nil {
			start = c.FinishedAt
		}
		if c.CreatedAt != nil && start.Before(*c.CreatedAt) {
			retroactive++
		}
		if c.CreatedAt != nil && c.ApprovedAt != nil && !slices.Contains(c.Estimated, "created_at") && !slices.Contains(c.Estimated, "approved_at") {
			approvals++
			approvalSum += us(c.ApprovedAt.Sub(*c.CreatedAt))
		}
		if c.PlannedEnd != nil {
			planned++
			if !c.FinishedAt.After(*c.PlannedEnd) {
				onSchedule++
			}
		}
		if c.Rework {
			rework++
		}
		isFailed := c.Outcome != record.OutcomeSuccess
		if pol.ChangeFailureFromIncidents {
			for _, in := range n.incidents {
				if r := in.CausedByChange; r != nil && r.Source == c.Source && r.ID == c.ID && in.OpenedAt.Before(at) {
					isFailed = true
				}
			}
		}
		if isFailed {
			failed++
		}
		if c.Type == record.TypeEmergency {
			emergency++
		}
		if !c.Authorized {
			unauthorized++
		}
		if c.Outcome == record.OutcomeSuccess {
			succeeded++
			if c.CreatedAt != nil && !slices.Contains(c.Estimated, "created_at") && !slices.Contains(c.Estimated, "finished_at") {
				leads = append(leads, us(c.FinishedAt.Sub(*c.CreatedAt)))
			}
		}
	}
	v[ChangesCompleted] = float64(completed)
	v[ChangesFailed] = float64(failed)
	v[ChangeSuccessRatio] = naiveRatio(completed-failed, completed)
	v[EmergencyChangeRatio] = naiveRatio(emergency, completed)
	v[UnauthorizedChanges] = float64(unauthorized)
	v[DeploymentsPerDay] = float64(succeeded) / (length.Hours() / 24)
	v[ChangeLeadTimeP50] = naivePercentile(leads, 0.5)
	v[ChangeLeadTimeP90] = naivePercentile(leads, 0.9)
	var leadSum int64
	for _, d := range leads {
		leadSum += d
	}
	n.sums.ChangeLeadTime = Summary{Count: len(leads), Sum: float64(leadSum) / 1e6}
	v[RetroactiveChanges] = float64(retroactive)
	v[ChangeApprovalSeconds] = naiveMean(approvalSum, approvals)
	v[ChangeScheduleAdherenceRatio] = naiveRatio(onSchedule, planned)
	v[ReworkRatio] = naiveRatio(rework, completed)
	v[EstimatedChanges] = float64(estimatedChg)
	v[FailedDeploymentRecovery] = n.recovery(sub, from, at)

	// incidents (an incident opened at or after `at` does not exist yet)
	var opened [6]int
	var resolved, acked, targeted, breached, open, due, onTime, overdue, unattributedInc, estimatedInc int
	var security, detected, mitigated, actionsOpen, actionsOverdue int
	var securityTTRs []int64
	var detectSum, mitigateSum int64
	var ttrSum, ackSum int64
	var ttrs []int64
	for _, in := range n.incidents {
		restored := "resolved_at"
		if in.ResolvedAt == nil {
			in.ResolvedAt = in.ClosedAt // SPEC 4, Times: closed stands in for resolved
			restored = "closed_at"
		}
		estimated := func(field string) bool { return slices.Contains(in.Estimated, field) }
		if !in.OpenedAt.Before(at) {
			continue
		}
		if _, known := n.cfg.System(in.System); !known && sub.Role == RoleGlobal && inW(&in.OpenedAt, from, at) {
			unattributedInc++
		}
		if !n.attributed(sub, "incident", in.System, in.Team, &in.OpenedAt) {
			continue
		}
		isSecurity := slices.Contains(pol.SecurityCategories, in.Category)
		if inW(&in.OpenedAt, from, at) {
			opened[in.Severity]++
			if isSecurity {
				security++
			}
			if in.ImpactStartedAt != nil && !estimated("impact_started_at") && !estimated("opened_at") {
				detected++
				detectSum += us(in.OpenedAt.Sub(*in.ImpactStartedAt))
			}
			if len(in.Estimated) > 0 && sub.Role == RoleGlobal {
				estimatedInc++
			}
		}
		if inW(in.ResolvedAt, from, at) {
			resolved++
		}
		// SPEC 4, Times: a duration on an estimated time counts nowhere
		if inW(in.ResolvedAt, from, at) && !estimated("opened_at") && !estimated(restored) {
			ttr := us(in.ResolvedAt.Sub(in.OpenedAt))
			ttrSum += ttr
			if isSecurity {
				securityTTRs = append(securityTTRs, ttr)
			}
			ttrs = append(ttrs, ttr)
			if target, ok := pol.SLA[in.Severity]; ok {
				targeted++
				if ttr > us(target) {
					breached++
				}
			}
		}
		if inW(in.MitigatedAt, from, at) && !estimated("opened_at") && !estimated("mitigated_at") {
			mitigated++
			mitigateSum += us(in.MitigatedAt.Sub(in.OpenedAt))
		}
		if inW(in.AcknowledgedAt, from, at) && !estimated("opened_at") && !estimated("acknowledged_at") {
			acked++
			ackSum += us(in.AcknowledgedAt.Sub(in.OpenedAt))
		}
		if in.ResolvedAt == nil || !in.ResolvedAt.Before(at) {
			open++
		}
		if in.Review != nil && in.Review.CompletedAt != nil && in.Review.CompletedAt.Before(at) {
			for _, a := range in.Review.Actions {
				if a.DoneAt != nil && a.DoneAt.Before(at) {
					continue
				}
				actionsOpen++
				due := a.Due
				if due == nil && in.ResolvedAt != nil {
					d := in.ResolvedAt.Add(pol.Review.Due + pol.Review.ActionDue)
					due = &d
				}
				if due != nil && due.Before(at) {
					actionsOverdue++
				}
			}
		}
		required := in.Severity <= pol.Review.SeverityThreshold
		if in.Review != nil && in.Review.Required != nil {
			required = *in.Review.Required
		}
		if required && in.ResolvedAt != nil {
			d := in.ResolvedAt.Add(pol.Review.Due)
			done := n.reviewDone(in)
			if inW(&d, from, at) {
				due++
				if done != nil && !done.After(d) {
					onTime++
				}
			}
			if d.Before(at) && (done == nil || !done.Before(at)) {
				overdue++
			}
		}
	}
	total := 0
	for sev := 1; sev <= 5; sev++ {
		v[IncidentsOpenedSev1+KPI(sev-1)] = float64(opened[sev])
		total += opened[sev]
	}
	v[IncidentsOpened] = float64(total)
	v[IncidentsResolved] = float64(resolved)
	v[MTTR] = naiveMean(ttrSum, len(ttrs))
	v[TimeToRestoreP50] = naivePercentile(ttrs, 0.5)
	v[TimeToRestoreP90] = naivePercentile(ttrs, 0.9)
	n.sums.TimeToRestore = Summary{Count: len(ttrs), Sum: float64(ttrSum) / 1e6}
	v[MTTA] = naiveMean(ackSum, acked)
	v[SLABreachRatio] = naiveRatio(breached, targeted)
	v[IncidentsOpen] = float64(open)
	v[ReviewComplianceRatio] = naiveRatio(onTime, due)
	v[ReviewsOverdue] = float64(overdue)
	v[ReviewActionsOpen] = float64(actionsOpen)
	v[ReviewActionsOverdue] = float64(actionsOverdue)
	v[UnattributedIncidents] = float64(unattributedInc)
	v[UnattributedChanges] = float64(unattributedChg)
	v[EstimatedIncidents] = float64(estimatedInc)
	v[SecurityIncidents] = float64(security)
	var securitySum int64
	for _, d := range securityTTRs {
		securitySum += d
	}
	v[SecurityMTTR] = naiveMean(securitySum, len(securityTTRs))
	v[MTTD] = naiveMean(detectSum, detected)
	v[TimeToMitigate] = naiveMean(mitigateSum, mitigated)

	// availability
	var exposure int64
	var downtime float64
	var owned [][2]time.Time // a system owner's tenures in the window
	for i := range n.cfg.Systems {
		s := &n.cfg.Systems[i]
		p, hasProgram := n.cfg.Program(s.Program)
		whole := sub.Role == RoleGlobal || (sub.Role == RoleSystem && sub.ID == s.ID) ||
			(hasProgram && ((sub.Role == RoleProgram && sub.ID == p.ID) || (sub.Role == RoleProgramManager && sub.ID == p.Manager)))
		if whole {
			exposure += us(length)
			downtime += n.downtime(s, from, at)
		}
		if sub.Role != RoleSystemOwner {
			continue
		}
		for j, o := range s.Owners {
			end := time.Unix(0, math.MaxInt64)
			if j+1 < len(s.Owners) {
				end = s.Owners[j+1].Since
			}
			lo, hi := maxTime(o.Since, from), minTime(end, at)
			if o.Owner != sub.ID || !lo.Before(hi) {
				continue
			}
			exposure += us(hi.Sub(lo))
			downtime += n.downtime(s, lo, hi)
			owned = append(owned, [2]time.Time{lo, hi})
		}
	}
	if exposure > 0 {
		d := downtime / 1e6
		v[DowntimeSeconds] = d
		v[AvailabilityRatio] = 1 - d/(float64(exposure)/1e6)
	}
	unowned := 0
	for i := range n.cfg.Systems {
		if ownerAt(&n.cfg.Systems[i], at) == "" {
			unowned++
		}
	}
	v[SystemsUnowned] = float64(unowned)

	// satisfaction (SPEC 4)
	var responses [2]int
	var scaled [2]float64
	for _, f := range n.feedback {
		if !inW(&f.SubmittedAt, from, at) || !n.feedbackFor(sub, f) {
			continue
		}
		a := 0
		if f.Audience == record.AudienceEmployee {
			a = 1
		}
		responses[a]++
		scaled[a] += (f.Score - f.ScaleMin) / (f.ScaleMax - f.ScaleMin)
	}
	v[FeedbackStakeholder], v[FeedbackEmployee] = float64(responses[0]), float64(responses[1])
	v[FeedbackResponses] = float64(responses[0] + responses[1])
	for a, k := range [2]KPI{SatisfactionStakeholder, SatisfactionEmployee} {
		if responses[a] > 0 {
			v[k] = scaled[a] / float64(responses[a])
		}
	}

	// SPEC 4, Exposure: an owner's E is the time in W they owned at least
	// one system; with none, only counts have values.
	if sub.Role == RoleSystemOwner {
		var e time.Duration
		for t := from; t.Before(at); {
			next, in := at, false
			for _, o := range owned {
				if !t.Before(o[0]) && t.Before(o[1]) {
					in = true
				}
				for _, b := range o {
					if b.After(t) && b.Before(next) {
						next = b
					}
				}
			}
			if in {
				e += next.Sub(t)
			}
			t = next
		}
		if e == 0 {
			n.sums = Summaries{}
			for _, k := range kpi.All() {
				if k.Unit != kpi.UnitCount {
					v[k.ID] = math.NaN()
				}
			}
		} else {
			v[DeploymentsPerDay] = float64(succeeded) / (e.Hours() / 24)
		}
	}
	return v
}

// reviewDone is when an incident's review was complete: completed_at, or
// with policy.review.signoff the latest of it and each needed role's first
// sign-off by whoever held the role for the incident's system when it was
// opened (a role nobody held needs none); nil when not complete.
func (n *naive) reviewDone(in record.Incident) *time.Time {
	if in.Review == nil || in.Review.CompletedAt == nil {
		return nil
	}
	done := *in.Review.CompletedAt
	sys, known := n.cfg.System(in.System)
	for _, role := range n.cfg.Policy.Review.Signoff {
		holder := ""
		switch role {
		case record.RoleProcessOwner:
			if p := n.cfg.Processes.Incident; p != nil {
				holder = p.Owner
			}
		case record.RoleProgramManager:
			if known && sys.Program != "" {
				if p, ok := n.cfg.Program(sys.Program); ok {
					holder = p.Manager
				}
			}
		case record.RoleSystemOwner:
			if known {
				holder = ownerAt(sys, in.OpenedAt)
			}
		}
		if holder == "" {
			continue
		}
		var first *time.Time
		for _, so := range in.Review.Signoffs {
			if so.Role == role && so.Person == holder && (first == nil || so.At.Before(*first)) {
				first = &so.At
			}
		}
		if first == nil {
			return nil
		}
		done = maxTime(done, *first)
	}
	return &done
}

// recovery is failed_deployment_recovery_seconds of sub over [from, at):
// every completed change in a counted environment that has failed by `at`,
// recovered as of `at` (SPEC 4, Recovery).
func (n *naive) recovery(sub Subject, from, at time.Time) float64 {
	pol := &n.cfg.Policy
	var sum int64
	k := 0
	// Two changes are on the same system when both name the same
	// configured system, or neither does and they name the same one.
	type system struct {
		configured bool
		id         string
	}
	systemOf := func(name string) system {
		if s, ok := n.cfg.System(name); ok {
			return system{true, s.ID}
		}
		return system{false, name}
	}
	// the incidents opened before at, by the change they name as their
	// cause, and each system's successful changes in a counted
	// environment: looked up below rather than searched for each change
	// (a search would take the test minutes under -race)
	causedBy := map[record.Ref][]record.Incident{}
	for _, in := range n.incidents {
		if r := in.CausedByChange; r != nil && in.OpenedAt.Before(at) {
			causedBy[*r] = append(causedBy[*r], in)
		}
	}
	successes := map[system][]record.Change{}
	for _, s := range n.changes {
		if s.Outcome == record.OutcomeSuccess && s.FinishedAt != nil && slices.Contains(pol.ChangeEnvironments, s.Environment) {
			sys := systemOf(s.System)
			successes[sys] = append(successes[sys], s)
		}
	}
	for _, c := range n.changes {
		if !slices.Contains(pol.ChangeEnvironments, c.Environment) || c.FinishedAt == nil ||
			(c.Outcome != record.OutcomeSuccess && c.Outcome != record.OutcomeFailed && c.Outcome != record.OutcomeRolledBack) ||
			!n.attributed(sub, "change", c.System, c.Team, changeAttrTime(&c)) || slices.Contains(c.Estimated, "finished_at") {
			continue
		}
		causes := causedBy[c.Key()]
		failed := c.Outcome != record.OutcomeSuccess || (pol.ChangeFailureFromIncidents && len(causes) > 0)
		if !failed {
			continue
		}
		var recovered *time.Time
		measured := false // some record measured the recovery time rather than estimate it
		if len(causes) > 0 {
			for _, in := range causes {
				end, field := in.ResolvedAt, "resolved_at"
				if end == nil {
					end, field = in.ClosedAt, "closed_at"
				}
				if end == nil {
					recovered = nil
					break
				}
				known := !slices.Contains(in.Estimated, field)
				switch {
				case recovered == nil || end.After(*recovered):
					recovered, measured = end, known
				case end.Equal(*recovered):
					measured = measured || known
				}
			}
		} else {
			for _, s := range successes[systemOf(c.System)] {
				if !s.FinishedAt.After(*c.FinishedAt) {
					continue
				}
				known := !slices.Contains(s.Estimated, "finished_at")
				switch {
				case recovered == nil || s.FinishedAt.Before(*recovered):
					recovered, measured = s.FinishedAt, known
				case s.FinishedAt.Equal(*recovered):
					measured = measured || known
				}
			}
		}
		if !inW(recovered, from, at) || !measured {
			continue
		}
		sum += max(0, us(recovered.Sub(*c.FinishedAt)))
		k++
	}
	return naiveMean(sum, k)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// downtime is system s's weighted downtime in [from, to) in micros: every
// elementary stretch between two interval ends is down if an outage covers
// it, degraded if only a degradation does.
func (n *naive) downtime(s *config.System, from, to time.Time) float64 {
	type iv struct {
		from, to int64
		outage   bool
	}
	var ivs []iv
	lo, hi := from.UnixMicro(), to.UnixMicro()
	cuts := []int64{lo, hi}
	for _, in := range n.incidents {
		sys, ok := n.cfg.System(in.System)
		if !ok || sys.ID != s.ID || (in.Impact != record.ImpactOutage && in.Impact != record.ImpactDegraded) {
			continue
		}
		end := int64(math.MaxInt64) // open: runs to the window's end
		if in.ResolvedAt != nil {
			end = in.ResolvedAt.UnixMicro()
		} else if in.ClosedAt != nil {
			end = in.ClosedAt.UnixMicro() // closed, never resolved
		}
		a, b := max(in.OpenedAt.UnixMicro(), lo), min(end, hi)
		if a >= b {
			continue
		}
		ivs = append(ivs, iv{a, b, in.Impact == record.ImpactOutage})
		cuts = append(cuts, a, b)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out, deg int64
	for k := 0; k+1 < len(cuts); k++ {
		a, b := cuts[k], cuts[k+1]
		isOut, isDeg := false, false
		for _, x := range ivs {
			if x.from <= a && b <= x.to {
				isOut = isOut || x.outage
				isDeg = isDeg || !x.outage
			}
		}
		switch {
		case isOut:
			out += b - a
		case isDeg:
			deg += b - a
		}
	}
	d := float64(out)
	if w := n.cfg.Policy.Availability.DegradedWeight; w > 0 {
		d += w * float64(deg)
	}
	return d
}

// Random subjects at random evaluation times and window lengths, while
// records arrive, change and the config is reloaded, get exactly the values
// of the naive reading of SPEC section 4.
func TestEvaluationEqualsNaive(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 20, 15, 1200, 2400
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	incidents, changes := generate.Records(cfg, o)
	// a degraded weight, so that degraded time counts too
	cfg.Policy.Availability.DegradedWeight = 0.5
	// reviews need sign-offs; actions without a due are due ten days after
	// their review
	cfg.Policy.Review.Signoff = []string{record.RoleSystemOwner, record.RoleProgramManager}
	cfg.Policy.Review.ActionDue = 240 * time.Hour
	people := cfg.People

	e := New(Options{Config: func() *config.Config { return cfg }})
	n := &naive{cfg: cfg, incidents: map[record.Ref]record.Incident{}, changes: map[record.Ref]record.Change{},
		feedback: map[record.Ref]record.Feedback{}}
	responses := generate.Feedback(cfg, o)
	rng := rand.New(rand.NewPCG(11, 12))
	ctx := context.Background()
	span := o.To.Sub(o.From)
	windows := []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 90 * 24 * time.Hour, 17*24*time.Hour + 5*time.Hour + 7*time.Second}
	written, compared := 0, 0
	seen := map[KPI]int{} // comparisons with a value other than 0
	for step := 0; step < 60; step++ {
		var b record.Batch
		k := 1 + rng.IntN(200)
		if step == 0 {
			k = len(incidents) / 2 // a first load large enough to build the time index from
		}
		for ; k > 0 && written < len(incidents); k-- {
			b.Incidents = append(b.Incidents, incidents[written])
			b.Changes = append(b.Changes, changes[2*written], changes[2*written+1])
			written++
		}
		for k := 0; k < rng.IntN(25) && written > 0; k++ {
			in := incidents[rng.IntN(written)]
			switch rng.IntN(10) {
			case 0:
				r := in.OpenedAt.Add(time.Duration(rng.IntN(96)) * time.Hour)
				in.ResolvedAt = &r
			case 1:
				in.System = cfg.Systems[rng.IntN(len(cfg.Systems))].ID
				in.Team = "late-team"
			case 2:
				c := changes[rng.IntN(2*written)]
				in.CausedByChange = &record.Ref{Source: c.Source, ID: c.ID}
			case 3:
				d := in.OpenedAt.Add(time.Duration(rng.IntN(400)) * time.Hour)
				in.Review = &record.Review{CompletedAt: &d}
			case 4:
				a := in.OpenedAt.Add(-time.Duration(rng.IntN(60)) * time.Minute) // acknowledged before opened
				in.AcknowledgedAt = &a
			case 5:
				c := in.OpenedAt.Add(time.Duration(rng.IntN(96)) * time.Hour) // closed, never resolved
				in.ResolvedAt, in.ClosedAt = nil, &c
			case 6: // a collector estimated a time
				in.Estimated = [][]string{{"opened_at"}, {"resolved_at"}, {"closed_at"}, {"acknowledged_at"}}[rng.IntN(4)]
			case 7: // a sign-off by someone else, later, or none
				if in.Review != nil && len(in.Review.Signoffs) > 0 {
					rv := *in.Review
					rv.Signoffs = slices.Clone(rv.Signoffs)
					j := rng.IntN(len(rv.Signoffs))
					switch rng.IntN(3) {
					case 0:
						rv.Signoffs[j].Person = people[rng.IntN(len(people))].ID
					case 1:
						rv.Signoffs[j].At = rv.Signoffs[j].At.Add(time.Duration(rng.IntN(300)) * time.Hour)
					default:
						rv.Signoffs = slices.Delete(rv.Signoffs, j, j+1)
					}
					in.Review = &rv
				}
			case 8: // action items, with and without a due
				d := in.OpenedAt.Add(time.Duration(rng.IntN(300)) * time.Hour)
				rv := &record.Review{CompletedAt: &d}
				for j := range 1 + rng.IntN(3) {
					a := record.Action{ID: fmt.Sprint(j)}
					if rng.IntN(2) == 0 {
						due := d.Add(time.Duration(rng.IntN(400)) * time.Hour)
						a.Due = &due
					}
					if rng.IntN(3) > 0 {
						done := d.Add(time.Duration(rng.IntN(600)-100) * time.Hour)
						a.DoneAt = &done
					}
					rv.Actions = append(rv.Actions, a)
				}
				in.Review = rv
			case 9: // the cause is resolved, or not, at another time
				c := changes[rng.IntN(2*written)]
				in.CausedByChange = &record.Ref{Source: c.Source, ID: c.ID}
				if c.FinishedAt != nil {
					in.OpenedAt = c.FinishedAt.Add(time.Duration(rng.IntN(48)-8) * time.Hour)
					in.ImpactStartedAt, in.AcknowledgedAt, in.MitigatedAt, in.Review = nil, nil, nil, nil
					in.ResolvedAt, in.ClosedAt = nil, nil
					if rng.IntN(4) > 0 {
						r := in.OpenedAt.Add(time.Duration(rng.IntN(72)) * time.Hour)
						in.ResolvedAt = &r
					}
				}
			}
			b.Incidents = append(b.Incidents, in)
			c := changes[rng.IntN(2*written)]
			if c.FinishedAt != nil {
				c.Outcome = []record.Outcome{record.OutcomeSuccess, record.OutcomeFailed, record.OutcomeRolledBack, record.OutcomeCancelled}[rng.IntN(4)]
				if rng.IntN(8) == 0 {
					c.Estimated = []string{"finished_at"}
				}
				if c.CreatedAt != nil && rng.IntN(3) == 0 {
					s := c.CreatedAt.Add(-time.Hour) // work started before the change was requested
					c.StartedAt = &s
					if rng.IntN(2) == 0 {
						c.Estimated = []string{"created_at"}
					}
				}
				b.Changes = append(b.Changes, c)
			}
		}
		for k := rng.IntN(40); k > 0 && len(responses) > 0; k-- {
			b.Feedback = append(b.Feedback, responses[0])
			responses = responses[1:]
		}
		e.take(b.Incidents, b.Changes, true)
		e.fb.mu.Lock()
		for i := range b.Feedback {
			e.fb.put(&b.Feedback[i])
		}
		e.fb.gen++
		e.fb.mu.Unlock()
		n.put(b)
		e.st.minRebuild = 1000 // rebuild the time index now and then
		if step == 30 {
			// a reload that moves an owner's start: attribution follows it
			fixed, err := config.Parse(generate.Config(o))
			require.NoError(t, err)
			fixed.Policy.Availability.DegradedWeight = 0.5
			fixed.Policy.Review.Signoff = []string{record.RoleProcessOwner, record.RoleSystemOwner}
			fixed.Policy.Review.ActionDue = 0
			fixed.Policy.ChangeFailureFromIncidents = false
			for i := range fixed.Systems {
				if s := &fixed.Systems[i]; len(s.Owners) > 1 {
					s.Owners[1].Since = s.Owners[1].Since.Add(-20 * 24 * time.Hour)
					break
				}
			}
			cfg = fixed
			n.cfg = cfg
		}
		st, _, done, err := e.read(ctx)
		require.NoError(t, err)
		subjects := slices.Clone(st.m.subj.list)
		done()
		for range 12 {
			sub := subjects[rng.IntN(len(subjects))]
			if rng.IntN(4) == 0 {
				sub = Subject{RoleGlobal, GlobalSubject}
			}
			at := o.From.Add(time.Duration(rng.Int64N(int64(span + 30*24*time.Hour)))).Truncate(time.Duration(1+rng.IntN(3)) * time.Second)
			length := windows[rng.IntN(len(windows))]
			s, err := e.Evaluate(ctx, Query{At: at, Windows: []config.Window{{Name: "w", Duration: length}}, Role: sub.Role, Subject: sub.ID})
			require.NoError(t, err)
			require.Len(t, s.Cards["w"], 1)
			c := s.Cards["w"][0]
			for _, pair := range []struct {
				got  Values
				at   time.Time
				name string
			}{{c.Value, at, "value"}, {c.Previous, at.Add(-length), "previous"}} {
				want := n.values(sub, pair.at, length)
				if pair.name == "value" {
					require.Equal(t, n.sums, c.Summaries, "step %d %s at %s over %s: summaries", step, sub, pair.at, length)
				}
				for _, k := range c.Defined {
					if math.IsNaN(want[k]) && math.IsNaN(pair.got[k]) {
						continue
					}
					if want[k] != 0 {
						seen[k]++
					}
					if k == SatisfactionStakeholder || k == SatisfactionEmployee {
						// sums of fractions: the naive adds in map order
						require.InDelta(t, want[k], pair.got[k], 1e-12, "step %d %s %s at %s over %s: %s", step, sub, pair.name, pair.at, length, k.Name())
						continue
					}
					require.Equal(t, want[k], pair.got[k], "step %d %s %s at %s over %s: %s", step, sub, pair.name, pair.at, length, k.Name())
				}
			}
			compared++
		}
		if step%10 == 9 {
			// every subject at once (the path of snapshots and backfills),
			// at a time with microseconds (the engine's clock)
			at := o.From.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Microsecond)
			s, err := e.At(ctx, at)
			require.NoError(t, err)
			for _, w := range cfg.Windows {
				for _, c := range s.Cards[w.Name] {
					want := n.values(c.Subject, at, w.Duration)
					require.Equal(t, n.sums, c.Summaries, "step %d %s at %s over %s: summaries", step, c.Subject, at, w.Name)
					for _, k := range c.Defined {
						switch {
						case math.IsNaN(want[k]) && math.IsNaN(c.Value[k]):
						case k == SatisfactionStakeholder || k == SatisfactionEmployee:
							require.InDelta(t, want[k], c.Value[k], 1e-12, "step %d %s at %s over %s: %s", step, c.Subject, at, w.Name, k.Name())
						default:
							require.Equal(t, want[k], c.Value[k], "step %d %s at %s over %s: %s", step, c.Subject, at, w.Name, k.Name())
						}
					}
					compared++
				}
			}
		}
	}
	require.Greater(t, compared, 500)
	for _, k := range []KPI{FailedDeploymentRecovery, ReviewActionsOpen, ReviewActionsOverdue, ReviewComplianceRatio, ReviewsOverdue} {
		assert.Greater(t, seen[k], 20, "%s: too few comparisons with a value", k.Name())
	}
}

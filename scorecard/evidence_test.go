package scorecard

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/record"
)

// scenarioEngine is an engine over the golden scenario, prepared as
// prepare would leave it, without a store.
func scenarioEngine(t *testing.T) *Engine {
	t.Helper()
	cfg, x := loadScenario(t)
	return preparedEngine(cfg, x)
}

func preparedEngine(cfg *config.Config, x *index) *Engine {
	e := New(Options{Config: func() *config.Config { return cfg }})
	e.x = x
	return e
}

type evidenceKeys struct {
	incidents, changes, systems []string
}

func keysOf(ev *Evidence) evidenceKeys {
	k := evidenceKeys{incidents: []string{}, changes: []string{}, systems: []string{}}
	for _, in := range ev.Incidents {
		k.incidents = append(k.incidents, in.ID)
	}
	for _, c := range ev.Changes {
		k.changes = append(k.changes, c.ID)
	}
	for _, s := range ev.Systems {
		k.systems = append(k.systems, s.ID)
	}
	return k
}

// The evidence of the golden scenario's window, by subject, checked by hand
// against the story in scenario_test.go.
func TestEvidenceScenario(t *testing.T) {
	e := scenarioEngine(t)
	from, to := ts("2026-01-01T00:00:00Z"), ts("2026-01-11T00:00:00Z")
	subjects := []Subject{
		{RoleSystem, "api"}, {RoleSystemOwner, "alice"}, {RoleSystemOwner, "bob"}, {RoleSystemOwner, "carol"},
		{RoleGlobal, GlobalSubject}, {RoleProcessManager, "guy"}, {RoleTeam, "desk"}, {RoleSystem, "nope"},
	}
	got, err := e.Evidence(context.Background(), subjects, from, to)
	require.NoError(t, err)
	assert.NotContains(t, got, Subject{RoleSystem, "nope"})

	want := map[Subject]evidenceKeys{
		{RoleSystem, "api"}:         {[]string{"I1", "I2", "I3"}, []string{"C2", "C1", "C4"}, []string{"api"}},
		{RoleSystemOwner, "alice"}:  {[]string{"I1", "I2"}, []string{"C2", "C1"}, []string{"api"}},
		{RoleSystemOwner, "bob"}:    {[]string{"I3"}, []string{"C4"}, []string{"api"}},
		{RoleSystemOwner, "carol"}:  {[]string{"I4"}, []string{"C3"}, []string{"db"}},
		{RoleGlobal, GlobalSubject}: {[]string{"I1", "I2", "I5", "I3", "I4"}, []string{"C2", "C1", "C6", "C3", "C4"}, []string{"api", "db", "web"}},
		{RoleProcessManager, "guy"}: {[]string{"I4"}, []string{}, []string{"db"}},
		{RoleTeam, "desk"}:          {[]string{"I1", "I5"}, []string{"C1"}, []string{}},
	}
	for s, w := range want {
		require.Contains(t, got, s)
		assert.Equal(t, w, keysOf(got[s]), s.String())
	}

	api := got[Subject{RoleSystem, "api"}]
	i1, i2, i3 := api.Incidents[0], api.Incidents[1], api.Incidents[2]
	assert.Equal(t, 7200.0, *i1.TTRSeconds)
	assert.Equal(t, 14400.0, *i1.SLATargetSeconds)
	assert.False(t, i1.SLABreached)
	assert.Equal(t, ReviewOnTime, i1.ReviewStatus)
	assert.Equal(t, ts("2026-01-03T02:00:00Z"), *i1.ReviewDue)
	assert.Equal(t, &record.Ref{Source: "api", ID: "C2"}, i1.CausedByChange)
	assert.Equal(t, ReviewMissing, i2.ReviewStatus)
	assert.True(t, i2.ReviewOverdueAtEnd)
	assert.True(t, i2.ReviewDueInPeriod)
	assert.Equal(t, "api", i3.System, "the alias resolves to the system id")
	assert.True(t, i3.Attributed)
	assert.Nil(t, i3.SLATargetSeconds, "severity 3 has no SLA target")
	assert.False(t, i3.ReviewRequired)
	assert.Equal(t, 36000.0, *i3.TTRSeconds)

	c2 := api.Changes[0]
	assert.True(t, c2.Failed)
	assert.True(t, c2.FailedByIncident)
	assert.Equal(t, "success", c2.Outcome)
	assert.Equal(t, []record.Ref{{Source: "api", ID: "I1"}}, c2.CausedIncidents)
	assert.Equal(t, 10800.0, *c2.LeadTimeSeconds)
	assert.False(t, c2.Authorized)
	assert.False(t, api.Changes[1].Failed)
	assert.Nil(t, api.Changes[2].LeadTimeSeconds, "C4 has no created_at")

	sys := api.Systems[0]
	assert.Equal(t, "bob", sys.OwnerAtEnd)
	assert.Equal(t, []OwnerChange{{At: ts("2026-01-06T00:00:00Z"), From: "alice", To: "bob"}}, sys.OwnerChanges)
	assert.Equal(t, 28800.0, sys.DowntimeSeconds, "3 h outage plus half of 10 h degraded")
	assert.Equal(t, "checkout", sys.Program)

	alice := got[Subject{RoleSystemOwner, "alice"}].Systems[0]
	assert.Equal(t, []Span{{ts("2026-01-01T00:00:00Z"), ts("2026-01-06T00:00:00Z")}}, alice.Owned)
	assert.Equal(t, 10800.0, alice.DowntimeSeconds)
	bob := got[Subject{RoleSystemOwner, "bob"}].Systems[0]
	assert.Equal(t, []Span{{ts("2026-01-06T00:00:00Z"), ts("2026-01-11T00:00:00Z")}}, bob.Owned)
	assert.Equal(t, 18000.0, bob.DowntimeSeconds)

	carol := got[Subject{RoleSystemOwner, "carol"}]
	i4 := carol.Incidents[0]
	assert.True(t, i4.OpenAtEnd)
	assert.Nil(t, i4.ResolvedAt)
	assert.Equal(t, ReviewNotDue, i4.ReviewStatus)
	assert.True(t, carol.Changes[0].Failed)
	assert.False(t, carol.Changes[0].FailedByIncident)
	assert.Equal(t, 14400.0, carol.Systems[0].DowntimeSeconds)

	global := got[Subject{RoleGlobal, GlobalSubject}]
	assert.False(t, global.Incidents[2].Attributed, "I5 names an unknown system")
	assert.Equal(t, "ghost", global.Incidents[2].System)
	assert.False(t, global.Changes[2].Attributed)
	assert.Equal(t, "", global.Systems[2].OwnerAtEnd, "web has no owner")
}

// The counts of the evidence agree with the KPIs of the same window for
// every subject of the scenario.
func TestEvidenceAgreesWithKPIs(t *testing.T) {
	e := scenarioEngine(t)
	from, to := ts("2026-01-01T00:00:00Z"), ts("2026-01-11T00:00:00Z")
	s, err := e.Period(context.Background(), "p", from, to)
	require.NoError(t, err)
	var subjects []Subject
	for _, c := range s.Cards["p"] {
		subjects = append(subjects, c.Subject)
	}
	got, err := e.Evidence(context.Background(), subjects, from, to)
	require.NoError(t, err)
	for _, c := range s.Cards["p"] {
		ev := got[c.Subject]
		var completed, failed, opened, resolved, open, breached, overdue int
		for _, ch := range ev.Changes {
			if ch.Completed {
				completed++
			}
			if ch.Failed {
				failed++
			}
		}
		for _, in := range ev.Incidents {
			if in.OpenedInPeriod {
				opened++
			}
			if in.ResolvedInPeriod {
				resolved++
				if in.SLABreached {
					breached++
				}
			}
			if in.OpenAtEnd {
				open++
			}
			if in.ReviewOverdueAtEnd {
				overdue++
			}
		}
		assert.Equal(t, c.Value[ChangesCompleted], float64(completed), "%s completed", c.Subject)
		assert.Equal(t, c.Value[ChangesFailed], float64(failed), "%s failed", c.Subject)
		assert.Equal(t, c.Value[IncidentsOpened], float64(opened), "%s opened", c.Subject)
		assert.Equal(t, c.Value[IncidentsResolved], float64(resolved), "%s resolved", c.Subject)
		assert.Equal(t, c.Value[IncidentsOpen], float64(open), "%s open", c.Subject)
		assert.Equal(t, c.Value[ReviewsOverdue], float64(overdue), "%s overdue", c.Subject)
	}
}

func TestPeriodAndTrend(t *testing.T) {
	e := scenarioEngine(t)
	from, to := ts("2026-01-01T00:00:00Z"), ts("2026-01-11T00:00:00Z")
	s, err := e.Period(context.Background(), "2026-01-01/2026-01-11", from, to)
	require.NoError(t, err)
	api := card(t, s, "2026-01-01/2026-01-11", RoleSystem, "api")
	assert.InDelta(t, 16800, api.Value[MTTR], 1e-9, "the ad-hoc window equals the configured 10d one")
	assert.InDelta(t, 100*0.5/3, api.Score, 1e-9)
	carol := card(t, s, "2026-01-01/2026-01-11", RoleSystemOwner, "carol")
	prev := carol.PreviousCard(s.Objectives)
	assert.InDelta(t, 3600, prev.Value[MTTR], 1e-9)
	assert.Equal(t, StatusMeets, prev.Status[MTTR])

	_, err = (&Engine{}).Period(context.Background(), "x", to, from)
	require.ErrorContains(t, err, "is not before end")

	// two 5-day buckets: I1, I2 resolved in the first, I3 in the second
	ats := []time.Time{ts("2026-01-06T00:00:00Z"), to}
	vals, err := e.Trend(context.Background(), []Subject{{RoleSystem, "api"}}, 5*24*time.Hour, ats)
	require.NoError(t, err)
	got := vals[Subject{RoleSystem, "api"}]
	assert.Equal(t, 7200.0, got[0][MTTR])
	assert.Equal(t, 36000.0, got[1][MTTR])
}

// On generated data with sign-offs required, the evidence behind the KPIs
// SPEC 4 added gives back their values: means of the durations it lists,
// counts of the records it marks.
func TestEvidenceAgreesWithAccountabilityKPIs(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 20, 15, 2000, 4000
	cfg, x, _, _ := generated(t, o)
	cfg.Policy.Review.Signoff = []string{record.RoleSystemOwner, record.RoleProgramManager}
	e := preparedEngine(cfg, x)
	for _, f := range generate.Feedback(cfg, o) {
		e.fb.put(&f)
	}
	e.fb.gen++
	ctx := context.Background()
	from, to := o.To.Add(-30*24*time.Hour), o.To
	s, err := e.Period(ctx, "p", from, to)
	require.NoError(t, err)
	var subjects []Subject
	for _, c := range s.Cards["p"] {
		subjects = append(subjects, c.Subject)
	}
	got, err := e.Evidence(ctx, subjects, from, to)
	require.NoError(t, err)
	mean := func(sum float64, n int) float64 {
		if n == 0 {
			return math.NaN()
		}
		return sum / float64(n)
	}
	valued := map[KPI]int{}
	for _, c := range s.Cards["p"] {
		ev := got[c.Subject]
		var detect, mitigate, recovery, approval, satisfaction [2]float64 // sum, count
		var security, due, onTime, actionsOpen, actionsOverdue, completed, planned, onSchedule, rework int
		var responses [2]int
		for _, in := range ev.Incidents {
			if in.OpenedInPeriod && in.Security {
				security++
			}
			if in.OpenedInPeriod && in.DetectSeconds != nil {
				detect[0] += *in.DetectSeconds
				detect[1]++
			}
			if in.MitigatedInPeriod && in.MitigateSeconds != nil {
				mitigate[0] += *in.MitigateSeconds
				mitigate[1]++
			}
			if in.ReviewDueInPeriod {
				due++
				if in.ReviewStatus == ReviewOnTime {
					onTime++
				}
			}
			actionsOpen += in.ActionsOpenAtEnd
			actionsOverdue += in.ActionsOverdueAtEnd
		}
		for _, ch := range ev.Changes {
			if ch.RecoveredInPeriod {
				recovery[0] += *ch.RecoverySeconds
				recovery[1]++
			}
			if !ch.Completed {
				continue
			}
			completed++
			if ch.ApprovalSeconds != nil {
				approval[0] += *ch.ApprovalSeconds
				approval[1]++
			}
			if ch.OnSchedule != nil {
				planned++
				if *ch.OnSchedule {
					onSchedule++
				}
			}
			if ch.Rework {
				rework++
			}
		}
		for _, f := range ev.Feedback {
			a := 0
			if f.Audience == string(record.AudienceEmployee) {
				a = 1
			}
			responses[a]++
			satisfaction[a] += f.Satisfaction
		}
		want := map[KPI]float64{
			SecurityIncidents: float64(security), MTTD: mean(detect[0], int(detect[1])), TimeToMitigate: mean(mitigate[0], int(mitigate[1])),
			ReviewComplianceRatio: mean(float64(onTime), due), ReviewActionsOpen: float64(actionsOpen), ReviewActionsOverdue: float64(actionsOverdue),
			FailedDeploymentRecovery: mean(recovery[0], int(recovery[1])), ChangeApprovalSeconds: mean(approval[0], int(approval[1])),
			ChangeScheduleAdherenceRatio: mean(float64(onSchedule), planned), ReworkRatio: mean(float64(rework), completed),
			FeedbackStakeholder: float64(responses[0]), FeedbackEmployee: float64(responses[1]),
			SatisfactionStakeholder: mean(satisfaction[0], responses[0]), SatisfactionEmployee: mean(satisfaction[1], responses[1]),
		}
		for k, w := range want {
			if !slices.Contains(c.Defined, k) {
				continue
			}
			if math.IsNaN(w) {
				assert.True(t, math.IsNaN(c.Value[k]), "%s %s: %v", c.Subject, k.Name(), c.Value[k])
				continue
			}
			assert.InDelta(t, w, c.Value[k], 1e-6, "%s %s", c.Subject, k.Name())
			if w != 0 {
				valued[k]++
			}
		}
	}
	for _, k := range []KPI{SecurityIncidents, MTTD, TimeToMitigate, ReviewComplianceRatio, ReviewActionsOpen, ReviewActionsOverdue,
		FailedDeploymentRecovery, ChangeApprovalSeconds, ChangeScheduleAdherenceRatio, ReworkRatio, FeedbackStakeholder, SatisfactionEmployee} {
		assert.Positive(t, valued[k], "%s is never checked with a value", k.Name())
	}
}

// The evidence names the times a collector estimated and the durations
// left out for them (SPEC 4, Times), and those are exactly the records
// the duration KPIs leave out.
func TestEvidenceMarksEstimatedTimes(t *testing.T) {
	cfg, err := config.Parse([]byte(edgeConfig))
	require.NoError(t, err)
	day := func(h int) *time.Time { v := ts("2026-02-09T00:00:00Z").Add(time.Duration(h) * time.Hour); return &v }
	inc := func(id string, opened int, est []string, f func(*record.Incident)) record.Incident {
		in := record.Incident{ID: id, Source: "api", System: "s", Severity: 3, Impact: record.ImpactNone, OpenedAt: *day(opened), Estimated: est}
		f(&in)
		return in
	}
	chg := func(id string, est []string, f func(*record.Change)) record.Change {
		c := record.Change{ID: id, Source: "api", System: "s", Type: record.TypeNormal, Environment: "production", Outcome: record.OutcomeSuccess,
			Authorized: true, CreatedAt: day(-48), FinishedAt: day(10), Estimated: est}
		if f != nil {
			f(&c)
		}
		return c
	}
	incidents := []record.Incident{
		inc("plain", 1, nil, func(in *record.Incident) { in.AcknowledgedAt, in.ResolvedAt = day(2), day(3) }),
		inc("opened", 1, []string{"opened_at"}, func(in *record.Incident) {
			in.AcknowledgedAt, in.MitigatedAt, in.ResolvedAt, in.ImpactStartedAt = day(2), day(3), day(5), day(0)
		}),
		inc("closed", 2, []string{"closed_at"}, func(in *record.Incident) { in.ClosedAt = day(4) }), // closed_at stands in
		inc("closed-late", 2, []string{"closed_at"}, func(in *record.Incident) { in.ResolvedAt, in.ClosedAt = day(6), day(20) }),
		inc("ack", 3, []string{"acknowledged_at"}, func(in *record.Incident) { in.AcknowledgedAt, in.ResolvedAt = day(4), day(7) }),
	}
	changes := []record.Change{
		chg("plain", nil, nil),
		chg("created", []string{"created_at"}, func(c *record.Change) { c.ApprovedAt = day(-24) }),
		chg("started", []string{"started_at"}, func(c *record.Change) { c.StartedAt = day(9) }),
	}
	x := newIndex()
	for i := range incidents {
		x.putIncident(&incidents[i])
	}
	for i := range changes {
		x.putChange(&changes[i])
	}
	e := preparedEngine(cfg, x)
	from, to := ts("2026-02-09T00:00:00Z"), ts("2026-02-10T00:00:00Z")
	s := Subject{RoleSystem, "s"}
	evs, err := e.Evidence(context.Background(), []Subject{s}, from, to)
	require.NoError(t, err)
	type marks struct {
		estimated, leftOut []string
		duration           bool // the row has its time to restore or lead time
	}
	gotInc := map[string]marks{}
	for _, in := range evs[s].Incidents {
		gotInc[in.ID] = marks{in.Estimated, in.LeftOut, in.TTRSeconds != nil}
	}
	assert.Equal(t, map[string]marks{
		"plain":       {nil, nil, true},
		"opened":      {[]string{"opened_at"}, []string{"time_to_restore", "time_to_acknowledge", "time_to_mitigate", "time_to_detect"}, false},
		"closed":      {[]string{"closed_at"}, []string{"time_to_restore"}, false},
		"closed-late": {[]string{"closed_at"}, nil, true}, // resolved_at gives the time to restore
		"ack":         {[]string{"acknowledged_at"}, []string{"time_to_acknowledge"}, true},
	}, gotInc)
	gotChg := map[string]marks{}
	for _, c := range evs[s].Changes {
		gotChg[c.ID] = marks{c.Estimated, c.LeftOut, c.LeadTimeSeconds != nil}
	}
	assert.Equal(t, map[string]marks{
		"plain":   {nil, nil, true},
		"created": {[]string{"created_at"}, []string{"lead_time", "approval_time"}, false},
		"started": {[]string{"started_at"}, nil, true},
	}, gotChg)

	// the rows with a duration are the populations the KPIs count
	c := card(t, snapshot(cfg, x, to), "1d", RoleSystem, "s")
	var ttrs, leads []float64
	for _, in := range evs[s].Incidents {
		if in.ResolvedInPeriod && in.TTRSeconds != nil {
			ttrs = append(ttrs, *in.TTRSeconds)
		}
	}
	for _, ch := range evs[s].Changes {
		if ch.LeadTimeSeconds != nil {
			leads = append(leads, *ch.LeadTimeSeconds)
		}
	}
	sum := func(vs []float64) (s float64) {
		for _, v := range vs {
			s += v
		}
		return s
	}
	assert.Equal(t, Summary{Count: len(ttrs), Sum: sum(ttrs)}, c.Summaries.TimeToRestore)
	assert.Equal(t, Summary{Count: len(leads), Sum: sum(leads)}, c.Summaries.ChangeLeadTime)
	assert.Equal(t, sum(ttrs)/float64(len(ttrs)), c.Value[MTTR])
	assert.Equal(t, 5.0, c.Value[IncidentsResolved], "estimated times still count everywhere else")
}

package scorecard

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// Hand-computed values of the KPIs SPEC 4 added, over the 10 days before
// 2026-03-11, for one system, with their edge cases: a duration on an
// estimated time counts in no mean, a change finished exactly at its
// planned end is on schedule, a closed incident stands resolved at
// closed_at.
func TestAccountabilityKPIs(t *testing.T) {
	cfg, err := config.Parse([]byte(`
windows: [10d]
systems: [{id: api}]
policy: {security_categories: [security, fraud], sla: {"2": 4h}}
`))
	require.NoError(t, err)
	at := time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)
	d := func(day, hour int) *time.Time { v := time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC); return &v }
	change := func(id string, created, approved, plannedEnd, finished *time.Time, rework bool, estimated ...string) record.Change {
		return record.Change{ID: id, Source: "t", System: "api", Type: record.TypeNormal, Environment: "production",
			Outcome: record.OutcomeSuccess, Authorized: true, CreatedAt: created, ApprovedAt: approved, PlannedEnd: plannedEnd,
			FinishedAt: finished, Rework: rework, Estimated: estimated}
	}
	incident := func(id, category string, impact, opened, mitigated, resolved, closed *time.Time, estimated ...string) record.Incident {
		return record.Incident{ID: id, Source: "t", System: "api", Severity: 2, Impact: record.ImpactNone, Category: category,
			ImpactStartedAt: impact, OpenedAt: *opened, MitigatedAt: mitigated, ResolvedAt: resolved, ClosedAt: closed, Estimated: estimated}
	}
	b := record.Batch{
		Changes: []record.Change{
			// approved 2 h after its request, finished 1 h late
			change("C1", d(2, 0), d(2, 2), d(3, 0), d(3, 1), false),
			// approved after 6 h, finished exactly at its planned end: on schedule
			change("C2", d(4, 0), d(4, 6), d(5, 0), d(5, 0), true),
			// its request time is an estimate: no approval time; no plan
			change("C3", d(6, 0), d(6, 1), nil, d(6, 4), false, "created_at"),
			// started before it was requested: retroactive
			func() record.Change {
				c := change("C4", d(7, 0), nil, nil, d(7, 2), true)
				c.StartedAt = d(6, 22)
				return c
			}(),
		},
		Incidents: []record.Incident{
			// security: impact 1 h before opening, mitigated after 1 h,
			// resolved after 3 h
			incident("I1", "security", d(2, 9), d(2, 10), d(2, 11), d(2, 13), nil),
			// fraud is a security category; closed, never resolved: restored at closed_at (5 h)
			incident("I2", "fraud", nil, d(3, 10), nil, nil, d(3, 15)),
			// security, but its opening time is an estimate: counted, no TTR, no TTD, no TTM
			incident("I3", "security", d(4, 8), d(4, 10), d(4, 11), d(4, 12), nil, "opened_at"),
			// not security; impact 3 h before opening; mitigated after 2 h
			incident("I4", "availability", d(5, 7), d(5, 10), d(5, 12), d(5, 20), nil),
		},
	}
	fb := func(id string, audience record.Audience, score, lo, hi float64, day int) record.Feedback {
		return record.Feedback{ID: id, Source: "t", System: "api", Audience: audience, Score: score, ScaleMin: lo, ScaleMax: hi, SubmittedAt: *d(day, 12)}
	}
	b.Feedback = []record.Feedback{
		fb("F1", record.AudienceStakeholder, 4, 1, 5, 2),  // 0.75
		fb("F2", record.AudienceStakeholder, 8, 0, 10, 3), // another scale: 0.8
		fb("F3", record.AudienceEmployee, 3, 1, 5, 4),     // 0.5
		fb("F4", record.AudienceStakeholder, 1, 1, 5, 20), // after the window
		{ID: "F5", Source: "t", Team: "ops", Audience: record.AudienceEmployee, Score: 5, ScaleMin: 1, ScaleMax: 5, SubmittedAt: *d(5, 0)},
	}
	e := storedEngine(t, cfg, b)
	ctx := context.Background()
	snap, err := e.At(ctx, at)
	require.NoError(t, err)
	c := snap.Find("10d", RoleSystem, "api")
	require.Len(t, c, 1)
	v := c[0].Value
	h := 3600.0
	for k, want := range map[KPI]float64{
		ChangesCompleted:             4,
		ChangeApprovalSeconds:        (2*h + 6*h) / 2, // C1, C2; C3's request time is estimated
		ChangeScheduleAdherenceRatio: 1.0 / 2,         // C2 on time, C1 an hour late; C3, C4 have no plan
		ReworkRatio:                  2.0 / 4,
		RetroactiveChanges:           1,
		SecurityIncidents:            3,
		SecurityMTTR:                 (3*h + 5*h) / 2, // I1, I2 (closed); I3's TTR is on an estimate
		MTTR:                         (3*h + 5*h + 10*h) / 3,
		IncidentsResolved:            4,
		IncidentsOpen:                0,
		MTTD:                         (1*h + 3*h) / 2, // I1, I4; I3 opened on an estimate
		TimeToMitigate:               (1*h + 2*h) / 2,
		SLABreachRatio:               2.0 / 3, // of I1 (3 h), I2 (5 h), I4 (10 h) against 4 h
		FeedbackStakeholder:          2,
		SatisfactionStakeholder:      (0.75 + 0.8) / 2,
		FeedbackEmployee:             1,
		SatisfactionEmployee:         0.5,
		FeedbackResponses:            3, // F5 is about a team
	} {
		assert.InDelta(t, want, v[k], 1e-9, k.Name())
	}
	// how many records carry an estimated time: the global subject's
	g := snap.Find("10d", RoleGlobal, GlobalSubject)
	require.Len(t, g, 1)
	assert.Equal(t, 1.0, g[0].Value[EstimatedIncidents])
	assert.Equal(t, 1.0, g[0].Value[EstimatedChanges])
	assert.Equal(t, 4.0, g[0].Value[FeedbackResponses], "every response counts for global")
	assert.InDelta(t, (0.5+1)/2, g[0].Value[SatisfactionEmployee], 1e-12)
}

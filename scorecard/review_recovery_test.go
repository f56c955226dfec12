package scorecard

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// march is an hour of a day of March 2026, UTC.
func march(day, hour int) *time.Time {
	v := time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC)
	return &v
}

// valueAt evaluates one subject's KPI over a window ending at `at`.
func valueAt(t *testing.T, e *Engine, at time.Time, window time.Duration, role Role, id string, k KPI) float64 {
	t.Helper()
	s, err := e.Evaluate(context.Background(), Query{At: at, Windows: []config.Window{{Name: "w", Duration: window}}, Role: role, Subject: id})
	require.NoError(t, err)
	c := s.Find("w", role, id)
	require.Len(t, c, 1)
	return c[0].Value[k]
}

// Hand-computed failed deployment recovery times (SPEC 4, Recovery): a
// failed change recovered by a later success of its system (named by an
// alias), one recovered by the resolution of the incidents it caused
// rather than by an earlier success, a success counted failed through two
// incidents (one closed, never resolved), a recovery before the change
// finished, one on an estimated time, and the answer at earlier
// evaluation times, before and after the incident was opened.
func TestFailedDeploymentRecovery(t *testing.T) {
	cfg, err := config.Parse([]byte(`
windows: [10d]
systems: [{id: api, aliases: [API1]}, {id: web}]
`))
	require.NoError(t, err)
	change := func(id, system string, outcome record.Outcome, finished *time.Time, estimated ...string) record.Change {
		return record.Change{ID: id, Source: "t", System: system, Type: record.TypeNormal, Environment: "production",
			Outcome: outcome, Authorized: true, FinishedAt: finished, Estimated: estimated}
	}
	incident := func(id, cause string, opened, resolved, closed *time.Time) record.Incident {
		return record.Incident{ID: id, Source: "t", System: "api", Severity: 3, Impact: record.ImpactNone, OpenedAt: *opened,
			ResolvedAt: resolved, ClosedAt: closed, CausedByChange: &record.Ref{Source: "t", ID: cause}}
	}
	b := record.Batch{
		Changes: []record.Change{
			change("F1", "api", record.OutcomeFailed, march(2, 0)),
			change("S1", "API1", record.OutcomeSuccess, march(2, 3)), // recovers F1 after 3 h
			change("F2", "api", record.OutcomeRolledBack, march(4, 0)),
			change("S2", "api", record.OutcomeSuccess, march(4, 2)), // recovers F2 until I1 is opened
			change("C3", "api", record.OutcomeSuccess, march(6, 0)), // failed through I2 and I3
			change("F4", "web", record.OutcomeFailed, march(7, 0)),
			change("F5", "web", record.OutcomeFailed, march(8, 0)),  // its incident is never resolved
			change("S5", "web", record.OutcomeSuccess, march(8, 2)), // recovers F4 after 26 h, not F5
			change("F6", "api", record.OutcomeFailed, march(9, 0)),
			change("S6", "api", record.OutcomeSuccess, march(9, 1), "finished_at"), // an estimate: F6 left out
			change("C8", "api", record.OutcomeRolledBack, march(5, 10)),
			change("F7", "legacy", record.OutcomeFailed, march(3, 0)),
			change("S7", "elsewhere", record.OutcomeSuccess, march(3, 1)), // another unknown system
			change("S8", "legacy", record.OutcomeSuccess, march(3, 2)),    // recovers F7 after 2 h
			{ID: "S9", Source: "t", System: "api", Type: record.TypeNormal, Environment: "staging", Outcome: record.OutcomeSuccess, Authorized: true, FinishedAt: march(2, 1)},
		},
		Incidents: []record.Incident{
			incident("I1", "F2", march(4, 6), march(4, 9), nil), // F2 recovered at 09:00, 9 h
			incident("I2", "C3", march(6, 1), march(6, 4), nil),
			incident("I3", "C3", march(6, 2), nil, march(6, 7)), // closed: C3 recovered at 07:00, 7 h
			incident("I4", "F5", march(8, 1), nil, nil),
			incident("I5", "C8", march(5, 8), march(5, 9), nil), // before C8 finished: 0
		},
	}
	e := storedEngine(t, cfg, b)
	h := 3600.0
	at := *march(11, 0)
	ten := 10 * 24 * time.Hour
	assert.InDelta(t, (3*h+9*h+7*h+0)/4, valueAt(t, e, at, ten, RoleSystem, "api", FailedDeploymentRecovery), 1e-9)
	assert.InDelta(t, 26*h, valueAt(t, e, at, ten, RoleSystem, "web", FailedDeploymentRecovery), 1e-9)
	assert.InDelta(t, (3*h+9*h+7*h+0+26*h+2*h)/6, valueAt(t, e, at, ten, RoleGlobal, GlobalSubject, FailedDeploymentRecovery), 1e-9)
	// before I1 was opened, S2 recovered F2 after 2 h
	assert.InDelta(t, (3*h+2*h)/2, valueAt(t, e, *march(4, 4), ten, RoleSystem, "api", FailedDeploymentRecovery), 1e-9)
	// once I1 is open, F2 waits for its resolution, after the window
	assert.InDelta(t, 3*h, valueAt(t, e, *march(4, 8), ten, RoleSystem, "api", FailedDeploymentRecovery), 1e-9)
	// nothing recovered in a window: no value
	assert.True(t, math.IsNaN(valueAt(t, e, *march(2, 2), time.Hour, RoleSystem, "api", FailedDeploymentRecovery)))

	// the evidence names each recovery and what it took
	evs, err := e.Evidence(context.Background(), []Subject{{RoleSystem, "api"}}, at.Add(-ten), at)
	require.NoError(t, err)
	recovered := map[string]float64{}
	for _, c := range evs[Subject{RoleSystem, "api"}].Changes {
		if c.RecoveredInPeriod {
			recovered[c.ID] = *c.RecoverySeconds
		}
	}
	assert.Equal(t, map[string]float64{"F1": 3 * h, "F2": 9 * h, "C3": 7 * h, "C8": 0}, recovered)

	// without change_failure_from_incidents C3 has not failed; F2 and C8
	// still recover through their incidents
	cfg.Policy.ChangeFailureFromIncidents = false
	e = storedEngine(t, cfg, b)
	assert.InDelta(t, (3*h+9*h+0)/3, valueAt(t, e, at, ten, RoleSystem, "api", FailedDeploymentRecovery), 1e-9)
}

// Hand-computed review compliance with two required sign-offs (SPEC 3,
// policy.review.signoff; SPEC 4), and the review action items open and
// overdue, one of them due in the window and done a minute late.
func TestReviewSignoffsAndActions(t *testing.T) {
	cfg, err := config.Parse([]byte(`
windows: [10d]
people: [{id: alice}, {id: bob}, {id: carol}, {id: davis}]
systems:
  - {id: api, program: checkout, owners: [{owner: alice, since: 2026-01-01}, {owner: bob, since: 2026-03-12}]}
  - {id: web, owners: [{owner: alice, since: 2026-01-01}]}
programs: [{id: checkout, manager: carol}]
processes: {incident: {owner: davis}}
policy: {review: {severity_threshold: 1, due: 120h, signoff: [system_owner, program_manager], action_due: 240h}}
`))
	require.NoError(t, err)
	sign := func(role, person string, at *time.Time) record.Signoff {
		return record.Signoff{Role: role, Person: person, At: *at}
	}
	incident := func(id, system string, opened *time.Time, completed *time.Time, signoffs ...record.Signoff) record.Incident {
		resolved := opened.Add(12 * time.Hour)
		return record.Incident{ID: id, Source: "t", System: system, Severity: 1, Impact: record.ImpactNone, OpenedAt: *opened,
			ResolvedAt: &resolved, Review: &record.Review{CompletedAt: completed, Signoffs: signoffs}}
	}
	const owner, manager = record.RoleSystemOwner, record.RoleProgramManager
	b := record.Batch{Incidents: []record.Incident{
		// both sign-offs, after completion, before due (03-15 12:00): on time at 03-14
		incident("R1", "api", march(10, 0), march(12, 0), sign(owner, "alice", march(13, 0)), sign(manager, "carol", march(14, 0))),
		// the program manager never signed: not complete, overdue
		incident("R2", "api", march(10, 0), march(11, 0), sign(owner, "alice", march(11, 0))),
		// bob signed as owner but did not own api when it was opened;
		// alice signed after the due time: complete, late
		incident("R3", "api", march(10, 0), march(11, 0), sign(owner, "bob", march(11, 0)), sign(manager, "carol", march(11, 0)),
			sign(owner, "alice", march(16, 0))),
		// opened after bob took over: alice's sign-off does not count
		incident("R6", "api", march(13, 0), march(14, 0), sign(owner, "alice", march(14, 0)), sign(manager, "carol", march(14, 0))),
		// web has no program: its owner's sign-off is all it needs
		incident("R5", "web", march(10, 0), march(12, 0), sign(owner, "alice", march(12, 0))),
		// nobody owns an unknown system: completed_at alone
		incident("R4", "legacy", march(10, 0), march(12, 0)),
	}}
	// action items of R1 (review due 03-15 12:00, so an action without a
	// due is due 03-25 12:00) and R2, and of a review never completed
	minute := time.Minute
	b.Incidents[0].Review.Actions = []record.Action{
		{ID: "A1", Due: march(20, 0), DoneAt: ptr(march(20, 0).Add(minute))}, // done a minute late
		{ID: "A2"},                    // due 03-25 12:00 by policy
		{ID: "A3", Due: march(18, 0)}, // overdue
	}
	b.Incidents[1].Review.Actions = []record.Action{{ID: "A4", Due: march(19, 0), DoneAt: march(18, 0)}}
	pending := incident("R7", "api", march(10, 0), nil)
	pending.Review.Actions = []record.Action{{ID: "A5", Due: march(11, 0)}}
	b.Incidents = append(b.Incidents, pending)

	e := storedEngine(t, cfg, b)
	at, ten := *march(21, 0), 10*24*time.Hour
	// api: R1, R2, R3, R6 and R7 are due in the window; only R1 on time
	assert.InDelta(t, 1.0/5, valueAt(t, e, at, ten, RoleSystem, "api", ReviewComplianceRatio), 1e-12)
	assert.Equal(t, 3.0, valueAt(t, e, at, ten, RoleSystem, "api", ReviewsOverdue), "R2, R6, R7")
	assert.Equal(t, 1.0, valueAt(t, e, at, ten, RoleSystem, "web", ReviewComplianceRatio))
	assert.Equal(t, 0.0, valueAt(t, e, at, ten, RoleSystemOwner, "bob", ReviewComplianceRatio), "R6")
	assert.InDelta(t, 2.0/5, valueAt(t, e, at, ten, RoleSystemOwner, "alice", ReviewComplianceRatio), 1e-12, "R1, R5 of R1-R3, R5, R7")
	assert.InDelta(t, 3.0/7, valueAt(t, e, at, ten, RoleGlobal, GlobalSubject, ReviewComplianceRatio), 1e-12, "R1, R4, R5")
	// R3 was overdue until alice signed
	assert.Equal(t, 3.0, valueAt(t, e, *march(15, 13), ten, RoleSystem, "api", ReviewsOverdue), "R2, R3, R7; R1 was complete")

	for _, c := range []struct {
		at            time.Time
		open, overdue float64
	}{
		{*march(12, 0), 1, 0},                          // R1's review is not complete yet: only A4 (R2's) exists
		{march(12, 0).Add(time.Second), 3 + 1, 0},      // R1's three actions and A4
		{*march(20, 0), 3, 1},                          // A4 done; A3 overdue; A1 due, not yet overdue
		{march(20, 0).Add(30 * time.Second), 3, 2},     // A1 past due
		{march(20, 0).Add(minute), 3, 2},               // done at `at` is not done before it
		{march(20, 0).Add(minute + time.Second), 2, 1}, // A1 done
		{*march(25, 13), 2, 2},                         // A2 past its policy due
	} {
		assert.Equal(t, c.open, valueAt(t, e, c.at, ten, RoleSystem, "api", ReviewActionsOpen), "open at %s", c.at)
		assert.Equal(t, c.overdue, valueAt(t, e, c.at, ten, RoleSystem, "api", ReviewActionsOverdue), "overdue at %s", c.at)
	}

	// the evidence says which sign-offs count and which are missing
	evs, err := e.Evidence(context.Background(), []Subject{{RoleSystem, "api"}}, at.Add(-ten), at)
	require.NoError(t, err)
	byID := map[string]IncidentEvidence{}
	for _, in := range evs[Subject{RoleSystem, "api"}].Incidents {
		byID[in.ID] = in
	}
	assert.Equal(t, []string{manager}, byID["R2"].ReviewSignoffsMissing)
	assert.Equal(t, ReviewMissing, byID["R2"].ReviewStatus)
	var counts []bool
	for _, so := range byID["R3"].ReviewSignoffs {
		counts = append(counts, so.Counts)
	}
	assert.Equal(t, []bool{false, true, true}, counts, "bob did not own api when R3 was opened")
	assert.Equal(t, ReviewLate, byID["R3"].ReviewStatus)
	assert.Equal(t, march(16, 0), byID["R3"].ReviewCompleteAt)
	assert.Equal(t, 2, byID["R1"].ActionsOpenAtEnd)
	assert.Equal(t, 1, byID["R1"].ActionsOverdueAtEnd)
	assert.Equal(t, march(25, 12), byID["R1"].Actions[1].Due, "A2: the review's due plus action_due")

	// without sign-offs every completed review is on time
	cfg.Policy.Review.Signoff = nil
	e = storedEngine(t, cfg, b)
	assert.InDelta(t, 4.0/5, valueAt(t, e, at, ten, RoleSystem, "api", ReviewComplianceRatio), 1e-12, "all but R7")
	assert.Equal(t, 1.0, valueAt(t, e, at, ten, RoleSystem, "api", ReviewsOverdue), "R7")
}

func ptr[T any](v T) *T { return &v }

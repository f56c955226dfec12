package report

import (
	"github.com/steward-sh/steward/scorecard"
)

// The evidence lists a review shows are the tables of Review.Evidence
// (scorecard.Tables): what each lists, and by which time, is written once
// in package scorecard, for whole evidence and for the limited one the web
// UI reads from the engine's time index alike.

// Tables returns the review's evidence tables: those a limited evidence
// holds (at most a limit of rows, the most recent first), else every row
// of the whole evidence in time order or, with RowLimit, the RowLimit most
// recent.
func (r *Review) Tables() *scorecard.Tables {
	if r.Evidence != nil && r.Evidence.Tables != nil {
		return r.Evidence.Tables
	}
	return scorecard.TablesOf(r.Evidence, r.RowLimit)
}

// FailedChanges are the completed changes of the period that count as failed.
func (r *Review) FailedChanges() []scorecard.ChangeEvidence { return r.Tables().FailedChanges.Rows }

// CompletedChanges counts the completed changes of the period.
func (r *Review) CompletedChanges() int { return r.Tables().CompletedChanges }

// Incidents are the incidents opened or resolved in the period or open at
// its end, with their time to restore.
func (r *Review) Incidents() []scorecard.IncidentEvidence { return r.Tables().Incidents.Rows }

// ReviewsMissingOrLate are required post-incident reviews due in the
// period or overdue at its end that were completed late or not at all.
func (r *Review) ReviewsMissingOrLate() []scorecard.IncidentEvidence {
	return r.Tables().ReviewsMissingOrLate.Rows
}

// SLABreaches are the incidents resolved in the period later than their
// severity's SLA target.
func (r *Review) SLABreaches() []scorecard.IncidentEvidence { return r.Tables().SLABreaches.Rows }

// Systems are the systems the subject answered for in the period.
func (r *Review) Systems() []scorecard.SystemEvidence {
	if r.Evidence == nil {
		return nil
	}
	return r.Evidence.Systems
}

// OwnershipChanges counts the owner changes of the subject's systems in
// the period.
func (r *Review) OwnershipChanges() int {
	n := 0
	for _, s := range r.Systems() {
		n += len(s.OwnerChanges)
	}
	return n
}

// RecoveredChanges are the failed changes recovered in the period, with
// the time failed_deployment_recovery_seconds counts.
func (r *Review) RecoveredChanges() []scorecard.ChangeEvidence {
	return r.Tables().RecoveredChanges.Rows
}

// OverdueAction is a review action item past due and not done at the
// period's end, with its incident.
type OverdueAction = scorecard.OverdueAction

// OverdueActions are the action items review_actions_overdue counts at the
// period's end.
func (r *Review) OverdueActions() []OverdueAction { return r.Tables().OverdueActions.Rows }

package report

import (
	"github.com/steward-sh/steward/scorecard"
)

// The evidence lists a review shows, each a view of Review.Evidence.

// FailedChanges are the completed changes of the period that count as failed.
func (r *Review) FailedChanges() []scorecard.ChangeEvidence {
	var out []scorecard.ChangeEvidence
	if r.Evidence == nil {
		return out
	}
	for _, c := range r.Evidence.Changes {
		if c.Failed {
			out = append(out, c)
		}
	}
	return out
}

// CompletedChanges counts the completed changes of the period.
func (r *Review) CompletedChanges() int {
	n := 0
	if r.Evidence != nil {
		for _, c := range r.Evidence.Changes {
			if c.Completed {
				n++
			}
		}
	}
	return n
}

// Incidents are the incidents opened or resolved in the period or open at
// its end, with their time to restore.
func (r *Review) Incidents() []scorecard.IncidentEvidence {
	var out []scorecard.IncidentEvidence
	if r.Evidence == nil {
		return out
	}
	for _, in := range r.Evidence.Incidents {
		if in.OpenedInPeriod || in.ResolvedInPeriod || in.OpenAtEnd {
			out = append(out, in)
		}
	}
	return out
}

// ReviewsMissingOrLate are required post-incident reviews due in the
// period or overdue at its end that were completed late or not at all.
func (r *Review) ReviewsMissingOrLate() []scorecard.IncidentEvidence {
	var out []scorecard.IncidentEvidence
	if r.Evidence == nil {
		return out
	}
	for _, in := range r.Evidence.Incidents {
		bad := in.ReviewStatus == scorecard.ReviewLate || in.ReviewStatus == scorecard.ReviewMissing
		if bad && (in.ReviewDueInPeriod || in.ReviewOverdueAtEnd) {
			out = append(out, in)
		}
	}
	return out
}

// SLABreaches are the incidents resolved in the period later than their
// severity's SLA target.
func (r *Review) SLABreaches() []scorecard.IncidentEvidence {
	var out []scorecard.IncidentEvidence
	if r.Evidence == nil {
		return out
	}
	for _, in := range r.Evidence.Incidents {
		if in.ResolvedInPeriod && in.SLABreached {
			out = append(out, in)
		}
	}
	return out
}

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
	var out []scorecard.ChangeEvidence
	if r.Evidence == nil {
		return out
	}
	for _, c := range r.Evidence.Changes {
		if c.RecoveredInPeriod {
			out = append(out, c)
		}
	}
	return out
}

// OverdueAction is a review action item past due and not done at the
// period's end, with its incident.
type OverdueAction struct {
	Incident scorecard.IncidentEvidence
	Action   scorecard.ActionEvidence
}

// OverdueActions are the action items review_actions_overdue counts at the
// period's end.
func (r *Review) OverdueActions() []OverdueAction {
	var out []OverdueAction
	if r.Evidence == nil {
		return out
	}
	for _, in := range r.Evidence.Incidents {
		for _, a := range in.Actions {
			if a.OverdueAtEnd {
				out = append(out, OverdueAction{Incident: in, Action: a})
			}
		}
	}
	return out
}

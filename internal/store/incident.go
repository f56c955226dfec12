package store

import (
	"database/sql"
	"fmt"

	"github.com/steward-sh/steward/record"
)

// incidentColumns are the incidents table's columns, in the order
// incidentArgs produces values.
var incidentColumns = []string{
	"source", "id", "seq", "system", "title", "severity", "impact",
	"opened_at", "acknowledged_at", "resolved_at", "closed_at", "team",
	"caused_by_source", "caused_by_id", "review_required", "review_completed_at", "labels",
	"category", "impact_started_at", "mitigated_at", "review_signoffs", "review_actions", "estimated",
}

// checkIncident refuses text no store can keep.
func checkIncident(in *record.Incident) error {
	err := checkText("source", in.Source, "id", in.ID, "system", in.System, "title", in.Title,
		"impact", string(in.Impact), "team", in.Team, "category", in.Category)
	if err == nil && in.CausedByChange != nil {
		err = checkText("caused_by_change.source", in.CausedByChange.Source, "caused_by_change.id", in.CausedByChange.ID)
	}
	if err == nil && in.Review != nil {
		for _, s := range in.Review.Signoffs {
			if err == nil {
				err = checkText("review.signoffs.role", s.Role, "review.signoffs.person", s.Person)
			}
		}
		for _, a := range in.Review.Actions {
			if err == nil {
				err = checkText("review.actions.id", a.ID)
			}
		}
	}
	if err == nil {
		err = checkLabels(in.Labels)
	}
	return err
}

// incidentArgs appends in's column values, in incidentColumns order.
func (db *DB) incidentArgs(args []any, in *record.Incident, seq int64) ([]any, error) {
	labels, err := labelsArg(in.Labels)
	if err != nil {
		return nil, err
	}
	var causedSource, causedID, reviewRequired, reviewCompleted, signoffs, actions any
	if c := in.CausedByChange; c != nil {
		causedSource, causedID = c.Source, c.ID
	}
	if r := in.Review; r != nil {
		if r.Required != nil {
			reviewRequired = *r.Required
		}
		reviewCompleted = db.timePtrArg(r.CompletedAt)
		if signoffs, err = signoffsArg(r.Signoffs); err != nil {
			return nil, err
		}
		if actions, err = actionsArg(r.Actions); err != nil {
			return nil, err
		}
	}
	estimated, err := listArg(in.Estimated)
	if err != nil {
		return nil, err
	}
	return append(args,
		in.Source, in.ID, seq, in.System, in.Title, in.Severity, string(in.Impact),
		db.timeArg(in.OpenedAt), db.timePtrArg(in.AcknowledgedAt), db.timePtrArg(in.ResolvedAt), db.timePtrArg(in.ClosedAt), in.Team,
		causedSource, causedID, reviewRequired, reviewCompleted, labels,
		in.Category, db.timePtrArg(in.ImpactStartedAt), db.timePtrArg(in.MitigatedAt), signoffs, actions, estimated,
	), nil
}

// incidentRow is one row of incidents as read back.
type incidentRow struct {
	Source            string         `db:"source"`
	ID                string         `db:"id"`
	Seq               int64          `db:"seq"`
	System            string         `db:"system"`
	Title             string         `db:"title"`
	Severity          int            `db:"severity"`
	Impact            string         `db:"impact"`
	OpenedAt          timeColumn     `db:"opened_at"`
	AcknowledgedAt    timeColumn     `db:"acknowledged_at"`
	ResolvedAt        timeColumn     `db:"resolved_at"`
	ClosedAt          timeColumn     `db:"closed_at"`
	Team              string         `db:"team"`
	CausedBySource    sql.NullString `db:"caused_by_source"`
	CausedByID        sql.NullString `db:"caused_by_id"`
	ReviewRequired    sql.NullBool   `db:"review_required"`
	ReviewCompletedAt timeColumn     `db:"review_completed_at"`
	Labels            sql.NullString `db:"labels"`
	Category          string         `db:"category"`
	ImpactStartedAt   timeColumn     `db:"impact_started_at"`
	MitigatedAt       timeColumn     `db:"mitigated_at"`
	ReviewSignoffs    sql.NullString `db:"review_signoffs"`
	ReviewActions     sql.NullString `db:"review_actions"`
	Estimated         sql.NullString `db:"estimated"`
}

func (r *incidentRow) incident() (record.Incident, error) {
	labels, err := labelsFrom(r.Labels)
	var signoffs []record.Signoff
	var actions []record.Action
	var estimated []string
	if err == nil {
		err = jsonFrom("review_signoffs", r.ReviewSignoffs, &signoffs)
	}
	if err == nil {
		err = jsonFrom("review_actions", r.ReviewActions, &actions)
	}
	if err == nil {
		err = jsonFrom("estimated", r.Estimated, &estimated)
	}
	if err != nil {
		return record.Incident{}, fmt.Errorf("incident %s/%s: %w", r.Source, r.ID, err)
	}
	in := record.Incident{
		ID:              r.ID,
		Source:          r.Source,
		System:          r.System,
		Title:           r.Title,
		Severity:        r.Severity,
		Impact:          record.Impact(r.Impact),
		Category:        r.Category,
		ImpactStartedAt: r.ImpactStartedAt.ptr(),
		OpenedAt:        r.OpenedAt.t,
		AcknowledgedAt:  r.AcknowledgedAt.ptr(),
		MitigatedAt:     r.MitigatedAt.ptr(),
		ResolvedAt:      r.ResolvedAt.ptr(),
		ClosedAt:        r.ClosedAt.ptr(),
		Team:            r.Team,
		Estimated:       estimated,
		Labels:          labels,
		Seq:             r.Seq,
	}
	if r.CausedBySource.Valid || r.CausedByID.Valid {
		in.CausedByChange = &record.Ref{Source: r.CausedBySource.String, ID: r.CausedByID.String}
	}
	if r.ReviewRequired.Valid || r.ReviewCompletedAt.valid || signoffs != nil || actions != nil {
		in.Review = &record.Review{CompletedAt: r.ReviewCompletedAt.ptr(), Signoffs: signoffs, Actions: actions}
		if r.ReviewRequired.Valid {
			required := r.ReviewRequired.Bool
			in.Review.Required = &required
		}
	}
	return in, nil
}

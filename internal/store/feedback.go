package store

import (
	"database/sql"
	"fmt"

	"github.com/steward-sh/steward/record"
)

// feedbackColumns are the feedback table's columns, in the order
// feedbackArgs produces values.
var feedbackColumns = []string{
	"source", "id", "seq", "system", "program", "team", "audience",
	"score", "scale_min", "scale_max", "submitted_at", "labels",
}

// checkFeedback refuses text no store can keep.
func checkFeedback(f *record.Feedback) error {
	err := checkText("source", f.Source, "id", f.ID, "system", f.System, "program", f.Program, "team", f.Team,
		"audience", string(f.Audience))
	if err == nil {
		err = checkLabels(f.Labels)
	}
	return err
}

// feedbackArgs appends f's column values, in feedbackColumns order.
func (db *DB) feedbackArgs(args []any, f *record.Feedback, seq int64) ([]any, error) {
	labels, err := labelsArg(f.Labels)
	if err != nil {
		return nil, err
	}
	return append(args,
		f.Source, f.ID, seq, f.System, f.Program, f.Team, string(f.Audience),
		f.Score, f.ScaleMin, f.ScaleMax, db.timeArg(f.SubmittedAt), labels,
	), nil
}

// feedbackRow is one row of feedback as read back.
type feedbackRow struct {
	Source      string         `db:"source"`
	ID          string         `db:"id"`
	Seq         int64          `db:"seq"`
	System      string         `db:"system"`
	Program     string         `db:"program"`
	Team        string         `db:"team"`
	Audience    string         `db:"audience"`
	Score       float64        `db:"score"`
	ScaleMin    float64        `db:"scale_min"`
	ScaleMax    float64        `db:"scale_max"`
	SubmittedAt timeColumn     `db:"submitted_at"`
	Labels      sql.NullString `db:"labels"`
}

func (r *feedbackRow) feedback() (record.Feedback, error) {
	labels, err := labelsFrom(r.Labels)
	if err != nil {
		return record.Feedback{}, fmt.Errorf("feedback %s/%s: %w", r.Source, r.ID, err)
	}
	return record.Feedback{
		ID:          r.ID,
		Source:      r.Source,
		System:      r.System,
		Program:     r.Program,
		Team:        r.Team,
		Audience:    record.Audience(r.Audience),
		Score:       r.Score,
		ScaleMin:    r.ScaleMin,
		ScaleMax:    r.ScaleMax,
		SubmittedAt: r.SubmittedAt.t,
		Labels:      labels,
		Seq:         r.Seq,
	}, nil
}

package store

import (
	"database/sql"
	"fmt"

	"github.com/steward-sh/steward/record"
)

// changeColumns are the changes table's columns, in the order changeArgs
// produces values.
var changeColumns = []string{
	"source", "id", "seq", "system", "team", "type", "environment",
	"created_at", "started_at", "finished_at", "outcome", "authorized", "labels",
	"approved_at", "planned_start", "planned_end", "rework", "estimated",
}

// checkChange refuses text no store can keep.
func checkChange(c *record.Change) error {
	err := checkText("source", c.Source, "id", c.ID, "system", c.System, "team", c.Team,
		"type", string(c.Type), "environment", c.Environment, "outcome", string(c.Outcome))
	for _, e := range c.Estimated {
		if err == nil {
			err = checkText("estimated", e)
		}
	}
	if err == nil {
		err = checkLabels(c.Labels)
	}
	return err
}

// changeArgs appends c's column values, in changeColumns order.
func (db *DB) changeArgs(args []any, c *record.Change, seq int64) ([]any, error) {
	labels, err := labelsArg(c.Labels)
	if err != nil {
		return nil, err
	}
	estimated, err := listArg(c.Estimated)
	if err != nil {
		return nil, err
	}
	return append(args,
		c.Source, c.ID, seq, c.System, c.Team, string(c.Type), c.Environment,
		db.timePtrArg(c.CreatedAt), db.timePtrArg(c.StartedAt), db.timePtrArg(c.FinishedAt),
		string(c.Outcome), c.Authorized, labels,
		db.timePtrArg(c.ApprovedAt), db.timePtrArg(c.PlannedStart), db.timePtrArg(c.PlannedEnd), c.Rework, estimated,
	), nil
}

// changeRow is one row of changes as read back.
type changeRow struct {
	Source       string         `db:"source"`
	ID           string         `db:"id"`
	Seq          int64          `db:"seq"`
	System       string         `db:"system"`
	Team         string         `db:"team"`
	Type         string         `db:"type"`
	Environment  string         `db:"environment"`
	CreatedAt    timeColumn     `db:"created_at"`
	StartedAt    timeColumn     `db:"started_at"`
	FinishedAt   timeColumn     `db:"finished_at"`
	Outcome      string         `db:"outcome"`
	Authorized   bool           `db:"authorized"`
	Labels       sql.NullString `db:"labels"`
	ApprovedAt   timeColumn     `db:"approved_at"`
	PlannedStart timeColumn     `db:"planned_start"`
	PlannedEnd   timeColumn     `db:"planned_end"`
	Rework       bool           `db:"rework"`
	Estimated    sql.NullString `db:"estimated"`
}

func (r *changeRow) change() (record.Change, error) {
	labels, err := labelsFrom(r.Labels)
	var estimated []string
	if err == nil {
		err = jsonFrom("estimated", r.Estimated, &estimated)
	}
	if err != nil {
		return record.Change{}, fmt.Errorf("change %s/%s: %w", r.Source, r.ID, err)
	}
	return record.Change{
		ID:           r.ID,
		Source:       r.Source,
		System:       r.System,
		Team:         r.Team,
		Type:         record.ChangeType(r.Type),
		Environment:  r.Environment,
		CreatedAt:    r.CreatedAt.ptr(),
		ApprovedAt:   r.ApprovedAt.ptr(),
		PlannedStart: r.PlannedStart.ptr(),
		PlannedEnd:   r.PlannedEnd.ptr(),
		StartedAt:    r.StartedAt.ptr(),
		FinishedAt:   r.FinishedAt.ptr(),
		Outcome:      record.Outcome(r.Outcome),
		Authorized:   r.Authorized,
		Rework:       r.Rework,
		Estimated:    estimated,
		Labels:       labels,
		Seq:          r.Seq,
	}, nil
}

package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/steward-sh/steward/record"
)

// Incidents returns up to limit incidents with Seq > after, in Seq order.
// A reader that passes the last Seq it saw gets every later write.
func (db *DB) Incidents(ctx context.Context, after int64, limit int) ([]record.Incident, error) {
	var out []record.Incident
	var row incidentRow
	err := db.since(ctx, "incidents", incidentColumns, after, limit, &row, func() error {
		in, err := row.incident()
		out = append(out, in)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: incidents after %d: %w", after, err)
	}
	return out, nil
}

// Changes returns up to limit changes with Seq > after, in Seq order.
func (db *DB) Changes(ctx context.Context, after int64, limit int) ([]record.Change, error) {
	var out []record.Change
	var row changeRow
	err := db.since(ctx, "changes", changeColumns, after, limit, &row, func() error {
		c, err := row.change()
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: changes after %d: %w", after, err)
	}
	return out, nil
}

// Feedback returns up to limit feedback records with Seq > after, in Seq
// order.
func (db *DB) Feedback(ctx context.Context, after int64, limit int) ([]record.Feedback, error) {
	var out []record.Feedback
	var row feedbackRow
	err := db.since(ctx, "feedback", feedbackColumns, after, limit, &row, func() error {
		f, err := row.feedback()
		out = append(out, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: feedback after %d: %w", after, err)
	}
	return out, nil
}

// since selects up to limit rows of table with seq > after, scanning each
// into row and calling took. Rows are taken one at a time, not collected
// first: a cold start reads every record through here.
func (db *DB) since(ctx context.Context, table string, columns []string, after int64, limit int, row any, took func() error) error {
	if limit <= 0 {
		return fmt.Errorf("limit %d is not positive", limit)
	}
	query := db.read.Rebind("SELECT " + strings.Join(columns, ", ") + " FROM " + table + " WHERE seq > ? ORDER BY seq LIMIT ?")
	rows, err := db.read.QueryxContext(ctx, query, after, limit)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.StructScan(row); err != nil {
			return err
		}
		if err := took(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Quarantined returns up to limit rejected records, most recently received
// first (ties in the order they were stored, newest first).
func (db *DB) Quarantined(ctx context.Context, limit int) ([]record.Rejected, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: quarantined: limit %d is not positive", limit)
	}
	var rows []rejectedRow
	query := db.read.Rebind("SELECT id, " + strings.Join(quarantineColumns, ", ") +
		" FROM quarantine ORDER BY received_at DESC, id DESC LIMIT ?")
	if err := db.read.SelectContext(ctx, &rows, query, limit); err != nil {
		return nil, fmt.Errorf("store: quarantined: %w", err)
	}
	out := make([]record.Rejected, len(rows))
	for i := range rows {
		out[i] = rows[i].rejected()
	}
	return out, nil
}

var _ record.Getter = (*DB)(nil)

// Incident returns the incident with the key, or nil when there is none.
func (db *DB) Incident(ctx context.Context, source, id string) (*record.Incident, error) {
	var rows []incidentRow
	if err := db.byKey(ctx, &rows, "incidents", incidentColumns, source, id); err != nil {
		return nil, fmt.Errorf("store: incident %s/%s: %w", source, id, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	in, err := rows[0].incident()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &in, nil
}

// Change returns the change with the key, or nil when there is none.
func (db *DB) Change(ctx context.Context, source, id string) (*record.Change, error) {
	var rows []changeRow
	if err := db.byKey(ctx, &rows, "changes", changeColumns, source, id); err != nil {
		return nil, fmt.Errorf("store: change %s/%s: %w", source, id, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	c, err := rows[0].change()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &c, nil
}

// byKey selects the row of table with the key (source, id) into dest.
func (db *DB) byKey(ctx context.Context, dest any, table string, columns []string, source, id string) error {
	query := db.read.Rebind("SELECT " + strings.Join(columns, ", ") + " FROM " + table + " WHERE source = ? AND id = ?")
	return db.read.SelectContext(ctx, dest, query, source, id)
}

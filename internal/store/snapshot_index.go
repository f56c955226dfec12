package store

import (
	"context"
	"fmt"
)

// SnapshotIndex returns every frozen review version without its content,
// newest period name first, then by role, subject and version: the list a
// reader browses before opening one.
func (db *DB) SnapshotIndex(ctx context.Context) ([]Snapshot, error) {
	var rows []snapshotRow
	q := `SELECT id, role, subject, period, version, created_at, '' AS content FROM review_snapshots ORDER BY period DESC, role, subject, version`
	if err := db.read.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("store: snapshot index: %w", err)
	}
	out := make([]Snapshot, len(rows))
	for i := range rows {
		out[i] = rows[i].snapshot()
		out[i].Content = nil
	}
	return out, nil
}

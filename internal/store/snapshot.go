package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/steward-sh/steward/record"
)

// snapshotLockKey serialises version numbering of review snapshots in
// PostgreSQL (SQLite's IMMEDIATE transactions already do).
const snapshotLockKey int64 = 0x53746577617264_03

// Snapshot is a frozen review: one subject's scorecards and evidence for a
// period, as the JSON the report package wrote. The store keeps Content
// byte for byte and never changes a stored snapshot; freezing again adds a
// version.
type Snapshot struct {
	ID        int64
	Role      string
	Subject   string
	Period    string
	Version   int // 1, 2, ... per (Role, Subject, Period)
	CreatedAt time.Time
	Content   json.RawMessage
}

var snapshotColumns = "id, role, subject, period, version, created_at, content"

type snapshotRow struct {
	ID        int64      `db:"id"`
	Role      string     `db:"role"`
	Subject   string     `db:"subject"`
	Period    string     `db:"period"`
	Version   int        `db:"version"`
	CreatedAt timeColumn `db:"created_at"`
	Content   []byte     `db:"content"`
}

func (r *snapshotRow) snapshot() Snapshot {
	return Snapshot{ID: r.ID, Role: r.Role, Subject: r.Subject, Period: r.Period, Version: r.Version, CreatedAt: r.CreatedAt.t, Content: r.Content}
}

// SaveSnapshot stores s as the next version of its (Role, Subject, Period)
// and returns it as stored, with ID and Version set. s.CreatedAt is kept as
// given (UTC, to the microsecond).
func (db *DB) SaveSnapshot(ctx context.Context, s Snapshot) (Snapshot, error) {
	out, err := db.saveSnapshot(ctx, s)
	if err != nil {
		return Snapshot{}, fmt.Errorf("store: save snapshot %s/%s %s: %w", s.Role, s.Subject, s.Period, err)
	}
	return out, nil
}

func (db *DB) saveSnapshot(ctx context.Context, s Snapshot) (_ Snapshot, err error) {
	if s.Role == "" || s.Subject == "" || s.Period == "" {
		return Snapshot{}, errors.New("role, subject and period are required")
	}
	if !json.Valid(s.Content) {
		return Snapshot{}, errors.New("content is not valid JSON")
	}
	if err := checkText("role", s.Role, "subject", s.Subject, "period", s.Period, "content", string(s.Content)); err != nil {
		return Snapshot{}, err
	}
	tx, err := db.write.BeginTxx(ctx, nil)
	if err != nil {
		return Snapshot{}, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if db.d.name() == "postgres" {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, snapshotLockKey); err != nil {
			return Snapshot{}, fmt.Errorf("lock: %w", err)
		}
	}
	var last int
	if err := tx.GetContext(ctx, &last, tx.Rebind(`SELECT COALESCE(MAX(version), 0) FROM review_snapshots WHERE role = ? AND subject = ? AND period = ?`),
		s.Role, s.Subject, s.Period); err != nil {
		return Snapshot{}, err
	}
	s.Version = last + 1
	s.CreatedAt = s.CreatedAt.UTC().Truncate(time.Microsecond)
	err = tx.GetContext(ctx, &s.ID, tx.Rebind(`INSERT INTO review_snapshots (role, subject, period, version, created_at, content)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), s.Role, s.Subject, s.Period, s.Version, db.timeArg(s.CreatedAt), string(s.Content))
	if err != nil {
		return Snapshot{}, err
	}
	return s, tx.Commit()
}

// Snapshots returns every version of a subject's frozen review of a
// period, oldest first; none is an empty slice.
func (db *DB) Snapshots(ctx context.Context, role, subject, period string) ([]Snapshot, error) {
	var rows []snapshotRow
	q := db.read.Rebind(`SELECT ` + snapshotColumns + ` FROM review_snapshots WHERE role = ? AND subject = ? AND period = ? ORDER BY version`)
	if err := db.read.SelectContext(ctx, &rows, q, role, subject, period); err != nil {
		return nil, fmt.Errorf("store: snapshots %s/%s %s: %w", role, subject, period, err)
	}
	out := make([]Snapshot, len(rows))
	for i := range rows {
		out[i] = rows[i].snapshot()
	}
	return out, nil
}

// FindIncidents returns the stored incidents with the given keys, in no
// particular order; keys not stored are skipped. Reviews use it for the
// fields (titles) the KPI engine does not keep in memory.
func (db *DB) FindIncidents(ctx context.Context, keys []record.Ref) ([]record.Incident, error) {
	const perQuery = 400
	var out []record.Incident
	for start := 0; start < len(keys); start += perQuery {
		batch := keys[start:min(start+perQuery, len(keys))]
		args := make([]any, 0, 2*len(batch))
		tuples := make([]string, len(batch))
		for i, k := range batch {
			tuples[i] = "(?, ?)"
			args = append(args, k.Source, k.ID)
		}
		q := db.read.Rebind("SELECT " + strings.Join(incidentColumns, ", ") + " FROM incidents WHERE (source, id) IN (VALUES " + strings.Join(tuples, ", ") + ")")
		var rows []incidentRow
		if err := db.read.SelectContext(ctx, &rows, q, args...); err != nil {
			return nil, fmt.Errorf("store: find incidents: %w", err)
		}
		for i := range rows {
			in, err := rows[i].incident()
			if err != nil {
				return nil, fmt.Errorf("store: find incidents: %w", err)
			}
			out = append(out, in)
		}
	}
	return out, nil
}

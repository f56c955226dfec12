package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/steward-sh/steward/record"
)

// Cursor returns the value last saved for the named poll cursor, or "" when
// none was ever saved (a poller then starts from its configured beginning).
func (db *DB) Cursor(ctx context.Context, name string) (string, error) {
	var v string
	err := db.read.GetContext(ctx, &v, db.read.Rebind(`SELECT cursor FROM poll_state WHERE name = ?`), name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("store: cursor %q: %w", name, err)
	}
	return v, nil
}

// ErrCursorMoved is wrapped by WriteAfter's error when the cursor no longer
// has the value the writer started from: another process moved it.
var ErrCursorMoved = errors.New("cursor moved by another writer")

// saveCursor upserts c inside a write transaction; with prev, only if the
// stored value is still *prev (none stored counts as ""). The value is
// cleaned like other text, so a cursor PostgreSQL cannot hold fails loudly
// here rather than differently in the two databases.
//
// The conditional upsert is atomic in both databases: SQLite's writers
// are serialised, and PostgreSQL re-evaluates the WHERE clause against the
// row as committed by a concurrent writer it waited for.
func (db *DB) saveCursor(ctx context.Context, tx *sqlx.Tx, c record.Cursor, prev *string) error {
	if c.Name == "" {
		return errors.New("name is empty")
	}
	if cleanText(c.Value) != c.Value {
		return errors.New("value is not valid UTF-8 text without NUL characters")
	}
	q := `INSERT INTO poll_state (name, cursor, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`
	args := []any{c.Name, c.Value, db.timeArg(time.Now())}
	if prev != nil {
		q += ` WHERE poll_state.cursor = ?`
		args = append(args, *prev)
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
	if err != nil {
		return err
	}
	if prev != nil {
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return fmt.Errorf("%w (it is no longer %q)", ErrCursorMoved, *prev)
		}
	}
	return nil
}

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

// saveCursor upserts c inside a write transaction. The value is cleaned like
// other text, so a cursor PostgreSQL cannot hold fails loudly here rather
// than differently in the two databases.
func (db *DB) saveCursor(ctx context.Context, tx *sqlx.Tx, c record.Cursor) error {
	if c.Name == "" {
		return errors.New("name is empty")
	}
	if cleanText(c.Value) != c.Value {
		return errors.New("value is not valid UTF-8 text without NUL characters")
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO poll_state (name, cursor, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`),
		c.Name, c.Value, db.timeArg(time.Now()))
	return err
}

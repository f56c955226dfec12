package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers the "postgres" database/sql driver
)

// Advisory lock keys ("Steward" followed by a number), taken per transaction.
const (
	migrateLockKey int64 = 0x53746577617264_01
	writeLockKey   int64 = 0x53746577617264_02
)

// openPostgres opens one pool for reads and writes. The DSN is not repeated
// in errors: it may hold a password.
func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	token := make([]byte, 8)
	_, _ = rand.Read(token) // never fails (crypto/rand)
	return &DB{write: db, read: db, d: postgresDialect{dsn: dsn}, token: hex.EncodeToString(token)}, nil
}

// postgresDialect keeps the DSN for the connections that live outside the
// pool: the listener (Listen) and the leader sessions (Lead).
type postgresDialect struct{ dsn string }

func (postgresDialect) name() string { return "postgres" }

func (postgresDialect) timeValue(t time.Time) any { return t }

func (postgresDialect) migrationsDDL() string {
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer     PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL
)`
}

// lockMigrations makes processes that start together migrate one at a time;
// the ones that follow find the work done.
func (postgresDialect) lockMigrations(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	return nil
}

// reserveSeq draws n numbers from record_seq under a transaction-scoped
// advisory lock. Without the lock, a transaction that drew 10 could commit
// after one that drew 11, and a reader that had already moved past 11 would
// never see 10.
func (postgresDialect) reserveSeq(ctx context.Context, tx *sqlx.Tx, n int) ([]int64, error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLockKey); err != nil {
		return nil, fmt.Errorf("lock writers: %w", err)
	}
	seqs := make([]int64, 0, n)
	err := tx.SelectContext(ctx, &seqs, `SELECT nextval('record_seq') FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("reserve sequence numbers: %w", err)
	}
	slices.Sort(seqs)
	return seqs, nil
}

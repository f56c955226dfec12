package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteBusyTimeout is how long a connection waits for another process's lock
// on the file before failing with SQLITE_BUSY.
const sqliteBusyTimeout = 10 * time.Second

// openSQLite opens two pools on one file: a single write connection, so
// writers queue in Go instead of failing on SQLite's lock, and read-only
// connections, which WAL lets run alongside the writer.
//
// synchronous=FULL makes every commit fsync the WAL: with NORMAL, the last
// transactions before a power loss can vanish, and Steward must never lose a
// batch it answered 200 for. _txlock=immediate takes the write lock at BEGIN,
// so a transaction never fails halfway on a lock held by another process.
func openSQLite(ctx context.Context, path string) (*DB, error) {
	if err := checkSQLitePath(path); err != nil {
		return nil, err
	}
	params := fmt.Sprintf("?_busy_timeout=%d", sqliteBusyTimeout.Milliseconds())
	write, err := sqlx.Open("sqlite", path+params+"&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	// Connect now, so the file is in WAL mode before any reader opens it.
	if err := connectSQLite(ctx, write); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	read, err := sqlx.Open("sqlite", path+params+"&_query_only=1")
	if err != nil {
		_ = write.Close()
		return nil, err
	}
	return &DB{write: write, read: read, d: sqliteDialect{}}, nil
}

// connectSQLite opens db's first connection. Switching a new file to WAL
// needs an exclusive lock, and when several processes open the same new
// file at once SQLite may refuse it with SQLITE_BUSY at once, without
// waiting out the busy timeout; the connection is tried again until the
// timeout has passed.
func connectSQLite(ctx context.Context, db *sqlx.DB) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		if sleep(ctx, wait) != nil {
			return err
		}
	}
}

// checkSQLitePath refuses DSNs that are not a plain file path: Steward adds
// its own connection parameters, and an in-memory database would be a
// different one for each of the two pools (and not durable anyway).
func checkSQLitePath(path string) error {
	switch {
	case path == "":
		return errors.New("dsn is empty; want a file path")
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return fmt.Errorf("dsn %q: want a plain file path", path)
	case strings.Contains(path, "?"):
		return fmt.Errorf("dsn %q: want a plain file path without parameters", path)
	}
	return nil
}

type sqliteDialect struct{}

func (sqliteDialect) name() string { return "sqlite" }

// timeValue stores times as INTEGER microseconds since the Unix epoch: exact
// at the precision Steward keeps, compact, ordered, and subtractable in SQL.
func (sqliteDialect) timeValue(t time.Time) any { return t.UnixMicro() }

func (sqliteDialect) migrationsDDL() string {
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`
}

// lockMigrations has nothing to do: the transaction began IMMEDIATE, which
// already excludes every other writer of the file.
func (sqliteDialect) lockMigrations(context.Context, *sqlx.Tx) error { return nil }

// reserveSeq bumps the counter row. The IMMEDIATE transaction holds the
// file's write lock until commit, which serialises writers.
func (sqliteDialect) reserveSeq(ctx context.Context, tx *sqlx.Tx, n int) ([]int64, error) {
	var last int64
	err := tx.GetContext(ctx, &last, `UPDATE record_seq SET value = value + ? WHERE id = 1 RETURNING value`, n)
	if err != nil {
		return nil, fmt.Errorf("reserve sequence numbers: %w", err)
	}
	seqs := make([]int64, n)
	for i := range seqs {
		seqs[i] = last - int64(n) + 1 + int64(i)
	}
	return seqs, nil
}

// prepareUpsert leaves everything to the INSERT statements: SQLite runs in
// this process, so there is no transfer to overlap with other writers, who
// wait for the file's lock anyway.
func (sqliteDialect) prepareUpsert(ctx context.Context, tx *sqlx.Tx, u upsert) (func(seqs []int64) error, error) {
	return func(seqs []int64) error { return upsertRows(ctx, tx, u, seqs) }, nil
}

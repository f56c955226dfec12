// Package store keeps Steward's incident, change and feedback records, and the rejected
// records it quarantines, in SQLite (embedded, the default) or PostgreSQL. *DB
// implements record.Store; one shared sqlx core does the work and a thin
// dialect file per database says how the two differ (time encoding, sequence
// numbers, locking, opening).
//
// On PostgreSQL the store also lets several Steward processes share the
// database: writes announce themselves to the others (Listen), one process
// at a time runs each singleton task (Lead), and merges take turns
// (WithLock). On SQLite, a single node, these do the local thing.
//
// The store keeps records exactly as it is given them: it does not validate
// beyond what the schema guards (keys, severity range, enum values, text that
// PostgreSQL can hold, refused with record.ErrInvalid), fill defaults or interpret fields. It must know
// nothing of configuration, attribution, policy or KPIs; those read records
// back through record.Store and do their own arithmetic.
//
// Times are stored in UTC with microsecond precision: timestamptz in
// PostgreSQL, INTEGER microseconds since the Unix epoch in SQLite. Values
// read back are UTC, truncated to the microsecond. Two normalisations make a
// round trip lossy only where the record carries no information: an empty
// labels map comes back nil, and a Review with neither field set comes back
// as a nil Review.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/steward-sh/steward/record"
)

// DB is a record store in SQLite or PostgreSQL. It is safe for concurrent
// use, also by several processes sharing one database.
//
// Seq is one counter shared by incidents, changes and feedback. Writers are serialised
// while they hold numbers, so Seq order is commit order and a reader
// following Seq never skips a record; numbers of rolled-back writes leave
// gaps.
type DB struct {
	write *sqlx.DB // writes and migrations; a single connection in SQLite
	read  *sqlx.DB // queries; the same pool as write in PostgreSQL
	d     dialect
	log   *slog.Logger
	// token names this DB's writes in their announcements (PostgreSQL), so
	// that its own Listen passes them over.
	token string
}

var _ record.Store = (*DB)(nil)

// Pools returns the connection pools by name, for their metrics: "write"
// and "read" in SQLite, one "store" in PostgreSQL, where both are one.
func (db *DB) Pools() map[string]*sql.DB {
	if db.read == db.write {
		return map[string]*sql.DB{"store": db.write.DB}
	}
	return map[string]*sql.DB{"write": db.write.DB, "read": db.read.DB}
}

// dialect is what differs between the databases; everything else is shared.
type dialect interface {
	// name is the driver name given to Open.
	name() string
	// timeValue converts a UTC, microsecond-precision time to the value its
	// column stores.
	timeValue(t time.Time) any
	// migrationsDDL creates schema_migrations if it does not exist.
	migrationsDDL() string
	// lockMigrations makes concurrent migrators take turns for the rest of
	// the transaction.
	lockMigrations(ctx context.Context, tx *sqlx.Tx) error
	// reserveSeq serialises writers for the rest of the transaction and
	// returns n new, increasing sequence numbers. Serialising is what makes
	// Seq order commit order: a reader that has seen Seq s can never later
	// find a committed record with a smaller one.
	reserveSeq(ctx context.Context, tx *sqlx.Tx, n int) ([]int64, error)
	// prepareUpsert does the part of upserting u's rows that needs no
	// sequence numbers, before reserveSeq, and returns the function that
	// finishes it once they are known (seqs[i] for row i). Both run in tx.
	prepareUpsert(ctx context.Context, tx *sqlx.Tx, u upsert) (finish func(seqs []int64) error, err error)
}

// Open connects to a store and brings its schema up to date. driver is
// "sqlite" (dsn is a file path, created if missing) or "postgres" (dsn is a
// postgres:// URL or a libpq key=value string). A nil logger discards logs.
func Open(ctx context.Context, driver, dsn string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var (
		db  *DB
		err error
	)
	switch driver {
	case "sqlite":
		db, err = openSQLite(ctx, dsn)
	case "postgres":
		db, err = openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("store: open: unknown driver %q (want sqlite or postgres)", driver)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", driver, err)
	}
	db.log = logger
	if err := db.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %w", driver, err)
	}
	return db, nil
}

// Ping reports whether the database can be reached.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if db.read != db.write {
		if err := db.read.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping: %w", err)
		}
	}
	return nil
}

// Close closes the database; in SQLite the last connection to close
// checkpoints the write-ahead log into the database file.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

package store

import (
	"context"
	"fmt"
)

// mutexLockClass is the first key of WithLock's locks,
// pg_advisory_xact_lock(mutexLockClass, hash of the name): "Stwm".
const mutexLockClass int32 = 0x5374776d

// WithLock runs fn while this process holds the named lock, which one
// process on the PostgreSQL database holds at a time: the others' calls
// wait. Work that reads records and writes them back merged (webhooks
// whose events carry part of a record) takes turns this way across
// replicas. The lock belongs to a transaction that ends with fn, so a
// process that dies releases it with its connection. An error means the
// lock could not be taken and fn did not run.
//
// On SQLite, one process, fn runs at once.
func (db *DB) WithLock(ctx context.Context, name string, fn func()) error {
	if _, ok := db.d.(postgresDialect); !ok {
		fn()
		return nil
	}
	tx, err := db.write.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: lock %q: %w", name, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, mutexLockClass, leadKey(name)); err != nil {
		return fmt.Errorf("store: lock %q: %w", name, err)
	}
	fn()
	return nil
}

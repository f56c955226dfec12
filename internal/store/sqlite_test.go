package store

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) record.Store {
		return openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db"))
	})
}

// appliedMigration is a row of schema_migrations.
type appliedMigration struct {
	Version   int        `db:"version"`
	Name      string     `db:"name"`
	AppliedAt timeColumn `db:"applied_at"`
}

func appliedMigrations(t *testing.T, db *DB) []appliedMigration {
	t.Helper()
	var got []appliedMigration
	require.NoError(t, db.write.Select(&got, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`))
	ms, err := migrations(db.d.name())
	require.NoError(t, err)
	require.Len(t, got, len(ms), "one row per migration")
	for i, m := range ms {
		assert.Equal(t, m.version, got[i].Version)
		assert.Equal(t, m.name, got[i].Name)
	}
	return got
}

func TestSQLiteReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "steward.db")
	db, err := Open(ctx, "sqlite", path, testLogger(t))
	require.NoError(t, err)
	require.NoError(t, db.Write(ctx, record.Batch{
		Incidents: []record.Incident{fullIncident("a"), minimalIncident("b")},
		Changes:   []record.Change{fullChange("a")},
		Rejected:  []record.Rejected{{Kind: record.KindIncident, Source: "api", Index: 2, Error: "bad", Raw: "{", ReceivedAt: t0}},
	}))
	wantIncidents, wantChanges, wantQuarantine := incidents(t, db, 0), changes(t, db, 0), quarantined(t, db)
	wantMigrations := appliedMigrations(t, db)
	require.NoError(t, db.Close())

	var logs bytes.Buffer
	db, err = Open(ctx, "sqlite", path, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	defer db.Close()
	assert.Equal(t, wantMigrations, appliedMigrations(t, db), "migrations are not applied again")
	assert.NotContains(t, logs.String(), "applied schema migration")
	assert.Equal(t, wantIncidents, incidents(t, db, 0))
	assert.Equal(t, wantChanges, changes(t, db, 0))
	assert.Equal(t, wantQuarantine, quarantined(t, db))

	require.NoError(t, db.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("c")}}))
	got := incidents(t, db, maxSeq(wantIncidents, wantChanges))
	require.Len(t, got, 1, "Seq numbering continues after a reopen")
	assert.Equal(t, "c", got[0].ID)
}

// TestSQLiteConcurrentOpen starts several stores on one new file at once, as
// several processes might: each migration must run exactly once.
func TestSQLiteConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "steward.db")
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	dbs := make([]*DB, 4)
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), "sqlite", path, logger) })
	}
	wg.Wait()
	for i := range dbs {
		require.NoError(t, errs[i])
		defer dbs[i].Close()
	}
	ms := appliedMigrations(t, dbs[0])
	assert.Equal(t, len(ms), strings.Count(logs.String(), "applied schema migration"))
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSQLiteSettings checks the pragmas durability and concurrency rely on.
func TestSQLiteSettings(t *testing.T) {
	db := openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db"))
	tests := []struct {
		pool   string
		pragma string
		want   string
	}{
		{"write", "journal_mode", "wal"},
		{"write", "synchronous", "2"}, // FULL
		{"write", "busy_timeout", "10000"},
		{"read", "busy_timeout", "10000"},
		{"read", "query_only", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.pool+" "+tt.pragma, func(t *testing.T) {
			pool := db.write
			if tt.pool == "read" {
				pool = db.read
			}
			var got string
			require.NoError(t, pool.Get(&got, "PRAGMA "+tt.pragma))
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, 1, db.write.Stats().MaxOpenConnections, "one writer")
}

// TestSQLiteTimeRepresentation pins the documented encoding that SQL users
// of the file rely on: INTEGER microseconds since the Unix epoch.
func TestSQLiteTimeRepresentation(t *testing.T) {
	db := openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db"))
	in := fullIncident("a")
	require.NoError(t, db.Write(context.Background(), record.Batch{Incidents: []record.Incident{in}}))
	var row struct {
		OpenedAt   int64  `db:"opened_at"`
		ResolvedAt int64  `db:"resolved_at"`
		AsText     string `db:"as_text"`
		Type       string `db:"type"`
	}
	require.NoError(t, db.read.Get(&row, `SELECT opened_at, resolved_at, typeof(opened_at) AS type,
		strftime('%Y-%m-%dT%H:%M:%fZ', opened_at / 1e6, 'unixepoch') AS as_text FROM incidents`))
	assert.Equal(t, "integer", row.Type)
	assert.Equal(t, t0.UnixMicro(), row.OpenedAt)
	assert.Equal(t, in.ResolvedAt.UnixMicro(), row.ResolvedAt)
	assert.Equal(t, "2026-03-04T05:06:07.123Z", row.AsText)
}

func TestSQLiteRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "steward.db")
	db, err := Open(ctx, "sqlite", path, testLogger(t))
	require.NoError(t, err)
	_, err = db.write.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	_, err = Open(ctx, "sqlite", path, testLogger(t))
	require.Error(t, err)
	ms, err2 := migrations("sqlite")
	require.NoError(t, err2)
	// The build's newest version grows with every migration added.
	assert.ErrorContains(t, err, "store: open sqlite: migrate: database schema is at version 9999, newer than this build's "+strconv.Itoa(ms[len(ms)-1].version))
}

package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

func TestSnapshotsSQLite(t *testing.T) {
	t.Parallel()
	testSnapshots(t, func(t *testing.T) *DB { return openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db")) })
}

func TestSnapshotsPostgres(t *testing.T) {
	t.Parallel()
	postgresDSN(t)
	testSnapshots(t, func(t *testing.T) *DB { return openTestDB(t, "postgres", newPostgresDatabase(t)) })
}

// testSnapshots is the conformance suite of review snapshot storage.
func testSnapshots(t *testing.T, open func(t *testing.T) *DB) {
	ctx := context.Background()
	created := time.Date(2026, 10, 1, 8, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	content := json.RawMessage(`{"score": 50, "kpis": {"mttr_seconds": {"value": 16800}}, "title": "Checkout fails – \"5xx\" <&> ☕"}`)

	t.Run("versions count up and content round-trips byte for byte", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		s := Snapshot{Role: "system", Subject: "api", Period: "2026-Q3", CreatedAt: created, Content: content}
		first, err := db.SaveSnapshot(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, 1, first.Version)
		s.Content = json.RawMessage(`{"score":75}`)
		second, err := db.SaveSnapshot(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, 2, second.Version)
		assert.NotEqual(t, first.ID, second.ID)
		other, err := db.SaveSnapshot(ctx, Snapshot{Role: "system", Subject: "api", Period: "2026-Q4", CreatedAt: created, Content: content})
		require.NoError(t, err)
		assert.Equal(t, 1, other.Version, "versions are per period")

		got, err := db.Snapshots(ctx, "system", "api", "2026-Q3")
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, string(content), string(got[0].Content))
		assert.Equal(t, `{"score":75}`, string(got[1].Content))
		assert.Equal(t, created.UTC().Truncate(time.Microsecond), got[0].CreatedAt)
		assert.Equal(t, time.UTC, got[0].CreatedAt.Location())
		assert.Equal(t, first, got[0])

		none, err := db.Snapshots(ctx, "system", "nope", "2026-Q3")
		require.NoError(t, err)
		assert.Empty(t, none)
	})

	t.Run("stored snapshots cannot be updated", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		_, err := db.SaveSnapshot(ctx, Snapshot{Role: "system", Subject: "api", Period: "2026", CreatedAt: created, Content: content})
		require.NoError(t, err)
		_, err = db.write.ExecContext(ctx, `UPDATE review_snapshots SET content = '{}'`)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "review snapshots are immutable")
	})

	t.Run("bad input is refused", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		tests := []struct {
			name string
			s    Snapshot
			want string
		}{
			{"not JSON", Snapshot{Role: "r", Subject: "s", Period: "p", Content: json.RawMessage(`{`)}, "content is not valid JSON"},
			{"no period", Snapshot{Role: "r", Subject: "s", Content: content}, "role, subject and period are required"},
			{"NUL in subject", Snapshot{Role: "r", Subject: "a\x00b", Period: "p", Content: content}, "subject"},
		}
		for _, tt := range tests {
			_, err := db.SaveSnapshot(ctx, tt.s)
			require.Error(t, err, tt.name)
			assert.Contains(t, err.Error(), tt.want, tt.name)
			assert.Contains(t, err.Error(), "store: save snapshot ", tt.name)
		}
	})

	t.Run("concurrent freezes get distinct versions", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		const n = 8
		versions := make([]int, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				var s Snapshot
				s, errs[i] = db.SaveSnapshot(ctx, Snapshot{Role: "global", Subject: "all", Period: "2026-07", CreatedAt: created, Content: content})
				versions[i] = s.Version
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		assert.ElementsMatch(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, versions)
	})

	t.Run("find incidents by key", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		a, b := fullIncident("a"), minimalIncident("b")
		b.Source = "api"
		require.NoError(t, db.Write(ctx, record.Batch{Incidents: []record.Incident{a, b, minimalIncident("c")}}))
		got, err := db.FindIncidents(ctx, []record.Ref{{Source: "pagerduty", ID: "a"}, {Source: "api", ID: "b"}, {Source: "api", ID: "missing"}, {Source: "pagerduty", ID: "b"}})
		require.NoError(t, err)
		titles := map[record.Ref]string{}
		for _, in := range got {
			titles[in.Key()] = in.Title
		}
		assert.Equal(t, map[record.Ref]string{{Source: "pagerduty", ID: "a"}: a.Title, {Source: "api", ID: "b"}: ""}, titles)

		many := make([]record.Ref, 1000)
		for i := range many {
			many[i] = record.Ref{Source: "x", ID: string(rune('a' + i%26))}
		}
		many[999] = record.Ref{Source: "pagerduty", ID: "c"}
		got, err = db.FindIncidents(ctx, many)
		require.NoError(t, err)
		require.Len(t, got, 1, "keys are looked up in several queries")
		assert.Equal(t, "c", got[0].ID)
	})
}

// The migration runner applies steps by version and does not need them to
// be consecutive: a step added later with a lower number (another branch's
// 0002 after this one's 0003) is applied when it appears.
func TestMigrationsAcceptGaps(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		ms, err := migrations(dialect)
		require.NoError(t, err)
		var versions []int
		for _, m := range ms {
			versions = append(versions, m.version)
		}
		assert.Contains(t, versions, 3, dialect)
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "steward.db")
	db := openTestDB(t, "sqlite", path)
	_, err := db.write.ExecContext(ctx, `DROP TABLE review_snapshots`)
	require.NoError(t, err)
	_, err = db.write.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 3`)
	require.NoError(t, err)
	db2 := openTestDB(t, "sqlite", path)
	appliedMigrations(t, db2)
	_, err = db2.SaveSnapshot(ctx, Snapshot{Role: "r", Subject: "s", Period: "p", Content: json.RawMessage(`{}`)})
	assert.NoError(t, err, "the missing step was applied on the next open")
}

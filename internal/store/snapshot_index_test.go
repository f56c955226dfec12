package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSnapshotIndex(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			var db *DB
			if driver == "sqlite" {
				db = openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db"))
			} else {
				postgresDSN(t)
				db = openTestDB(t, "postgres", newPostgresDatabase(t))
			}
			ctx := context.Background()
			none, err := db.SnapshotIndex(ctx)
			require.NoError(t, err)
			assert.Empty(t, none)
			at := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
			for _, s := range []Snapshot{
				{Role: "system", Subject: "api", Period: "2026-Q3"},
				{Role: "system", Subject: "api", Period: "2026-Q3"},
				{Role: "system", Subject: "api", Period: "2026-Q4"},
				{Role: "global", Subject: "all", Period: "2026-Q3"},
			} {
				s.CreatedAt, s.Content = at, json.RawMessage(`{"score":50}`)
				_, err := db.SaveSnapshot(ctx, s)
				require.NoError(t, err)
			}
			got, err := db.SnapshotIndex(ctx)
			require.NoError(t, err)
			var keys []string
			for _, s := range got {
				keys = append(keys, s.Period+" "+s.Role+" "+s.Subject+" v"+string(rune('0'+s.Version)))
				assert.Empty(t, s.Content, "the index leaves content out")
				assert.Equal(t, at, s.CreatedAt)
			}
			assert.Equal(t, []string{"2026-Q4 system api v1", "2026-Q3 global all v1", "2026-Q3 system api v1", "2026-Q3 system api v2"}, keys)
		})
	}
}

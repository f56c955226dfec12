package store

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every index on incidents and changes costs each write; the schema keeps
// the keys, seq (Incidents and Changes read by it) and the cause link, which
// SQL written against the store joins on (steward-bench's comparison).
func TestRecordIndexes(t *testing.T) {
	want := []string{"changes_seq", "incidents_caused_by", "incidents_seq"}
	t.Run("sqlite", func(t *testing.T) {
		db := openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db"))
		var got []string
		require.NoError(t, db.read.Select(&got, `SELECT name FROM sqlite_master
			WHERE type = 'index' AND tbl_name IN ('incidents', 'changes') AND sql IS NOT NULL ORDER BY name`))
		assert.Equal(t, want, got, "indexes besides the primary keys")
	})
	t.Run("postgres", func(t *testing.T) {
		db := openTestDB(t, "postgres", newPostgresDatabase(t))
		var got []string
		require.NoError(t, db.read.Select(&got, `SELECT indexname FROM pg_indexes
			WHERE tablename IN ('incidents', 'changes') AND indexname NOT LIKE '%_pkey' ORDER BY indexname`))
		assert.Equal(t, want, got, "indexes besides the primary keys")
	})
}

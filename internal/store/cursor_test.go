package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

// testCursor is the poll-cursor conformance suite; open returns a new, empty
// store that is closed when the test ends.
func testCursor(t *testing.T, open func(t *testing.T) *DB) {
	t.Run("absent cursor is empty", func(t *testing.T) {
		t.Parallel()
		got, err := open(t).Cursor(context.Background(), "servicenow/incident")
		require.NoError(t, err)
		assert.Empty(t, got)
	})
	t.Run("saved with records, replaced by the next batch", func(t *testing.T) { t.Parallel(); testCursorSaved(t, open(t)) })
	t.Run("a failed batch keeps the old cursor", func(t *testing.T) { t.Parallel(); testCursorAtomic(t, open(t)) })
	t.Run("bad cursors fail the batch", func(t *testing.T) { t.Parallel(); testCursorBad(t, open(t)) })
}

func cursorOf(t *testing.T, db *DB, name string) string {
	t.Helper()
	got, err := db.Cursor(context.Background(), name)
	require.NoError(t, err)
	return got
}

func testCursorSaved(t *testing.T, db *DB) {
	ctx := context.Background()
	tests := []struct {
		name  string
		batch record.Batch
		want  map[string]string
	}{
		{
			name:  "first page with records",
			batch: record.Batch{Incidents: []record.Incident{minimalIncident("a")}, Cursor: &record.Cursor{Name: "sn/incident", Value: "2026-03-04 05:06:07|abc"}},
			want:  map[string]string{"sn/incident": "2026-03-04 05:06:07|abc", "sn/change": ""},
		},
		{
			name:  "another cursor is independent",
			batch: record.Batch{Changes: []record.Change{minimalChange("c")}, Cursor: &record.Cursor{Name: "sn/change", Value: "x"}},
			want:  map[string]string{"sn/incident": "2026-03-04 05:06:07|abc", "sn/change": "x"},
		},
		{
			name:  "cursor alone (an empty page) is saved",
			batch: record.Batch{Cursor: &record.Cursor{Name: "sn/incident", Value: `{"since":"2026-03-05T00:00:00Z"} ☕`}},
			want:  map[string]string{"sn/incident": `{"since":"2026-03-05T00:00:00Z"} ☕`, "sn/change": "x"},
		},
		{
			name:  "a batch without cursor leaves cursors alone",
			batch: record.Batch{Incidents: []record.Incident{minimalIncident("b")}},
			want:  map[string]string{"sn/incident": `{"since":"2026-03-05T00:00:00Z"} ☕`, "sn/change": "x"},
		},
		{
			name:  "empty value is kept",
			batch: record.Batch{Cursor: &record.Cursor{Name: "sn/change", Value: ""}},
			want:  map[string]string{"sn/incident": `{"since":"2026-03-05T00:00:00Z"} ☕`, "sn/change": ""},
		},
	}
	for _, tt := range tests { // in order: each step builds on the last
		require.NoError(t, db.Write(ctx, tt.batch), tt.name)
		for name, want := range tt.want {
			assert.Equal(t, want, cursorOf(t, db, name), "%s: cursor %s", tt.name, name)
		}
	}
	assert.Len(t, incidents(t, db, 0), 2, "the records were written with their cursors")
}

func testCursorAtomic(t *testing.T, db *DB) {
	ctx := context.Background()
	require.NoError(t, db.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("a")}, Cursor: &record.Cursor{Name: "pd", Value: "page-1"}}))
	bad := minimalIncident("bad")
	bad.Severity = 9
	err := db.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("b"), bad}, Cursor: &record.Cursor{Name: "pd", Value: "page-2"}})
	require.Error(t, err)
	assert.Equal(t, "page-1", cursorOf(t, db, "pd"), "the cursor did not move past records that were not stored")
	assert.Len(t, incidents(t, db, 0), 1)
}

func testCursorBad(t *testing.T, db *DB) {
	ctx := context.Background()
	tests := []struct {
		name    string
		cursor  record.Cursor
		wantErr string
	}{
		{"empty name", record.Cursor{Value: "x"}, `store: write batch: cursor "": name is empty`},
		{"NUL in value", record.Cursor{Name: "n", Value: "a\x00b"}, `store: write batch: cursor "n": value is not valid UTF-8 text without NUL characters`},
		{"invalid UTF-8", record.Cursor{Name: "n", Value: "\xff"}, `store: write batch: cursor "n": value is not valid UTF-8 text without NUL characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident(tt.name)}, Cursor: &tt.cursor})
			require.EqualError(t, err, tt.wantErr)
			assert.Empty(t, incidents(t, db, 0), "nothing of the batch was stored")
		})
	}
}

func TestSQLiteCursor(t *testing.T) {
	t.Parallel()
	testCursor(t, func(t *testing.T) *DB { return openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db")) })
}

func TestPostgresCursor(t *testing.T) {
	t.Parallel()
	postgresDSN(t)
	testCursor(t, func(t *testing.T) *DB { return openTestDB(t, "postgres", newPostgresDatabase(t)) })
}

func TestSQLiteCursorSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "steward.db")
	db, err := Open(ctx, "sqlite", path, testLogger(t))
	require.NoError(t, err)
	require.NoError(t, db.Write(ctx, record.Batch{Cursor: &record.Cursor{Name: "sn/incident", Value: "v1"}}))
	require.NoError(t, db.Close())
	db = openTestDB(t, "sqlite", path)
	assert.Equal(t, "v1", cursorOf(t, db, "sn/incident"))
}

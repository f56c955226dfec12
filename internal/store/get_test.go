package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

// TestGetter runs the record.Getter suite against both databases.
func TestGetter(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testGetter(t, openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		postgresDSN(t)
		testGetter(t, openTestDB(t, "postgres", newPostgresDatabase(t)))
	})
}

// testGetter is the conformance suite for record.Getter: a record reads
// back by its key exactly as Incidents/Changes return it, a newer version
// replaces the older one, and a key that is not stored (including the same
// id under another source) reads as nil without an error.
func testGetter(t *testing.T, db *DB) {
	ctx := context.Background()
	var g record.Getter = db
	require.NoError(t, db.Write(ctx, record.Batch{
		Incidents: []record.Incident{fullIncident("a"), minimalIncident("b")},
		Changes:   []record.Change{fullChange("a")},
	}))
	newer := minimalIncident("a")
	newer.Title = "second version"
	require.NoError(t, db.Write(ctx, record.Batch{Incidents: []record.Incident{newer}}))

	all := incidents(t, db, 0)
	byID := map[string]record.Incident{}
	for _, in := range all {
		byID[in.ID] = in
	}
	for _, id := range []string{"a", "b"} {
		got, err := g.Incident(ctx, "pagerduty", id)
		require.NoError(t, err)
		require.NotNil(t, got, id)
		assert.Equal(t, byID[id], *got, id)
	}
	got, err := g.Incident(ctx, "pagerduty", "a")
	require.NoError(t, err)
	assert.Equal(t, "second version", got.Title)

	wantChange := changes(t, db, 0)[0]
	gotChange, err := g.Change(ctx, "github", "a")
	require.NoError(t, err)
	require.NotNil(t, gotChange)
	assert.Equal(t, wantChange, *gotChange)

	for _, key := range []record.Ref{{Source: "pagerduty", ID: "missing"}, {Source: "github", ID: "a"}, {Source: "", ID: "a"}} {
		in, err := g.Incident(ctx, key.Source, key.ID)
		require.NoError(t, err)
		assert.Nil(t, in, "incident %v", key)
	}
	c, err := g.Change(ctx, "pagerduty", "a")
	require.NoError(t, err)
	assert.Nil(t, c)
}

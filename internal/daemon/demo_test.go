package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/importer"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// The README's recipe loads a generated dataset into a daemon that started
// with --demo: the records add to the demo data, none replaces it, and the
// demo has every kind of record.
func TestDemoThenGeneratedDatasetAdds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbFile := filepath.Join(t.TempDir(), "steward.db")
	o := generate.DefaultOptions()
	o.To = time.Now().UTC().Truncate(time.Hour)
	o.From = o.To.AddDate(0, 0, -180)
	require.NoError(t, generate.Write(dir, o))
	data, err := os.ReadFile(filepath.Join(dir, "steward.yml"))
	require.NoError(t, err)
	cfg, err := config.Parse(data)
	require.NoError(t, err)

	db, err := store.Open(ctx, "sqlite", dbFile, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, loadDemo(ctx, db, cfg, slog.New(slog.DiscardHandler)))
	demoIncidents, err := db.Incidents(ctx, 0, 1_000_000)
	require.NoError(t, err)
	demoChanges, err := db.Changes(ctx, 0, 1_000_000)
	require.NoError(t, err)
	demoFeedback, err := db.Feedback(ctx, 0, 1_000_000)
	require.NoError(t, err)
	require.Len(t, demoIncidents, o.Incidents)
	require.Len(t, demoChanges, o.Changes)
	require.NotEmpty(t, demoFeedback)

	for kind, file := range map[string]string{"incident": "incidents.ndjson", "change": "changes.ndjson", "feedback": "feedback.ndjson"} {
		_, err := importer.Files(ctx, db, importer.Options{Kind: record.Kind(kind), Format: "ndjson", Files: []string{filepath.Join(dir, file)}}, io.Discard, time.Now)
		require.NoError(t, err, kind)
	}
	incidents, err := db.Incidents(ctx, 0, 1_000_000)
	require.NoError(t, err)
	changes, err := db.Changes(ctx, 0, 1_000_000)
	require.NoError(t, err)
	feedback, err := db.Feedback(ctx, 0, 1_000_000)
	require.NoError(t, err)
	assert.Len(t, incidents, 2*o.Incidents, "generated incidents add to the demo's")
	assert.Len(t, changes, 2*o.Changes)
	assert.Len(t, feedback, 2*len(demoFeedback))
	sources := map[string]int{}
	for _, in := range incidents {
		sources[in.Source]++
	}
	assert.Equal(t, map[string]int{"demo": o.Incidents, "generated": o.Incidents}, sources, fmt.Sprint(sources))
}

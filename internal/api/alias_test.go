package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/scenario"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/scorecard"
)

// A system's alias names the system as a subject, as it does in records:
// the answer is the system's scorecard, under its id.
func TestScorecardsSystemAlias(t *testing.T) {
	ctx := context.Background()
	cfg := scenario.Config(t)
	db, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "s.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Write(ctx, scenario.Batch(t)))
	eng := scorecard.New(scorecard.Options{Store: db, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
	srv := New(Options{Store: db, Logger: slog.New(slog.DiscardHandler), Scorecards: eng, Config: func() *config.Config { return cfg }})

	answer := func(query string) (int, ScorecardsView) {
		code, _, body := get(t, srv, query)
		var v ScorecardsView
		if code == http.StatusOK {
			require.NoError(t, json.Unmarshal(body, &v))
		}
		return code, v
	}
	const at = "&at=2026-01-11T00:00:00Z"
	code, byID := answer("role=system&subject=api" + at)
	require.Equal(t, http.StatusOK, code)
	for _, q := range []string{"role=system&subject=api-alias" + at, "subject=api-alias" + at} {
		code, byAlias := answer(q)
		require.Equal(t, http.StatusOK, code, q)
		require.Len(t, byAlias.Scorecards, 1, q)
		assert.Equal(t, "api", byAlias.Scorecards[0].Subject, q)
		assert.Equal(t, byID, byAlias, q)
	}
	code, _ = answer("role=system_owner&subject=api-alias" + at)
	assert.Equal(t, http.StatusNotFound, code, "an alias names a system, not an owner")
	code, _ = answer("role=system&subject=nope" + at)
	assert.Equal(t, http.StatusNotFound, code)
}

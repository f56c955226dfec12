package scorecard

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// Teams come from records: past limits.teams, new teams' records count for
// one overflow team, so a flood of invented names adds one subject, and
// nothing is dropped. Declared teams never count against the limit.
func TestTeamsPastTheLimit(t *testing.T) {
	cfg, err := config.Parse([]byte(`
systems: [{id: api}]
teams: [{id: declared}]
limits: {teams: 2}
`))
	require.NoError(t, err)
	opened := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var b record.Batch
	for i, team := range []string{"a", "b", "declared", "c", "d", "c", "a"} {
		b.Incidents = append(b.Incidents, record.Incident{ID: fmt.Sprint("I", i), Source: "api", System: "api", Severity: 3,
			Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: opened.Add(time.Duration(i) * time.Hour), Team: team})
	}
	snap, err := storedEngine(t, cfg, b).At(context.Background(), opened.Add(24*time.Hour))
	require.NoError(t, err)
	got := map[string]float64{}
	for _, c := range snap.Find("7d", RoleTeam, "") {
		got[c.ID] = c.Value[IncidentsOpened]
	}
	assert.Equal(t, map[string]float64{"a": 2, "b": 1, "declared": 1, config.OverflowTeam: 3}, got)
	global := snap.Find("7d", RoleGlobal, GlobalSubject)
	require.Len(t, global, 1)
	assert.Equal(t, 7.0, global[0].Value[IncidentsOpened], "every record counts for the global subject")
}

// storedEngine writes b to a new SQLite store and returns an engine over it
// under cfg.
func storedEngine(t *testing.T, cfg *config.Config, b record.Batch) *Engine {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "s.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Write(ctx, b))
	return New(Options{Store: st, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
}

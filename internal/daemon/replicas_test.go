package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/exporter"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
)

const readinessConfig = `
storage: {driver: %s, dsn: %q}
windows: [30d]
people: [{id: alice}, {id: erin}]
systems:
  - {id: payments-api, aliases: [payments], owners: [{owner: alice, since: 2025-01-01T00:00:00Z}]}
processes:
  incident: {owner: erin}
  change: {owner: erin}
`

// /readyz waits for a config, the first KPI snapshot and its metrics: a replica that
// joins the load balancer before its engine has read the store would
// serve empty scorecards and metrics.
func TestReadiness(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "s.db")
	cfg, err := config.Parse(fmt.Appendf(nil, readinessConfig, "sqlite", dbPath))
	require.NoError(t, err)
	st, err := store.Open(context.Background(), "sqlite", dbPath, nil)
	require.NoError(t, err)
	defer st.Close()
	engine := scorecard.New(scorecard.Options{Store: st, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})

	cfgFn := func() *config.Config { return cfg }
	scraper := exporter.ScrapeHandler(engine.Latest, cfgFn, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	assert.EqualError(t, readiness(func() *config.Config { return nil }, engine, scraper)(), "no configuration loaded")
	ready := readiness(cfgFn, engine, scraper)
	assert.EqualError(t, ready(), "the first KPI snapshot is not computed yet")
	_, err = engine.Refresh(context.Background())
	require.NoError(t, err)
	assert.EqualError(t, ready(), "the metrics of the first KPI snapshot are not rendered yet")
	scraper.Warm() // as the daemon does after each recompute
	assert.NoError(t, ready())
}

// A poller whose cursor another replica moved after it read it stores
// nothing of its page: the newer data stays.
func TestFencedCursors(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "s.db"), nil)
	require.NoError(t, err)
	defer st.Close()
	incident := func(id, title string) record.Incident {
		return record.Incident{ID: id, Source: "servicenow", System: "x", Title: title, Severity: 3, Impact: record.ImpactNone,
			OpenedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	page := func(title, cursor string) record.Batch {
		return record.Batch{Incidents: []record.Incident{incident("INC1", title)}, Cursor: &record.Cursor{Name: "servicenow/incident", Value: cursor}}
	}
	stale, fresh := newFencedCursors(st), newFencedCursors(st)

	_, err = stale.Cursor(ctx, "servicenow/incident") // the old leader reads "" and fetches
	require.NoError(t, err)
	_, err = fresh.Cursor(ctx, "servicenow/incident") // the new leader too
	require.NoError(t, err)
	require.NoError(t, fresh.Write(ctx, page("newer", "c2")))
	err = stale.Write(ctx, page("older", "c1"))
	require.ErrorIs(t, err, store.ErrCursorMoved)

	got, err := st.Incident(ctx, "servicenow", "INC1")
	require.NoError(t, err)
	assert.Equal(t, "newer", got.Title)
	c, err := st.Cursor(ctx, "servicenow/incident")
	require.NoError(t, err)
	assert.Equal(t, "c2", c)

	// Once it reads the cursor again (its next step), it goes on from there.
	_, err = stale.Cursor(ctx, "servicenow/incident")
	require.NoError(t, err)
	assert.NoError(t, stale.Write(ctx, page("newest", "c3")))
	assert.NoError(t, stale.Write(ctx, record.Batch{Incidents: []record.Incident{incident("INC2", "")}}), "batches without a cursor are not fenced")
}

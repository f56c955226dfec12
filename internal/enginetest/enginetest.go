// Package enginetest runs the KPI engine over a generated organisation in a
// SQLite store, for the tests and benchmarks of the packages that serve its
// snapshots (the exporter, the API).
package enginetest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
)

// Org is a generated organisation: its config and records, an empty store
// and an engine over it whose clock stands at the generated period's end.
type Org struct {
	Config    *config.Config
	Incidents []record.Incident
	Changes   []record.Change
	Store     *store.DB
	Engine    *scorecard.Engine
}

// New generates o's config and records and opens the store and engine;
// nothing is stored yet.
func New(t testing.TB, o generate.Options) *Org {
	t.Helper()
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	inc, chg := generate.Records(cfg, o)
	st, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "steward.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	e := scorecard.New(scorecard.Options{Store: st, Config: func() *config.Config { return cfg },
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return o.To }})
	return &Org{Config: cfg, Incidents: inc, Changes: chg, Store: st, Engine: e}
}

// Loaded is New with every record stored and the engine's snapshot computed.
func Loaded(t testing.TB, o generate.Options) *Org {
	t.Helper()
	g := New(t, o)
	g.Add(t, record.Batch{Incidents: g.Incidents, Changes: g.Changes})
	return g
}

// Add stores b and returns the engine's snapshot recomputed with it.
func (g *Org) Add(t testing.TB, b record.Batch) *scorecard.Snapshot {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, g.Store.Write(ctx, b))
	s, err := g.Engine.Refresh(ctx)
	require.NoError(t, err)
	return s
}

package scorecard

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/store"
)

// The latest snapshot, kept up to date incrementally as records arrive,
// change and the clock moves, always equals a computation from scratch.
func TestIncrementalEqualsFull(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 20, 15, 1500, 3000
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	incidents, changes := generate.Records(cfg, o)
	st, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "s.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })

	now := o.From.Add(30 * 24 * time.Hour)
	e := New(Options{Store: st, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	rng := rand.New(rand.NewPCG(7, 7))
	ctx := context.Background()
	written, incremental := 0, 0
	for step := 0; written < len(incidents) || step < 40; step++ {
		var b record.Batch
		// new records, in the order they happened
		n := rng.IntN(150)
		for ; n > 0 && written < len(incidents); n-- {
			b.Incidents = append(b.Incidents, incidents[written])
			if written < len(changes) {
				b.Changes = append(b.Changes, changes[2*written/2])
			}
			written++
		}
		// changed versions of stored records: late resolutions, reviews,
		// new causes, outcome corrections, moved systems
		for k := 0; k < rng.IntN(20) && written > 0; k++ {
			in := incidents[rng.IntN(written)]
			switch rng.IntN(4) {
			case 0:
				r := in.OpenedAt.Add(time.Duration(rng.IntN(96)) * time.Hour)
				in.ResolvedAt = &r
			case 1:
				in.System = cfg.Systems[rng.IntN(len(cfg.Systems))].ID
				in.Team = "late-team"
			case 2:
				c := changes[rng.IntN(written)]
				in.CausedByChange = &record.Ref{Source: c.Source, ID: c.ID}
			case 3:
				d := in.OpenedAt.Add(200 * time.Hour)
				in.Review = &record.Review{CompletedAt: &d}
			}
			b.Incidents = append(b.Incidents, in)
			c := changes[rng.IntN(written)]
			if c.FinishedAt != nil {
				c.Outcome = []record.Outcome{record.OutcomeSuccess, record.OutcomeFailed, record.OutcomeRolledBack, record.OutcomeCancelled}[rng.IntN(4)]
				b.Changes = append(b.Changes, c)
			}
		}
		if b.Len() > 0 {
			require.NoError(t, st.Write(ctx, b))
		}
		now = now.Add(time.Duration(rng.IntN(int(36 * time.Hour))))
		if step%7 == 3 {
			now = now.Add(-time.Duration(rng.IntN(int(2 * time.Hour)))) // a clock step back
		}
		before := e.live
		got, err := e.Refresh(ctx)
		require.NoError(t, err)
		if before != nil && e.live == before {
			incremental++
		}
		want := e.computeWindows(now, cfg.Windows)
		requireSameSnapshot(t, want, got, step)
	}
	require.Greater(t, incremental, 20, "most recomputes were incremental")
}

func requireSameSnapshot(t *testing.T, want, got *Snapshot, step int) {
	t.Helper()
	require.Equal(t, want.At, got.At)
	for w, cards := range want.Cards {
		require.Len(t, got.Cards[w], len(cards))
		for i, c := range cards {
			g := got.Cards[w][i]
			require.Equal(t, c.Subject, g.Subject)
			for k := range numKPI {
				for _, pair := range [][2]float64{{c.Value[k], g.Value[k]}, {c.Previous[k], g.Previous[k]}} {
					if math.IsNaN(pair[0]) && math.IsNaN(pair[1]) {
						continue
					}
					require.Equal(t, pair[0], pair[1], "step %d %s %s %s", step, w, c.Subject, k.Name())
				}
			}
		}
	}
}

package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
	"github.com/steward-sh/steward/store"
)

// BenchmarkScorecards measures GET /api/v1/scorecards for the reference
// organisation (5,000 systems, 1,000 owners, 50 programs, 200 teams; the
// answer depends on subjects, not records, so 50,000 incidents and as many
// changes): the answer kept for the latest snapshot against the same
// answer computed afresh (a past at, answered from the same snapshot).
func BenchmarkScorecards(b *testing.B) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Programs, o.Teams = 5000, 1000, 50, 200
	o.Incidents, o.Changes = 50_000, 50_000
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(b, err)
	inc, chg := generate.Records(cfg, o)
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite", filepath.Join(b.TempDir(), "s.db"), slog.New(slog.DiscardHandler))
	require.NoError(b, err)
	b.Cleanup(func() { st.Close() })
	require.NoError(b, st.Write(ctx, record.Batch{Incidents: inc, Changes: chg}))
	e := scorecard.New(scorecard.Options{Store: st, Config: func() *config.Config { return cfg },
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return o.To }})
	snap, err := e.Refresh(ctx)
	require.NoError(b, err)
	sc := &fixedScorecards{}
	sc.snap.Store(snap)
	srv := New(Options{Logger: slog.New(slog.DiscardHandler), Scorecards: sc})
	at := "&at=" + snap.At.Format(time.RFC3339Nano)
	for _, tt := range []struct{ name, query string }{
		{"owners-kept", "role=system_owner&window=30d"},
		{"owners-fresh", "role=system_owner&window=30d" + at},
		{"systems-kept", "role=system&window=30d"},
		{"systems-fresh", "role=system&window=30d" + at},
		{"owners-csv-kept", "role=system_owner&window=30d&format=csv"},
		{"owners-csv-fresh", "role=system_owner&window=30d&format=csv" + at},
	} {
		b.Run(tt.name, func(b *testing.B) {
			size := 0
			for b.Loop() {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/scorecards?"+tt.query, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/answer")
		})
	}
}

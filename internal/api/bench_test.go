package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/enginetest"
)

// BenchmarkScorecards measures GET /api/v1/scorecards for the reference
// organisation (5,000 systems, 1,000 owners, 50 programs, 200 teams; the
// answer depends on subjects, not records, so 50,000 incidents and as many
// changes): the answer kept for the latest snapshot against the same
// answer computed afresh (a past at, answered from the same snapshot).
func BenchmarkScorecards(b *testing.B) {
	snap := enginetest.Loaded(b, generate.Reference(50_000)).Engine.Latest()
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

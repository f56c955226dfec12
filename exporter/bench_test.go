package exporter

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/enginetest"
)

// BenchmarkScrape measures GET /metrics for the reference organisation:
// 5,000 systems, 1,000 owners, 50 programs, 200 teams, windows 7d, 30d and
// 90d. Scrape cost depends on subjects, not records, so the dataset has
// 50,000 incidents and as many changes (enough for every team to appear
// and most KPIs to have a value). The snapshot is computed once, as the
// daemon does; each iteration is one scrape.
func BenchmarkScrape(b *testing.B) {
	org := enginetest.Loaded(b, generate.Reference(50_000))
	cfg, engine := org.Config, org.Engine
	snap := engine.Latest()
	c := NewCollector(engine.Latest, func() *config.Config { return cfg })
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	latest := engine.Latest
	cached := ScrapeHandler(latest, func() *config.Config { return cfg }, prometheus.NewRegistry(), Merge(c), slog.New(slog.DiscardHandler))
	for _, tt := range []struct {
		name, accept, encoding string
		h                      http.Handler
	}{
		// the served path: rendered once per snapshot, then written
		{"cached-openmetrics-gzip", "application/openmetrics-text;version=1.0.0", "gzip", cached},
		{"cached-text", "", "", cached},
		// the first scrape after a recompute renders the snapshot
		{"render-text", "", "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(Render(latest(), cfg, false))
		})},
		{"generic-text", "", "", Handler(Merge(c), slog.New(slog.DiscardHandler))},
		{"generic-openmetrics", "application/openmetrics-text;version=1.0.0", "", Handler(Merge(c), slog.New(slog.DiscardHandler))},
		{"text-via-registry", "", "", Handler(reg, slog.New(slog.DiscardHandler))},
	} {
		h := tt.h
		b.Run(tt.name, func(b *testing.B) {
			var size, series int
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				if tt.accept != "" {
					req.Header.Set("Accept", tt.accept)
				}
				if tt.encoding != "" {
					req.Header.Set("Accept-Encoding", tt.encoding)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				size = rec.Body.Len()
			}
			walk(snap, cfg, func(*family, []string, float64) { series++ })
			b.ReportMetric(float64(size), "bytes/scrape")
			b.ReportMetric(float64(series), "series")
		})
	}
}

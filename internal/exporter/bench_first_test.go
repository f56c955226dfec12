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

// BenchmarkScrapeFirst measures the first scrape of a snapshot nothing
// rendered ahead (a new handler per iteration), as Prometheus asks for it
// and in plain text: the rendering's time and allocations.
func BenchmarkScrapeFirst(b *testing.B) {
	org := enginetest.Loaded(b, generate.Reference(50_000))
	cfg, engine := org.Config, org.Engine
	cfgFn := func() *config.Config { return cfg }
	for _, tt := range []struct{ name, accept, encoding string }{
		{"openmetrics-gzip", "application/openmetrics-text;version=1.0.0", "gzip"},
		{"text", "", ""},
	} {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				h := ScrapeHandler(engine.Latest, cfgFn, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
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
			}
		})
	}
}

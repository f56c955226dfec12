package exporter

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/enginetest"
	"github.com/steward-sh/steward/internal/telemetry"
	sc "github.com/steward-sh/steward/scorecard"
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
	reg := prometheus.NewRegistry()
	reg.MustRegister(kpiCollector{snap: snap, cfg: cfg})
	latest := engine.Latest
	cached := ScrapeHandler(latest, func() *config.Config { return cfg }, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	withSelf := ScrapeHandler(latest, func() *config.Config { return cfg }, telemetry.New("bench", time.Now).Registry(), slog.New(slog.DiscardHandler))
	for _, tt := range []struct {
		name, accept, encoding string
		h                      http.Handler
	}{
		// the served path: rendered once per snapshot, then written
		{"cached-openmetrics-gzip", "application/openmetrics-text;version=1.0.0", "gzip", cached},
		{"cached-text", "", "", cached},
		// the same with the daemon's self-metrics, Go and process collectors
		{"cached-openmetrics-gzip-self", "application/openmetrics-text;version=1.0.0", "gzip", withSelf},
		// the first scrape after a recompute renders the snapshot
		{"render-text", "", "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(Render(latest(), cfg, false))
		})},
		// what the hand-rendered exposition saves: the KPIs gathered
		// through a registry on every scrape
		{"text-via-registry", "", "", promhttp.HandlerFor(reg, promhttp.HandlerOpts{})},
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

// kpiCollector serves a snapshot's KPIs as a client_golang collector: only
// to measure what a registry would cost per scrape.
type kpiCollector struct {
	snap *sc.Snapshot
	cfg  *config.Config
}

func (c kpiCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c kpiCollector) Collect(ch chan<- prometheus.Metric) {
	descs := map[*family]*prometheus.Desc{}
	walk(c.snap, c.cfg, func(f *family, labels []string, v float64) {
		d := descs[f]
		if d == nil {
			d = prometheus.NewDesc(f.name, f.help, f.labels, nil)
			descs[f] = d
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	})
}

package main

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/steward-sh/steward/api"
	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/exporter"
	"github.com/steward-sh/steward/scorecard"
	"github.com/steward-sh/steward/telemetry"
)

// metricsGatherer is what GET /metrics serves and --push.url pushes: the
// KPIs of the engine's latest snapshot, the Go runtime and process metrics
// (client_golang) and the daemon's self-metrics (VictoriaMetrics/metrics,
// parsed back so that every negotiated format is one valid exposition).
func metricsGatherer(engine *scorecard.Engine, cfg func() *config.Config, tel *telemetry.Telemetry) prometheus.Gatherer {
	// The KPI collector is gathered directly rather than registered: a
	// registry would check and sort its ~450,000 samples (the reference
	// organisation) on every scrape, doubling the scrape's cost.
	return exporter.Merge(selfGatherer(tel), exporter.NewCollector(engine.Latest, cfg))
}

// selfGatherer gathers everything but the KPIs: the Go runtime, the process
// and the daemon's self-metrics.
func selfGatherer(tel *telemetry.Telemetry) prometheus.Gatherer {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return exporter.Merge(reg, exporter.TextGatherer(tel.WritePrometheus, telemetry.Help))
}

// metricsHandler serves GET /metrics: the KPIs rendered once per snapshot,
// the rest gathered per scrape.
func metricsHandler(engine *scorecard.Engine, cfg func() *config.Config, tel *telemetry.Telemetry, logger *slog.Logger) *exporter.Scraper {
	return exporter.ScrapeHandler(engine.Latest, cfg, selfGatherer(tel), metricsGatherer(engine, cfg, tel), logger)
}

// observeIngest counts ingest requests in the self-metrics.
func observeIngest(tel *telemetry.Telemetry) func(api.IngestEvent) {
	return func(ev api.IngestEvent) {
		tel.Ingested(ev.Kind, ev.Source, ev.Status, ev.Batch, ev.StoreErr, ev.Took)
	}
}

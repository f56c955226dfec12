package daemon

import (
	"log/slog"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/api"
	"github.com/steward-sh/steward/internal/exporter"
	"github.com/steward-sh/steward/internal/telemetry"
	"github.com/steward-sh/steward/scorecard"
)

// metricsHandler serves GET /metrics (and, through WriteText, what
// --push.url pushes): the daemon's self-metrics, Go runtime and process
// metrics (client_golang, encoded per scrape), then the KPIs of the
// engine's latest snapshot, rendered once per snapshot.
func metricsHandler(engine *scorecard.Engine, cfg func() *config.Config, tel *telemetry.Telemetry, logger *slog.Logger) *exporter.Scraper {
	return exporter.ScrapeHandler(engine.Latest, cfg, tel.Registry(), logger)
}

// observeIngest counts ingest requests in the self-metrics.
func observeIngest(tel *telemetry.Telemetry) func(api.IngestEvent) {
	return func(ev api.IngestEvent) {
		tel.Ingested(ev.Kind, ev.Source, ev.Status, ev.Batch, ev.StoreErr, ev.Took)
	}
}

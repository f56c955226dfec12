package main

import (
	"context"
	"io"
	"os"
	"strings"

	"github.com/prometheus/common/promslog"

	"github.com/steward-sh/steward/internal/cli"
	"github.com/steward-sh/steward/internal/daemon"
)

func runServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	d := daemon.DefaultOptions()
	o := daemon.Options{Version: version}
	var logLevel, logFormat string
	fs := newFlags("serve", "Run the Steward daemon: ingest API, KPI engine and scorecards.", stderr)
	fs.StringVar(&o.ConfigFile, "config.file", d.ConfigFile, "Steward configuration file.")
	fs.StringVar(&o.ListenAddress, "web.listen-address", d.ListenAddress, "Address to listen on for the API and metrics.")
	fs.StringVar(&logLevel, "log.level", "info", "Only log messages with the given severity or above. One of: ["+strings.Join(promslog.LevelFlagOptions, ", ")+"]")
	fs.StringVar(&logFormat, "log.format", "logfmt", "Output format of log messages. One of: ["+strings.Join(promslog.FormatFlagOptions, ", ")+"]")
	fs.DurationVar(&o.Interval, "compute.interval", d.Interval, "How often KPIs are recomputed when nothing is ingested (ingest also asks for a recompute, see --compute.min-interval).")
	fs.DurationVar(&o.MinInterval, "compute.min-interval", d.MinInterval, "Least time between the starts of two recomputes asked for by ingest; batches arriving faster share one recompute, so that recomputing does not take the CPU ingest needs. The API and web UI always answer with every stored record; /metrics may show a batch up to this much later. 0: recompute after every batch.")
	fs.BoolVar(&o.Demo, "demo", false, "Load a small generated demo dataset for the configured systems when the store is empty.")
	fs.Int64Var(&o.MaxBody, "web.max-body-bytes", d.MaxBody, "Largest ingest request body accepted (413 past it).")
	fs.StringVar(&o.WebConfigFile, "web.config.file", "", "Web configuration file (Prometheus exporter-toolkit format) for TLS, basic auth users and response headers; re-read on every request and connection.")
	fs.DurationVar(&o.ReadHeaderTimeout, "web.read-header-timeout", d.ReadHeaderTimeout, "Longest time to read a request's headers (against slowloris); 0 disables.")
	fs.DurationVar(&o.ReadTimeout, "web.read-timeout", d.ReadTimeout, "Longest time to read a whole request, body included; 0 disables.")
	fs.DurationVar(&o.WriteTimeout, "web.write-timeout", d.WriteTimeout, "Longest time from the end of a request's headers to the end of its answer; 0 disables.")
	fs.DurationVar(&o.IdleTimeout, "web.idle-timeout", d.IdleTimeout, "Longest time a keep-alive connection waits for its next request; 0 disables.")
	fs.IntVar(&o.MaxBatchRecords, "web.max-batch-records", d.MaxBatchRecords, "Most records one ingest request may hold (413 past it).")
	fs.IntVar(&o.MaxConcurrentReads, "web.max-concurrent-reads", d.MaxConcurrentReads, "Most expensive requests (scorecards with at=, reviews, UI report and subject pages) in progress at once (503 with Retry-After past it).")
	fs.Int64Var(&o.MaxBodyInFlight, "web.max-body-bytes-in-flight", d.MaxBodyInFlight, "Most bytes of ingest and webhook request bodies read into memory at once (503 with Retry-After past it, before the body is read); a body of unknown length counts as --web.max-body-bytes.")
	fs.Func("web.trusted-origins", "Comma-separated origins (scheme://host[:port]) whose pages may send state-changing requests (POST, PUT, DELETE) from a browser; browsers' cross-origin requests from any other page are refused (403). Requests without browser headers (curl, collectors) are not affected.", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				o.TrustedOrigins = append(o.TrustedOrigins, s)
			}
		}
		return nil
	})
	fs.StringVar(&o.AuditFile, "log.audit-file", "", "Write the audit log of admin actions to this file as JSON lines; default: the daemon's log, with audit=true.")
	fs.StringVar(&o.GrafanaURL, "web.grafana-url", "", "Grafana base URL; the UI's subject pages then link to Steward's dashboards there (e.g. https://grafana.example.com).")
	fs.StringVar(&o.PushURL, "push.url", "", "Also push the metrics of /metrics here (PUT, text format), for sites that do not scrape: a Pushgateway's http://host:9091/metrics/job/steward or VictoriaMetrics' http://host:8428/api/v1/import/prometheus.")
	fs.DurationVar(&o.PushInterval, "push.interval", d.PushInterval, "How often to push to --push.url.")
	fs.StringVar(&o.Spool.Dir, "spool.dir", d.Spool.Dir, "Directory of the local spool, where webhook deliveries from vendors that do not retry wait while the store is unavailable (answered 202); empty disables spooling (they are answered 503).")
	fs.Int64Var(&o.Spool.MaxBytes, "spool.max-bytes", d.Spool.MaxBytes, "Most bytes of deliveries the spool holds; past it deliveries are answered 503.")
	fs.IntVar(&o.Spool.MaxEntries, "spool.max-entries", d.Spool.MaxEntries, "Most deliveries the spool holds; past it deliveries are answered 503.")
	fs.StringVar(&o.Spool.Sources, "spool.sources", d.Spool.Sources, "Comma-separated webhooks whose deliveries are spooled while the store is unavailable (others are answered 503 for their vendor to retry): any of alertmanager, pagerduty, github, gitlab, opsgenie; empty spools none.")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	logger, err := daemon.NewLogger(stderr, logLevel, logFormat)
	if err != nil {
		return err
	}
	o.Logger = logger
	if os.Getenv("GOGC") == "" {
		// the daemon sets the collector's pace by what it does (see
		// daemon.ServingGCPercent); a GOGC in the environment holds
		// throughout instead
		o.ServingGCPercent = d.ServingGCPercent
	}
	return daemon.Run(ctx, o)
}

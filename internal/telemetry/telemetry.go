// Package telemetry measures the Steward daemon itself with client_golang:
// records ingested by source, kind and result, ingest latency, the last
// successful ingest per source, recompute duration, store errors, config
// reloads, pushes, the spool, leadership and measurements, beside the Go
// runtime, the process, the store's connection pools and build info (the
// library's own collectors). The exporter encodes Registry's families
// straight into each scrape, in the format negotiated, ahead of the
// pre-rendered KPIs.
//
// It must not measure KPIs (the exporter exports those from the scorecard
// engine's snapshots) and keeps one prometheus.Registry per daemon, never
// the library's default one, so that several daemons can run in one test
// process.
package telemetry

import (
	"database/sql"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/collectors/version"
)

// maxSources bounds the source label: records name their own source, so a
// client could otherwise create series at will. Sources past the bound are
// counted as source="other".
const maxSources = 50

// Telemetry is one daemon's self-metrics.
type Telemetry struct {
	reg *prometheus.Registry
	now func() time.Time

	mu      sync.Mutex // guards sources
	sources map[string]bool

	ingestRecords, ingestRequests *prometheus.CounterVec
	ingestDuration                *prometheus.HistogramVec
	lastIngest                    *prometheus.GaugeVec
	recompute                     prometheus.Histogram
	reloadOK, reloadTime          prometheus.Gauge
	pushes                        *prometheus.CounterVec
	lastPush                      prometheus.Gauge
	storeErrors                   *prometheus.CounterVec
	spoolDeliveries               *prometheus.CounterVec
	leader                        *prometheus.GaugeVec
	measureFailures, measureRead  *prometheus.CounterVec
	measureSuccess, measureUntil  *prometheus.GaugeVec
}

// RecomputeBuckets are the upper bounds of steward_recompute_duration_seconds:
// 1 ms (a demo) to about 65 s (the reference dataset takes seconds).
var RecomputeBuckets = prometheus.ExponentialBuckets(0.001, 2, 17)

// New builds a daemon's self-metrics. v is the daemon's version; now is the
// clock for the last-ingest, reload and push timestamps.
func New(v string, now func() time.Time) *Telemetry {
	reg := prometheus.NewRegistry()
	t := &Telemetry{reg: reg, now: now, sources: map[string]bool{}}
	f := factory{reg}
	t.ingestRecords = f.counters("steward_ingest_records_total",
		"Records received by ingest, by source, kind and result: accepted (stored), rejected (invalid, quarantined) or error (not stored: the store failed).",
		"source", "kind", "result")
	t.ingestRequests = f.counters("steward_ingest_requests_total",
		"Ingest requests, by endpoint source, kind and HTTP status code.", "source", "kind", "code")
	t.ingestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "steward_ingest_duration_seconds",
		Help: "Time to answer an ingest request, by endpoint source and kind.", Buckets: prometheus.DefBuckets}, []string{"source", "kind"})
	t.lastIngest = f.gauges("steward_last_ingest_timestamp_seconds", "When records of a source were last stored.", "source")
	t.recompute = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "steward_recompute_duration_seconds",
		Help: "Time to recompute every scorecard (the scheduled and after-ingest recomputes).", Buckets: RecomputeBuckets})
	t.reloadOK = f.gauge("steward_config_last_reload_successful", "Whether the last configuration reload attempt succeeded (1) or not (0).")
	t.reloadTime = f.gauge("steward_config_last_reload_success_timestamp_seconds", "When the configuration was last loaded successfully.")
	t.pushes = f.counters("steward_push_requests_total", "Pushes of the metrics to the --push.url endpoint, by result.", "result")
	t.lastPush = f.gauge("steward_last_push_timestamp_seconds", "When the metrics were last pushed successfully.")
	t.storeErrors = f.counters("steward_store_errors_total", "Errors from the record store, by operation.", "operation")
	t.spoolDeliveries = f.counters("steward_spool_deliveries_total",
		"Webhook deliveries by spool result: spooled (answered 202, kept on disk), refused (spool full: 503), drained (stored), quarantined (refused by the store, kept for inspection).",
		"result")
	t.leader = f.gauges("steward_leader",
		"Whether this replica runs a task that must run in one replica at a time (1) or leaves it to another (0), by task (poller/<feed>).", "task")
	t.measureFailures = f.counters("steward_measurement_query_failures_total",
		"Queries of the measurements source (a Prometheus-compatible query API) that failed, by measure; the range is read again at the next attempt.", "measure")
	t.measureRead = f.counters("steward_measurement_samples_stored_total",
		"Measurement samples read from the measurements source and stored, by measure.", "measure")
	t.measureSuccess = f.gauges("steward_measurement_last_success_timestamp_seconds", "When samples of a measure were last read and stored.", "measure")
	t.measureUntil = f.gauges("steward_measurement_read_through_timestamp_seconds",
		"The last step of a measure read and stored: how far the samples reach.", "measure")
	reg.MustRegister(t.ingestDuration, t.recompute,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		// prometheus/common/version's labels (revision from the VCS stamp),
		// with the version the daemon was built as.
		version.NewCollector("steward", version.WithExtraConstLabels(prometheus.Labels{"version": v})))
	for _, result := range []string{"success", "failure"} {
		t.pushes.WithLabelValues(result)
	}
	for _, op := range []string{OpRead, OpWrite, OpPing, OpQuarantine} {
		t.storeErrors.WithLabelValues(op)
	}
	return t
}

// Registry holds every self-metric, for the exporter to gather per scrape.
func (t *Telemetry) Registry() *prometheus.Registry { return t.reg }

// WatchPools exports the connection pools' statistics (go_sql_*, by
// db_name), read at each scrape.
func (t *Telemetry) WatchPools(pools map[string]*sql.DB) {
	for name, db := range pools {
		t.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
}

// factory creates and registers the families New declares.
type factory struct{ reg prometheus.Registerer }

func (f factory) counters(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauges(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

// Recomputed observes one recompute of every scorecard.
func (t *Telemetry) Recomputed(took time.Duration) { t.recompute.Observe(took.Seconds()) }

// ConfigReloaded records a (re)load attempt of the configuration, the
// initial load included.
func (t *Telemetry) ConfigReloaded(ok bool) {
	if !ok {
		t.reloadOK.Set(0)
		return
	}
	t.reloadOK.Set(1)
	t.reloadTime.Set(unix(t.now()))
}

// Pushed records one push of the metrics.
func (t *Telemetry) Pushed(err error) {
	if err != nil {
		t.pushes.WithLabelValues("failure").Inc()
		return
	}
	t.pushes.WithLabelValues("success").Inc()
	t.lastPush.Set(unix(t.now()))
}

// source returns the label value for a record source, folding sources past
// maxSources into "other".
func (t *Telemetry) source(s string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sources[s] {
		return s
	}
	if len(t.sources) >= maxSources {
		return "other"
	}
	t.sources[s] = true
	return s
}

func unix(at time.Time) float64 { return float64(at.UnixMilli()) / 1000 }

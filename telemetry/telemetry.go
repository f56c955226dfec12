// Package telemetry measures the Steward daemon itself with
// VictoriaMetrics/metrics: records ingested by source, kind and result,
// ingest latency, the last successful ingest per source, recompute
// duration, store errors, config reloads, pushes and build info. It writes
// the Prometheus text format (with HELP and TYPE) for the exporter to serve
// beside the KPIs.
//
// It must not measure KPIs (the exporter exports those from the scorecard
// engine's snapshots) and keeps one metrics.Set per daemon, never the
// library's default set, so that several daemons can run in one test
// process.
package telemetry

import (
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// maxSources bounds the source label: records name their own source, so a
// client could otherwise create series at will. Sources past the bound are
// counted as source="other".
const maxSources = 50

// Telemetry is one daemon's self-metrics.
type Telemetry struct {
	set *metrics.Set
	now func() time.Time

	mu      sync.Mutex // guards sources
	sources map[string]bool

	recompute                  *metrics.PrometheusHistogram
	reloadOK, reloadTime       *metrics.Gauge
	pushOK, pushFailed         *metrics.Counter
	lastPush                   *metrics.Gauge
	storeRead, storeWrite      *metrics.Counter
	storePing, storeQuarantine *metrics.Counter
}

// RecomputeBuckets are the upper bounds of steward_recompute_duration_seconds:
// 1 ms (a demo) to about 65 s (the reference dataset takes seconds).
var RecomputeBuckets = metrics.ExponentialBuckets(0.001, 2, 17)

// New builds a daemon's self-metrics. version is the daemon's version; now
// is the clock for the last-ingest and reload timestamps.
func New(version string, now func() time.Time) *Telemetry {
	// Prometheus histograms and counters are only typed (and so parsed back
	// as histograms) with TYPE lines. This is the library's one global
	// switch; every Set of the process shares it.
	metrics.ExposeMetadata(true)
	s := metrics.NewSet()
	t := &Telemetry{set: s, now: now, sources: map[string]bool{}}
	s.NewGauge(`steward_build_info{version=`+quote(version)+`,goversion=`+quote(runtime.Version())+
		`,revision=`+quote(revision())+`}`, func() float64 { return 1 })
	t.recompute = s.NewPrometheusHistogramExt("steward_recompute_duration_seconds", RecomputeBuckets)
	t.reloadOK = s.NewGauge("steward_config_last_reload_successful", nil)
	t.reloadTime = s.NewGauge("steward_config_last_reload_success_timestamp_seconds", nil)
	t.pushOK = s.NewCounter(`steward_push_requests_total{result="success"}`)
	t.pushFailed = s.NewCounter(`steward_push_requests_total{result="failure"}`)
	t.lastPush = s.NewGauge("steward_last_push_timestamp_seconds", nil)
	t.storeRead = s.NewCounter(`steward_store_errors_total{operation="read"}`)
	t.storeWrite = s.NewCounter(`steward_store_errors_total{operation="write"}`)
	t.storePing = s.NewCounter(`steward_store_errors_total{operation="ping"}`)
	t.storeQuarantine = s.NewCounter(`steward_store_errors_total{operation="quarantine"}`)
	return t
}

// WritePrometheus writes every self-metric in the Prometheus text format.
func (t *Telemetry) WritePrometheus(w io.Writer) { t.set.WritePrometheus(w) }

// Help returns the help text of a self-metric family ("" if unknown). The
// library writes empty HELP lines; the exporter fills them in from here.
func Help(family string) string { return help[family] }

var help = map[string]string{
	"steward_build_info":                                   "Steward's version, the Go version and VCS revision it was built with (always 1).",
	"steward_ingest_records_total":                         "Records received by ingest, by source, kind and result: accepted (stored), rejected (invalid, quarantined) or error (not stored: the store failed).",
	"steward_ingest_requests_total":                        "Ingest requests, by endpoint source, kind and HTTP status code.",
	"steward_ingest_duration_seconds":                      "Time to answer an ingest request, by endpoint source and kind.",
	"steward_last_ingest_timestamp_seconds":                "When records of a source were last stored.",
	"steward_recompute_duration_seconds":                   "Time to recompute every scorecard (the scheduled and after-ingest recomputes).",
	"steward_store_errors_total":                           "Errors from the record store, by operation.",
	"steward_config_last_reload_successful":                "Whether the last configuration reload attempt succeeded (1) or not (0).",
	"steward_config_last_reload_success_timestamp_seconds": "When the configuration was last loaded successfully.",
	"steward_push_requests_total":                          "Pushes of the metrics to the --push.url endpoint, by result.",
	"steward_last_push_timestamp_seconds":                  "When the metrics were last pushed successfully.",
	"steward_spool_entries":                                "Webhook deliveries waiting in the local spool for the store.",
	"steward_spool_bytes":                                  "Size of the webhook deliveries waiting in the local spool, in bytes.",
	"steward_leader":                                       "Whether this replica runs a task that must run in one replica at a time (1) or leaves it to another (0), by task (poller/<feed>).",
	"steward_measurement_query_failures_total":             "Queries of the measurements source (a Prometheus-compatible query API) that failed, by measure; the range is read again at the next attempt.",
	"steward_measurement_samples_stored_total":             "Measurement samples read from the measurements source and stored, by measure.",
	"steward_measurement_last_success_timestamp_seconds":   "When samples of a measure were last read and stored.",
	"steward_measurement_read_through_timestamp_seconds":   "The last step of a measure read and stored: how far the samples reach.",
	"steward_spool_deliveries_total":                       "Webhook deliveries by spool result: spooled (answered 202, kept on disk), refused (spool full: 503), drained (stored), quarantined (refused by the store, kept for inspection).",
}

// Recomputed observes one recompute of every scorecard.
func (t *Telemetry) Recomputed(took time.Duration) { t.recompute.Update(took.Seconds()) }

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
		t.pushFailed.Inc()
		return
	}
	t.pushOK.Inc()
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

// quote writes a Prometheus label value: quoted, with \, " and newline
// escaped.
func quote(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + `"`
}

func revision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}

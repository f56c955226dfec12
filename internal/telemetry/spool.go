package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/steward-sh/steward/record"
)

// WatchSpool exports the webhook spool's size, read at each scrape.
func (t *Telemetry) WatchSpool(size func() (entries int, bytes int64)) {
	t.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "steward_spool_entries",
			Help: "Webhook deliveries waiting in the local spool for the store."},
			func() float64 { n, _ := size(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "steward_spool_bytes",
			Help: "Size of the webhook deliveries waiting in the local spool, in bytes."},
			func() float64 { _, b := size(); return float64(b) }))
}

// Spooled counts one spool result ("spooled", "refused", "drained",
// "quarantined").
func (t *Telemetry) Spooled(result string) {
	t.spoolDeliveries.WithLabelValues(result).Inc()
}

// Drained counts the records of a spooled delivery once they are stored,
// as Ingested counts them for a request answered 200.
func (t *Telemetry) Drained(kind record.Kind, b record.Batch) {
	t.records(string(kind), b, nil)
}

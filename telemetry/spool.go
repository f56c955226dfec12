package telemetry

import "github.com/steward-sh/steward/record"

// WatchSpool exports the webhook spool's size, read at each scrape.
func (t *Telemetry) WatchSpool(size func() (entries int, bytes int64)) {
	t.set.NewGauge("steward_spool_entries", func() float64 { n, _ := size(); return float64(n) })
	t.set.NewGauge("steward_spool_bytes", func() float64 { _, b := size(); return float64(b) })
}

// Spooled counts one spool result ("spooled", "refused", "drained",
// "quarantined").
func (t *Telemetry) Spooled(result string) {
	t.set.GetOrCreateCounter(`steward_spool_deliveries_total{result=` + quote(result) + `}`).Inc()
}

// Drained counts the records of a spooled delivery once they are stored,
// as Ingested counts them for a request answered 200.
func (t *Telemetry) Drained(kind record.Kind, b record.Batch) {
	t.records(string(kind), b, nil)
}

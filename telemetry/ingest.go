package telemetry

import (
	"strconv"
	"time"

	"github.com/steward-sh/steward/record"
)

// Ingest results, the values of the result label.
const (
	ResultAccepted = "accepted"
	ResultRejected = "rejected"
	ResultError    = "error"
)

// Ingested observes one ingest request: endpoint is the source the endpoint
// gives records that name none ("api", "alertmanager"...), status the HTTP
// status answered, b what the request decoded and storeErr the store's
// answer to writing it (nil when stored or when nothing was to be stored).
// Records are counted under their own source.
func (t *Telemetry) Ingested(kind record.Kind, endpoint string, status int, b record.Batch, storeErr error, took time.Duration) {
	k := string(kind)
	ep := t.source(endpoint)
	t.set.GetOrCreateCounter(`steward_ingest_requests_total{source=` + quote(ep) + `,kind=` + quote(k) +
		`,code=` + quote(strconv.Itoa(status)) + `}`).Inc()
	t.set.GetOrCreatePrometheusHistogram(`steward_ingest_duration_seconds{source=` + quote(ep) + `,kind=` + quote(k) + `}`).
		Update(took.Seconds())
	t.records(k, b, storeErr)
}

// records counts a batch's records by their source and result, and the
// last successful ingest of each source.
func (t *Telemetry) records(k string, b record.Batch, storeErr error) {
	counts := map[[2]string]int{} // (source, result) -> records
	stored := map[string]bool{}
	result := ResultAccepted
	if storeErr != nil {
		result = ResultError
	}
	for i := range b.Incidents {
		counts[[2]string{b.Incidents[i].Source, result}]++
		stored[b.Incidents[i].Source] = storeErr == nil
	}
	for i := range b.Changes {
		counts[[2]string{b.Changes[i].Source, result}]++
		stored[b.Changes[i].Source] = storeErr == nil
	}
	for i := range b.Feedback {
		counts[[2]string{b.Feedback[i].Source, result}]++
		stored[b.Feedback[i].Source] = storeErr == nil
	}
	if storeErr == nil {
		result = ResultRejected
	}
	for i := range b.Rejected {
		counts[[2]string{b.Rejected[i].Source, result}]++
	}
	for key, n := range counts {
		t.set.GetOrCreateCounter(`steward_ingest_records_total{source=` + quote(t.source(key[0])) + `,kind=` + quote(k) +
			`,result=` + quote(key[1]) + `}`).Add(n)
	}
	now := unix(t.now())
	for src, ok := range stored {
		if ok {
			t.set.GetOrCreateGauge(`steward_last_ingest_timestamp_seconds{source=`+quote(t.source(src))+`}`, nil).Set(now)
		}
	}
}

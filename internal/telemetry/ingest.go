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
	t.ingestRequests.WithLabelValues(ep, k, strconv.Itoa(status)).Inc()
	t.ingestDuration.WithLabelValues(ep, k).Observe(took.Seconds())
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
		t.ingestRecords.WithLabelValues(t.source(key[0]), k, key[1]).Add(float64(n))
	}
	now := unix(t.now())
	for src, ok := range stored {
		if ok {
			t.lastIngest.WithLabelValues(t.source(src)).Set(now)
		}
	}
}

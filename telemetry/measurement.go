package telemetry

import (
	"time"

	"github.com/steward-sh/steward/record"
)

// MeasurementsStarted creates the measurement series of each measure read,
// so that a dashboard or alert sees zero failures, not no data, before the
// first one.
func (t *Telemetry) MeasurementsStarted(measures ...record.Measure) {
	for _, m := range measures {
		t.set.GetOrCreateCounter(`steward_measurement_query_failures_total{measure=` + quote(string(m)) + `}`)
		t.set.GetOrCreateCounter(`steward_measurement_samples_stored_total{measure=` + quote(string(m)) + `}`)
	}
}

// MeasurementsStored counts samples of one measure stored, read through
// the given step.
func (t *Telemetry) MeasurementsStored(m record.Measure, samples int, through time.Time) {
	l := `{measure=` + quote(string(m)) + `}`
	t.set.GetOrCreateCounter(`steward_measurement_samples_stored_total` + l).Add(samples)
	t.set.GetOrCreateGauge(`steward_measurement_last_success_timestamp_seconds`+l, nil).Set(unix(t.now()))
	t.set.GetOrCreateGauge(`steward_measurement_read_through_timestamp_seconds`+l, nil).Set(unix(through))
}

// MeasurementFailed counts a query of the measurement source that failed.
func (t *Telemetry) MeasurementFailed(m record.Measure) {
	t.set.GetOrCreateCounter(`steward_measurement_query_failures_total{measure=` + quote(string(m)) + `}`).Inc()
}

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
		t.measureFailures.WithLabelValues(string(m))
		t.measureRead.WithLabelValues(string(m))
	}
}

// MeasurementsStored counts samples of one measure stored, read through
// the given step.
func (t *Telemetry) MeasurementsStored(m record.Measure, samples int, through time.Time) {
	t.measureRead.WithLabelValues(string(m)).Add(float64(samples))
	t.measureSuccess.WithLabelValues(string(m)).Set(unix(t.now()))
	t.measureUntil.WithLabelValues(string(m)).Set(unix(through))
}

// MeasurementFailed counts a query of the measurement source that failed.
func (t *Telemetry) MeasurementFailed(m record.Measure) {
	t.measureFailures.WithLabelValues(string(m)).Inc()
}

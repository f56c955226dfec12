package record

import "time"

// Measure names what a measurement sample measures (SPEC section 9).
type Measure string

const (
	// MeasureUptime samples are 0..1: the share of the step the system was
	// up, as a probe or an SLO recording rule saw it.
	MeasureUptime Measure = "uptime"
	// MeasureResponseTime samples are seconds: a response-time statistic
	// (a latency quantile, say) over the step.
	MeasureResponseTime Measure = "response_time"
)

// Measures lists every measure, in a fixed order.
var Measures = []Measure{MeasureUptime, MeasureResponseTime}

// Sample is one value of one measure for one system at one step, read from a
// Prometheus-compatible query API. A sample at At stands for [At, At+step).
// Series is the value of the query's `by` label as Prometheus gave it: a
// system id, an alias, or a name no system has (counted as unattributed).
type Sample struct {
	Measure Measure
	Series  string
	At      time.Time
	Value   float64
	// Seq orders writes like an incident's Seq: a reader following it never
	// misses a sample written or rewritten after the last one it saw.
	Seq int64
}

// SampleKey identifies a sample: one value per measure, series and step.
type SampleKey struct {
	Measure Measure
	Series  string
	At      int64 // unix microseconds
}

// Key returns the sample's identity.
func (s *Sample) Key() SampleKey {
	return SampleKey{Measure: s.Measure, Series: s.Series, At: s.At.UnixMicro()}
}

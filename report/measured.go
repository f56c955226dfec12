package report

import (
	"strconv"
	"strings"

	"github.com/steward-sh/steward/scorecard"
)

// The evidence of the measurement KPIs (SPEC section 9): which systems
// were measured in the period and how much of it, and what each one's
// samples say. The subject's KPIs are these systems' samples added up.

// MeasuredSystems are the systems behind the subject's measurement KPIs,
// with their samples; none when the config reads no measurements or the
// role has no measurement KPIs.
func (r *Review) MeasuredSystems() []scorecard.SystemEvidence {
	var out []scorecard.SystemEvidence
	for _, s := range r.Systems() {
		if s.Measured != nil {
			out = append(out, s)
		}
	}
	return out
}

// samplesText says how many samples a measure has of the steps in scope:
// "24 of 24"; "" for a measure not read.
func samplesText(n *int, steps int64) string {
	if n == nil {
		return ""
	}
	return Count(*n) + " of " + Grouped(strconv.FormatInt(steps, 10))
}

// measuredText is one CSV cell: each measured system's share of a
// measurement KPI, "api: 0.9375 (24 samples); web: no samples", plain
// numbers as the CSV's other cells have.
func measuredText(kpiName string, systems []scorecard.SystemEvidence) string {
	var parts []string
	for _, s := range systems {
		m := s.Measured
		var v *float64
		var n int
		switch kpiName {
		case scorecard.MeasuredUptimeRatio.Name():
			if m.UptimeSamples == nil {
				continue
			}
			v, n = m.UptimeRatio, *m.UptimeSamples
		case scorecard.ResponseTimeComplianceRatio.Name():
			if m.ResponseTimeSamples == nil {
				continue
			}
			v, n = m.ResponseTimeComplianceRatio, *m.ResponseTimeSamples
		case scorecard.MeasurementCoverageRatio.Name():
			v = m.CoverageRatio
			if m.UptimeSamples != nil {
				n += *m.UptimeSamples
			}
			if m.ResponseTimeSamples != nil {
				n += *m.ResponseTimeSamples
			}
		default:
			return ""
		}
		text := "no samples"
		if v != nil {
			text = numText(v) + " (" + strconv.Itoa(n) + " samples)"
		}
		if kpiName == scorecard.MeasurementCoverageRatio.Name() {
			text = numText(v) + " (" + strconv.Itoa(n) + " samples, " + strconv.FormatInt(m.Steps, 10) + " steps)"
		}
		parts = append(parts, s.ID+": "+text)
	}
	return strings.Join(parts, "; ")
}

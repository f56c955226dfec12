package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Declared and measured uptime side by side (SPEC section 9): the
// availability incidents declare (one minus outage time over exposure) and
// what probes and request metrics read from Prometheus measured. A gap
// between the two is downtime users saw that no incident declared, or an
// outage declared that probes did not see. The measurement KPIs exist only
// when Steward's config reads measurements; without, their panels say so.

// noMeasurements is what a measurement panel shows without measurements.
const noMeasurements = "no measurements"

// uptimeRow adds the row of the subject of who: the declared availability,
// the measured uptime, the response-time compliance and how much was
// measured, then their trends.
func (g gen) uptimeRow(b *dashboard.DashboardBuilder, who []string, window string) *dashboard.DashboardBuilder {
	b = b.WithRow(dashboard.NewRowBuilder("Declared and measured uptime")).
		WithPanel(g.declaredStat(window, who))
	for _, name := range []string{"measured_uptime_ratio", "response_time_compliance_ratio", "measurement_coverage_ratio"} {
		b = b.WithPanel(g.measuredStat(kpiByName(name), window, who))
	}
	return b.WithPanel(g.uptimeTrend(window, who)).
		WithPanel(g.responseTrend(window, who))
}

func (g gen) declaredStat(window string, who []string) *stat.PanelBuilder {
	return g.kpiStat(kpiByName("availability_ratio"), window, who...).
		Title("Availability declared").
		Span(6)
}

func (g gen) measuredStat(k kpi, window string, who []string) *stat.PanelBuilder {
	return g.kpiStat(k, window, who...).
		Span(6).
		NoValue(noMeasurements)
}

// uptimeTrend draws the declared availability and the measured uptime on
// one axis.
func (g gen) uptimeTrend(window string, who []string) *timeseries.PanelBuilder {
	return newTimeseries("Declared and measured uptime", unitRatio,
		"Declared: one minus the outage time of incidents over the exposure in the window. Measured: the mean of the uptime "+
			"samples read from Prometheus in the window. A gap between them is downtime users saw that no incident declared, "+
			"or the reverse.").
		WithTarget(rangeQuery(g.expr(kpiByName("availability_ratio"), window, who...), "declared (incidents)")).
		WithTarget(rangeQuery(g.expr(kpiByName("measured_uptime_ratio"), window, who...), "measured (probes)")).
		NoValue(noMeasurements)
}

// responseTrend draws the response-time compliance and the coverage of
// the measurements, the share of the window they speak for.
func (g gen) responseTrend(window string, who []string) *timeseries.PanelBuilder {
	return newTimeseries("Response times and coverage", unitRatio,
		"Response time compliance: the response-time samples in the window at or under the objective. Coverage: samples "+
			"in the window as a fraction of the (step, system) pairs in scope, how much of the window was measured.").
		WithTarget(rangeQuery(g.expr(kpiByName("response_time_compliance_ratio"), window, who...), "response time compliance")).
		WithTarget(rangeQuery(g.expr(kpiByName("measurement_coverage_ratio"), window, who...), "coverage")).
		NoValue(noMeasurements)
}

// programUptimeRow adds the same comparison for the selected programs: a
// table with a row per program, and the measured uptime over time.
func (g gen) programUptimeRow(b *dashboard.DashboardBuilder, window string, programs []string) *dashboard.DashboardBuilder {
	rows := []string{"subject"}
	declared := g.kpiColumn(kpiByName("availability_ratio"), rows, window, programs...)
	declared.title = "Availability declared"
	cols := []column{declared}
	for _, name := range []string{"measured_uptime_ratio", "response_time_compliance_ratio", "measurement_coverage_ratio"} {
		cols = append(cols, g.kpiColumn(kpiByName(name), rows, window, programs...))
	}
	table := kpiTable("Declared and measured uptime", "Each program's availability declared by incidents beside the uptime "+
		"and response times measured by Prometheus over the window, and how much of the window was measured.", rows, false, cols).
		Span(12)
	return b.WithRow(dashboard.NewRowBuilder("Declared and measured uptime")).
		WithPanel(table).
		WithPanel(g.bySubject(kpiByName("measured_uptime_ratio"), window, programs...).NoValue(noMeasurements))
}

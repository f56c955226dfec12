package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// previousLookback is how far before the end of the previous period the
// review looks for its last value: Prometheus keeps a sample every scrape,
// a backfill one every --step (1h by default), and a Prometheus that was
// down at that moment still has the day's last value.
const previousLookback = "1d"

// review compares a period with the previous one, per subject, for the
// quarterly (or any window's) review: this window's value against the
// same window's value one window ago.
func (g gen) review() *dashboard.DashboardBuilder {
	who, rows := []string{eq("role", "$role"), re("subject", "$subject")}, []string{"subject"}
	window := eq("window", "$window")
	b := newDashboard(UIDReview, "Steward / Review",
		"A period against the previous period, per subject: the window's value now and one window ago. Pick the 90d window for a quarterly review.").
		Time("now-180d", "now").
		WithVariable(labelVariable("role", "Role", g.metric("scorecard_score"), "role").
			Current(dashboard.VariableOption{
				Selected: ptr(true),
				Text:     dashboard.StringOrArrayOfString{String: ptr("system_owner")},
				Value:    dashboard.StringOrArrayOfString{String: ptr("system_owner")},
			})).
		WithVariable(g.windowVariable(g.cfg.LongWindow)).
		WithVariable(multiVariable("subject", "Subject", g.subjectsOf(eq("role", "$role")), "subject")).
		WithRow(dashboard.NewRowBuilder("This period against the previous one")).
		WithPanel(g.periodTable(column{title: "Score", unit: unitScore, expr: maxBy(rows, g.metric("scorecard_score", append(who, window)...)),
			colors: scoreColors()}, true))
	for _, name := range []string{"change_success_ratio", "mttr_seconds", "availability_ratio", "review_compliance_ratio",
		"sla_breach_ratio", "incidents_opened", "changes_completed"} {
		k := kpiByName(name)
		b = b.WithPanel(g.periodTable(g.kpiColumn(k, rows, window, who...), k.higherIsBetter))
	}
	return b.
		WithRow(dashboard.NewRowBuilder("Over time")).
		WithPanel(g.scoresOverTime(who, window))
}

// periodTable has a row per subject: the value over the window now, over
// the previous window and the difference.
func (g gen) periodTable(now column, higherIsBetter bool) *table.PanelBuilder {
	previous := previousPeriod(now.expr)
	better := "lower is better"
	if higherIsBetter {
		better = "higher is better"
	}
	p := kpiTable(now.title, "The window ending now against the window before it ("+better+").", []string{"subject"}, false, []column{
		{title: "This period", unit: now.unit, expr: now.expr, colors: now.colors},
		{title: "Previous period", unit: now.unit, expr: previous, colors: now.colors},
		{title: "Change", unit: now.unit, expr: now.expr + " - " + previous},
	})
	return p.Span(12)
}

// previousPeriod turns a KPI expression into its value one window ago:
// its selector's last sample before the start of the current window.
func previousPeriod(expr string) string {
	open := strings.Index(expr, "steward_")
	end := strings.Index(expr[open:], "}") + open + 1
	return expr[:open] + "last_over_time(" + expr[open:end] + "[" + previousLookback + "] offset $window)" + expr[end:]
}

func (g gen) scoresOverTime(who []string, window string) *timeseries.PanelBuilder {
	return newTimeseries("Score over time", unitScore, "Each subject's score in the window over the dashboard's range (two periods of 90 days by default).").
		WithTarget(rangeQuery(maxBy([]string{"subject"}, g.metric("scorecard_score", append(who, window)...)), legend("subject"))).
		Span(24).
		Min(0).Max(100)
}

package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// The rows of the whole accountability picture (SPEC 4): DORA's four keys
// and rework, security and response times, review sign-offs and their
// follow-up items, and what stakeholders and employees say. They show the
// global subject (every record), which always has data; the owner and
// system dashboards show the same KPIs per subject in their KPI rows.

// doraRow adds the DORA metrics of every counted change: deployment
// frequency, lead time, change failure rate, failed deployment recovery
// time and rework rate, and how the two times move.
func (g gen) doraRow(b *dashboard.DashboardBuilder, window string, who []string) *dashboard.DashboardBuilder {
	b = b.WithRow(dashboard.NewRowBuilder("DORA: every change")).
		WithPanel(g.kpiStat(kpiByName("deployments_per_day"), window, who...).Span(5)).
		WithPanel(g.kpiStat(kpiByName("change_lead_time_p50_seconds"), window, who...).Span(5)).
		WithPanel(g.changeFailureRate(window, who)).
		WithPanel(g.kpiStat(kpiByName("failed_deployment_recovery_seconds"), window, who...).Span(5)).
		WithPanel(g.kpiStat(kpiByName("rework_ratio"), window, who...).Span(4))
	return b.
		WithPanel(g.timesTrend("Recovery and lead time", "How long failed changes took to recover, and changes to reach production, over time.",
			window, who, "failed_deployment_recovery_seconds", "change_lead_time_p50_seconds")).
		WithPanel(g.ratiosTrend("Change failure and rework", "Change failure rate and deployment rework rate over time.", window, who))
}

// changeFailureRate is DORA's change failure rate: the complement of
// change_success_ratio.
func (g gen) changeFailureRate(window string, who []string) *stat.PanelBuilder {
	return newStat("Change failure rate", unitRatio,
		"Completed changes in the window that failed, were rolled back or caused an incident, as a fraction of completed changes (1 − change success).").
		WithTarget(instant("1 - "+g.expr(kpiByName("change_success_ratio"), window, who...), "change failure rate")).
		Decimals(1).
		Span(5)
}

// timesTrend plots durations of the subject of who over time, one line
// per KPI.
func (g gen) timesTrend(title, description, window string, who []string, names ...string) *timeseries.PanelBuilder {
	p := newTimeseries(title, unitSeconds, description)
	for _, name := range names {
		k := kpiByName(name)
		p.WithTarget(rangeQuery(g.expr(k, window, who...), k.title))
	}
	return p
}

func (g gen) ratiosTrend(title, description, window string, who []string) *timeseries.PanelBuilder {
	return newTimeseries(title, unitRatio, description).
		WithTarget(rangeQuery("1 - "+g.expr(kpiByName("change_success_ratio"), window, who...), "change failure rate")).
		WithTarget(rangeQuery(g.expr(kpiByName("rework_ratio"), window, who...), kpiByName("rework_ratio").title)).
		Min(0)
}

// securityRow adds security incidents and the times to detect, mitigate
// and restore.
func (g gen) securityRow(b *dashboard.DashboardBuilder, window string, who []string) *dashboard.DashboardBuilder {
	b = b.WithRow(dashboard.NewRowBuilder("Security, detection and mitigation"))
	for _, name := range []string{"security_incidents", "security_mttr_seconds", "mttd_seconds", "time_to_mitigate_seconds"} {
		b = b.WithPanel(g.kpiStat(kpiByName(name), window, who...).Span(6))
	}
	return b.
		WithPanel(g.timesTrend("Detect, mitigate, restore", "Mean time from impact to detection, from opening to mitigation and to restoration, over time.",
			window, who, "mttd_seconds", "time_to_mitigate_seconds", "mttr_seconds")).
		WithPanel(newTimeseries("Security incidents", unitCount, kpiByName("security_incidents").help).
			WithTarget(rangeQuery(g.expr(kpiByName("security_incidents"), window, who...), "security incidents")))
}

// reviewFollowUpRow adds the review action items open and overdue now,
// and each system owner's reviews (completed with the sign-offs policy
// requires) and overdue items.
func (g gen) reviewFollowUpRow(b *dashboard.DashboardBuilder, window string, who []string) *dashboard.DashboardBuilder {
	return b.WithRow(dashboard.NewRowBuilder("Review sign-offs and follow-up")).
		WithPanel(g.kpiStat(kpiByName("review_actions_open"), window, who...).Span(4).Height(8)).
		WithPanel(g.kpiStat(kpiByName("review_actions_overdue"), window, who...).Span(4).Height(8)).
		WithPanel(g.followUpByOwner(window)).
		WithPanel(newTimeseries("Review actions", unitCount, "Review action items open and overdue at each moment.").
			WithTarget(rangeQuery(g.expr(kpiByName("review_actions_open"), "", who...), "open")).
			WithTarget(rangeQuery(g.expr(kpiByName("review_actions_overdue"), "", who...), "overdue")).
			Span(24))
}

func (g gen) followUpByOwner(window string) *table.PanelBuilder {
	owners, rows := []string{eq("role", "system_owner")}, []string{"subject"}
	var cols []column
	for _, name := range []string{"review_compliance_ratio", "reviews_overdue", "review_actions_open", "review_actions_overdue"} {
		cols = append(cols, g.kpiColumn(kpiByName(name), rows, window, owners...))
	}
	return kpiTable("Review follow-up by system owner",
		"Each system owner's review compliance (reviews complete with the sign-offs policy requires, by their due time), and their reviews and action items overdue now.",
		rows, false, cols).
		Span(16)
}

// satisfactionRow adds what stakeholders and employees answered, by
// audience, and per program and team.
func (g gen) satisfactionRow(b *dashboard.DashboardBuilder, window string, who []string) *dashboard.DashboardBuilder {
	return b.WithRow(dashboard.NewRowBuilder("Satisfaction")).
		WithPanel(g.kpiStat(kpiByName("satisfaction_ratio_stakeholder"), window, who...).Span(4).Height(8)).
		WithPanel(g.kpiStat(kpiByName("satisfaction_ratio_employee"), window, who...).Span(4).Height(8)).
		WithPanel(newTimeseries("Satisfaction by audience", unitRatio, "Mean of the feedback responses in the window, each scaled to 0..1 on its survey's scale.").
			WithTarget(rangeQuery(maxBy([]string{"audience"}, g.metric("satisfaction_ratio", append(who, window)...)), legend("audience"))).
			Min(0).Max(1).
			Span(8)).
		WithPanel(newTimeseries("Feedback responses by audience", unitCount, "Feedback responses submitted in the window.").
			WithTarget(rangeQuery(maxBy([]string{"audience"}, g.metric("feedback_responses", append(who, window)...)), legend("audience"))).
			Span(8)).
		WithPanel(g.satisfactionBySubject(window))
}

func (g gen) satisfactionBySubject(window string) *table.PanelBuilder {
	subjects, rows := []string{re("role", "program|team")}, []string{"role", "subject"}
	var cols []column
	for _, name := range []string{"satisfaction_ratio_stakeholder", "feedback_responses_stakeholder", "satisfaction_ratio_employee", "feedback_responses_employee"} {
		cols = append(cols, g.kpiColumn(kpiByName(name), rows, window, subjects...))
	}
	return kpiTable("Satisfaction by program and team",
		"Stakeholders' satisfaction with each program and employees' with each team over the window, with the number of responses behind it.",
		rows, false, cols).
		Span(24)
}

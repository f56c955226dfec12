package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// processRoles selects the process owner and the process managers; their
// tables have a row per role and subject.
var (
	processRoles = re("role", "process_owner|process_manager")
	processRows  = []string{"role", "subject"}
)

// process puts each process owner's aggregate next to each process
// manager's scope, for the incident and the change process.
func (g gen) process() *dashboard.DashboardBuilder {
	window := eq("window", "$window")
	return newDashboard(UIDProcess, "Steward / Process",
		"The incident and change processes: the process owner's aggregate (every record of the kind) next to each process manager's scope.").
		WithVariable(g.windowVariable(g.cfg.BreachWindow)).
		WithRow(dashboard.NewRowBuilder("Incident process")).
		WithPanel(g.incidentProcessTable(window)).
		WithPanel(g.bySubject(kpiByName("mttr_seconds"), window, processRoles)).
		WithPanel(g.bySubject(kpiByName("incidents_opened"), window, processRoles)).
		WithPanel(g.reviewCompliance(window)).
		WithPanel(g.bySubject(kpiByName("incidents_open"), window, processRoles)).
		WithRow(dashboard.NewRowBuilder("Change process")).
		WithPanel(g.changeProcessTable(window)).
		WithPanel(g.bySubject(kpiByName("change_success_ratio"), window, processRoles)).
		WithPanel(g.bySubject(kpiByName("changes_completed"), window, processRoles))
}

func (g gen) incidentProcessTable(window string) *table.PanelBuilder {
	var cols []column
	for _, name := range []string{"incidents_opened", "incidents_resolved", "incidents_open", "mttr_seconds", "mtta_seconds",
		"sla_breach_ratio", "review_compliance_ratio", "reviews_overdue"} {
		cols = append(cols, g.kpiColumn(kpiByName(name), processRows, window, processRoles))
	}
	return kpiTable("Incident process: owner and managers",
		"The incident process owner's KPIs (every incident) and each process manager's (incidents of their teams and systems).",
		processRows, true, cols)
}

func (g gen) changeProcessTable(window string) *table.PanelBuilder {
	var cols []column
	for _, name := range []string{"changes_completed", "change_success_ratio", "emergency_change_ratio", "unauthorized_changes",
		"deployments_per_day", "change_lead_time_p50_seconds"} {
		cols = append(cols, g.kpiColumn(kpiByName(name), processRows, window, processRoles))
	}
	return kpiTable("Change process: owner and managers",
		"The change process owner's KPIs (every change) and each process manager's (changes of their teams and systems).",
		processRows, true, cols)
}

// bySubject plots a KPI of every subject the matchers select.
func (g gen) bySubject(k kpi, window string, subject ...string) *timeseries.PanelBuilder {
	return newTimeseries(k.title+" by subject", k.unit, k.help).
		WithTarget(rangeQuery(g.expr(k, window, subject...), legend("role", "subject")))
}

func (g gen) reviewCompliance(window string) *bargauge.PanelBuilder {
	k := kpiByName("review_compliance_ratio")
	p := newBarGauge(k.title, k.unit, k.help).
		WithTarget(instant(g.expr(k, window, processRoles), legend("role", "subject"))).
		Min(0).Max(1)
	if t := g.kpiThresholds(k); t != nil {
		p.Thresholds(t)
	}
	return p
}

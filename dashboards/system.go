package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// system is one system in detail: who owns it and owned it, its
// scorecard, and its incidents and changes over time.
func (g gen) system() *dashboard.DashboardBuilder {
	who := []string{eq("role", "system"), eq("subject", "$system")}
	window := eq("window", "$window")
	b := newDashboard(UIDSystem, "Steward / System",
		"One system: its owner now and over time, its KPIs against their objectives, and its incidents and changes over time.").
		WithVariable(labelVariable("system", "System", g.subjectsOf(eq("role", "system")), "subject")).
		WithVariable(g.windowVariable(g.cfg.BreachWindow)).
		WithRow(dashboard.NewRowBuilder("Ownership")).
		WithPanel(g.ownerLabel("Owner", "owner", "no owner")).
		WithPanel(g.ownerLabel("Program", "program", "unknown: no owner")).
		WithPanel(g.ownerLabel("Tier", "tier", "unknown: no owner")).
		WithPanel(g.ownerHistory())
	b = g.scorecardRows(b, who, window)
	b = g.uptimeRow(b, who, window)
	return b.
		WithRow(dashboard.NewRowBuilder("Incidents and changes over time")).
		WithPanel(g.openIncidents(who)).
		WithPanel(g.downtimeTrend(window, who)).
		WithPanel(g.riskyChanges(window, who))
}

// ownerLabel shows one label of the system's steward_system_owner_info,
// which a system without an owner does not have: none says so.
func (g gen) ownerLabel(title, label, none string) *stat.PanelBuilder {
	return newStat(title, unitNone, "From steward_system_owner_info: the system's "+label+" now.").
		WithTarget(tableQuery("A", maxBy([]string{"owner", "program", "tier"}, g.metric("system_owner_info", eq("system", "$system"))))).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("/^" + label + "$/").Values(false)).
		ColorMode(common.BigValueColorModeNone).
		NoValue(none)
}

// ownerHistory shows who owned the system when, as far back as Prometheus
// (or a backfill) has the info series.
func (g gen) ownerHistory() *statetimeline.PanelBuilder {
	return statetimeline.NewPanelBuilder().
		Title("Owner history").
		Description("Who owned the system over the dashboard's range: one lane per owner, filled while they owned it.").
		Unit(unitNone).
		Datasource(datasourceRef()).
		Height(4).
		Span(12).
		WithTarget(rangeQuery(maxBy([]string{"owner"}, g.metric("system_owner_info", eq("system", "$system"))), legend("owner"))).
		ShowValue(common.VisibilityModeNever).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone)).
		MergeValues(true).
		Mappings([]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
			Type:    dashboard.MappingTypeValueToText,
			Options: map[string]dashboard.ValueMappingResult{"1": {Text: ptr("owner"), Color: ptr("green"), Index: ptr(int32(0))}},
		}}}).
		Thresholds(fixedColor("green"))
}

func (g gen) openIncidents(who []string) *timeseries.PanelBuilder {
	return newTimeseries("Open incidents", unitCount, "Incidents open at each moment.").
		WithTarget(rangeQuery(g.expr(kpiByName("incidents_open"), "", who...), "open")).
		Span(8)
}

func (g gen) downtimeTrend(window string, who []string) *timeseries.PanelBuilder {
	return newTimeseries("Downtime", unitSeconds, "Outage time, plus weighted degraded time, in the window.").
		WithTarget(rangeQuery(g.expr(kpiByName("downtime_seconds"), window, who...), "downtime")).
		Span(8)
}

func (g gen) riskyChanges(window string, who []string) *timeseries.PanelBuilder {
	return newTimeseries("Emergency and unauthorized changes", unitCount, "Completed changes in the window that were emergencies or made without authorization.").
		WithTarget(rangeQuery("round("+g.expr(kpiByName("emergency_change_ratio"), window, who...)+" * "+
			g.expr(kpiByName("changes_completed"), window, who...)+")", "emergency")).
		WithTarget(rangeQuery(g.expr(kpiByName("unauthorized_changes"), window, who...), "unauthorized")).
		Span(8)
}

package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	kpis "github.com/steward-sh/steward/kpi"
)

// personRoles are the roles a person holds.
const personRoles = "system_owner|program_manager|process_owner|process_manager"

// owner is one person's scorecard in one role: score, a stat per KPI,
// trends, their scores in their other roles and the systems they own.
func (g gen) owner() *dashboard.DashboardBuilder {
	who := []string{eq("role", "$role"), eq("subject", "$subject")}
	window := eq("window", "$window")
	b := newDashboard(UIDOwner, "Steward / Owner scorecard",
		"One person's scorecard in one role: score, KPIs against their objectives, trends and the systems they are accountable for.").
		WithVariable(labelVariable("role", "Role", g.metric("scorecard_score"), "role").
			Regex("/^(" + personRoles + ")$/").
			Current(dashboard.VariableOption{
				Selected: ptr(true),
				Text:     dashboard.StringOrArrayOfString{String: ptr("system_owner")},
				Value:    dashboard.StringOrArrayOfString{String: ptr("system_owner")},
			})).
		WithVariable(labelVariable("subject", "Person", g.subjectsOf(eq("role", "$role")), "subject")).
		WithVariable(g.windowVariable(g.cfg.BreachWindow))
	b = g.scorecardRows(b, who, window)
	b = g.uptimeRow(b, who, window)
	return b.
		WithRow(dashboard.NewRowBuilder("Roles and systems")).
		WithPanel(g.rolesOfSubject(window)).
		WithPanel(g.systemsOwned())
}

// subjectsOf selects a series every subject of a role has, whatever its
// data: the open incidents (incident roles) or completed changes (change
// roles) counts, which are 0 rather than absent.
func (g gen) subjectsOf(m ...string) string {
	all := append([]string{`__name__=~"steward_incidents_open|steward_changes_completed"`, g.cfg.KPISelector}, m...)
	return "{" + strings.Join(matchers(all...), ",") + "}"
}

// scorecardRows adds the rows a scorecard shows, for the subject of who:
// score and statuses, every KPI, and the trends.
func (g gen) scorecardRows(b *dashboard.DashboardBuilder, who []string, window string) *dashboard.DashboardBuilder {
	b = b.WithRow(dashboard.NewRowBuilder("Scorecard")).
		WithPanel(g.score(who, window)).
		WithPanel(g.breaches(who, window)).
		WithPanel(g.statusTable(who, window))
	b = b.WithRow(dashboard.NewRowBuilder("Changes"))
	for _, k := range groupKPIs(kpis.GroupChange) {
		b = b.WithPanel(g.kpiStat(k, window, who...))
	}
	b = b.WithRow(dashboard.NewRowBuilder("Incidents and availability"))
	for _, k := range append(groupKPIs(kpis.GroupIncident), groupKPIs(kpis.GroupAvailability)...) {
		b = b.WithPanel(g.kpiStat(k, window, who...).Span(4))
	}
	return b.WithRow(dashboard.NewRowBuilder("Trends")).
		WithPanel(g.scoreTrend(who)).
		WithPanel(g.incidentsBySeverity(window, who)).
		WithPanel(g.kpiTrend(kpiByName("change_success_ratio"), window, who)).
		WithPanel(g.kpiTrend(kpiByName("mttr_seconds"), window, who)).
		WithPanel(g.kpiTrend(kpiByName("availability_ratio"), window, who)).
		WithPanel(g.changesTrend(window, who))
}

func (g gen) score(who []string, window string) *stat.PanelBuilder {
	return newStat("Score", unitScore,
		"100 × (KPIs meeting their objective + half those in warning) / KPIs with an objective and a value.").
		WithTarget(instant(maxBy(scoreLabels, g.metric("scorecard_score", append(who, window)...)), "score")).
		Height(6).
		Min(0).Max(100).Decimals(0).
		Thresholds(scoreColors())
}

func (g gen) breaches(who []string, window string) *stat.PanelBuilder {
	return newStat("KPIs in breach", unitCount, "KPIs worse than their warning level (or objective, without one).").
		WithTarget(instant("count("+maxBy([]string{"kpi"}, g.metric("kpi_status", append(who, window)...))+" == 2) or vector(0)", "breaches")).
		Height(6).
		Thresholds(steps(step(nil, "green"), step(ptr(1.0), "red")))
}

// statusTable lists each KPI with an objective and its status, as Steward
// scores it with the objectives in force.
func (g gen) statusTable(who []string, window string) *table.PanelBuilder {
	return newTable("KPI status", unitNone, "Each KPI with an objective and a value: meets, warning or breach, as Steward scores it.").
		WithTarget(tableQuery("A", maxBy([]string{"kpi"}, g.metric("kpi_status", append(who, window)...)))).
		Mappings(statusMappings()).
		Span(16).
		Height(6).
		CellOptions(common.TableCellOptions{TableColoredBackgroundCellOptions: &common.TableColoredBackgroundCellOptions{
			Type: common.TableCellDisplayModeColorBackground,
		}}).
		WithTransformation(sortBy("Value", true)).
		WithTransformation(organize(map[string]string{"kpi": "KPI", "Value": "Status"}))
}

func (g gen) scoreTrend(who []string) *timeseries.PanelBuilder {
	return newTimeseries("Score", unitScore, "The scorecard score in every window.").
		WithTarget(rangeQuery(maxBy(scoreLabels, g.metric("scorecard_score", who...)), legend("window"))).
		Min(0).Max(100)
}

// kpiTrend plots a KPI over time with its objective and warning level.
func (g gen) kpiTrend(k kpi, window string, who []string) *timeseries.PanelBuilder {
	return newTimeseries(k.title, k.unit, k.help+" Dashed: the objective and warning level in force.").
		WithTarget(rangeQuery(g.expr(k, window, who...), k.title)).
		WithTarget(rangeQuery(maxBy([]string{"kpi"}, g.metric("kpi_objective", eq("kpi", k.name))), "objective")).
		WithTarget(rangeQuery(maxBy([]string{"kpi"}, g.metric("kpi_warning", eq("kpi", k.name))), "warning")).
		OverrideByRegexp("^(objective|warning)$", []dashboard.DynamicConfigValue{
			{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}},
			{Id: "custom.fillOpacity", Value: 0},
		})
}

func (g gen) incidentsBySeverity(window string, who []string) *timeseries.PanelBuilder {
	return newTimeseries("Incidents opened by severity", unitCount, "Incidents opened in the window, by severity (1 is the most severe).").
		WithTarget(rangeQuery(maxBy([]string{"severity"}, g.metric("incidents_opened", append(who, window)...)), "severity {{severity}}")).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))
}

func (g gen) changesTrend(window string, who []string) *timeseries.PanelBuilder {
	return newTimeseries("Changes", unitCount, "Changes completed and failed in the window.").
		WithTarget(rangeQuery(g.expr(kpiByName("changes_completed"), window, who...), "completed")).
		WithTarget(rangeQuery(g.expr(kpiByName("changes_failed"), window, who...), "failed"))
}

// rolesOfSubject shows the person's score in each role they hold: KPIs
// are kept per role, never mixed.
func (g gen) rolesOfSubject(window string) *bargauge.PanelBuilder {
	return newBarGauge("Score in each role", unitScore, "The person's scorecard score in every role they hold.").
		WithTarget(instant(maxBy([]string{"role"}, g.metric("scorecard_score", eq("subject", "$subject"), window)), legend("role"))).
		Min(0).Max(100).
		Thresholds(scoreColors())
}

func (g gen) systemsOwned() *table.PanelBuilder {
	return newTable("Systems owned now", unitNone, "The systems the person owns now (steward_system_owner_info).").
		WithTarget(tableQuery("A", maxBy([]string{"system", "program", "tier"}, g.metric("system_owner_info", eq("owner", "$subject"))))).
		Span(12).
		WithTransformation(sortBy("system", false)).
		WithTransformation(organize(map[string]string{"system": "System", "program": "Program", "tier": "Tier"}, "Value"))
}

// scoreLabels identify one scorecard.
var scoreLabels = []string{"role", "subject", "window"}

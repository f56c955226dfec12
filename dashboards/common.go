// Package dashboards generates Steward's Grafana dashboards as code with the
// Grafana Foundation SDK: one function per dashboard, one small function
// per panel, the house style in this file. Write renders them as plain JSON
// with the Grafana provisioning files; the JSON is committed under
// dashboards/json and a test fails when it differs from what the generator
// writes.
//
// Every query goes through the ${datasource} variable and selects the KPI
// series with the mixin's KPI selector and the daemon's own series with its
// job selector. The package must not hard-code a datasource UID or a panel
// id (panels are numbered when generated), and must not depend on the
// mixin's recording rules: the dashboards work on the raw metrics of SPEC
// section 5 and the daemon's self-metrics alone.
package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/steward-sh/steward/mixin"
)

// The stable dashboard UIDs: links, bookmarks and alert annotations use
// them, so they never change.
const (
	UIDOwner          = "steward-owner"
	UIDSystem         = "steward-system"
	UIDProcess        = "steward-process"
	UIDProgram        = "steward-program"
	UIDAccountability = "steward-accountability"
	UIDReview         = "steward-review"
)

// DatasourceVariable is the name of the variable every panel's datasource
// refers to.
const DatasourceVariable = "datasource"

// gen builds panels with one mixin configuration.
type gen struct{ cfg mixin.Config }

// metric selects the KPI series steward_<name> with the mixin's KPI
// selector and matchers.
func (g gen) metric(name string, matchers ...string) string { return g.cfg.Metric(name, matchers...) }

// self selects the daemon's self-metric steward_<name> with the mixin's
// selector and matchers.
func (g gen) self(name string, matchers ...string) string { return g.cfg.Self(name, matchers...) }

// series selects a metric named in full (up) with the mixin's selector.
func (g gen) series(name string, matchers ...string) string { return g.cfg.Series(name, matchers...) }

func datasourceRef() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + DatasourceVariable + "}")}
}

// newDashboard starts a dashboard in the house style: Steward's tag and
// links to its sibling dashboards, the last 30 days, the datasource
// variable first.
func newDashboard(uid, title, description string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags([]string{"steward"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Refresh("5m").
		Time("now-30d", "now").
		Timezone(common.TimeZoneUtc).
		Link(dashboard.NewDashboardLinkBuilder("Steward").
			Type(dashboard.DashboardLinkTypeDashboards).
			Icon("external link").
			Tooltip("Steward's dashboards").
			Tags([]string{"steward"}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true)).
		WithVariable(dashboard.NewDatasourceVariableBuilder(DatasourceVariable).
			Label("Data source").
			Type("prometheus"))
}

// labelVariable is a single-valued variable listing a label's values on
// the series of selector.
func labelVariable(name, label, selector, labelName string) *dashboard.QueryVariableBuilder {
	q := "label_values(" + selector + ", " + labelName + ")"
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).
		Definition(q).
		Datasource(datasourceRef()).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
}

// multiVariable is labelVariable with several values and All (any value).
func multiVariable(name, label, selector, labelName string) *dashboard.QueryVariableBuilder {
	return labelVariable(name, label, selector, labelName).
		Multi(true).
		IncludeAll(true).
		AllValue(".+").
		Current(dashboard.VariableOption{
			Selected: cog.ToPtr(true),
			Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
			Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
		})
}

// windowVariable lists the exported windows, selecting def at first.
func (g gen) windowVariable(def string) *dashboard.QueryVariableBuilder {
	return labelVariable("window", "Window", g.metric("scorecard_score"), "window").
		Sort(dashboard.VariableSortNumericalAsc).
		Current(dashboard.VariableOption{
			Selected: cog.ToPtr(true),
			Text:     dashboard.StringOrArrayOfString{String: cog.ToPtr(def)},
			Value:    dashboard.StringOrArrayOfString{String: cog.ToPtr(def)},
		})
}

// The queries. Stats and tables show the latest value (instant queries);
// time series show the history over the dashboard's range.

func instant(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(datasourceRef()).Expr(expr).LegendFormat(legend).Instant()
}

func tableQuery(refID, expr string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(datasourceRef()).Expr(expr).RefId(refID).
		Instant().Format(prometheus.PromQueryFormatTable)
}

func rangeQuery(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(datasourceRef()).Expr(expr).LegendFormat(legend).Range()
}

// The panels. Each starts with a title, a unit and the datasource.

func newStat(title, unit, description string) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).
		Description(description).
		Unit(unit).
		Datasource(datasourceRef()).
		Height(4).
		Span(4).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		ColorMode(common.BigValueColorModeValue).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeAuto).
		Orientation(common.VizOrientationAuto).
		Thresholds(fixedColor("blue"))
}

func newTimeseries(title, unit, description string) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).
		Description(description).
		Unit(unit).
		Datasource(datasourceRef()).
		Height(8).
		Span(12).
		LineWidth(2).
		FillOpacity(10).
		ShowPoints(common.VisibilityModeNever).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).
			Calcs([]string{"lastNotNull"}).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
}

func newTable(title, unit, description string) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Title(title).
		Description(description).
		Unit(unit).
		Datasource(datasourceRef()).
		Height(8).
		Span(24).
		CellHeight(common.TableCellHeightSm).
		Filterable(true).
		Thresholds(fixedColor("text"))
}

func newBarGauge(title, unit, description string) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().
		Title(title).
		Description(description).
		Unit(unit).
		Datasource(datasourceRef()).
		Height(8).
		Span(12).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Thresholds(fixedColor("blue"))
}

// Colours and thresholds.

// A score of at least scoreGood is green, at least scoreFair yellow.
const scoreGood, scoreFair = 90.0, 50.0

func scoreColors() *dashboard.ThresholdsConfigBuilder {
	return steps(step(nil, "red"), step(ptr(scoreFair), "yellow"), step(ptr(scoreGood), "green"))
}

func fixedColor(color string) *dashboard.ThresholdsConfigBuilder {
	return steps(step(nil, color))
}

func steps(s ...dashboard.Threshold) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(s)
}

// step is a threshold step; a nil value is the base (from minus infinity).
func step(value *float64, color string) dashboard.Threshold {
	return dashboard.Threshold{Value: value, Color: color}
}

// statusMappings shows steward_kpi_status values as words in colour.
func statusMappings() []dashboard.ValueMapping {
	result := func(text, color string, i int32) dashboard.ValueMappingResult {
		return dashboard.ValueMappingResult{Text: cog.ToPtr(text), Color: cog.ToPtr(color), Index: cog.ToPtr(i)}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
		Type: dashboard.MappingTypeValueToText,
		Options: map[string]dashboard.ValueMappingResult{
			"0": result("meets", "green", 0),
			"1": result("warning", "yellow", 1),
			"2": result("breach", "red", 2),
		},
	}}}
}

// Transformations of table panels built from several instant queries.

// merge joins the frames of a table's queries on their common labels.
func merge() dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}
}

// organize hides the technical columns and renames the others.
func organize(rename map[string]string, hide ...string) dashboard.DataTransformerConfig {
	exclude := map[string]bool{"Time": true, "__name__": true, "job": true, "instance": true}
	for _, h := range hide {
		exclude[h] = true
	}
	return dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
		"excludeByName": exclude,
		"renameByName":  rename,
	}}
}

// sortBy sorts a table by a column.
func sortBy(field string, desc bool) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: "sortBy", Options: map[string]any{
		"sort": []map[string]any{{"field": field, "desc": desc}},
	}}
}

// matchers drops empty label matchers.
func matchers(m ...string) []string {
	out := m[:0:0]
	for _, s := range m {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// eq and re render label matchers on Grafana variables.
func eq(label, value string) string { return label + `="` + value + `"` }
func re(label, value string) string { return label + `=~"` + value + `"` }

// legend renders a legend format from label names: {{role}} {{subject}}.
func legend(labels ...string) string {
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = "{{" + l + "}}"
	}
	return strings.Join(parts, " ")
}

// ownerInfo selects steward_system_owner_info, one series per system.
func (g gen) ownerInfo(m ...string) string {
	return maxBy([]string{"system", "owner", "program", "tier"}, g.metric("system_owner_info", m...))
}

func ptr[T any](v T) *T { return &v }

package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// accountability shows the gaps in accountability (unowned systems,
// unattributed records, overdue reviews and action items), the
// organisation-wide KPIs of followup.go, and what keeps Steward's numbers
// trustworthy (its configuration, its ingest and itself).
func (g gen) accountability() *dashboard.DashboardBuilder {
	window := eq("window", "$window")
	global := []string{eq("role", "global"), eq("subject", "all")}
	b := newDashboard(UIDAccountability, "Steward / Accountability",
		"Gaps in accountability (systems without an owner, records no system claims, overdue reviews and follow-up items), the whole organisation's DORA, security and satisfaction KPIs, and the health of Steward's inputs.").
		WithVariable(g.windowVariable(g.cfg.BreachWindow)).
		WithRow(dashboard.NewRowBuilder("Ownership")).
		WithPanel(g.kpiStat(kpiByName("systems_unowned"), window, global...).Span(4).Height(8)).
		WithPanel(g.ownedSystems()).
		WithPanel(g.owners()).
		WithPanel(g.systemsPerOwner()).
		WithPanel(g.unownedTrend(global)).
		WithRow(dashboard.NewRowBuilder("Attribution")).
		WithPanel(g.kpiStat(kpiByName("unattributed_records_incident"), window, global...).Span(4).Height(8)).
		WithPanel(g.kpiStat(kpiByName("unattributed_records_change"), window, global...).Span(4).Height(8)).
		WithPanel(g.unattributedTrend(window, global)).
		WithRow(dashboard.NewRowBuilder("Reviews")).
		WithPanel(g.kpiStat(kpiByName("reviews_overdue"), window, global...).Span(4).Height(8)).
		WithPanel(g.kpiStat(kpiByName("review_compliance_ratio"), window, global...).Span(4).Height(8)).
		WithPanel(g.overdueByOwner(window))
	b = g.reviewFollowUpRow(b, window, global)
	b = g.doraRow(b, window, global)
	b = g.securityRow(b, window, global)
	b = g.satisfactionRow(b, window, global)
	return b.
		WithRow(dashboard.NewRowBuilder("Configuration and ingest")).
		WithPanel(g.configReload()).
		WithPanel(g.configLoaded()).
		WithPanel(g.sinceLastIngest()).
		WithPanel(g.rejectedRecords()).
		WithPanel(g.ingestRate()).
		WithRow(dashboard.NewRowBuilder("Steward")).
		WithPanel(g.up()).
		WithPanel(g.version()).
		WithPanel(g.scorecardAge()).
		WithPanel(g.recomputeDuration()).
		WithPanel(g.storeErrors())
}

func (g gen) ownedSystems() *stat.PanelBuilder {
	return newStat("Systems with an owner", unitCount, "Configured systems that have an owner now.").
		WithTarget(instant("count("+g.ownerInfo()+") or vector(0)", "owned")).
		Span(4).Height(8)
}

func (g gen) owners() *stat.PanelBuilder {
	return newStat("System owners", unitCount, "People who own at least one system now.").
		WithTarget(instant("count(count by (owner) ("+g.ownerInfo()+")) or vector(0)", "owners")).
		Span(4).Height(8)
}

func (g gen) unownedTrend(global []string) *timeseries.PanelBuilder {
	return newTimeseries("Systems without an owner", unitCount, "Configured systems with no owner, over time.").
		WithTarget(rangeQuery(g.expr(kpiByName("systems_unowned"), "", global...), "unowned")).
		Span(24)
}

func (g gen) systemsPerOwner() *table.PanelBuilder {
	return kpiTable("Systems per owner", "How many systems each person owns now: a long list is a hint that ownership is nominal.",
		[]string{"owner"}, false, []column{
			{title: "Systems", unit: unitCount, expr: "count by (owner) (" + g.ownerInfo() + ")"},
			{title: "Tier 1 systems", unit: unitCount, expr: "count by (owner) (" + g.ownerInfo(eq("tier", "1")) + ")"},
		}).
		Span(12)
}

func (g gen) unattributedTrend(window string, global []string) *timeseries.PanelBuilder {
	return newTimeseries("Unattributed records", unitCount,
		"Records in the window whose system matches no configured system or alias: add the name as an alias to attribute them.").
		WithTarget(rangeQuery(maxBy([]string{"kind"}, g.metric("unattributed_records", append(global, window)...)), legend("kind"))).
		Span(16)
}

func (g gen) overdueByOwner(window string) *table.PanelBuilder {
	owners, rows := []string{eq("role", "system_owner")}, []string{"subject"}
	return kpiTable("Reviews by system owner", "Each system owner's overdue post-incident reviews now and review compliance over the window.",
		rows, false, []column{
			g.kpiColumn(kpiByName("reviews_overdue"), rows, window, owners...),
			g.kpiColumn(kpiByName("review_compliance_ratio"), rows, window, owners...),
		}).
		Span(16)
}

func (g gen) configReload() *stat.PanelBuilder {
	return newStat("Last config reload", unitNone, "Whether Steward accepted its configuration file the last time it (re)loaded it.").
		WithTarget(instant(g.self("config_last_reload_successful"), legend("instance"))).
		Mappings([]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
			Type: dashboard.MappingTypeValueToText,
			Options: map[string]dashboard.ValueMappingResult{
				"0": {Text: ptr("rejected"), Color: ptr("red"), Index: ptr(int32(0))},
				"1": {Text: ptr("accepted"), Color: ptr("green"), Index: ptr(int32(1))},
			},
		}}}).
		Height(6)
}

func (g gen) configLoaded() *stat.PanelBuilder {
	return newStat("Config in force since", unitDate, "When Steward last loaded its configuration successfully.").
		WithTarget(instant(g.self("config_last_reload_success_timestamp_seconds")+" * 1000", legend("instance"))).
		Height(6)
}

func (g gen) rejectedRecords() *timeseries.PanelBuilder {
	return newTimeseries("Records rejected", unitRecordRate,
		"Records ingest rejected as invalid, by source and kind: they are quarantined (steward quarantine list).").
		WithTarget(rangeQuery("sum by (source, kind) (rate("+g.self("ingest_records_total", eq("result", "rejected"))+"[$__rate_interval]))",
			legend("source", "kind")))
}

func (g gen) ingestRate() *timeseries.PanelBuilder {
	return newTimeseries("Records ingested", unitRecordRate, "Records received, by source and result (accepted, rejected, error).").
		WithTarget(rangeQuery("sum by (source, result) (rate("+g.self("ingest_records_total")+"[$__rate_interval]))",
			legend("source", "result")))
}

func (g gen) sinceLastIngest() *table.PanelBuilder {
	return kpiTable("Time since last ingest", "How long ago records of each source were last stored (StewardIngestStalled fires past a limit).",
		[]string{"source"}, false, []column{{title: "Since last ingest", unit: unitSeconds,
			expr: "time() - " + maxBy([]string{"source"}, g.self("last_ingest_timestamp_seconds"))}}).
		Span(16).Height(6)
}

func (g gen) up() *stat.PanelBuilder {
	return newStat("Steward up", unitNone, "Whether Prometheus scrapes each Steward instance.").
		WithTarget(instant(g.series("up"), legend("instance"))).
		Mappings([]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
			Type: dashboard.MappingTypeValueToText,
			Options: map[string]dashboard.ValueMappingResult{
				"0": {Text: ptr("down"), Color: ptr("red"), Index: ptr(int32(0))},
				"1": {Text: ptr("up"), Color: ptr("green"), Index: ptr(int32(1))},
			},
		}}}).
		Span(8)
}

func (g gen) version() *stat.PanelBuilder {
	return newStat("Version", unitNone, "Steward's version (steward_build_info).").
		WithTarget(tableQuery("A", g.self("build_info"))).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("/^version$/").Values(false)).
		ColorMode(common.BigValueColorModeNone).
		Span(8)
}

func (g gen) scorecardAge() *stat.PanelBuilder {
	return newStat("Scorecards computed", unitSeconds, "How long ago the exported scorecards were computed (StewardScorecardsStale fires past a limit).").
		WithTarget(instant("time() - "+g.self("scorecard_timestamp_seconds"), legend("instance"))).
		Thresholds(steps(step(nil, "green"), step(ptr(g.cfg.ScorecardStaleAfter.Seconds()), "red"))).
		Span(8)
}

func (g gen) recomputeDuration() *timeseries.PanelBuilder {
	return newTimeseries("Recompute duration", unitSeconds, "Time to recompute every scorecard: 90th percentile and mean.").
		WithTarget(rangeQuery("histogram_quantile(0.9, sum by (le) (rate("+g.self("recompute_duration_seconds_bucket")+"[$__rate_interval])))", "p90")).
		WithTarget(rangeQuery("sum(rate("+g.self("recompute_duration_seconds_sum")+"[$__rate_interval])) / sum(rate("+
			g.self("recompute_duration_seconds_count")+"[$__rate_interval]))", "mean"))
}

func (g gen) storeErrors() *timeseries.PanelBuilder {
	return newTimeseries("Store errors", unitErrorRate, "Errors from the record store, by operation.").
		WithTarget(rangeQuery("sum by (operation) (rate("+g.self("store_errors_total")+"[$__rate_interval]))", legend("operation")))
}

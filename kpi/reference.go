package kpi

import (
	"fmt"
	"strings"
)

var unitNames = [...]string{UnitCount: "count", UnitRatio: "ratio (0–1)", UnitSeconds: "seconds", UnitPerDay: "per day"}

var groupNames = [...]string{GroupChange: "change", GroupIncident: "incident", GroupAvailability: "availability",
	GroupAccountability: "accountability", GroupMeasurement: "measurement", GroupFeedback: "feedback"}

// Reference writes the KPI reference (docs/kpis.md) from the catalogue:
// every flattened KPI with its metric, unit, direction, roles and what it
// counts.
func Reference() string {
	var b strings.Builder
	b.WriteString("<!-- Generated from the KPI catalogue (package kpi) by `go test ./kpi -update`; DO NOT EDIT. -->\n\n")
	b.WriteString("# KPI reference\n\n")
	b.WriteString("Every KPI Steward computes, as the scorecards API names it (also the key of `objectives:` and the `kpi` label of\n")
	b.WriteString("`steward_kpi_status`). Windowed KPIs are over `[at − L, at)`; point-in-time ones are a state at `at` and their\n")
	b.WriteString("metric has no `window` label. A KPI whose population is empty has no value; a count is then 0.\n")
	b.WriteString("[How KPIs are computed](kpi-definitions.md) gives the exact definitions, and its review-grade rules say how\n")
	b.WriteString("exposure, closed incidents and estimated times are counted.\n\n")
	b.WriteString("\"Better\" is the direction of scoring against an objective ([statuses and the score](kpi-definitions.md#scorecards-status-and-score)).\n\n")
	b.WriteString("| KPI | metric | unit | better | kind | roles | what it counts |\n|---|---|---|---|---|---|---|\n")
	for i := range catalogue {
		k := &catalogue[i]
		metric := "steward_" + k.Metric
		if m := k.Matcher(); m != "" {
			metric += "{" + m + "}"
		} else if !k.Exported() {
			metric = "API only (sum of " + metric + ")"
		}
		better := "lower"
		if k.HigherIsBetter {
			better = "higher"
		}
		when := "window"
		if k.PointInTime {
			when = "point in time"
		}
		roles := strings.Join(k.Group.Roles(), ", ")
		if k.GlobalOnly {
			roles = "global"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s | %s | %s |\n", k.Name, metric, unitNames[k.Unit], better, when, roles, k.Help)
	}
	b.WriteString("\nThe percentile KPIs' metrics, `steward_time_to_restore_seconds` and `steward_change_lead_time_seconds`, are\n")
	b.WriteString("Prometheus summaries: beside the `quantile` series, `_sum` (seconds) and `_count` are over the same records, so\n")
	b.WriteString("`_sum / _count` is their mean (for the time to restore, the MTTR). A subject that has the KPI always has `_sum` and\n")
	b.WriteString("`_count`, 0 when nothing counted; the quantiles are then absent.\n")
	b.WriteString("\nMeasurement KPIs (`measured_uptime_ratio` and the others of that group) are defined only when the config reads\n")
	b.WriteString("measurements ([Measurements](measurements.md)). Groups: ")
	for g, n := range groupNames {
		if g > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s", n)
	}
	b.WriteString(".\n")
	return b.String()
}

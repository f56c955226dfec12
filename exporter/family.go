// Package exporter turns scorecard snapshots into Prometheus metrics (SPEC
// section 5): a client_golang collector serving the latest snapshot on
// GET /metrics, a pusher for sites that do not scrape, and the writers of
// steward backfill (OpenMetrics for promtool, Prometheus text with
// millisecond timestamps for VictoriaMetrics' import API).
//
// It only reads snapshots the scorecard engine has computed: it never
// computes KPIs itself, never reads the store, and keeps no series of its
// own, so a subject that leaves the config leaves the next scrape.
package exporter

import (
	"sort"

	"github.com/steward-sh/steward/scorecard"
)

// family is one exported metric family: every series of it carries the
// same label names, in this order.
type family struct {
	name, help string
	labels     []string
	order      []int // label indexes by label name, the exposition order
}

// Label names, as SPEC section 5 fixes them.
const (
	lRole    = "role"
	lSubject = "subject"
	lWindow  = "window"
	lKPI     = "kpi"
)

var kpiHelp = map[string]string{
	"steward_changes_completed":        "Changes completed (success, failed or rolled back) in the window, in the counted environments.",
	"steward_changes_failed":           "Completed changes in the window that failed, were rolled back or caused an incident.",
	"steward_change_success_ratio":     "Completed changes in the window that did not fail, as a fraction of completed changes.",
	"steward_emergency_change_ratio":   "Completed emergency changes in the window, as a fraction of completed changes.",
	"steward_unauthorized_changes":     "Completed changes in the window made without authorization.",
	"steward_deployments_per_day":      "Successful changes in the window per day of the window.",
	"steward_change_lead_time_seconds": "Quantile of the time from a successful change's creation to its finish, over changes finished in the window.",
	"steward_incidents_opened":         "Incidents opened in the window, by severity.",
	"steward_incidents_resolved":       "Incidents resolved in the window.",
	"steward_mttr_seconds":             "Mean time to restore of the incidents resolved in the window.",
	"steward_time_to_restore_seconds":  "Quantile of the time to restore of the incidents resolved in the window.",
	"steward_mtta_seconds":             "Mean time to acknowledge of the incidents acknowledged in the window.",
	"steward_sla_breach_ratio":         "Incidents resolved in the window later than their severity's SLA target, as a fraction of those with a target.",
	"steward_incidents_open":           "Incidents open at evaluation time.",
	"steward_review_compliance_ratio":  "Required post-incident reviews due in the window that were completed by their due time, as a fraction.",
	"steward_reviews_overdue":          "Required post-incident reviews past due and not completed at evaluation time.",
	"steward_downtime_seconds":         "Outage time, plus weighted degraded time, in the window.",
	"steward_availability_ratio":       "One minus downtime over exposure in the window.",
	"steward_systems_unowned":          "Configured systems with no owner at evaluation time.",
	"steward_unattributed_records":     "Records in the window whose system matches no configured system or alias, by kind.",
}

// kpiFamilies maps each exported KPI to its family; API-only KPIs (the
// incidents_opened total) have none.
var (
	kpiFamilies  [len(scorecard.Values{})]*family
	score        = &family{name: "steward_scorecard_score", help: "Scorecard score: 100 × (meets + 0.5 × warnings) / KPIs with an objective and a value.", labels: []string{lRole, lSubject, lWindow}}
	status       = &family{name: "steward_kpi_status", help: "KPI status against its objective: 0 meets, 1 warning, 2 breach. Absent without an objective or a value.", labels: []string{lRole, lSubject, lWindow, lKPI}}
	objective    = &family{name: "steward_kpi_objective", help: "Configured objective of a KPI.", labels: []string{lKPI}}
	warning      = &family{name: "steward_kpi_warning", help: "Configured warning threshold of a KPI.", labels: []string{lKPI}}
	ownerInfo    = &family{name: "steward_system_owner_info", help: "The current owner of a system (always 1); systems without an owner are absent.", labels: []string{"system", "owner", "program", "tier"}}
	raciInfo     = &family{name: "steward_raci_assignment_info", help: "A letter of the RACI matrix in force (always 1): who (a person or team, in label person) is Responsible, Accountable, Consulted or Informed for an activity of a system or process.", labels: []string{"scope_kind", "scope", "activity", "person", "letter"}}
	routeInfo    = &family{name: "steward_alert_route_info", help: "Who a subject's KPI alerts go to (always 1): the accountable person and the informed people or teams, comma-separated.", labels: []string{lRole, lSubject, "accountable", "informed"}}
	raciFindings = &family{name: "steward_raci_findings", help: "Findings of the RACI matrix in force, by rule: violations (an activity with nobody Accountable) and warnings.", labels: []string{"rule", "severity"}}
	// families lists every family in exposition order.
	families []*family
)

func init() {
	byName := map[string]*family{}
	for _, k := range scorecard.AllKPIs() {
		name, labelName, _, ok := k.Metric()
		if !ok {
			continue
		}
		f := byName[name]
		if f == nil {
			labels := []string{lRole, lSubject}
			if !k.PointInTime() {
				labels = append(labels, lWindow)
			}
			if labelName != "" {
				labels = append(labels, labelName)
			}
			f = &family{name: name, help: kpiHelp[name], labels: labels}
			if f.help == "" {
				panic("exporter: no help text for " + name)
			}
			byName[name] = f
			families = append(families, f)
		}
		kpiFamilies[k] = f
	}
	families = append(families, score, status, objective, warning, ownerInfo, raciInfo, raciFindings, routeInfo)
	for _, f := range families {
		f.order = make([]int, len(f.labels))
		for i := range f.order {
			f.order[i] = i
		}
		sort.Slice(f.order, func(a, b int) bool { return f.labels[f.order[a]] < f.labels[f.order[b]] })
	}
}

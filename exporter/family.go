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

	"github.com/steward-sh/steward/kpi"
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

// kpiFamilies maps each exported KPI to its family; API-only KPIs (the
// incidents_opened total) have none.
var (
	kpiFamilies  [kpi.Count]*family
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
	byMetric := map[string]*family{}
	for _, kf := range kpi.Families() {
		labels := []string{lRole, lSubject}
		if !kf.PointInTime {
			labels = append(labels, lWindow)
		}
		if kf.Label != "" {
			labels = append(labels, kf.Label)
		}
		f := &family{name: "steward_" + kf.Metric, help: kf.Help, labels: labels}
		byMetric[kf.Metric] = f
		families = append(families, f)
	}
	for _, k := range kpi.All() {
		if k.Exported() {
			kpiFamilies[k.ID] = byMetric[k.Metric]
		}
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

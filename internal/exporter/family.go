// Package exporter turns scorecard snapshots into Prometheus metrics (SPEC
// section 5): GET /metrics (the KPIs rendered once per snapshot, after the
// self-metrics a client_golang registry gathers per scrape), the pusher
// for sites that do not scrape, and the writers of steward backfill
// (OpenMetrics for promtool, Prometheus text with millisecond timestamps
// for VictoriaMetrics' import API). All of them write through text.go.
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
	// typ is the TYPE its header says (appendHeader): gauge, unless set.
	// A summary (a percentile KPI with _sum and _count) is one family of
	// typ summary; its _sum and _count samples belong under its header.
	typ    string
	labels []string
	order  []int // label indexes by label name, the exposition order
	// parts are the _sum and _count of a summary: series of their own
	// names and labels (the summary's without quantile), written after
	// the summary's quantiles, under its header and no header of theirs.
	parts []*family
	of    *family // a part's summary
	rank  uint8   // a part's place in its summary's groups: after the quantiles
}

// root is the family whose header a family's samples are written under:
// a summary's, for its _sum and _count.
func (f *family) root() *family {
	if f.of != nil {
		return f.of
	}
	return f
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
	// stamp is the snapshot's evaluation time, for staleness alerts; the
	// scrape writes it first.
	stamp = &family{name: "steward_scorecard_timestamp_seconds", help: "Evaluation time of the exported scorecards (the engine's last recompute)."}
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
		if kf.Summary {
			f.typ = "summary"
			plain := labels[:len(labels)-1] // the quantile label is last
			f.parts = []*family{
				{name: f.name + "_sum", labels: plain, of: f, rank: 1},
				{name: f.name + "_count", labels: plain, of: f, rank: 2},
			}
		}
		byMetric[kf.Metric] = f
		families = append(families, f)
	}
	for _, k := range kpi.All() {
		if k.Exported() {
			kpiFamilies[k.ID] = byMetric[k.Metric]
		}
	}
	families = append(families, score, status, objective, warning, ownerInfo, raciInfo, raciFindings, routeInfo)
	for _, f := range append(families, stamp) {
		if f.typ == "" {
			f.typ = "gauge"
		}
		for _, g := range append(f.parts, f) {
			g.order = make([]int, len(g.labels))
			for i := range g.order {
				g.order[i] = i
			}
			sort.Slice(g.order, func(a, b int) bool { return g.labels[g.order[a]] < g.labels[g.order[b]] })
		}
	}
}

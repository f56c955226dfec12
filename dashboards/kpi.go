package dashboards

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
)

// kpi is how the dashboards show one flattened KPI of SPEC section 4.
type kpi struct {
	name    string // API name: the objectives key and the kpi label of steward_kpi_status
	metric  string // metric name without the steward_ prefix
	matcher string // the label that flattens it, e.g. quantile="0.5"
	title   string
	unit    string
	help    string
	total   bool // the sum over severities of steward_incidents_opened
	// pointInTime KPIs have no window label.
	pointInTime bool
	// higher is better for four KPIs; lower for the others.
	higherIsBetter bool
	// count KPIs are whole numbers: a threshold on "more than n" sits at n+1.
	count bool
}

// Units of Grafana.
const (
	unitCount   = "short"
	unitRatio   = "percentunit"
	unitSeconds = "s"
	unitScore   = "percent"
	unitPerDay  = "suffix:/day"
	unitNone    = "none"
	unitDate    = "dateTimeFromNow"
	// Grafana's custom units: a suffix after the number.
	unitRecordRate = "suffix: records/s"
	unitErrorRate  = "suffix: errors/s"
)

var changeKPIs = []kpi{
	{name: "changes_completed", metric: "changes_completed", title: "Changes completed", unit: unitCount, count: true,
		help: "Changes that finished (success, failed or rolled back) in the window, in the counted environments."},
	{name: "changes_failed", metric: "changes_failed", title: "Changes failed", unit: unitCount, count: true,
		help: "Completed changes that failed, were rolled back or caused an incident."},
	{name: "change_success_ratio", metric: "change_success_ratio", title: "Change success", unit: unitRatio, higherIsBetter: true,
		help: "Completed changes that did not fail, as a fraction of completed changes."},
	{name: "emergency_change_ratio", metric: "emergency_change_ratio", title: "Emergency changes", unit: unitRatio,
		help: "Completed emergency changes as a fraction of completed changes."},
	{name: "unauthorized_changes", metric: "unauthorized_changes", title: "Unauthorized changes", unit: unitCount, count: true,
		help: "Completed changes made without authorization."},
	{name: "deployments_per_day", metric: "deployments_per_day", title: "Deployments", unit: unitPerDay, higherIsBetter: true,
		help: "Successful changes per day of the window."},
	{name: "change_lead_time_p50_seconds", metric: "change_lead_time_seconds", matcher: `quantile="0.5"`, title: "Lead time p50", unit: unitSeconds,
		help: "Median time from a successful change's creation to its finish."},
	{name: "change_lead_time_p90_seconds", metric: "change_lead_time_seconds", matcher: `quantile="0.9"`, title: "Lead time p90", unit: unitSeconds,
		help: "90th percentile of the time from a successful change's creation to its finish."},
}

var incidentKPIs = []kpi{
	{name: "incidents_opened", metric: "incidents_opened", total: true, title: "Incidents opened", unit: unitCount, count: true,
		help: "Incidents opened in the window, every severity."},
	{name: "incidents_resolved", metric: "incidents_resolved", title: "Incidents resolved", unit: unitCount, count: true,
		help: "Incidents resolved in the window."},
	{name: "incidents_open", metric: "incidents_open", title: "Incidents open now", unit: unitCount, count: true, pointInTime: true,
		help: "Incidents open at evaluation time."},
	{name: "mttr_seconds", metric: "mttr_seconds", title: "MTTR", unit: unitSeconds,
		help: "Mean time to restore of the incidents resolved in the window."},
	{name: "time_to_restore_p50_seconds", metric: "time_to_restore_seconds", matcher: `quantile="0.5"`, title: "Time to restore p50", unit: unitSeconds,
		help: "Median time to restore of the incidents resolved in the window."},
	{name: "time_to_restore_p90_seconds", metric: "time_to_restore_seconds", matcher: `quantile="0.9"`, title: "Time to restore p90", unit: unitSeconds,
		help: "90th percentile of the time to restore of the incidents resolved in the window."},
	{name: "mtta_seconds", metric: "mtta_seconds", title: "MTTA", unit: unitSeconds,
		help: "Mean time to acknowledge of the incidents acknowledged in the window."},
	{name: "sla_breach_ratio", metric: "sla_breach_ratio", title: "SLA breaches", unit: unitRatio,
		help: "Resolved incidents whose severity has a resolution target that took longer than it, as a fraction."},
	{name: "review_compliance_ratio", metric: "review_compliance_ratio", title: "Review compliance", unit: unitRatio, higherIsBetter: true,
		help: "Required post-incident reviews due in the window that were completed by their due time, as a fraction."},
	{name: "reviews_overdue", metric: "reviews_overdue", title: "Reviews overdue now", unit: unitCount, count: true, pointInTime: true,
		help: "Required post-incident reviews past due and not completed at evaluation time."},
}

var availabilityKPIs = []kpi{
	{name: "availability_ratio", metric: "availability_ratio", title: "Availability", unit: unitRatio, higherIsBetter: true,
		help: "One minus downtime over exposure in the window (time-weighted over the systems owned)."},
	{name: "downtime_seconds", metric: "downtime_seconds", title: "Downtime", unit: unitSeconds,
		help: "Outage time, plus weighted degraded time, in the window."},
}

var accountabilityKPIs = []kpi{
	{name: "systems_unowned", metric: "systems_unowned", title: "Systems without an owner", unit: unitCount, count: true, pointInTime: true,
		help: "Configured systems with no owner now."},
	{name: "unattributed_records_incident", metric: "unattributed_records", matcher: `kind="incident"`, title: "Unattributed incidents", unit: unitCount, count: true,
		help: "Incidents opened in the window whose system matches no configured system or alias."},
	{name: "unattributed_records_change", metric: "unattributed_records", matcher: `kind="change"`, title: "Unattributed changes", unit: unitCount, count: true,
		help: "Changes finished in the window whose system matches no configured system or alias."},
}

// allKPIs lists every KPI the dashboards know, in API order by group.
func allKPIs() []kpi {
	var out []kpi
	for _, g := range [][]kpi{changeKPIs, incidentKPIs, availabilityKPIs, accountabilityKPIs} {
		out = append(out, g...)
	}
	return out
}

func kpiByName(name string) kpi {
	for _, k := range allKPIs() {
		if k.name == name {
			return k
		}
	}
	panic("dashboards: unknown KPI " + name) // a typo in this package
}

// labels identify one series of a KPI: role, subject, window (unless the
// KPI is a point in time) and the label that flattens it, if any.
func (k kpi) labels() []string {
	l := []string{"role", "subject"}
	if !k.pointInTime {
		l = append(l, "window")
	}
	if n, _, ok := strings.Cut(k.matcher, "="); ok {
		l = append(l, n)
	}
	return l
}

// expr selects a KPI for the subjects of the given matchers, one series
// per subject; window is a window matcher, dropped for point-in-time KPIs.
func (g gen) expr(k kpi, window string, subject ...string) string {
	return g.exprBy(k, k.labels(), window, subject...)
}

// exprBy is expr reduced to the by labels. The copies of a series that
// several Steward replicas, or a scrape and a backfill, export fold into
// one with max; the total of incidents opened adds up the severities after.
func (g gen) exprBy(k kpi, by []string, window string, subject ...string) string {
	m := append(matchers(subject...), k.matcher)
	if !k.pointInTime {
		m = append(m, window)
	}
	sel := g.metric(k.metric, matchers(m...)...)
	if k.total {
		return "sum by (" + list(by) + ") (max by (" + list(append(by[:len(by):len(by)], "severity")) + ") (" + sel + "))"
	}
	return maxBy(by, sel)
}

// maxBy folds the copies of series (replicas, backfill) into one per value
// of the by labels.
func maxBy(by []string, expr string) string { return "max by (" + list(by) + ") (" + expr + ")" }

func list(labels []string) string { return strings.Join(labels, ", ") }

// kpiStat is one stat per KPI, coloured by its objective and warning level
// from the mixin config (the steward_kpi_status table beside it follows the
// objectives in force in Steward).
func (g gen) kpiStat(k kpi, window string, subject ...string) *stat.PanelBuilder {
	desc := k.help
	if o, ok := g.cfg.Objectives[k.name]; ok {
		desc += " " + objectiveText(k, o.Objective, o.Warning)
	}
	p := newStat(k.title, k.unit, desc).
		WithTarget(instant(g.expr(k, window, subject...), k.title)).
		Span(3)
	if k.unit == unitRatio {
		p.Decimals(1)
		if k.name == "availability_ratio" {
			p.Decimals(3)
		}
	}
	if t := g.kpiThresholds(k); t != nil {
		p.Thresholds(t)
	}
	return p
}

// kpiThresholds colours a KPI green when it meets its objective, yellow
// in the warning band and red in breach; nil without an objective. Grafana
// colours a value by the last step at or below it, so for lower-is-better
// KPIs the steps sit just above the levels (n+1 for counts).
func (g gen) kpiThresholds(k kpi) *dashboard.ThresholdsConfigBuilder {
	o, ok := g.cfg.Objectives[k.name]
	if !ok {
		return nil
	}
	if k.higherIsBetter {
		s := []dashboard.Threshold{step(nil, "red")}
		if o.Warning != nil {
			s = append(s, step(o.Warning, "yellow"))
		}
		return steps(append(s, step(&o.Objective, "green"))...)
	}
	above := func(v float64) *float64 {
		if k.count {
			v++
		}
		return &v
	}
	s := []dashboard.Threshold{step(nil, "green")}
	if o.Warning != nil {
		s = append(s, step(above(o.Objective), "yellow"), step(above(*o.Warning), "red"))
	} else {
		s = append(s, step(above(o.Objective), "red"))
	}
	return steps(s...)
}

func objectiveText(k kpi, objective float64, warning *float64) string {
	f := func(v float64) string {
		switch k.unit {
		case unitRatio:
			return strconv.FormatFloat(v*100, 'g', -1, 64) + "%"
		case unitSeconds:
			return strconv.FormatFloat(v, 'g', -1, 64) + "s"
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	dir := "at most"
	if k.higherIsBetter {
		dir = "at least"
	}
	s := fmt.Sprintf("Green: %s %s (objective)", dir, f(objective))
	if warning != nil {
		s += fmt.Sprintf("; yellow: %s %s (warning)", dir, f(*warning))
	}
	return strings.TrimSpace(s + "; red: worse. Colours follow the objectives the dashboards were generated with.")
}

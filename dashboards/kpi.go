package dashboards

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"

	kpis "github.com/steward-sh/steward/kpi"
)

// kpi is how the dashboards show one flattened KPI of the catalogue.
type kpi struct {
	name    string // API name: the objectives key and the kpi label of steward_kpi_status
	metric  string // metric name without the steward_ prefix
	matcher string // the label that flattens it, e.g. quantile="0.5"
	title   string
	unit    string // Grafana's
	help    string
	total   bool // the sum over severities of steward_incidents_opened
	// pointInTime KPIs have no window label.
	pointInTime    bool
	higherIsBetter bool
	// count KPIs are whole numbers: a threshold on "more than n" sits at n+1.
	count    bool
	decimals int
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

var grafanaUnits = map[kpis.Unit]string{
	kpis.UnitCount:   unitCount,
	kpis.UnitRatio:   unitRatio,
	kpis.UnitSeconds: unitSeconds,
	kpis.UnitPerDay:  unitPerDay,
}

// view is a catalogue entry as the dashboards show it. A point-in-time
// KPI's title says that it is the value now.
func view(k *kpis.KPI) kpi {
	title := k.Title
	if k.PointInTime {
		title += " now"
	}
	return kpi{name: k.Name, metric: k.Metric, matcher: k.Matcher(), title: title, unit: grafanaUnits[k.Unit], help: k.Help,
		total: !k.Exported(), pointInTime: k.PointInTime, higherIsBetter: k.HigherIsBetter, count: k.Unit == kpis.UnitCount,
		decimals: k.Decimals}
}

// groupKPIs lists the KPIs of a group the scorecard rows show, in API
// order. A labelled KPI whose total is in the catalogue (incidents by
// severity) is shown by its total and a graph by label instead.
func groupKPIs(g kpis.Group) []kpi {
	totals := map[string]bool{}
	for _, k := range kpis.All() {
		if !k.Exported() {
			totals[k.Metric] = true
		}
	}
	var out []kpi
	for _, k := range kpis.All() {
		if k.Group == g && (k.LabelValue == "" || !totals[k.Metric]) {
			out = append(out, view(&k))
		}
	}
	return out
}

func kpiByName(name string) kpi {
	k, ok := kpis.ByName(name)
	if !ok {
		panic("dashboards: unknown KPI " + name) // a typo in this package
	}
	return view(k)
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
		p.Decimals(float64(k.decimals))
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

package mixin

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/steward-sh/steward/kpi"
)

// Alerts returns the alerting rules, in two groups: what owners answer for
// (KPIs, reviews, ownership) and Steward's own health.
func Alerts(c Config) RuleFile {
	kpi := RuleGroup{Name: "steward-accountability", Rules: []Rule{c.kpiBreach()}}
	for _, r := range c.Regressions {
		kpi.Rules = append(kpi.Rules, c.kpiRegression(r))
	}
	kpi.Rules = append(kpi.Rules, c.reviewsOverdue(), c.systemsUnowned(), c.raciViolation(), c.reviewActionsOverdue(), c.satisfactionDropped())
	health := RuleGroup{Name: "steward-health", Rules: []Rule{c.ingestStalled(), c.scorecardsStale(), c.configReloadFailed(), c.down(), c.noLeader()}}
	return RuleFile{Groups: []RuleGroup{kpi, health}}
}

func (c Config) alert(name, severity, expr, summary, description string) Rule {
	return Rule{
		Alert:  name,
		Expr:   expr,
		For:    duration(c.For[name]),
		Labels: map[string]string{"severity": severity},
		Annotations: map[string]string{
			"summary":     summary,
			"description": description,
			"runbook_url": c.Runbook(name),
		},
	}
}

// query renders a template action that looks a series up at alert time
// and prints prefix, its value through format, and suffix; or nothing when
// the series is absent. args are template expressions filling the %q verbs
// of selector.
func query(selector string, args []string, prefix, format, suffix string) string {
	return fmt.Sprintf("{{ with printf %s %s | query }}%s{{ . | first | value | %s }}%s{{ end }}",
		strconv.Quote(selector), strings.Join(args, " "), prefix, format, suffix)
}

// routed gives the alerts of expr the labels accountable and informed of
// their subject (steward_alert_route_info), for Alertmanager to route on;
// subjects with no route keep their alerts without them.
func (c Config) routed(expr string) string {
	route := c.AcrossReplicas(c.Metric("alert_route_info"))
	return "(" + expr + ")\n* on (role, subject) group_left (accountable, informed)\n" + route +
		"\nor\n(" + expr + ")\nunless on (role, subject)\n" + route
}

func (c Config) kpiBreach() Rule {
	objective := query(c.Metric("kpi_objective", "kpi=%q"), []string{"$labels.kpi"}, " (objective ", `printf "%g"`, ")")
	return c.alert(AlertKPIBreach, "warning",
		c.routed(c.AcrossReplicas(c.Metric("kpi_status", "window="+quote(c.BreachWindow)))+" == 2"),
		"A KPI is in breach of its objective.",
		"{{ $labels.kpi }} of {{ $labels.role }} {{ $labels.subject }} over the last {{ $labels.window }} "+
			"is in breach of its objective"+objective+".")
}

func (c Config) kpiRegression(r Regression) Rule {
	format := `printf "%.3g"`
	if k, ok := kpi.ByName(r.KPI); ok {
		switch k.Unit {
		case kpi.UnitRatio:
			format = "humanizePercentage"
		case kpi.UnitSeconds:
			format = "humanizeDuration"
		}
	}
	level := func(window string) string {
		return query(c.Metric(r.KPI, "role=%q", "subject=%q", "window="+quote(window)), []string{"$labels.role", "$labels.subject"}, "", format, "")
	}
	expr := c.RegressionRecord(r) + " > " + strconv.FormatFloat(r.Threshold, 'g', -1, 64) +
		"\nand ignoring (window)\n" + c.AcrossReplicas(c.Metric(r.Sample, "window="+quote(c.ShortWindow))) +
		" >= " + strconv.FormatFloat(r.MinSamples, 'g', -1, 64)
	rule := c.alert(AlertKPIRegression, "warning", c.routed(expr),
		"A KPI is clearly worse than usual.",
		fmt.Sprintf("The %s of {{ $labels.role }} {{ $labels.subject }} is %s over the last %s against %s over the last %s "+
			"(at least %g %s in the last %s).",
			r.Title, level(c.ShortWindow), c.ShortWindow, level(c.LongWindow), c.LongWindow,
			r.MinSamples, strings.ReplaceAll(r.Sample, "_", " "), c.ShortWindow))
	rule.Labels["kpi"] = r.KPI
	return rule
}

func (c Config) reviewsOverdue() Rule {
	return c.alert(AlertReviewsOverdue, "warning",
		c.routed(c.AcrossReplicas(c.Metric("reviews_overdue", "role=~"+quote(c.ReviewRoles)))+" > 0"),
		"Post-incident reviews are overdue.",
		"{{ $labels.role }} {{ $labels.subject }} has {{ $value }} required post-incident reviews past their due time.")
}

func (c Config) systemsUnowned() Rule {
	return c.alert(AlertSystemsUnowned, "warning",
		c.AcrossReplicas(c.Metric("systems_unowned"))+" > 0",
		"Systems have no owner.",
		"{{ $value }} systems configured in Steward ({{ $labels.role }} {{ $labels.subject }}) have no owner: "+
			"no one is accountable for their incidents and changes.")
}

func (c Config) raciViolation() Rule {
	return c.alert(AlertRACIViolation, "warning",
		c.AcrossReplicas(c.Metric("raci_findings", `severity="violation"`))+" > 0",
		"The accountability matrix has activities with nobody accountable.",
		"{{ $value }} activities break RACI rule {{ $labels.rule }}: run steward check-config or open /ui/raci to see which.")
}

func (c Config) ingestStalled() Rule {
	return c.alert(AlertIngestStalled, "warning",
		// Any replica may take a source's records (behind a load
		// balancer, or the one polling it): the newest among them counts.
		"time() - "+c.AcrossReplicas(c.Self("last_ingest_timestamp_seconds"))+" > "+seconds(c.IngestStaleAfter),
		"A source has sent Steward no records for too long.",
		"Steward has stored no records from source {{ $labels.source }} for {{ $value | humanizeDuration }}.")
}

func (c Config) scorecardsStale() Rule {
	return c.alert(AlertStale, "warning",
		"time() - "+c.Self("scorecard_timestamp_seconds")+" > "+seconds(c.ScorecardStaleAfter),
		"Steward's scorecards are not being recomputed.",
		"The scorecards Steward at {{ $labels.instance }} exports were computed {{ $value | humanizeDuration }} ago: "+
			"every KPI shown is that old.")
}

func (c Config) configReloadFailed() Rule {
	return c.alert(AlertConfigReload, "warning",
		c.Self("config_last_reload_successful")+" == 0",
		"Steward rejected its configuration file.",
		"The last configuration reload of Steward at {{ $labels.instance }} failed: the previous configuration stays in force "+
			"and the file's changes (owners, systems, objectives) are not applied.")
}

func (c Config) down() Rule {
	return c.alert(AlertDown, "critical",
		c.Series("up")+" == 0",
		"Steward is down.",
		"Prometheus cannot scrape Steward at {{ $labels.instance }} (job {{ $labels.job }}): no scorecards are exported.")
}

// noLeader fires when no replica runs a task that must run in one replica
// (a poller): every replica exports steward_leader{task} as 0 or 1.
func (c Config) noLeader() Rule {
	return c.alert(AlertNoLeader, "warning",
		c.AcrossReplicas(c.Self("leader"))+" == 0",
		"No Steward replica runs a task that must run in one.",
		"No replica of Steward (job {{ $labels.job }}) runs {{ $labels.task }}: its records are not being collected. "+
			"The replicas cannot hold its lock in PostgreSQL; see their logs.")
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

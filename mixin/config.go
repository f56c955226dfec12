// Package mixin is Steward's monitoring mixin: one Config of selectors and
// thresholds from which the Prometheus alerting and recording rules are
// generated (and which the dashboards package reads too), plus the writer
// of the committed rule files under mixin/.
//
// It only builds text. It must not import the daemon's packages (store,
// api, exporter, scorecard): the metric names it uses are the contract of
// SPEC section 5, not the code that happens to export them today. It reads
// the KPI catalogue (package kpi), which is that contract written once.
package mixin

import (
	"fmt"
	"slices"
	"time"

	"github.com/steward-sh/steward/kpi"
)

// Config is every selector and threshold of the mixin. DefaultConfig gives
// the values the committed files are generated from; a site with other
// windows or a different scrape job generates its own.
type Config struct {
	// Selector picks the daemon's own series (up and its self-metrics:
	// ingest, recompute, config reloads) by scrape job, usually.
	Selector string
	// KPISelector picks the KPI series (steward_<kpi>, scores, statuses,
	// objectives, owners). Empty by default: those names are Steward's own,
	// and history loaded with `steward backfill` carries no job label.
	KPISelector string
	// ReplicaLabels are the labels that tell the replicas of one Steward
	// apart (the scrape's instance, the Prometheus Operator's pod). Every
	// replica exports the same KPIs and runs the same pollers, so the
	// alerts on those aggregate these labels away: one alert per subject
	// (or source, or task), not one per replica. Alerts on a replica's own
	// health (down, stale scorecards, config) keep them.
	ReplicaLabels []string
	// BreachWindow is the window whose KPI statuses StewardKPIBreach
	// watches; ShortWindow and LongWindow are compared by the regression
	// rules. All three must be configured windows of Steward.
	BreachWindow, ShortWindow, LongWindow string
	// ReviewRoles is a regular expression of the roles whose overdue
	// reviews alert (one alert per subject of each role).
	ReviewRoles string
	// Regressions are the KPIs StewardKPIRegression watches.
	Regressions []Regression
	// SatisfactionDrop is how far (on the 0..1 scale) satisfaction_ratio
	// over ShortWindow may fall below its level over LongWindow before
	// StewardSatisfactionDropped fires, given at least
	// SatisfactionMinResponses responses in ShortWindow.
	SatisfactionDrop, SatisfactionMinResponses float64
	// IngestStaleAfter is how long a source may send nothing before
	// StewardIngestStalled fires.
	IngestStaleAfter time.Duration
	// ScorecardStaleAfter is how old the exported scorecards may be before
	// StewardScorecardsStale fires (the daemon recomputes every
	// --compute.interval, 1m by default, and after every ingest).
	ScorecardStaleAfter time.Duration
	// For holds each alert's `for:` by alert name.
	For map[string]time.Duration
	// RunbookURL is the base of each alert's runbook_url: the alert's name
	// and ".md" are appended (Runbook), the name of its page under
	// docs/runbooks/. A site that keeps its own copies of the pages (an
	// internal Git host, a wiki's Markdown import) points it there.
	RunbookURL string
	// Objectives colour the dashboards' KPI stats, by KPI API name. They
	// default to the objectives of examples/steward.yml; `steward
	// dashboards --config.file` takes them from a real configuration.
	Objectives map[string]Objective
}

// Objective is a KPI's objective and optional warning level.
type Objective struct {
	Objective float64
	Warning   *float64
}

// Compare says how a regression measures "worse".
type Compare string

const (
	// Drop is long minus short: for KPIs where higher is better (ratios).
	Drop Compare = "drop"
	// Growth is short over long: for KPIs where lower is better
	// (durations); the long window's value must be positive.
	Growth Compare = "growth"
)

// Regression is one KPI whose short-window value is compared with its
// long-window value. The sample guard keeps a quiet week (one change, one
// incident) from paging anyone: the alert needs at least MinSamples in the
// short window of the metric Sample.
type Regression struct {
	KPI        string  // metric name without the steward_ prefix
	Title      string  // what the description calls it
	Compare    Compare // how worse is measured
	Threshold  float64 // the alert fires above this drop or growth factor
	Sample     string  // metric (without prefix) counting the KPI's population
	MinSamples float64
}

// Alert names, also the keys of Config.For.
const (
	AlertKPIBreach      = "StewardKPIBreach"
	AlertKPIRegression  = "StewardKPIRegression"
	AlertReviewsOverdue = "StewardReviewsOverdue"
	AlertSystemsUnowned = "StewardSystemsUnowned"
	AlertIngestStalled  = "StewardIngestStalled"
	AlertStale          = "StewardScorecardsStale"
	AlertConfigReload   = "StewardConfigReloadFailed"
	AlertDown           = "StewardDown"
	AlertNoLeader       = "StewardNoLeader"
	AlertRACIViolation  = "StewardRACIViolation"

	AlertReviewActionsOverdue = "StewardReviewActionsOverdue"
	AlertSatisfactionDropped  = "StewardSatisfactionDropped"
)

// AlertNames lists every alert the mixin defines, in file order.
var AlertNames = []string{
	AlertKPIBreach, AlertKPIRegression, AlertReviewsOverdue, AlertSystemsUnowned, AlertRACIViolation,
	AlertReviewActionsOverdue, AlertSatisfactionDropped, AlertIngestStalled, AlertStale, AlertConfigReload, AlertDown, AlertNoLeader,
}

// DefaultConfig is the configuration of the committed rule files and
// dashboards: Steward scraped as job "steward" with the default windows.
func DefaultConfig() Config {
	warn := func(v float64) *float64 { return &v }
	return Config{
		Selector:     `job="steward"`,
		BreachWindow: "30d",
		ShortWindow:  "7d",
		LongWindow:   "90d",
		ReviewRoles:  "system_owner",
		Regressions: []Regression{
			// 0.95 to 0.85 over ten changes is one more failure than usual per
			// ten: worth a look, not a page.
			{KPI: "change_success_ratio", Title: "change success ratio", Compare: Drop, Threshold: 0.10, Sample: "changes_completed", MinSamples: 10},
			{KPI: "mttr_seconds", Title: "mean time to restore", Compare: Growth, Threshold: 2, Sample: "incidents_resolved", MinSamples: 5},
		},
		// A fall of 15 points of the scale (4.0 to 3.4 out of 5) over at
		// least five answers in a week: more than one unhappy respondent.
		SatisfactionDrop:         0.15,
		SatisfactionMinResponses: 5,
		IngestStaleAfter:         24 * time.Hour,
		ScorecardStaleAfter:      15 * time.Minute,
		For: map[string]time.Duration{
			AlertKPIBreach:      time.Hour,
			AlertKPIRegression:  time.Hour,
			AlertReviewsOverdue: time.Hour,
			AlertSystemsUnowned: time.Hour,
			AlertRACIViolation:  time.Hour,
			// action items and satisfaction move in days: an hour only
			// rides out a recompute or a late sign-off
			AlertReviewActionsOverdue: time.Hour,
			AlertSatisfactionDropped:  time.Hour,
			AlertIngestStalled:        15 * time.Minute,
			AlertStale:                5 * time.Minute,
			AlertConfigReload:         10 * time.Minute,
			AlertDown:                 5 * time.Minute,
			// Failover takes seconds: five minutes without a poller is
			// no handover.
			AlertNoLeader: 5 * time.Minute,
		},
		ReplicaLabels: []string{"instance", "pod"},
		RunbookURL:    "https://github.com/steward-sh/steward/blob/main/docs/runbooks/",
		Objectives: map[string]Objective{
			"change_success_ratio":    {Objective: 0.95, Warning: warn(0.90)},
			"availability_ratio":      {Objective: 0.999, Warning: warn(0.995)},
			"mttr_seconds":            {Objective: 14400, Warning: warn(28800)},
			"review_compliance_ratio": {Objective: 1.0, Warning: warn(0.8)},
			"mtta_seconds":            {Objective: 900, Warning: warn(1800)},
			"sla_breach_ratio":        {Objective: 0.05, Warning: warn(0.10)},
			"deployments_per_day":     {Objective: 1},
			"systems_unowned":         {Objective: 0},
		},
	}
}

// Runbook is the runbook_url of an alert: its page under docs/runbooks/,
// at RunbookURL.
func (c Config) Runbook(alert string) string {
	return c.RunbookURL + alert + ".md"
}

// Validate checks that the windows the rules use are among windows (the
// configured window names of Steward) and that every alert has a `for:`.
func (c Config) Validate(windows []string) error {
	for _, w := range []struct{ what, name string }{
		{"breach window", c.BreachWindow}, {"short window", c.ShortWindow}, {"long window", c.LongWindow},
	} {
		if !slices.Contains(windows, w.name) {
			return fmt.Errorf("mixin: %s %q is not a configured window %v", w.what, w.name, windows)
		}
	}
	if c.ShortWindow == c.LongWindow {
		return fmt.Errorf("mixin: short and long windows are both %q", c.ShortWindow)
	}
	for _, a := range AlertNames {
		if _, ok := c.For[a]; !ok {
			return fmt.Errorf("mixin: alert %s has no for duration", a)
		}
	}
	for _, r := range c.Regressions {
		if err := r.validate(); err != nil {
			return err
		}
	}
	for name := range c.Objectives {
		if _, ok := kpi.ByName(name); !ok {
			return fmt.Errorf("mixin: objective for unknown KPI %q", name)
		}
	}
	return nil
}

// validate checks a regression against the KPI catalogue: both metrics
// are KPIs of their own series, the sample a count, and "worse" goes the
// KPI's bad way.
func (r Regression) validate() error {
	k, ok := kpi.ByName(r.KPI)
	if !ok || !k.Exported() || k.Label != "" {
		return fmt.Errorf("mixin: regression of %q: not a KPI with a series of its own", r.KPI)
	}
	if s, ok := kpi.ByName(r.Sample); !ok || s.Unit != kpi.UnitCount || s.Label != "" {
		return fmt.Errorf("mixin: regression of %s: sample %q is not a count KPI", r.KPI, r.Sample)
	}
	if want := map[bool]Compare{true: Drop, false: Growth}[k.HigherIsBetter]; r.Compare != want {
		return fmt.Errorf("mixin: regression of %s: compare %q, want %q (%s)", r.KPI, r.Compare, want,
			map[bool]string{true: "higher is better", false: "lower is better"}[k.HigherIsBetter])
	}
	return nil
}

package mixin

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// RuleFile is a Prometheus rule file.
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

// RuleGroup is a group of rules evaluated together.
type RuleGroup struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is an alerting rule (Alert set) or a recording rule (Record set).
type Rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Rules returns the recording rules: one per regression, the short window
// against the long one per role and subject (see RegressionRecord).
func Rules(c Config) RuleFile {
	g := RuleGroup{Name: "steward.rules"}
	for _, r := range c.Regressions {
		g.Rules = append(g.Rules, Rule{Record: c.RegressionRecord(r), Expr: c.regressionExpr(r)})
	}
	return RuleFile{Groups: []RuleGroup{g}}
}

// RegressionRecord names the recording rule of a regression, following
// level:metric:operations: per role and subject, the KPI, the comparison
// and its two windows (role_subject:steward_mttr_seconds:growth_7d_90d).
func (c Config) RegressionRecord(r Regression) string {
	return fmt.Sprintf("role_subject:steward_%s:%s_%s_%s", r.KPI, r.Compare, c.ShortWindow, c.LongWindow)
}

// regressionExpr is positive and grows as the short window gets worse
// than the long one. Matching ignores window only, so a Prometheus that
// scrapes several Stewards compares each with itself; the replicas of one
// Steward count once.
func (c Config) regressionExpr(r Regression) string {
	short := c.AcrossReplicas(c.Metric(r.KPI, "window="+quote(c.ShortWindow)))
	long := c.AcrossReplicas(c.Metric(r.KPI, "window="+quote(c.LongWindow)))
	if r.Compare == Drop {
		return long + "\n- ignoring (window)\n" + short
	}
	return short + "\n/ ignoring (window)\n(" + long + " > 0)"
}

// Metric renders a selector of the KPI series steward_<name> with the
// config's KPI selector and the given matchers.
func (c Config) Metric(name string, matchers ...string) string {
	return selector("steward_"+name, append([]string{c.KPISelector}, matchers...))
}

// Self renders a selector of the daemon's self-metric steward_<name> with
// the config's selector and the given matchers.
func (c Config) Self(name string, matchers ...string) string {
	return selector("steward_"+name, append([]string{c.Selector}, matchers...))
}

// AcrossReplicas aggregates expr over the replicas of one Steward (see
// ReplicaLabels): they export the same values, so max keeps the value and
// drops the duplicates.
func (c Config) AcrossReplicas(expr string) string {
	if len(c.ReplicaLabels) == 0 {
		return expr
	}
	return "max without (" + strings.Join(c.ReplicaLabels, ", ") + ") (" + expr + ")"
}

// Series renders a selector of a metric named in full (up, for example)
// with the config's selector.
func (c Config) Series(name string, matchers ...string) string {
	return selector(name, append([]string{c.Selector}, matchers...))
}

func selector(name string, matchers []string) string {
	m := nonEmpty(matchers)
	if len(m) == 0 {
		return name
	}
	return name + "{" + strings.Join(m, ",") + "}"
}

func nonEmpty(list []string) []string {
	out := list[:0:0]
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// duration renders d in Prometheus's duration syntax (1h, 15m, 0s).
func duration(d time.Duration) string { return model.Duration(d).String() }

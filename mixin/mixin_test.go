package mixin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The committed alerts.yml and rules.yml are what the generator writes:
// run `make dashboards` after changing the mixin.
func TestCommittedRulesAreGenerated(t *testing.T) {
	files, err := Files(DefaultConfig())
	require.NoError(t, err)
	require.Len(t, files, 2)
	for name, want := range files {
		got, err := os.ReadFile(name)
		require.NoError(t, err, "%s is not committed: run make dashboards", name)
		assert.Equal(t, string(want), string(got), "%s differs from the generator's output: run make dashboards", name)
	}
}

// promtool finds promtool; without it the test skips, or fails when
// CI=true.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("promtool is not installed (apt-get install prometheus); CI=true requires it")
	}
	t.Skip("promtool is not installed: apt-get install prometheus")
	return ""
}

// promtool accepts the rule files and every unit test in tests/ passes.
func TestPromtool(t *testing.T) {
	bin := promtool(t)
	out, err := exec.Command(bin, "check", "rules", "alerts.yml", "rules.yml").CombinedOutput()
	require.NoError(t, err, "promtool check rules:\n%s", out)
	assert.Contains(t, string(out), fmt.Sprintf("SUCCESS: %d rules found", countAlerts(Alerts(DefaultConfig()))))

	tests, err := filepath.Glob(filepath.Join("tests", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, tests)
	out, err = exec.Command(bin, append([]string{"test", "rules"}, tests...)...).CombinedOutput()
	require.NoError(t, err, "promtool test rules:\n%s", out)
	assert.Equal(t, len(tests), strings.Count(string(out), "SUCCESS"), string(out))
}

// promtool test rules fails when an expectation is wrong: the tests above
// can fail.
func TestPromtoolCatchesAWrongExpectation(t *testing.T) {
	bin := promtool(t)
	b, err := os.ReadFile(filepath.Join("tests", "down.yml"))
	require.NoError(t, err)
	wrong := strings.Replace(string(b), "severity: critical", "severity: warning", 1)
	require.NotEqual(t, string(b), wrong)
	// A copy of the mixin's layout, so that the rule_files resolve.
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "tests"), 0o755))
	for _, name := range []string{"alerts.yml", "rules.yml"} {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	f := filepath.Join(dir, "tests", "down.yml")
	require.NoError(t, os.WriteFile(f, []byte(wrong), 0o644))
	out, err := exec.Command(bin, "test", "rules", f).CombinedOutput()
	require.Error(t, err, string(out))
	assert.Contains(t, string(out), "FAILED")
}

func countAlerts(f RuleFile) int {
	n := 0
	for _, g := range f.Groups {
		n += len(g.Rules)
	}
	return n
}

// unitTests is the part of a promtool test file the coverage check reads.
type unitTests struct {
	EvaluationInterval model.Duration `yaml:"evaluation_interval"`
	Tests              []struct {
		Name          string `yaml:"name"`
		AlertRuleTest []struct {
			EvalTime  model.Duration `yaml:"eval_time"`
			Alertname string         `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// Every alert (every rule of it, for an alert with several) has a unit
// test that sees no alert one evaluation before `for:` elapses and the
// exact labels and annotations one evaluation later, and a test where it
// does not fire.
func TestEveryAlertIsUnitTested(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("tests", "*.yml"))
	require.NoError(t, err)
	type key struct{ alert, kpi string }
	onset, quiet := map[key]bool{}, map[key]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var ut unitTests
		require.NoError(t, yaml.Unmarshal(b, &ut), f)
		for _, tc := range ut.Tests {
			silentAt := map[string][]time.Duration{}
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) == 0 {
					quiet[key{a.Alertname, ""}] = true
					silentAt[a.Alertname] = append(silentAt[a.Alertname], time.Duration(a.EvalTime))
					continue
				}
				before := time.Duration(a.EvalTime - ut.EvaluationInterval)
				for _, exp := range a.ExpAlerts {
					assert.Contains(t, exp.ExpLabels, "severity", "%s %q", f, tc.Name)
					assert.ElementsMatch(t, []string{"summary", "description", "runbook_url"}, keys(exp.ExpAnnotations),
						"%s %q: every annotation is checked", f, tc.Name)
					if slices.Contains(silentAt[a.Alertname], before) {
						// by the kpi label too: StewardKPIRegression has a rule per KPI
						onset[key{a.Alertname, ""}] = true
						onset[key{a.Alertname, exp.ExpLabels["kpi"]}] = true
					}
				}
			}
		}
	}
	for _, g := range Alerts(DefaultConfig()).Groups {
		for _, r := range g.Rules {
			assert.True(t, onset[key{r.Alert, r.Labels["kpi"]}],
				"%s %s: no test sees it silent just before for elapses and firing just after", r.Alert, r.Labels["kpi"])
			assert.True(t, quiet[key{r.Alert, ""}], "%s: no test where it stays silent", r.Alert)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

var (
	alertName  = regexp.MustCompile(`^Steward[A-Z][A-Za-z]+$`)
	recordName = regexp.MustCompile(`^[a-z_]+:steward_[a-z_]+:[a-z0-9_]+$`) // level:metric:operations
)

// The rules follow the monitoring-mixin conventions, and every expression
// parses with Prometheus's own parser.
func TestRuleConventions(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	cfg := DefaultConfig()
	names := map[string]bool{}
	for _, g := range Alerts(cfg).Groups {
		for _, r := range g.Rules {
			names[r.Alert] = true
			assert.Regexp(t, alertName, r.Alert)
			assert.Empty(t, r.Record)
			assert.NotEmpty(t, r.For, r.Alert)
			assert.Contains(t, []string{"critical", "warning", "info"}, r.Labels["severity"], r.Alert)
			assert.NotEmpty(t, r.Annotations["summary"], r.Alert)
			assert.NotContains(t, r.Annotations["summary"], "{{", "%s: the summary is static", r.Alert)
			assert.Contains(t, r.Annotations["description"], "{{ $labels.", "%s: the description names the subject", r.Alert)
			assert.Equal(t, cfg.Runbook(r.Alert), r.Annotations["runbook_url"])
			_, err := p.ParseExpr(r.Expr)
			assert.NoError(t, err, "%s: %s", r.Alert, r.Expr)
		}
	}
	assert.ElementsMatch(t, AlertNames, slices.Collect(func(yield func(string) bool) {
		for n := range names {
			if !yield(n) {
				return
			}
		}
	}))
	for _, g := range Rules(cfg).Groups {
		for _, r := range g.Rules {
			assert.Regexp(t, recordName, r.Record)
			_, err := p.ParseExpr(r.Expr)
			assert.NoError(t, err, "%s: %s", r.Record, r.Expr)
		}
	}
}

// The mixin refuses windows Steward does not compute, alerts without a
// for duration, and KPIs, samples and directions the catalogue does not
// have.
func TestConfigValidate(t *testing.T) {
	windows := []string{"7d", "30d", "90d"}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"defaults", func(*Config) {}, ""},
		{"unknown breach window", func(c *Config) { c.BreachWindow = "14d" }, `mixin: breach window "14d" is not a configured window [7d 30d 90d]`},
		{"unknown long window", func(c *Config) { c.LongWindow = "1y" }, `mixin: long window "1y" is not a configured window [7d 30d 90d]`},
		{"same short and long", func(c *Config) { c.LongWindow = "7d" }, `mixin: short and long windows are both "7d"`},
		{"alert without for", func(c *Config) { delete(c.For, AlertDown) }, "mixin: alert StewardDown has no for duration"},
		{"objective of no KPI", func(c *Config) { c.Objectives["mtr_seconds"] = Objective{Objective: 1} }, `mixin: objective for unknown KPI "mtr_seconds"`},
		{"regression of no KPI", func(c *Config) { c.Regressions[0].KPI = "change_sucess_ratio" },
			`mixin: regression of "change_sucess_ratio": not a KPI with a series of its own`},
		{"regression of a labelled KPI", func(c *Config) { c.Regressions[1].KPI = "time_to_restore_p90_seconds" },
			`mixin: regression of "time_to_restore_p90_seconds": not a KPI with a series of its own`},
		{"sample not a count", func(c *Config) { c.Regressions[0].Sample = "mttr_seconds" },
			`mixin: regression of change_success_ratio: sample "mttr_seconds" is not a count KPI`},
		{"worse the wrong way", func(c *Config) { c.Regressions[1].Compare = Drop },
			`mixin: regression of mttr_seconds: compare "drop", want "growth" (lower is better)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.change(&c)
			err := c.Validate(windows)
			if tc.want == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tc.want)
			}
		})
	}
}

// Selectors: the KPI selector on KPI series, the job selector on the
// daemon's own, no braces when there is nothing to match.
func TestSelectors(t *testing.T) {
	c := DefaultConfig()
	assert.Equal(t, "steward_systems_unowned", c.Metric("systems_unowned"))
	assert.Equal(t, `steward_kpi_status{window="30d"}`, c.Metric("kpi_status", `window="30d"`))
	assert.Equal(t, `steward_build_info{job="steward"}`, c.Self("build_info"))
	assert.Equal(t, `up{job="steward"}`, c.Series("up"))
	c.KPISelector = `cluster="eu"`
	assert.Equal(t, `steward_kpi_status{cluster="eu",window="30d"}`, c.Metric("kpi_status", `window="30d"`))
}

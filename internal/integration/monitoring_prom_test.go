package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/dashboards/dashboardtest"
	"github.com/steward-sh/steward/mixin"
)

// End-to-end tests of the monitoring mixin (dashboards/ and mixin/) with a
// real Prometheus and a real Alertmanager (Debian's prometheus and
// prometheus-alertmanager) scraping a Steward loaded with a generated
// dataset. The helpers that start Prometheus and the daemon are in
// servers_prom_test.go.

// reviewWindow is the window the panel queries are checked with; the
// review dashboard's previous period needs history one window back, which
// the test backfills.
const reviewWindow = "30d"

// Every panel query of every committed dashboard returns data from a
// Prometheus that scrapes Steward and holds a backfill of the previous
// period, once the variables are set to real subjects.
func TestDashboardQueriesReturnData(t *testing.T) {
	promtool := needBinary(t, "promtool", "prometheus")
	dashboards, err := dashboardtest.Load(filepath.Join("..", "..", "dashboards", "json"))
	require.NoError(t, err)
	require.NotEmpty(t, dashboards)

	now := time.Now().UTC()
	ds := newPromDataset(t, now.Truncate(time.Hour), "")
	ds.measure(t, now.Add(-48*time.Hour).Truncate(time.Hour), now)
	d := startDaemonAt(t, ds.configFile, time.Time{}, nil)
	ds.ingest(t, d)
	require.Eventually(t, func() bool {
		v := apiScorecards(t, d, "global", reviewWindow, time.Time{})
		return v.Scorecards[0].KPIs["measured_uptime_ratio"].Value != nil
	}, 60*time.Second, 200*time.Millisecond, "the measurements were not read")
	code, res := d.post(t, "/api/v1/incidents", "application/json", `{"id":"broken","system":"x","severity":9,"opened_at":"2026-01-01T00:00:00Z"}`)
	require.Equal(t, http.StatusOK, code, "%v", res)
	require.Len(t, res["rejected"], 1, "one rejected record, for the ingest panels")

	// The previous period: evaluations in the hours before one window ago.
	period := 30 * 24 * time.Hour
	from, to := now.Add(-period-6*time.Hour).Truncate(time.Hour), now.Add(-period-time.Hour).Truncate(time.Hour)
	om := filepath.Join(t.TempDir(), "history.om")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"backfill", "--config.file", ds.configFile,
		"--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339), "--step", "1h", "--output", om}, &stdout, &stderr), stderr.String())
	data := filepath.Join(t.TempDir(), "data")
	out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", om, data).CombinedOutput()
	require.NoError(t, err, string(out))

	prom := startPrometheus(t, fmt.Sprintf("  - {job_name: steward, static_configs: [{targets: [%q]}]}\n", strings.TrimPrefix(d.url, "http://")),
		"--storage.tsdb.path="+data, "--storage.tsdb.retention.time=100y")
	require.Eventually(t, func() bool {
		return len(promQuery(t, prom, `rate(steward_ingest_records_total{job="steward"}[1m])`, time.Time{})) > 0
	}, 60*time.Second, 200*time.Millisecond, "Prometheus did not scrape Steward twice")

	queries := panelQueries(dashboards)
	values := map[string]string{"role": "system_owner", "window": reviewWindow, "__rate_interval": "1m"}
	// Generated data leaves some subjects without some KPIs (no change
	// in the window, say): each variable takes the value that gives the
	// most panels data, and then every panel must have data.
	chooseVariables(t, prom, queries, values, ds.cfg, now)
	t.Logf("variables: %v", values)

	var empty []string
	for _, q := range queries {
		if len(promQuery(t, prom, dashboardtest.Expand(q.expr, values), time.Time{})) == 0 {
			empty = append(empty, q.String())
		}
	}
	assert.Empty(t, empty, "panel queries without data")
	t.Logf("%d panel queries of %d dashboards return data", len(queries)-len(empty), len(dashboards))

	t.Run("variables list the subjects", func(t *testing.T) {
		for _, db := range dashboards {
			for _, v := range db.Variables {
				if v.Type != "query" {
					continue
				}
				sel, label, ok := dashboardtest.LabelValues(v.Query)
				require.True(t, ok, v.Query)
				got := promLabelValues(t, prom, label, dashboardtest.Expand(sel, values))
				assert.NotEmpty(t, got, "%s variable %s", db.UID, v.Name)
				if want, set := values[v.Name]; set && v.Name != "window" {
					assert.Contains(t, got, want, "%s variable %s", db.UID, v.Name)
				}
			}
		}
	})
}

// measure gives the dataset's systems probe history from `from` to `to` in
// a VictoriaMetrics, and the config a measurements section reading it, so
// that the measured uptime panels have data. Every seventh sample is down
// and every fifth over the response-time objective.
func (ds *promDataset) measure(t *testing.T, from, to time.Time) {
	t.Helper()
	vm := startVictoriaMetrics(t)
	var b strings.Builder
	for i, s := range ds.cfg.Systems {
		for n, at := 0, from; at.Before(to); n, at = n+1, at.Add(time.Minute) {
			up := 1
			if (n+i)%7 == 0 {
				up = 0
			}
			fmt.Fprintf(&b, "probe_success{system=%q} %d %d\n", s.ID, up, at.UnixMilli())
			fmt.Fprintf(&b, "probe_duration_seconds{system=%q} %g %d\n", s.ID, 0.1+0.05*float64((n+i)%5), at.UnixMilli())
		}
	}
	resp, err := http.Post(vm+"/api/v1/import/prometheus", "text/plain", strings.NewReader(b.String()))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, err = http.Get(vm + "/internal/force_flush")
	require.NoError(t, err)
	resp.Body.Close()
	f, err := os.OpenFile(ds.configFile, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fmt.Fprintf(f, `measurements:
  source: {url: %q}
  step: 5m
  since: %s
  uptime: {query: "min by (system) (probe_success)", by: system}
  response_time: {query: "max by (system) (probe_duration_seconds)", by: system, objective: 250ms}
`, vm, from.Format(time.RFC3339))
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

type panelQuery struct{ dashboard, panel, refID, expr string }

func (q panelQuery) String() string {
	return fmt.Sprintf("%s %q %s: %s", q.dashboard, q.panel, q.refID, q.expr)
}

func panelQueries(ds []dashboardtest.Dashboard) []panelQuery {
	var out []panelQuery
	for _, d := range ds {
		for _, p := range d.Visualizations() {
			for _, t := range p.Targets {
				out = append(out, panelQuery{d.UID, p.Title, t.RefID, t.Expr})
			}
		}
	}
	return out
}

// chooseVariables sets the dashboards' subject, system and program
// variables to the owner, owned system and program of cfg (as of now) that
// give data to the most queries.
func chooseVariables(t *testing.T, prom string, queries []panelQuery, values map[string]string, cfg *config.Config, now time.Time) {
	t.Helper()
	var owners, systems, programs []string
	for _, s := range cfg.Systems {
		if o := s.OwnerAt(now); o != "" {
			owners = append(owners, o)
			systems = append(systems, s.ID)
		}
	}
	for _, p := range cfg.Programs {
		programs = append(programs, p.ID)
	}
	values["subject"] = bestValue(t, prom, queries, values, "subject", owners)
	values["system"] = bestValue(t, prom, queries, values, "system", systems)
	values["program"] = bestValue(t, prom, queries, values, "program", programs)
}

// bestValue returns the candidate for a variable that gives data to the
// most of the queries that use it.
func bestValue(t *testing.T, prom string, queries []panelQuery, values map[string]string, name string, candidates []string) string {
	t.Helper()
	require.NotEmpty(t, candidates, name)
	slices.Sort(candidates)
	candidates = slices.Compact(candidates)
	best, bestN := "", -1
	for _, c := range candidates {
		v := map[string]string{name: c}
		for k, x := range values {
			if k != name {
				v[k] = x
			}
		}
		n := 0
		for _, q := range queries {
			if slices.Contains(dashboardtest.References(q.expr), name) && len(promQuery(t, prom, dashboardtest.Expand(q.expr, v), time.Time{})) > 0 {
				n++
			}
		}
		if n > bestN {
			best, bestN = c, n
		}
	}
	return best
}

// promLabelValues asks Prometheus for a label's values on the series of a
// selector, as Grafana's label_values() does.
func promLabelValues(t *testing.T, base, label, selector string) []string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/label/" + label + "/values?" + url.Values{"match[]": {selector}}.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", selector, raw)
	var body struct{ Data []string }
	require.NoError(t, json.Unmarshal(raw, &body))
	return body.Data
}

// A regression in the data (a burst of failed changes on one system) makes
// StewardKPIRegression fire in Prometheus and reach Alertmanager. The rules
// are the mixin's, generated with every `for:` at 0s so that the test
// need not wait an hour; the promtool unit tests cover the `for:`.
func TestRegressionAlertReachesAlertmanager(t *testing.T) {
	am := startAlertmanager(t)
	cfg := mixin.DefaultConfig()
	for name := range cfg.For {
		cfg.For[name] = 0
	}
	rules := t.TempDir()
	require.NoError(t, mixin.Write(rules, cfg))

	now := time.Now().UTC()
	ds := newPromDataset(t, now.Truncate(time.Hour), "")
	ds.measure(t, now.Add(-48*time.Hour).Truncate(time.Hour), now)
	d := startDaemonAt(t, ds.configFile, time.Time{}, nil)
	ds.ingest(t, d)
	require.Eventually(t, func() bool {
		v := apiScorecards(t, d, "global", reviewWindow, time.Time{})
		return v.Scorecards[0].KPIs["measured_uptime_ratio"].Value != nil
	}, 60*time.Second, 200*time.Millisecond, "the measurements were not read")
	prom := startPrometheusWith(t, fmt.Sprintf(`
rule_files: [%q, %q]
alerting: {alertmanagers: [{static_configs: [{targets: [%q]}]}]}
scrape_configs: [{job_name: steward, static_configs: [{targets: [%q]}]}]
`, filepath.Join(rules, "rules.yml"), filepath.Join(rules, "alerts.yml"), strings.TrimPrefix(am, "http://"), strings.TrimPrefix(d.url, "http://")))

	// A system with enough changes whose change success is no worse than
	// usual, as the recording rule sees it, and for which no regression
	// alert fires (the generated data may give a system a regression of
	// another KPI, its MTTR say).
	drop := `role_subject:steward_change_success_ratio:drop_7d_90d{role="system"}`
	var calm []string
	require.Eventually(t, func() bool {
		calm = calm[:0]
		for k := range promQuery(t, prom, drop+` <= 0.05`, time.Time{}) {
			calm = append(calm, labelOf(k, "subject"))
		}
		return len(calm) > 0
	}, 60*time.Second, 200*time.Millisecond, "no system without a regression")
	slices.Sort(calm)
	evaluated := time.Now().Add(time.Second)
	rulesRan := func() bool { return lastRuleEvaluation(t, prom, "steward-accountability").After(evaluated) }
	require.Eventually(t, rulesRan, 30*time.Second, 200*time.Millisecond, "the alerting rules were not evaluated")
	var system string
	for _, s := range calm {
		if len(firing(t, prom, s)) == 0 {
			system = s
			break
		}
	}
	require.NotEmpty(t, system, "every system calm in change success has a regression alert firing: %v", calm)

	var batch []string
	for i := range 20 {
		at := now.Add(-time.Duration(i+1) * 10 * time.Minute).Format(time.RFC3339)
		batch = append(batch, fmt.Sprintf(`{"id":"burst-%d","system":%q,"outcome":"failed","started_at":%q,"finished_at":%q}`, i, system, at, at))
	}
	code, res := d.post(t, "/api/v1/changes", "application/json", "["+strings.Join(batch, ",")+"]")
	require.Equal(t, http.StatusOK, code, "%v", res)
	require.EqualValues(t, 20, res["accepted"])

	require.Eventually(t, func() bool { return len(firing(t, prom, system)) > 0 }, 60*time.Second, 200*time.Millisecond,
		"StewardKPIRegression does not fire in Prometheus for %s", system)

	var got []amAlert
	require.Eventually(t, func() bool {
		got = alertmanagerAlerts(t, am, `alertname="StewardKPIRegression"`, `role="system"`, fmt.Sprintf("subject=%q", system))
		return len(got) > 0
	}, 60*time.Second, 200*time.Millisecond, "the alert did not reach Alertmanager")
	require.Len(t, got, 1)
	t.Logf("in Alertmanager: %v %q", got[0].Labels, got[0].Annotations["description"])
	assert.Equal(t, "warning", got[0].Labels["severity"])
	assert.Equal(t, "change_success_ratio", got[0].Labels["kpi"])
	assert.Equal(t, "A KPI is clearly worse than usual.", got[0].Annotations["summary"])
	assert.Regexp(t, `^The change success ratio of system `+system+` is \d+(\.\d+)?% over the last 7d against \d+(\.\d+)?% over the last 90d `+
		`\(at least 10 changes completed in the last 7d\)\.$`, got[0].Annotations["description"])
	assert.Equal(t, cfg.Runbook(mixin.AlertKPIRegression), got[0].Annotations["runbook_url"])
}

// startAlertmanager runs Alertmanager on a free loopback port, without
// clustering, and returns its URL.
func startAlertmanager(t *testing.T) string {
	t.Helper()
	bin := needBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	require.NoError(t, os.WriteFile(cfg, []byte("route: {receiver: nowhere}\nreceivers: [{name: nowhere}]\n"), 0o600))
	addr := freeLoopbackAddr(t)
	startServerProcess(t, "http://"+addr+"/-/ready", bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	return "http://" + addr
}

// startPrometheusWith runs Prometheus with a whole configuration after a
// global section of 1s scrapes and evaluations.
func startPrometheusWith(t *testing.T, config string) string {
	t.Helper()
	bin := needBinary(t, "prometheus", "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfg, []byte("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"+config), 0o600))
	addr := freeLoopbackAddr(t)
	startServerProcess(t, "http://"+addr+"/-/ready", bin, "--config.file="+cfg, "--web.listen-address="+addr,
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--log.level=warn")
	return "http://" + addr
}

// labelOf reads one label of a promSeries key.
func labelOf(key, label string) string {
	_, rest, ok := strings.Cut(key, label+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// lastRuleEvaluation is when Prometheus last evaluated a rule group.
func lastRuleEvaluation(t *testing.T, prom, group string) time.Time {
	t.Helper()
	var body struct {
		Data struct {
			Groups []struct {
				Name           string    `json:"name"`
				LastEvaluation time.Time `json:"lastEvaluation"`
			} `json:"groups"`
		} `json:"data"`
	}
	getJSON(t, prom+"/api/v1/rules", &body)
	for _, g := range body.Data.Groups {
		if g.Name == group {
			return g.LastEvaluation
		}
	}
	return time.Time{}
}

// firing lists the StewardKPIRegression alerts Prometheus fires for a
// system.
func firing(t *testing.T, prom, system string) []map[string]string {
	t.Helper()
	var body struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	getJSON(t, prom+"/api/v1/alerts", &body)
	var out []map[string]string
	for _, a := range body.Data.Alerts {
		l := a.Labels
		if a.State == "firing" && l["alertname"] == "StewardKPIRegression" && l["role"] == "system" && l["subject"] == system {
			out = append(out, l)
		}
	}
	return out
}

type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// alertmanagerAlerts asks Alertmanager's API v2 for the alerts matching
// every filter.
func alertmanagerAlerts(t *testing.T, am string, filters ...string) []amAlert {
	t.Helper()
	var out []amAlert
	getJSON(t, am+"/api/v2/alerts?"+url.Values{"filter": filters}.Encode(), &out)
	return out
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", u, raw)
	require.NoError(t, json.Unmarshal(raw, v), string(raw))
}

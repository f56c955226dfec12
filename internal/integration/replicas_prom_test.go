package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/dashboards/dashboardtest"
	"github.com/steward-sh/steward/internal/pgtest"
	"github.com/steward-sh/steward/mixin"
)

// Three replicas scraped by one Prometheus count once: every dashboard
// query over the KPIs returns exactly what it returns from a Prometheus
// that scrapes one replica, and every alert on them fires once, not once
// per replica. Panels and alerts about each replica's own health (up,
// config, scorecard age) show one series per replica by design.
func TestReplicasCountOnceInDashboardsAndAlerts(t *testing.T) {
	needBinary(t, "prometheus", "prometheus")
	dashboards, err := dashboardtest.Load(filepath.Join("..", "..", "dashboards", "json"))
	require.NoError(t, err)
	dsn := pgtest.NewDatabase(t)
	now := time.Now().UTC().Truncate(time.Hour)
	ds := newPromDataset(t, now, "")
	b, err := os.ReadFile(ds.configFile)
	require.NoError(t, err)
	yml, _, ok := strings.Cut(string(b), "storage:\n")
	require.True(t, ok)
	_, rest, ok := strings.Cut(string(b), "  dsn: ")
	require.True(t, ok)
	_, rest, _ = strings.Cut(rest, "\n")
	cfg := yml + fmt.Sprintf("storage:\n  driver: postgres\n  dsn: %q\n", dsn) + rest

	var rs []*daemon
	var targets []string
	for range 3 {
		d := startReplica(t, cfg, now, io.Discard) // one clock: identical KPIs
		rs = append(rs, d)
		targets = append(targets, strings.TrimPrefix(d.url, "http://"))
	}
	ds.ingest(t, rs[0]) // the others follow through the notifications
	require.Eventually(t, func() bool {
		first := kpiLines(t, rs[0])
		return len(first) > 1000 && slices.Equal(first, kpiLines(t, rs[1])) && slices.Equal(first, kpiLines(t, rs[2]))
	}, 60*time.Second, 200*time.Millisecond, "the replicas agree")

	alerting := mixin.DefaultConfig()
	for name := range alerting.For {
		alerting.For[name] = 0
	}
	rules := t.TempDir()
	require.NoError(t, mixin.Write(rules, alerting))
	prometheus := func(targets []string) string {
		quoted, _ := json.Marshal(targets)
		return startPrometheusWith(t, fmt.Sprintf("rule_files: [%q, %q]\nscrape_configs: [{job_name: steward, static_configs: [{targets: %s}]}]\n",
			filepath.Join(rules, "rules.yml"), filepath.Join(rules, "alerts.yml"), quoted))
	}
	all, one := prometheus(targets), prometheus(targets[:1])
	for _, p := range []struct {
		url     string
		targets int
	}{{all, 3}, {one, 1}} {
		require.Eventually(t, func() bool {
			return len(promVector(t, p.url, `count by (instance) (steward_scorecard_score{job="steward",role="global"})`, time.Time{})) == p.targets
		}, 60*time.Second, 200*time.Millisecond, "Prometheus scraped %d replicas", p.targets)
		scraped := time.Now()
		require.Eventually(t, func() bool {
			return lastRuleEvaluation(t, p.url, "steward-accountability").After(scraped) && lastRuleEvaluation(t, p.url, "steward-health").After(scraped)
		}, 30*time.Second, 100*time.Millisecond, "Prometheus evaluated the rules over the scraped KPIs")
	}

	values := map[string]string{"role": "system_owner", "window": reviewWindow, "__rate_interval": "1m", "__interval": "1m", "__range": "30d"}
	queries := panelQueries(dashboards)
	chooseVariables(t, one, queries, values, ds.cfg, now)

	at := time.Now()
	compared, perReplica := 0, 0
	for _, q := range queries {
		expr := dashboardtest.Expand(q.expr, values)
		if strings.Contains(expr, "rate(") {
			continue // counters of each replica's own traffic: summed by design, and scraped at other instants
		}
		fromOne, fromAll := promVector(t, one, expr, at), promVector(t, all, expr, at)
		if slices.ContainsFunc(fromOne, func(s sample) bool { return s.labels["instance"] != "" }) {
			assert.Len(t, fromAll, 3*len(fromOne), "%s: one series per replica", q)
			perReplica++
			continue
		}
		assert.Equal(t, fromOne, fromAll, "%s: three replicas count once", q)
		if len(fromOne) > 0 {
			compared++
		}
	}
	t.Logf("%d panel queries with data agree, %d show each replica", compared, perReplica)
	assert.Greater(t, compared, 50)

	alertsOne, alertsAll := firingAlerts(t, one), firingAlerts(t, all)
	kpiAlerts := 0
	for key, n := range alertsOne {
		if strings.Contains(key, " instance:") {
			assert.Equal(t, 1, n, key)
			continue // about one replica's own health: each replica alerts
		}
		kpiAlerts++
		assert.Equal(t, 1, alertsAll[key], "fires once with three replicas: %s", key)
	}
	for key := range alertsAll {
		if !strings.Contains(key, " instance:") {
			assert.Contains(t, alertsOne, key, "fires with one replica too")
		}
	}
	t.Logf("%d alerts firing over KPIs, once each", kpiAlerts)
	assert.Positive(t, kpiAlerts, "the dataset breaches some objectives")
}

// sample is one element of an instant vector.
type sample struct {
	labels map[string]string
	value  string
}

// promVector runs an instant query and returns its samples sorted, with
// every label kept (promQuery keys them without job and instance).
func promVector(t *testing.T, base, q string, at time.Time) []sample {
	t.Helper()
	v := url.Values{"query": {q}}
	if !at.IsZero() {
		v.Set("time", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', -1, 64))
	}
	var body struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	resp, err := http.Get(base + "/api/v1/query?" + v.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", q, raw)
	require.NoError(t, json.Unmarshal(raw, &body))
	out := make([]sample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		out = append(out, sample{labels: r.Metric, value: fmt.Sprint(r.Value[1])})
	}
	slices.SortFunc(out, func(a, b sample) int { return strings.Compare(fmt.Sprint(a.labels), fmt.Sprint(b.labels)) })
	return out
}

// firingAlerts counts Prometheus's firing alerts by their labels, written
// as "map[alertname:… instance:… …]".
func firingAlerts(t *testing.T, prom string) map[string]int {
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
	out := map[string]int{}
	for _, a := range body.Data.Alerts {
		if a.State == "firing" {
			out[fmt.Sprint(a.Labels)]++
		}
	}
	return out
}

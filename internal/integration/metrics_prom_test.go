package integration

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	steward "github.com/steward-sh/steward/internal/daemon"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A real Prometheus scrapes the daemon; every KPI, score and status it
// stored for every role and window is what the scorecards API answers.
func TestPrometheusScrapesScorecards(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Hour)
	ds := newPromDataset(t, now, "")
	d := startDaemonAt(t, ds.configFile, now, nil)
	ds.ingest(t, d)
	apiScorecards(t, d, "global", "30d", time.Time{}) // the snapshot now holds every record

	target := strings.TrimPrefix(d.url, "http://")
	prom := startPrometheus(t, fmt.Sprintf("  - {job_name: steward, static_configs: [{targets: [%q]}]}\n", target))
	after := time.Now()
	require.Eventually(t, func() bool {
		up := promQuery(t, prom, `timestamp(up{job="steward"}) * (up{job="steward"} == 1)`, time.Time{})
		for _, ts := range up {
			return ts > float64(after.Unix())+1
		}
		return false
	}, 60*time.Second, 200*time.Millisecond, "Prometheus did not scrape Steward")

	got := promQuery(t, prom, `{__name__=~"steward_.+", role!=""}`, time.Time{})
	n := compareWithAPI(t, d, got, time.Time{}, []string{"7d", "30d", "90d"}, 0)
	t.Logf("%d promSeries compared with the API", n)
	assert.Greater(t, n, 2000)

	t.Run("objectives and owners", func(t *testing.T) {
		objectives := promQuery(t, prom, "steward_kpi_objective", time.Time{})
		require.Len(t, objectives, len(ds.cfg.Objectives))
		for name, o := range ds.cfg.Objectives {
			assert.Equal(t, o.Objective, objectives[fmt.Sprintf("steward_kpi_objective{kpi=%q}", name)], name)
		}
		owners := promQuery(t, prom, "steward_system_owner_info", time.Time{})
		want := promSeries{}
		for _, s := range ds.cfg.Systems {
			if o := s.OwnerAt(now); o != "" {
				want[fmt.Sprintf("steward_system_owner_info{owner=%q,program=%q,system=%q,tier=\"%d\"}", o, s.Program, s.ID, s.Tier)] = 1
			}
		}
		assert.Equal(t, want, owners)
	})

	t.Run("self-metrics arrive through OpenMetrics", func(t *testing.T) {
		targets := promQuery(t, prom, `scrape_samples_scraped{job="steward"}`, time.Time{})
		require.Len(t, targets, 1)
		accepted := promQuery(t, prom, `sum(steward_ingest_records_total{result="accepted"})`, time.Time{})
		assert.Equal(t, float64(len(ds.incidents)+len(ds.changes)+len(ds.feedback)), accepted["{}"])
		buckets := promQuery(t, prom, `sum(steward_ingest_duration_seconds_count{kind="incident"})`, time.Time{})
		assert.Equal(t, float64((len(ds.incidents)+499)/500), buckets["{}"])
		assert.Len(t, promQuery(t, prom, `steward_build_info{goversion=~"go.+"}`, time.Time{}), 1)
		assert.Len(t, promQuery(t, prom, `steward_last_ingest_timestamp_seconds{source="generated"}`, time.Time{}), 1)
		assert.Len(t, promQuery(t, prom, `steward_config_last_reload_successful == 1`, time.Time{}), 1)
	})
}

// promtool check metrics finds no problem in a scrape (text format): the
// percentile KPIs are summaries (SPEC section 5), with _sum and _count.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := needBinary(t, "promtool", "prometheus")
	now := time.Now().UTC().Truncate(time.Hour)
	ds := newPromDataset(t, now, "")
	ds.store(t)
	d := startDaemonAt(t, ds.configFile, now, nil)
	apiScorecards(t, d, "global", "30d", time.Time{}) // the first snapshot is computed
	code, body := d.get(t, "/metrics")
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{"# TYPE steward_time_to_restore_seconds summary\n", "# TYPE steward_change_lead_time_seconds summary\n",
		`steward_time_to_restore_seconds{quantile="0.9",`, "steward_time_to_restore_seconds_sum{", "steward_time_to_restore_seconds_count{",
		`steward_change_lead_time_seconds{quantile="0.5",`, "steward_change_lead_time_seconds_sum{", "steward_change_lead_time_seconds_count{"} {
		require.True(t, strings.Contains(string(body), want), "%s in the scrape", want)
	}

	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	assert.Empty(t, strings.TrimSpace(string(out)))
	assert.NoError(t, err, "promtool check metrics")
}

// OpenMetrics is negotiated for a scraper that asks for it, and ends with
// # EOF.
func TestMetricsNegotiatesOpenMetrics(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Hour)
	ds := newPromDataset(t, now, "")
	ds.store(t)
	d := startDaemonAt(t, ds.configFile, now, nil)
	apiScorecards(t, d, "global", "30d", time.Time{}) // the first snapshot is computed
	for _, tt := range []struct{ accept, contentType, last string }{
		{"application/openmetrics-text;version=1.0.0", "application/openmetrics-text; version=1.0.0", "# EOF"},
		{"", "text/plain; version=0.0.4", ""},
	} {
		req, err := http.NewRequest(http.MethodGet, d.url+"/metrics", nil)
		require.NoError(t, err)
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Contains(t, resp.Header.Get("Content-Type"), tt.contentType)
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		if tt.last != "" {
			assert.Equal(t, tt.last, lines[len(lines)-1])
			assert.Equal(t, 1, strings.Count(string(body), "# EOF"))
		}
		for _, want := range []string{"steward_build_info{", "steward_recompute_duration_seconds_bucket{", "steward_scorecard_score{",
			`go_sql_max_open_connections{db_name="write"} 1`, "process_start_time_seconds "} {
			assert.True(t, strings.Contains(string(body), want), "%s in %s", want, tt.contentType)
		}
	}
}

// --push.url sends the same metrics to VictoriaMetrics' import API.
func TestPushToVictoriaMetrics(t *testing.T) {
	vm := startVictoriaMetrics(t)
	now := time.Now().UTC().Truncate(time.Hour)
	ds := newPromDataset(t, now, "export: {roles: [system, global], windows: [30d]}\n")
	ds.store(t)
	d := startDaemonAt(t, ds.configFile, now, func(o *steward.Options) {
		o.PushURL = vm + "/api/v1/import/prometheus"
		o.PushInterval = 200 * time.Millisecond
	})
	var got promSeries
	require.Eventually(t, func() bool {
		_, _ = http.Get(vm + "/internal/force_flush")
		got = promQuery(t, vm, `{__name__=~"steward_.+", role!=""}`, time.Time{})
		return len(got) > 0 && len(promQuery(t, vm, `steward_push_requests_total{result="success"} > 0`, time.Time{})) == 1
	}, 60*time.Second, 250*time.Millisecond, "nothing pushed")
	for _, role := range []string{"system", "global"} {
		want := seriesFromAPI(t, apiScorecards(t, d, role, "30d", time.Time{}), got)
		assertSame(t, want, got.only(role, "30d"), 1e-11, role)
	}
	for k := range got {
		assert.Regexp(t, `role="(system|global)"`, k, "export.roles limits the push too")
		if strings.Contains(k, "window=") {
			assert.Contains(t, k, `window="30d"`, "export.windows limits the push too")
		}
	}
}

const twoSystems = `
storage: {driver: sqlite, dsn: %q}
windows: [30d]
people: [{id: alice}, {id: bob}, {id: erin}]
systems:
  - {id: pay, owners: [{owner: alice, since: 2025-01-01T00:00:00Z}]}
  - {id: legacy, owners: [{owner: bob, since: 2025-01-01T00:00:00Z}]}
processes: {incident: {owner: erin}}
`

// A system removed from the config leaves /metrics after the reload, with
// its owner; a failed reload shows in steward_config_last_reload_successful.
func TestReloadRemovesSeries(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "steward.yml")
	cfg := fmt.Sprintf(twoSystems, filepath.Join(dir, "s.db"))
	require.NoError(t, os.WriteFile(cfgFile, []byte(cfg), 0o600))
	d := startDaemonAt(t, cfgFile, time.Time{}, nil)
	apiScorecards(t, d, "system", "30d", time.Time{})
	scrape := func() string {
		code, body := d.get(t, "/metrics")
		require.Equal(t, http.StatusOK, code)
		return string(body)
	}
	require.Contains(t, scrape(), `steward_incidents_open{role="system",subject="legacy"} 0`)
	require.Contains(t, scrape(), `steward_system_owner_info{owner="bob",program="",system="legacy",tier="0"} 1`)

	require.NoError(t, os.WriteFile(cfgFile, []byte(cfg+"bogus: 1\n"), 0o600))
	code, _ := d.post(t, "/-/reload", "", "")
	require.Equal(t, http.StatusInternalServerError, code)
	assert.Contains(t, scrape(), "steward_config_last_reload_successful 0")

	require.NoError(t, os.WriteFile(cfgFile, []byte(strings.Replace(cfg, "  - {id: legacy, owners: [{owner: bob, since: 2025-01-01T00:00:00Z}]}\n", "", 1)), 0o600))
	code, _ = d.post(t, "/-/reload", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return !strings.Contains(scrape(), `subject="legacy"`) }, 10*time.Second, 50*time.Millisecond,
		"the recompute after the reload drops the system")
	body := scrape()
	assert.NotContains(t, body, `system="legacy"`)
	assert.NotContains(t, body, `subject="bob"`)
	assert.Contains(t, body, `steward_incidents_open{role="system",subject="pay"} 0`)
	assert.Contains(t, body, "steward_config_last_reload_successful 1")
}

package integration

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

const hookFixtures = "../collector/testdata/fixtures/webhooks"

func hookFixture(t *testing.T, rel string) []byte {
	t.Helper()
	if _, err := os.Stat(hookFixtures); err != nil {
		t.Skipf("vendor payloads not found at %s (copies of the shared fixtures in internal/collector/testdata): %v", hookFixtures, err)
	}
	b, err := os.ReadFile(filepath.Join(hookFixtures, rel))
	require.NoError(t, err)
	return b
}

func hookConfig(driver, dsn, collectors string) string {
	return fmt.Sprintf(testConfig, driver, dsn) + collectors
}

// hookPost posts body to the daemon with headers (name, value pairs).
func hookPost(t *testing.T, url string, body []byte, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}

func pdSign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// TestHooks runs the webhooks inside the daemon on both stores: routes
// exist only for configured vendors, follow a config reload, and a vendor
// whose events are partial (PagerDuty) merges with what the store holds.
func TestHooks(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			driver, dsn := backend(t)
			d := startDaemonWith(t, driver, dsn, hookConfig(driver, dsn, `
collectors:
  alertmanager:
    token: am-token
    mapping: {system: [alertname]}
`), 1<<20)
			firing := hookFixture(t, "alertmanager/alertmanager-bot/firing.json")

			code, _ := hookPost(t, d.url+"/hooks/pagerduty", []byte(`{}`))
			assert.Equal(t, http.StatusNotFound, code, "not configured")
			code, _ = d.get(t, "/hooks/alertmanager")
			assert.Equal(t, http.StatusMethodNotAllowed, code)
			code, _ = hookPost(t, d.url+"/hooks/alertmanager", firing)
			assert.Equal(t, http.StatusUnauthorized, code)
			code, body := hookPost(t, d.url+"/hooks/alertmanager", firing, "Authorization", "Bearer am-token")
			require.Equal(t, http.StatusOK, code, body)
			assert.JSONEq(t, `{"accepted":1,"rejected":[],"ignored":[]}`, body)

			// A reload adds PagerDuty and re-keys Alertmanager.
			require.NoError(t, os.WriteFile(d.configFile, []byte(hookConfig(driver, dsn, `
collectors:
  alertmanager: {token: new-token}
  pagerduty: {secret: pd-secret}
`)), 0o600))
			code, _ = d.post(t, "/-/reload", "", "")
			require.Equal(t, http.StatusOK, code)
			code, _ = hookPost(t, d.url+"/hooks/alertmanager", firing, "Authorization", "Bearer am-token")
			assert.Equal(t, http.StatusUnauthorized, code, "the old token no longer works")

			trigger := hookFixture(t, "pagerduty/v3/incident.triggered.json")
			ack := edit(t, trigger, func(ev map[string]any) {
				ev["event_type"], ev["occurred_at"] = "incident.acknowledged", "2021-06-04T13:40:00Z"
				ev["data"].(map[string]any)["status"] = "acknowledged"
			})
			// PCPZE64 is first seen resolved: its opening is estimated.
			resolved := hookFixture(t, "pagerduty/v3/incident.resolved.json")
			for _, b := range [][]byte{trigger, ack, resolved} {
				code, body = hookPost(t, d.url+"/hooks/pagerduty", b, "X-PagerDuty-Signature", pdSign("pd-secret", b))
				require.Equal(t, http.StatusOK, code, body)
			}
			incidents, _ := d.stored(t)
			byID := map[string]record.Incident{}
			for _, in := range incidents {
				byID[in.Source+"/"+in.ID] = in
			}
			require.Len(t, byID, 3)
			assert.Equal(t, []string{"opened_at"}, byID["pagerduty/PCPZE64"].Estimated, "stored with what was estimated")
			pd := byID["pagerduty/PFQZPSY"]
			assert.Equal(t, time.Date(2021, 6, 4, 13, 35, 29, 781e6, time.UTC), pd.OpenedAt, "kept from the triggering event")
			require.NotNil(t, pd.AcknowledgedAt)
			assert.Equal(t, time.Date(2021, 6, 4, 13, 40, 0, 0, time.UTC), *pd.AcknowledgedAt)
			assert.Equal(t, "Fire", byID["alertmanager/88cbf0084cf27726-1541367838"].System)

			// SPEC 4, Times: PCPZE64 counts as resolved, but its time to
			// restore is on an estimate, so no MTTR of 0 s on 2021-06-05 (30d).
			global := apiScorecards(t, d, "global", "30d", time.Date(2021, 6, 5, 0, 0, 0, 0, time.UTC)).Scorecards[0].KPIs
			require.NotNil(t, global["incidents_resolved"].Value)
			assert.Equal(t, 1.0, *global["incidents_resolved"].Value)
			assert.Nil(t, global["mttr_seconds"].Value, "the only restoration was estimated")
			assert.Nil(t, global["sla_breach_ratio"].Value)
			require.NotNil(t, global["estimated_records_incident"].Value)
			assert.Equal(t, 1.0, *global["estimated_records_incident"].Value)

			// Webhook requests are counted in the self-metrics like the API's.
			code, metrics := d.get(t, "/metrics")
			require.Equal(t, http.StatusOK, code)
			assert.Equal(t, []string{"3"}, sampleValues(string(metrics), "steward_ingest_records_total",
				`source="pagerduty"`, `kind="incident"`, `result="accepted"`))
		})
	}
}

// sampleValues returns the values of the samples of metric in a text
// exposition whose labels include all of labels, in any order.
func sampleValues(exposition, metric string, labels ...string) []string {
	var out []string
	for _, line := range strings.Split(exposition, "\n") {
		rest, ok := strings.CutPrefix(line, metric+"{")
		if !ok {
			continue
		}
		set, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		all := true
		for _, l := range labels {
			all = all && slices.Contains(strings.Split(set, ","), l)
		}
		if all {
			out = append(out, value)
		}
	}
	return out
}

// edit changes the event object of a PagerDuty payload.
func edit(t *testing.T, body []byte, f func(ev map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(body, &doc))
	f(doc["event"].(map[string]any))
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

// TestAlertmanagerEndToEnd sends alerts through a real Alertmanager whose
// webhook receiver is the daemon, authenticated with a bearer token as
// http_config sends it: firing alerts arrive as incidents, and once they
// are resolved the same incidents get resolved_at.
func TestAlertmanagerEndToEnd(t *testing.T) {
	bin := needBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	driver, dsn := "sqlite", filepath.Join(dir, "steward.db")
	d := startDaemonWith(t, driver, dsn, hookConfig(driver, dsn, `
collectors:
  alertmanager: {token: e2e-token}
`), 1<<20)

	amConfig := filepath.Join(dir, "alertmanager.yml")
	require.NoError(t, os.WriteFile(amConfig, []byte(fmt.Sprintf(`
global: {resolve_timeout: 5m}
route:
  receiver: steward
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: steward
    webhook_configs:
      - url: %s/hooks/alertmanager
        send_resolved: true
        http_config:
          authorization: {type: Bearer, credentials: e2e-token}
`, d.url)), 0o600))
	addr := freeLoopbackAddr(t)
	startServerProcess(t, "http://"+addr+"/-/ready", bin,
		"--config.file="+amConfig, "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	am := "http://" + addr

	startsAt := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	alerts := func(endsAt string) []byte {
		return []byte(fmt.Sprintf(`[
  {"labels": {"alertname": "DiskFull", "service": "payments-api", "severity": "critical", "team": "payments", "impact": "outage"},
   "annotations": {"summary": "Disk full on payments"}, "startsAt": %q%s},
  {"labels": {"alertname": "HighLatency", "job": "checkout", "severity": "warning"},
   "annotations": {}, "startsAt": %q%s}
]`, startsAt.Format(time.RFC3339), endsAt, startsAt.Format(time.RFC3339), endsAt))
	}
	code, body := hookPost(t, am+"/api/v2/alerts", alerts(""), "Content-Type", "application/json")
	require.Equal(t, http.StatusOK, code, body)

	// Alertmanager's own fingerprints make the ids.
	resp, err := http.Get(am + "/api/v2/alerts")
	require.NoError(t, err)
	var listed []struct {
		Fingerprint string            `json:"fingerprint"`
		Labels      map[string]string `json:"labels"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&listed))
	resp.Body.Close()
	require.Len(t, listed, 2)
	ids := map[string]string{}
	for _, a := range listed {
		ids[a.Labels["alertname"]] = a.Fingerprint + "-" + strconv.FormatInt(startsAt.Unix(), 10)
	}

	stored := func() map[string]record.Incident {
		incidents, _ := d.stored(t)
		out := map[string]record.Incident{}
		for _, in := range incidents {
			in.Seq = 0
			out[in.ID] = in
		}
		return out
	}
	require.Eventually(t, func() bool { return len(stored()) == 2 }, 30*time.Second, 100*time.Millisecond,
		"both alerts arrive as incidents")
	want := map[string]record.Incident{
		ids["DiskFull"]: {
			ID: ids["DiskFull"], Source: "alertmanager", System: "payments-api", Title: "Disk full on payments", Severity: 1,
			Impact: record.ImpactOutage, Category: record.CategoryNone, OpenedAt: startsAt, Team: "payments",
			Labels: map[string]string{"alertname": "DiskFull", "service": "payments-api", "severity": "critical", "team": "payments", "impact": "outage"},
		},
		ids["HighLatency"]: {
			ID: ids["HighLatency"], Source: "alertmanager", System: "checkout", Title: "HighLatency", Severity: 3,
			Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: startsAt,
			Labels: map[string]string{"alertname": "HighLatency", "job": "checkout", "severity": "warning"},
		},
	}
	assert.Equal(t, want, stored())

	endsAt := time.Now().UTC().Add(-time.Second).Truncate(time.Second)
	code, body = hookPost(t, am+"/api/v2/alerts", alerts(fmt.Sprintf(`, "endsAt": %q`, endsAt.Format(time.RFC3339))),
		"Content-Type", "application/json")
	require.Equal(t, http.StatusOK, code, body)
	require.Eventually(t, func() bool {
		got := stored()
		return len(got) == 2 && got[ids["DiskFull"]].ResolvedAt != nil && got[ids["HighLatency"]].ResolvedAt != nil
	}, 30*time.Second, 100*time.Millisecond, "resolved notifications resolve the same incidents")
	for id, in := range stored() {
		w := want[id]
		w.ResolvedAt = &endsAt
		assert.Equal(t, w, in, id)
	}
	assert.False(t, strings.Contains(fmt.Sprint(stored()), "resolved_at_estimated"))
}

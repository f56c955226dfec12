package collector

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

var amNow = at("2026-05-01T12:00:00Z")

func TestDecodeAlertmanagerFixtures(t *testing.T) {
	byHost := AlertmanagerDefaults().With(config.Mapping{System: []string{"host"}})
	byName := AlertmanagerDefaults().With(config.Mapping{System: []string{"alertname"}})
	cpuLabels := map[string]string{"alertname": "High CPU Temperature", "host": "andromeda", "severity": "critical"}
	tests := []struct {
		name          string
		fixture       string
		mapping       Mapping
		edit          func(doc map[string]any)
		want          []record.Incident
		wantRejected  []string // error of each rejected alert
		wantIgnored   []string
		wantIncidents int // when want is not spelled out
	}{
		{
			name: "firing group of two, fingerprints given (zulip)", fixture: "alertmanager/zulip/alert.json", mapping: byHost,
			want: []record.Incident{
				{ID: "a1bc48475b20e73d-1580948278", Source: "alertmanager", System: "andromeda", Title: "High CPU core temperature",
					Severity: 1, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2020-02-06T00:17:58.432911Z"), Labels: cpuLabels},
				{ID: "c2ea85182f28cbd9-1580948278", Source: "alertmanager", System: "andromeda", Title: "High CPU core temperature",
					Severity: 1, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2020-02-06T00:17:58.432911Z"), Labels: cpuLabels},
			},
		},
		{
			// Alertmanager before 0.16 sent no fingerprint: derived from the
			// labels it is the one a real Alertmanager gave (see above).
			name: "fingerprint derived from the labels as Alertmanager does", fixture: "alertmanager/zulip/alert.json", mapping: byHost,
			edit: func(doc map[string]any) {
				alerts := doc["alerts"].([]any)
				delete(alerts[0].(map[string]any), "fingerprint")
				doc["alerts"] = alerts[:1]
			},
			want: []record.Incident{
				{ID: "a1bc48475b20e73d-1580948278", Source: "alertmanager", System: "andromeda", Title: "High CPU core temperature",
					Severity: 1, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2020-02-06T00:17:58.432911Z"), Labels: cpuLabels},
			},
		},
		{
			name: "resolved without endsAt: arrival time, labelled (zulip edge case)", fixture: "alertmanager/zulip/single_alert.json", mapping: byHost,
			want: []record.Incident{
				{ID: "a1bc48475b20e73d-1580948278", Source: "alertmanager", System: "andromeda", Title: "High CPU core temperature",
					Severity: 1, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2020-02-06T00:17:58.432911Z"), ResolvedAt: &amNow, Estimated: []string{"resolved_at"},
					Labels: map[string]string{"alertname": "High CPU Temperature", "host": "andromeda", "severity": "critical", "resolved_at_estimated": "true"}},
			},
		},
		{
			name: "default mapping: job is the system, group status, non-UTC offset", fixture: "alertmanager/prometheus-msteams/prom_post_request.json",
			mapping: AlertmanagerDefaults(),
			want: []record.Incident{
				{ID: "b29784719d6a11e6-1520422401", Source: "alertmanager", System: "docker_nodes", Title: "Server High Memory usage",
					Severity: 3, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2018-03-07T11:33:21.873077Z"),
					Labels: map[string]string{"alertname": "high_memory_load", "instance": "instance-with-hyphen_and_underscore",
						"job": "docker_nodes", "monitor": "master", "severity": "warning"}},
			},
		},
		{
			name: "default mapping: alerts without system, service or job are quarantined", fixture: "alertmanager/alertmanager-bot/firing.json",
			mapping: AlertmanagerDefaults(),
			wantRejected: []string{`alert 0 (incident id "88cbf0084cf27726-1541367838"): field "system": is required; ` +
				`no value in any of the mapping's system fields ["system" "service" "job"]`},
		},
		{
			name: "twelve alerts, none with a system label", fixture: "alertmanager/prometheus-msteams/prom_post_request_12_alerts.json",
			mapping: AlertmanagerDefaults(), wantRejected: make([]string, 12),
		},
		{
			name: "a large group: service is the system", fixture: "alertmanager/prometheus-msteams/large_prom_post_request.json",
			mapping: AlertmanagerDefaults(), wantIncidents: 19,
		},
		{
			name: "truncated alerts are reported", fixture: "alertmanager/alertmanager-bot/firing.json", mapping: byName,
			edit:          func(doc map[string]any) { doc["truncatedAlerts"] = 3 },
			wantIncidents: 1, wantIgnored: []string{"3 alerts truncated by Alertmanager (max_alerts)"},
		},
		{
			name: "an alert without startsAt is quarantined alone", fixture: "alertmanager/zulip/alert.json", mapping: byHost,
			edit:          func(doc map[string]any) { delete(doc["alerts"].([]any)[1].(map[string]any), "startsAt") },
			wantIncidents: 1, wantRejected: []string{`alert 1 (incident id ""): startsAt is missing`},
		},
		{
			name: "an alert whose labels are not strings is quarantined alone", fixture: "alertmanager/zulip/alert.json", mapping: byHost,
			edit:          func(doc map[string]any) { doc["alerts"].([]any)[0].(map[string]any)["labels"] = []any{1} },
			wantIncidents: 1, wantRejected: make([]string, 1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := hookFixture(t, tt.fixture)
			if tt.edit != nil {
				body = editJSON(t, body, tt.edit)
			}
			d, err := DecodeAlertmanager(body, tt.mapping, amNow)
			require.NoError(t, err)
			if tt.want != nil {
				assert.Equal(t, tt.want, d.Incidents)
			} else {
				assert.Len(t, d.Incidents, tt.wantIncidents)
			}
			require.Len(t, d.Rejected, len(tt.wantRejected))
			for i, want := range tt.wantRejected {
				assert.Equal(t, record.KindIncident, d.Rejected[i].Kind)
				assert.Equal(t, "alertmanager", d.Rejected[i].Source)
				assert.NotEmpty(t, d.Rejected[i].Raw)
				if want != "" {
					assert.Equal(t, want, d.Rejected[i].Error)
				}
			}
			assert.Equal(t, tt.wantIgnored, d.Ignored)
		})
	}
}

// alert is a notification of one firing alert with the labels.
func alert(labels string) []byte {
	return []byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{` + labels +
		`},"annotations":{},"startsAt":"2026-04-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]}`)
}

func TestAlertmanagerMapping(t *testing.T) {
	tests := []struct {
		labels       string
		mapping      Mapping
		wantSystem   string
		wantTeam     string
		wantSeverity int
		wantImpact   record.Impact
		wantTitle    string
	}{
		{`"system":"a","service":"b","job":"c","alertname":"X"`, AlertmanagerDefaults(), "a", "", 3, record.ImpactNone, "X"},
		{`"service":"b","job":"c"`, AlertmanagerDefaults(), "b", "", 3, record.ImpactNone, ""},
		{`"system":"","job":"c","team":"sre"`, AlertmanagerDefaults(), "c", "sre", 3, record.ImpactNone, ""},
		{`"job":"c","severity":"critical","impact":"outage"`, AlertmanagerDefaults(), "c", "", 1, record.ImpactOutage, ""},
		{`"job":"c","severity":"High","impact":"Degraded"`, AlertmanagerDefaults(), "c", "", 2, record.ImpactDegraded, ""},
		{`"job":"c","severity":"error","impact":"none"`, AlertmanagerDefaults(), "c", "", 2, record.ImpactNone, ""},
		{`"job":"c","severity":"warning","impact":"bogus"`, AlertmanagerDefaults(), "c", "", 3, record.ImpactNone, ""},
		{`"job":"c","severity":"info"`, AlertmanagerDefaults(), "c", "", 4, record.ImpactNone, ""},
		{`"job":"c","severity":"page"`, AlertmanagerDefaults(), "c", "", 3, record.ImpactNone, ""},
		{`"job":"c","severity":"1"`, AlertmanagerDefaults(), "c", "", 3, record.ImpactNone, ""},
		{
			`"app":"pay","owner":"payments","prio":"P1","avail":"down","job":"c"`,
			AlertmanagerDefaults().With(config.Mapping{
				System: []string{"app"}, Team: []string{"owner"}, Severity: []string{"prio"}, SeverityMap: map[string]int{"p1": 1},
				Impact: []string{"avail"}, ImpactMap: map[string]string{"down": "outage"},
			}),
			"pay", "payments", 1, record.ImpactOutage, "",
		},
		{`"job":"c","severity":"weird"`, AlertmanagerDefaults().With(config.Mapping{DefaultSeverity: 5, DefaultImpact: "degraded"}), "c", "", 5, record.ImpactDegraded, ""},
	}
	for _, tt := range tests {
		t.Run(tt.labels, func(t *testing.T) {
			d, err := DecodeAlertmanager(alert(tt.labels), tt.mapping, amNow)
			require.NoError(t, err)
			require.Len(t, d.Incidents, 1, "rejected: %v", d.Rejected)
			in := d.Incidents[0]
			assert.Equal(t, tt.wantSystem, in.System)
			assert.Equal(t, tt.wantTeam, in.Team)
			assert.Equal(t, tt.wantSeverity, in.Severity)
			assert.Equal(t, tt.wantImpact, in.Impact)
			assert.Equal(t, tt.wantTitle, in.Title)
			assert.Equal(t, record.CategoryNone, in.Category)
			assert.Nil(t, in.ResolvedAt, "a firing alert's endsAt is not a resolution")
		})
	}
}

// The label category gives an incident's category (SPEC 2), lower-cased,
// so that policy.security_categories can name it.
func TestDecodeAlertmanagerCategory(t *testing.T) {
	d, err := DecodeAlertmanager(alert(`"job":"c","category":"Security"`), AlertmanagerDefaults(), amNow)
	require.NoError(t, err)
	require.Len(t, d.Incidents, 1, "rejected: %v", d.Rejected)
	assert.Equal(t, "security", d.Incidents[0].Category)
}

func TestDecodeAlertmanagerMalformed(t *testing.T) {
	for body, want := range map[string]string{
		`not json`:                      "malformed payload: not an Alertmanager notification: invalid character 'o' in literal null (expecting 'u')",
		`{"version":"3","alerts":[]}`:   `malformed payload: webhook payload version "3" is not supported (want 4)`,
		`{"version":"4","status":"x"}`:  "malformed payload: not an Alertmanager notification: no alerts list",
		`{"version":"4","alerts":{}}`:   "malformed payload: not an Alertmanager notification: json: cannot unmarshal object into Go struct field amPayload.alerts of type []json.RawMessage",
		`[{"version":"4","alerts":[]}]`: "malformed payload: not an Alertmanager notification: json: cannot unmarshal array into Go value of type collector.amPayload",
	} {
		_, err := DecodeAlertmanager([]byte(body), AlertmanagerDefaults(), amNow)
		require.ErrorIs(t, err, ErrMalformed, body)
		assert.Equal(t, want, err.Error(), body)
	}
	d, err := DecodeAlertmanager([]byte(`{"version":"4","alerts":[]}`), AlertmanagerDefaults(), amNow)
	require.NoError(t, err)
	assert.Equal(t, []string{"notification without alerts"}, d.Ignored)
}

func TestAlertmanagerWebhook(t *testing.T) {
	cfg := &config.Webhook{
		Token:     "am-token",
		BasicAuth: &config.BasicAuth{Username: "alertmanager", Password: "pw"},
		Mapping:   config.Mapping{System: []string{"alertname"}},
	}
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	firing := hookFixture(t, "alertmanager/alertmanager-bot/firing.json")
	resolved := hookFixture(t, "alertmanager/alertmanager-bot/resolved.json")
	want := record.Incident{
		ID: "88cbf0084cf27726-1541367838", Source: "alertmanager", System: "Fire", Title: "Fire", Severity: 1,
		Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2018-11-04T21:43:58.283995Z"),
		Labels: map[string]string{"alertname": "Fire", "severity": "critical"},
	}

	t.Run("firing, repeated, then resolved: one incident", func(t *testing.T) {
		e := newHookEnv(t, AlertmanagerSource(cfg))
		for range 2 {
			code, a := e.post(t, "/hooks/alertmanager", firing, "Authorization", "Bearer am-token")
			require.Equal(t, http.StatusOK, code)
			assert.Equal(t, 1, a.Accepted)
		}
		assert.Equal(t, map[string]record.Incident{want.ID: want}, e.incidents(t))

		code, _ := e.post(t, "/hooks/alertmanager", resolved, "Authorization", basic("alertmanager", "pw"))
		require.Equal(t, http.StatusOK, code)
		want := want
		want.ResolvedAt = atp("2018-11-04T21:48:13.283995Z")
		assert.Equal(t, map[string]record.Incident{want.ID: want}, e.incidents(t))
		assert.EqualValues(t, 3, e.stats(t).Accepted)
	})
	t.Run("a new firing after the resolution is a new incident", func(t *testing.T) {
		e := newHookEnv(t, AlertmanagerSource(cfg))
		refired := editJSON(t, firing, func(doc map[string]any) {
			doc["alerts"].([]any)[0].(map[string]any)["startsAt"] = "2018-11-05T08:00:00Z"
		})
		for _, body := range [][]byte{firing, resolved, refired} {
			code, _ := e.post(t, "/hooks/alertmanager", body, "Authorization", "Bearer am-token")
			require.Equal(t, http.StatusOK, code)
		}
		got := e.incidents(t)
		require.Len(t, got, 2)
		assert.NotNil(t, got["88cbf0084cf27726-1541367838"].ResolvedAt)
		assert.Nil(t, got["88cbf0084cf27726-1541404800"].ResolvedAt)
	})
	t.Run("a late or replayed firing does not reopen a resolved incident", func(t *testing.T) {
		e := newHookEnv(t, AlertmanagerSource(cfg))
		for _, body := range [][]byte{firing, resolved} {
			code, _ := e.post(t, "/hooks/alertmanager", body, "Authorization", "Bearer am-token")
			require.Equal(t, http.StatusOK, code)
		}
		code, a := e.post(t, "/hooks/alertmanager", firing, "Authorization", "Bearer am-token")
		assert.Equal(t, http.StatusAccepted, code, "nothing to store")
		assert.Zero(t, a.Accepted)
		require.Len(t, a.Ignored, 1)
		assert.Contains(t, a.Ignored[0], "late or replayed")
		got := e.incidents(t)
		require.Len(t, got, 1)
		assert.Equal(t, atp("2018-11-04T21:48:13.283995Z"), got["88cbf0084cf27726-1541367838"].ResolvedAt, "still resolved")
	})
	t.Run("bad credentials: 401 and nothing stored", func(t *testing.T) {
		e := newHookEnv(t, AlertmanagerSource(cfg))
		for _, auth := range []string{"", "Bearer wrong", "Bearer ", basic("alertmanager", "wrong"), basic("other", "pw"), "am-token"} {
			code, _ := e.post(t, "/hooks/alertmanager", firing, "Authorization", auth)
			assert.Equal(t, http.StatusUnauthorized, code, auth)
		}
		assert.Empty(t, e.incidents(t))
		assert.Empty(t, e.quarantined(t))
		assert.EqualValues(t, 6, e.stats(t).Unauthorized)
	})
	t.Run("only the configured scheme is accepted", func(t *testing.T) {
		e := newHookEnv(t, AlertmanagerSource(&config.Webhook{BasicAuth: &config.BasicAuth{Username: "u", Password: "p"}}))
		code, _ := e.post(t, "/hooks/alertmanager", firing, "Authorization", "Bearer ")
		assert.Equal(t, http.StatusUnauthorized, code, "no token configured: an empty bearer token is no credential")
	})
	t.Run("malformed: 400 and quarantined", func(t *testing.T) {
		e := newHookEnv(t, AlertmanagerSource(cfg))
		body := []byte(strings.Replace(string(firing), `"version":"4"`, `"version":"5"`, 1))
		code, a := e.post(t, "/hooks/alertmanager", body, "Authorization", "Bearer am-token")
		assert.Equal(t, http.StatusBadRequest, code)
		q := e.quarantined(t)
		require.Len(t, q, 1)
		assert.Equal(t, `malformed payload: webhook payload version "5" is not supported (want 4)`, q[0].Error)
		assert.Equal(t, q[0].Error, a.Error)
		assert.Equal(t, string(body), q[0].Raw)
		assert.Equal(t, record.KindIncident, q[0].Kind)
		assert.Equal(t, "alertmanager", q[0].Source)
		assert.WithinDuration(t, time.Now(), q[0].ReceivedAt, time.Minute)
	})
}

package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPollers(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("s3cret\n"), 0o600))
	c, err := Parse([]byte(`
pollers:
  servicenow:
    url: https://acme.service-now.com/
    username: steward
    password_file: ` + pw + `
    tables: [incident, change_request, sn_si_incident]
    interval: 10m
    page_size: 500
    query: active=true
    since: 2026-01-01
    fields:
      incident: {system: [cmdb_ci, business_service.display_value], impact: u_outage}
      change_request: {finished_at: work_end}
    impact_map: {Total: outage}
  pagerduty_api:
    token: pdtok
    since: 2025-10-01T00:00:00Z
    mapping: {system: service.summary}
`))
	require.NoError(t, err)
	sn := c.Pollers.ServiceNow
	require.NotNil(t, sn)
	assert.Equal(t, "https://acme.service-now.com", sn.URL)
	assert.Equal(t, "s3cret", sn.Password.Reveal())
	assert.Equal(t, []string{"incident", "change_request", "sn_si_incident"}, sn.Tables)
	assert.Equal(t, 10*time.Minute, sn.Interval)
	assert.Equal(t, 500, sn.PageSize)
	assert.Equal(t, "active=true", sn.Query)
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), sn.Since)
	assert.Equal(t, map[string]map[string][]string{
		"incident":       {"system": {"cmdb_ci", "business_service.display_value"}, "impact": {"u_outage"}},
		"change_request": {"finished_at": {"work_end"}},
	}, sn.Fields)
	assert.Equal(t, map[string]string{"total": "outage"}, sn.ImpactMap)
	pd := c.Pollers.PagerDutyAPI
	require.NotNil(t, pd)
	assert.Equal(t, "https://api.pagerduty.com", pd.URL)
	assert.Equal(t, 5*time.Minute, pd.Interval)
	assert.Equal(t, 30*24*time.Hour, pd.Window)
	assert.Equal(t, 100, pd.PageSize)
	assert.Equal(t, []string{"service.summary"}, pd.Mapping.System)
	assert.Equal(t, "<secret>", pd.Token.String())
}

func TestPollersErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{
			name: "servicenow without url or credentials",
			yaml: "pollers:\n  servicenow: {tables: []}\n",
			want: []string{
				"line 2: pollers.servicenow: tables is empty: nothing would be polled",
				"line 2: pollers.servicenow: url is required",
				"line 2: pollers.servicenow: username and password (or password_file), or token (or token_file), are required",
			},
		},
		{
			name: "both kinds of credentials, bad url, bad page size",
			yaml: "pollers:\n  servicenow:\n    url: acme.service-now.com\n    token: t\n    username: u\n    password: p\n    page_size: 0\n",
			want: []string{
				"line 3: pollers.servicenow: url: \"acme.service-now.com\" is not an http(s) base URL (scheme and host, no query or credentials)",
				"line 3: pollers.servicenow: give token (OAuth) or username and password, not both",
				"line 7: pollers.servicenow: page_size 0 is not in 1..10000",
			},
		},
		{
			name: "fields of an unpolled table and an unknown field",
			yaml: "pollers:\n  servicenow:\n    url: https://x\n    token: t\n    tables: [change_request]\n    fields:\n      incident: {system: cmdb_ci}\n      change_request: {severity: priority}\n",
			want: []string{
				"line 7: pollers.servicenow: fields: table \"incident\" is not in tables",
				"line 8: pollers.servicenow: fields: change_request: fields of a change table: approval, approved_at, close_code, created_at, environment, finished_at, id, planned_end, planned_start, started_at, state, system, team, type",
				"line 8: pollers.servicenow: fields: change_request: unknown key \"severity\"",
			},
		},
		{
			name: "pagerduty without token, window too long",
			yaml: "pollers:\n  pagerduty_api: {window: 200d, interval: 0s}\n",
			want: []string{
				"line 2: pollers.pagerduty_api: interval must be positive",
				"line 2: pollers.pagerduty_api: token or token_file is required",
				"line 2: pollers.pagerduty_api: window 4800h0m0s is longer than the 180 days PagerDuty allows",
			},
		},
		{
			name: "unknown poller",
			yaml: "pollers:\n  jira: {}\n",
			want: []string{"line 2: pollers: unknown key \"jira\""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			require.Error(t, err)
			var errs *Errors
			require.ErrorAs(t, err, &errs)
			var got []string
			for _, e := range *errs {
				got = append(got, e.Error())
			}
			assert.ElementsMatch(t, tt.want, got)
		})
	}
}

package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestCollectorsParse(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "am-token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("  from-file\n"), 0o600))
	pwFile := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte("hunter2\n"), 0o600))

	cfg, err := Parse([]byte(fmt.Sprintf(`
collectors:
  alertmanager:
    token_file: %s
    basic_auth: {username: am, password_file: %s}
    mapping:
      system: [app, service]
      team: owner
      severity_map: {Page: 1, warning: 4}
      default_severity: 5
      impact_map: {DOWN: outage}
      default_impact: degraded
  pagerduty: {secret: pd}
  github:
    secret: gh
    mapping: {environment_map: {github-pages: production}}
  gitlab: {token: gl, mapping: {environment: environment_tier}}
  opsgenie: {token: og}
`, tokenFile, pwFile)))
	require.NoError(t, err)
	c := cfg.Collectors
	require.NotNil(t, c.Alertmanager)
	assert.Equal(t, "from-file", c.Alertmanager.Token.Reveal(), "file contents without surrounding space")
	assert.Equal(t, &BasicAuth{Username: "am", Password: "hunter2"}, c.Alertmanager.BasicAuth)
	assert.Equal(t, Mapping{
		System: []string{"app", "service"}, Team: []string{"owner"},
		SeverityMap: map[string]int{"page": 1, "warning": 4}, DefaultSeverity: 5,
		ImpactMap: map[string]string{"down": "outage"}, DefaultImpact: "degraded",
	}, c.Alertmanager.Mapping)
	assert.Equal(t, "pd", c.PagerDuty.Secret.Reveal())
	assert.Equal(t, map[string]string{"github-pages": "production"}, c.GitHub.Mapping.EnvironmentMap)
	assert.Equal(t, []string{"environment_tier"}, c.GitLab.Mapping.Environment)
	assert.Equal(t, "og", c.Opsgenie.Token.Reveal())

	none, err := Parse([]byte(`windows: [30d]`))
	require.NoError(t, err)
	assert.Equal(t, Collectors{}, none.Collectors, "no section, no webhook")
}

func TestCollectorsParseBad(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"a section needs credentials", `
collectors:
  alertmanager: {}
  pagerduty:
  github: {mapping: {system: repository.full_name}}
  gitlab: {}
  opsgenie: {}`, []string{
			"line 3: collectors.alertmanager: token, token_file or basic_auth is required: requests must authenticate",
			"line 4: collectors.pagerduty: secret or secret_file is required: the webhook's signatures are checked with it",
			"line 5: collectors.github: secret or secret_file is required: the webhook's signatures are checked with it",
			"line 6: collectors.gitlab: token or token_file is required: requests must authenticate",
			"line 7: collectors.opsgenie: token or token_file is required: requests must authenticate",
		}},
		{"keys a vendor does not take", `
collectors:
  jira: {token: x}
  pagerduty: {secret: x, token: y}
  github: {secret: x, mapping: {severity: [x]}}
  gitlab: {token: x, basic_auth: {username: a, password: b}}
  opsgenie: {token: x, mapping: {environment: x}}`, []string{
			`line 3: collectors: unknown key "jira"`,
			`line 4: collectors.pagerduty: unknown key "token"`,
			`line 5: collectors.github: mapping: unknown key "severity"`,
			`line 6: collectors.gitlab: unknown key "basic_auth"`,
			`line 7: collectors.opsgenie: mapping: unknown key "environment"`,
		}},
		{"secrets", fmt.Sprintf(`
collectors:
  alertmanager:
    token: a
    token_file: %s
  pagerduty: {secret_file: %s}
  github: {secret: ""}
  gitlab:
    basic_auth: x
    token: y
  opsgenie:
    token_file: ""`, empty, missing), []string{
			"line 5: collectors.alertmanager: give token or token_file, not both",
			fmt.Sprintf("line 5: collectors.alertmanager: token_file: file %s is empty", empty),
			fmt.Sprintf("line 6: collectors.pagerduty: secret_file: open %s: no such file or directory", missing),
			"line 6: collectors.pagerduty: secret or secret_file is required: the webhook's signatures are checked with it",
			"line 7: collectors.github: secret is empty",
			"line 7: collectors.github: secret or secret_file is required: the webhook's signatures are checked with it",
			`line 9: collectors.gitlab: unknown key "basic_auth"`,
			"line 12: collectors.opsgenie: token or token_file is required: requests must authenticate",
			"line 12: collectors.opsgenie: token_file is empty",
		}},
		{"basic auth", `
collectors:
  alertmanager:
    basic_auth: {username: am}`, []string{
			"line 4: collectors.alertmanager: basic_auth: username and password (or password_file) are required",
		}},
		{"mapping values", `
collectors:
  alertmanager:
    token: x
    mapping:
      system: []
      team: ""
      severity_map: {critical: 0, high: two, HIGH: 2, ok: 4}
      default_severity: 9
      impact_map: {down: broken, up: none}
      default_impact: bad
  github:
    secret: x
    mapping: {environment_map: {prod: ""}}`, []string{
			"line 6: collectors.alertmanager: mapping: system: empty list: give at least one field",
			"line 7: collectors.alertmanager: mapping: team: empty field name",
			`line 8: collectors.alertmanager: mapping: severity_map: "critical" maps to severity 0, not one of 1..5`,
			`line 8: collectors.alertmanager: mapping: severity_map: "high": expected an integer, got "two"`,
			`line 8: collectors.alertmanager: mapping: severity_map: "HIGH" is given twice (keys are matched without regard to case)`,
			"line 9: collectors.alertmanager: mapping: default_severity 9 is not one of 1..5",
			`line 10: collectors.alertmanager: mapping: impact_map: "down" maps to impact "broken", not one of outage, degraded, none`,
			`line 11: collectors.alertmanager: mapping: default_impact "bad" is not one of outage, degraded, none`,
			`line 14: collectors.github: mapping: environment_map: "prod" maps to an empty value`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			require.Error(t, err)
			var errs *Errors
			require.True(t, errors.As(err, &errs), "%v", err)
			var got []string
			for _, e := range *errs {
				got = append(got, e.Error())
			}
			assert.ElementsMatch(t, tt.want, got)
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	w := Webhook{Token: s, BasicAuth: &BasicAuth{Username: "u", Password: s}}
	for _, out := range []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %+v %#v", s, s, s, w, w), fmt.Sprintf("%+v", *w.BasicAuth),
	} {
		assert.NotContains(t, out, "hunter2")
	}
	y, err := yaml.Marshal(w)
	require.NoError(t, err)
	assert.NotContains(t, string(y), "hunter2")
	j, err := json.Marshal(w)
	require.NoError(t, err)
	assert.NotContains(t, string(j), "hunter2")
	assert.True(t, strings.Contains(string(j), `"\u003csecret\u003e"`), "%s", j)
	assert.Equal(t, "hunter2", s.Reveal())
}

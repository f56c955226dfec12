package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeasurements(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "token"), []byte("s3cret\n"), 0o600))
	file := filepath.Join(dir, "steward.yml")
	require.NoError(t, os.WriteFile(file, []byte(`
measurements:
  source:
    url: https://thanos.example.com/
    bearer_token_file: token
    tls_config: {insecure_skip_verify: true}
  step: 1m
  since: 2026-01-01
  uptime:
    query: min by (system) (probe_success)
    by: system
  response_time:
    query: histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])))
    by: service
    objective: 300ms
`), 0o600))
	c, err := Load(file)
	require.NoError(t, err)
	m := c.Measurements
	require.NotNil(t, m)
	assert.Equal(t, "https://thanos.example.com", m.Source.URL)
	require.NotNil(t, m.Source.HTTP.Authorization)
	assert.Equal(t, filepath.Join(dir, "token"), m.Source.HTTP.Authorization.CredentialsFile, "relative to the config file")
	assert.True(t, m.Source.HTTP.TLSConfig.InsecureSkipVerify)
	assert.Equal(t, time.Minute, m.Step)
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), m.Since)
	require.NotNil(t, m.Uptime)
	assert.Equal(t, "system", m.Uptime.By)
	assert.Equal(t, 10, m.Uptime.Line)
	require.NotNil(t, m.ResponseTime)
	assert.Equal(t, "service", m.ResponseTime.By)
	assert.InDelta(t, 0.3, m.ResponseTime.Objective, 1e-12)

	// Without the section nothing is read; with a minimal one, defaults.
	c, err = Parse([]byte("measurements:\n  source: {url: 'http://127.0.0.1:9090'}\n  uptime: {query: up, by: job}\n"))
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, c.Measurements.Step)
	assert.True(t, c.Measurements.Since.IsZero())
	assert.Nil(t, c.Measurements.ResponseTime)
	c, err = Parse([]byte("windows: [30d]\n"))
	require.NoError(t, err)
	assert.Nil(t, c.Measurements)
}

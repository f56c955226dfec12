package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// check-config parses the measurement queries, which the daemon leaves to
// the query API, and says where the system label is lost.
func TestCheckConfigMeasurementQueries(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "steward.yml")
	check := func(uptime, responseTime string) (string, error) {
		require.NoError(t, os.WriteFile(file, []byte(`measurements:
  source: {url: "http://127.0.0.1:9090"}
  uptime:
    query: '`+uptime+`'
    by: system
  response_time:
    query: '`+responseTime+`'
    by: system
    objective: 300ms
`), 0o600))
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"check-config", "--config.file", file}, &stdout, &stderr)
		return stdout.String(), err
	}
	out, err := check(`min by (system) (probe_success)`,
		`histogram_quantile(0.95, sum by (system, le) (rate(http_request_duration_seconds_bucket[5m])))`)
	require.NoError(t, err)
	assert.Contains(t, out, "is valid")

	_, err = check(`min(probe_success)`, `histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `line 4: measurements: uptime: query: the query's result has no "system" label: aggregate with by (system, ...)`)
	assert.Contains(t, err.Error(), `line 7: measurements: response_time: query: 1:58: parse error: unclosed left parenthesis`)
}

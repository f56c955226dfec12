package main

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestBackfillFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"no --from", []string{"--output", "x"}, "--from is required"},
		{"no output", []string{"--from", "2026-01-01T00:00:00Z"}, "give exactly one of --output and --vm.url"},
		{"two outputs", []string{"--from", "2026-01-01T00:00:00Z", "--output", "x", "--vm.url", "http://127.0.0.1:1"}, "exactly one"},
		{"bad step", []string{"--from", "2026-01-01T00:00:00Z", "--output", "x", "--step", "1500ms"}, "not a positive whole number of seconds"},
		{"to before from", []string{"--from", "2026-01-02T00:00:00Z", "--to", "2026-01-01T00:00:00Z", "--output", "x"}, "--to is before --from"},
		{"bad time", []string{"--from", "yesterday", "--output", "x"}, "--from: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"backfill"}, tt.args...), &stdout, &stderr)
			require.ErrorIs(t, err, errUsage)
			assert.Contains(t, stderr.String(), tt.err)
		})
	}
}

func TestBackfillTimesAreWholeSeconds(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 999_000_000, time.UTC)
	from, to, step, err := backfillTimes("2026-04-01T00:00:00.7Z", "", "1d", now)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), from)
	assert.Equal(t, time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), to, "--to defaults to now")
	assert.Equal(t, 24*time.Hour, step)
}

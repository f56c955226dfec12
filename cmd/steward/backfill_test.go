package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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

// The OpenMetrics file keeps each family and each series together, series
// in time order with timestamps in seconds, and ends with # EOF. A summary
// keeps each label set together (its quantiles, _sum and _count), time
// after time: OpenMetrics' MetricPoints.
func TestBackfillOpenMetricsLayout(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Hour)
	ds := newPromDataset(t, now, "")
	ds.store(t)
	from, last, _, ats := backfillSteps(now)
	file := filepath.Join(t.TempDir(), "steward.om")
	runBackfillCmd(t, "--config.file", ds.configFile, "--from", from.Format(time.RFC3339),
		"--to", last.Format(time.RFC3339), "--step", "7d", "--output", file)
	text := readFile(t, file)
	require.True(t, strings.HasSuffix(text, "\n# EOF\n"))
	assert.Equal(t, 1, strings.Count(text, "# EOF"))

	summaries := map[string]bool{"steward_time_to_restore_seconds": true, "steward_change_lead_time_seconds": true}
	quantile := regexp.MustCompile(`quantile="[^"]*",?`)
	typed := map[string]bool{}
	done := map[string]bool{} // groups whose samples are over
	family, current := "", ""
	var lastTS float64
	var atTS map[string]bool // the group's series at lastTS
	sumSeen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(text, "# EOF\n"), "\n") {
		if line == "" {
			continue
		}
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			family = strings.Fields(name)[0]
			require.False(t, typed[family], "family %s is split", family)
			typed[family] = true
			if summaries[family] {
				assert.Equal(t, family+" summary", name)
			} else {
				assert.Equal(t, family+" gauge", name)
			}
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		series := line[:strings.LastIndexByte(line[:i], ' ')]
		group := series
		if summaries[family] {
			name, labels, _ := strings.Cut(series, "{")
			require.Contains(t, []string{family, family + "_sum", family + "_count"}, name, "%s outside its family %s", series, family)
			if name == family+"_sum" {
				sumSeen[family] = true
			}
			group = family + "{" + strings.TrimSuffix(quantile.ReplaceAllString(labels, ""), ",")
		} else {
			require.True(t, strings.HasPrefix(series, family+"{"), "%s outside its family %s", series, family)
		}
		ts, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err)
		if group != current {
			require.False(t, done[group], "series %s is split", group)
			done[current], current, lastTS = true, group, 0
		}
		if ts != lastTS {
			require.Greater(t, ts, lastTS, "time order in %s", group)
			atTS = map[string]bool{}
		}
		require.False(t, atTS[series], "%s twice at %v", series, ts)
		atTS[series] = true
		require.Equal(t, float64(int64(ts)), ts, "whole seconds")
		require.Contains(t, []int64{ats[0].Unix(), ats[1].Unix(), ats[2].Unix(), ats[3].Unix(), ats[4].Unix()}, int64(ts))
		lastTS = ts
	}
	assert.Greater(t, len(done), 1000)
	assert.Equal(t, summaries, sumSeen, "both summaries have their _sum")
}

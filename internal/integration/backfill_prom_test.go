package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// backfillTimes are the evaluation times of the backfill tests: five, a
// week apart, ending a day before the generated data ends.
func backfillSteps(to time.Time) (from, last time.Time, step time.Duration, ats []time.Time) {
	step = 7 * 24 * time.Hour
	last = to.Add(-24 * time.Hour)
	from = last.Add(-4 * step)
	for at := from; !at.After(last); at = at.Add(step) {
		ats = append(ats, at)
	}
	return from, last, step, ats
}

func runBackfillCmd(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"backfill"}, args...), &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	assert.Contains(t, stderr.String(), "backfill: 5/5 steps (100%)", "progress is reported")
	return stdout.String()
}

// checkHistory compares, at every backfilled time, what Prometheus or
// VictoriaMetrics at base holds with the scorecards API at that time.
func checkHistory(t *testing.T, base string, ds *promDataset, ats []time.Time, tolerance float64) {
	d := startDaemonAt(t, ds.configFile, time.Time{}, nil)
	total := 0
	for _, at := range ats {
		got := promQuery(t, base, `{__name__=~"steward_.+", role!=""}`, at)
		require.NotEmpty(t, got, "nothing at %s", at)
		total += compareWithAPI(t, d, got, at, []string{"7d", "30d", "90d"}, tolerance)

		owners := promQuery(t, base, "steward_system_owner_info", at)
		want := promSeries{}
		for _, s := range ds.cfg.Systems {
			if o := s.OwnerAt(at); o != "" {
				want[fmt.Sprintf("steward_system_owner_info{owner=%q,program=%q,system=%q,tier=\"%d\"}", o, s.Program, s.ID, s.Tier)] = 1
			}
		}
		assert.Equal(t, want, owners, "owners at %s", at)
	}
	t.Logf("%d series at %d times compared with the API", total, len(ats))
	// Between two evaluations there is nothing but the last value (lookback).
	between := promQuery(t, base, `count({__name__="steward_scorecard_score"})`, ats[0].Add(-time.Hour))
	assert.Empty(t, between, "no sample before the first evaluation")
}

// promtool turns the backfill's OpenMetrics into blocks; Prometheus serves
// from them the API's values at each evaluation time.
func TestBackfillIntoPrometheus(t *testing.T) {
	promtool := needBinary(t, "promtool", "prometheus")
	now := time.Now().UTC().Truncate(time.Hour)
	ds := newPromDataset(t, now, "")
	ds.store(t)
	from, last, step, ats := backfillSteps(now)

	file := filepath.Join(t.TempDir(), "steward.om")
	out := runBackfillCmd(t, "--config.file", ds.configFile, "--from", from.Format(time.RFC3339),
		"--to", last.Format(time.RFC3339), "--step", "7d", "--output", file)
	assert.Contains(t, out, "wrote 5 evaluations ("+from.Format(time.RFC3339)+" to "+last.Format(time.RFC3339)+")")
	require.Equal(t, 7*24*time.Hour, step)

	// the command the backfill prints, as a user would paste it
	_, hint, ok := strings.Cut(out, "load it with: promtool ")
	require.True(t, ok, out)
	args := strings.Fields(strings.ReplaceAll(hint, "DATA_DIR", ""))
	assert.Equal(t, []string{"tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h", file}, args)
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(promtool, append(args, data)...)
	res, err := cmd.CombinedOutput()
	require.NoError(t, err, string(res))
	blocks, err := os.ReadDir(data)
	require.NoError(t, err)
	assert.Less(t, len(blocks), 5, "fewer blocks than evaluations: %s", res)

	prom := startPrometheus(t, "", "--storage.tsdb.path="+data, "--storage.tsdb.retention.time=100y")
	checkHistory(t, prom, ds, ats, 0)
}

// The same history imported into VictoriaMetrics, in milliseconds, in two
// backfills: the samples of the second are searchable as soon as it returns
// (it flushes), also by a range query answered from VictoriaMetrics' cache
// before (it resets the cache).
//
// The times are at noon: VictoriaMetrics 1.79 (Debian 12's) misses, in an
// instant query at exactly 00:00 UTC, a series whose first sample of the
// day is at midnight and that had none the day before (docs/metrics.md).
func TestBackfillIntoVictoriaMetrics(t *testing.T) {
	vm := startVictoriaMetrics(t)
	now := time.Now().UTC().Truncate(24 * time.Hour).Add(-12 * time.Hour)
	ds := newPromDataset(t, now, "")
	ds.store(t)
	from, last, step, ats := backfillSteps(now)

	backfill := func(from, to time.Time, steps int) {
		var stderr bytes.Buffer
		require.NoError(t, run(context.Background(), []string{"backfill", "--config.file", ds.configFile,
			"--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339), "--step", "168h", "--vm.url", vm},
			io.Discard, &stderr), stderr.String())
		require.Contains(t, stderr.String(), fmt.Sprintf("backfill: %d/%d steps (100%%)", steps, steps))
		assert.NotContains(t, stderr.String(), "warning")
	}
	const global = `steward_scorecard_score{role="global"}`
	latest := func() time.Time { return latestSample(t, vm, global, from, last, time.Hour) }
	backfill(from, from.Add(step), 2)
	require.Equal(t, from.Add(step), latest())
	backfill(from.Add(2*step), last, 3)
	assert.Equal(t, last, latest(), "the range query answered before sees the new samples")
	assert.Len(t, promQuery(t, vm, global, last), 3)
	checkHistory(t, vm, ds, ats, 1e-11)
}

// latestSample is the time of the latest sample of q a range query from
// start to end every step sees, as Grafana would ask it.
func latestSample(t *testing.T, base, q string, start, end time.Time, step time.Duration) time.Time {
	t.Helper()
	v := url.Values{"query": {"max(timestamp(" + q + "))"}, "start": {strconv.FormatInt(start.Unix(), 10)},
		"end": {strconv.FormatInt(end.Unix(), 10)}, "step": {strconv.FormatInt(int64(step.Seconds()), 10)}}
	var body struct {
		Data struct {
			Result []struct {
				Values [][2]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	getJSON(t, base+"/api/v1/query_range?"+v.Encode(), &body)
	var latest int64
	for _, r := range body.Data.Result {
		for _, p := range r.Values {
			ts, err := strconv.ParseFloat(p[1].(string), 64)
			require.NoError(t, err)
			latest = max(latest, int64(ts))
		}
	}
	return time.Unix(latest, 0).UTC()
}

// Export limits apply to the backfill too.
func TestBackfillExportLimits(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Hour)
	ds := newPromDataset(t, now, "export: {roles: [program], windows: [7d]}\n")
	ds.store(t)
	from, last, _, _ := backfillSteps(now)
	file := filepath.Join(t.TempDir(), "steward.om")
	runBackfillCmd(t, "--config.file", ds.configFile, "--from", from.Format(time.RFC3339),
		"--to", last.Format(time.RFC3339), "--step", "7d", "--output", file)
	text := string(mustRead(t, file))
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "role=") {
			require.Contains(t, line, `role="program"`)
		}
		if strings.Contains(line, "window=") {
			require.Contains(t, line, `window="7d"`)
		}
	}
	assert.Contains(t, text, "steward_scorecard_score{")
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
	text := string(mustRead(t, file))
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

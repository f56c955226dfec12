package exporter

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sc "github.com/steward-sh/steward/scorecard"
)

// snapshots returns a tiny snapshot per time, MTTR growing with the step
// so that each sample is told apart.
func snapshots(t *testing.T, n int) (func(context.Context, time.Time) (*sc.Snapshot, error), []time.Time) {
	cfg := parse(t, tinyConfig)
	var ats []time.Time
	byTime := map[time.Time]*sc.Snapshot{}
	for i := range n {
		at := tinyAt.Add(time.Duration(i) * time.Hour)
		s := tinySnapshot(cfg, true)
		s.At = at
		s.Cards["7d"][0].Value[sc.MTTR] = float64(1000 + i)
		// a time to restore summary with no quantile at first
		s.Cards["7d"][0].Value[sc.TimeToRestoreP50] = math.NaN()
		s.Cards["7d"][0].Summaries.TimeToRestore = sc.Summary{Count: i, Sum: float64(5400 * i)}
		if i > 0 {
			s.Cards["7d"][0].Value[sc.TimeToRestoreP50] = float64(4800 + i)
		}
		byTime[at] = s
		ats = append(ats, at)
	}
	return func(_ context.Context, at time.Time) (*sc.Snapshot, error) {
		s, ok := byTime[at]
		if !ok {
			return nil, errors.New("no snapshot")
		}
		return s, nil
	}, ats
}

func writeOpenMetrics(t *testing.T, maxBuffered int) string {
	t.Helper()
	at, ats := snapshots(t, 4)
	var out bytes.Buffer
	w, err := NewOpenMetricsWriter(&out, t.TempDir(), maxBuffered)
	require.NoError(t, err)
	b := Backfill{From: ats[0], To: ats[3], Step: time.Hour, At: at, Config: parse(t, tinyConfig)}
	n, err := b.Run(context.Background(), w)
	require.NoError(t, err)
	require.Equal(t, 4, n)
	return out.String()
}

func TestOpenMetricsWriter(t *testing.T) {
	text := writeOpenMetrics(t, 0)
	const mttr = `# HELP steward_mttr_seconds Mean time to restore of the incidents resolved in the window.
# TYPE steward_mttr_seconds gauge
steward_mttr_seconds{role="system",subject="pay",window="7d"} 1000 1767225600
steward_mttr_seconds{role="system",subject="pay",window="7d"} 1001 1767229200
steward_mttr_seconds{role="system",subject="pay",window="7d"} 1002 1767232800
steward_mttr_seconds{role="system",subject="pay",window="7d"} 1003 1767236400
steward_mttr_seconds{role="system",subject="pay",window="30d"} 3000 1767225600
steward_mttr_seconds{role="system",subject="pay",window="30d"} 3000 1767229200
steward_mttr_seconds{role="system",subject="pay",window="30d"} 3000 1767232800
steward_mttr_seconds{role="system",subject="pay",window="30d"} 3000 1767236400
`
	assert.Contains(t, text, mttr)
	// a summary's samples are together by label set, a time's quantiles,
	// _sum and _count in turn (OpenMetrics' MetricPoints)
	const ttr = `# TYPE steward_time_to_restore_seconds summary
steward_time_to_restore_seconds_sum{role="system",subject="pay",window="7d"} 0 1767225600
steward_time_to_restore_seconds_count{role="system",subject="pay",window="7d"} 0 1767225600
steward_time_to_restore_seconds{quantile="0.5",role="system",subject="pay",window="7d"} 4801 1767229200
steward_time_to_restore_seconds_sum{role="system",subject="pay",window="7d"} 5400 1767229200
steward_time_to_restore_seconds_count{role="system",subject="pay",window="7d"} 1 1767229200
steward_time_to_restore_seconds{quantile="0.5",role="system",subject="pay",window="7d"} 4802 1767232800
steward_time_to_restore_seconds_sum{role="system",subject="pay",window="7d"} 10800 1767232800
steward_time_to_restore_seconds_count{role="system",subject="pay",window="7d"} 2 1767232800
steward_time_to_restore_seconds{quantile="0.5",role="system",subject="pay",window="7d"} 4803 1767236400
steward_time_to_restore_seconds_sum{role="system",subject="pay",window="7d"} 16200 1767236400
steward_time_to_restore_seconds_count{role="system",subject="pay",window="7d"} 3 1767236400
steward_time_to_restore_seconds{quantile="0.5",role="system",subject="pay",window="30d"} 2400 1767225600
steward_time_to_restore_seconds_sum{role="system",subject="pay",window="30d"} 6000 1767225600
steward_time_to_restore_seconds_count{role="system",subject="pay",window="30d"} 2 1767225600
steward_time_to_restore_seconds{quantile="0.5",role="system",subject="pay",window="30d"} 2400 1767229200
`
	assert.Contains(t, text, ttr)
	assert.True(t, strings.HasPrefix(text, "# HELP steward_incidents_opened "), "families in exposition order")
	assert.True(t, strings.HasSuffix(text, "1767236400\n# EOF\n"))
	assert.Contains(t, text, `steward_system_owner_info{owner="alice",program="checkout",system="pay",tier="1"} 1 1767225600`)

	t.Run("regrouping in several passes gives the same file", func(t *testing.T) {
		assert.Equal(t, text, writeOpenMetrics(t, 3))
		assert.Equal(t, text, writeOpenMetrics(t, 1))
	})
}

func TestOpenMetricsWriterRefusesTimeGoingBack(t *testing.T) {
	cfg := parse(t, tinyConfig)
	w, err := NewOpenMetricsWriter(&bytes.Buffer{}, t.TempDir(), 0)
	require.NoError(t, err)
	s := tinySnapshot(cfg, true)
	require.NoError(t, w.Add(s, cfg))
	assert.ErrorContains(t, w.Add(s, cfg), "is not after the previous one")
	assert.Error(t, w.Close())
}

func TestBackfillProgress(t *testing.T) {
	at, ats := snapshots(t, 4)
	clock := tinyAt
	var progress bytes.Buffer
	b := Backfill{From: ats[0], To: ats[3].Add(30 * time.Minute), Step: time.Hour, At: at, Config: parse(t, tinyConfig),
		Progress: &progress, ProgressEvery: 2,
		Clock: func() time.Time { clock = clock.Add(time.Second); return clock }}
	w, err := NewOpenMetricsWriter(&bytes.Buffer{}, t.TempDir(), 0)
	require.NoError(t, err)
	require.Equal(t, 4, b.Steps(), "--to is included when on a step, and no step past it")
	_, err = b.Run(context.Background(), w)
	require.NoError(t, err)
	// the clock ticks a second at each reading: the start; per step
	// before and after evaluating and after writing; the progress after
	// step 2; before and after closing the sink; the end
	assert.Equal(t, "backfill: 2/4 steps (50%), 0.3 steps/s, elapsed 7s, ETA 7s; evaluating 2s (1.0/s), writing 2s\n"+
		"backfill: 4/4 steps (100%), 0.2 steps/s, elapsed 16s, ETA 0s; evaluating 4s (1.0/s), writing 5s\n", progress.String())
	assert.Equal(t, 4*time.Second, b.Evaluating)
	assert.Equal(t, 5*time.Second, b.Writing, "writing counts the sink's Add and Close")
}

func TestBackfillStopsAtTheFirstError(t *testing.T) {
	at, ats := snapshots(t, 2)
	b := Backfill{From: ats[0], To: ats[1].Add(time.Hour), Step: time.Hour, At: at, Config: parse(t, tinyConfig)}
	w, err := NewOpenMetricsWriter(&bytes.Buffer{}, t.TempDir(), 0)
	require.NoError(t, err)
	n, err := b.Run(context.Background(), w)
	assert.Equal(t, 2, n)
	assert.ErrorContains(t, err, "backfill: at 2026-01-01T02:00:00Z: no snapshot")
}

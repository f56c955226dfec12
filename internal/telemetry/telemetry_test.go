package telemetry

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

var clock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// written is the text exposition of every self-metric, as a scrape encodes it.
func written(t *Telemetry) string {
	mfs, err := t.Registry().Gather()
	if err != nil {
		panic(err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "steward_") {
			continue // the library's collectors
		}
		if err := enc.Encode(mf); err != nil {
			panic(err)
		}
	}
	return b.String()
}

// Every family has a help text: promtool check metrics reports none
// without one.
func TestEveryFamilyHasHelp(t *testing.T) {
	tel := New("v1", func() time.Time { return clock })
	tel.Ingested(record.KindIncident, "api", 200, record.Batch{Incidents: []record.Incident{{ID: "1", Source: "api"}}}, nil, time.Millisecond)
	tel.Leading("poller/x", true)
	tel.MeasurementsStored(record.MeasureUptime, 1, clock)
	tel.Spooled("spooled")
	tel.WatchSpool(func() (int, int64) { return 1, 2 })
	mfs, err := tel.Registry().Gather()
	require.NoError(t, err)
	require.Greater(t, len(mfs), 20)
	for _, mf := range mfs {
		assert.NotEmpty(t, mf.GetHelp(), mf.GetName())
	}
}

func TestIngested(t *testing.T) {
	tel := New("v1.2.3", func() time.Time { return clock })
	b := record.Batch{
		Incidents: []record.Incident{{ID: "1", Source: "api"}, {ID: "2", Source: "csv"}, {ID: "3", Source: "api"}},
		Rejected:  []record.Rejected{{ID: "4", Source: "api"}},
	}
	tel.Ingested(record.KindIncident, "api", 200, b, nil, 30*time.Millisecond)
	tel.Ingested(record.KindIncident, "api", 503, record.Batch{Incidents: b.Incidents[:1], Rejected: b.Rejected}, errors.New("down"), time.Second)
	tel.Ingested(record.KindChange, "api", 400, record.Batch{}, nil, time.Millisecond)
	tel.Ingested(record.KindFeedback, "api", 200, record.Batch{Feedback: []record.Feedback{{ID: "f", Source: "pulse"}}}, nil, time.Millisecond)

	out := written(tel)
	for _, want := range []string{
		`steward_build_info{branch="",goarch="`,
		`,goversion="go`,
		`,version="v1.2.3"} 1`,
		`steward_ingest_records_total{kind="incident",result="accepted",source="api"} 2`,
		`steward_ingest_records_total{kind="incident",result="accepted",source="csv"} 1`,
		`steward_ingest_records_total{kind="incident",result="rejected",source="api"} 1`,
		`steward_ingest_records_total{kind="incident",result="error",source="api"} 2`,
		`steward_ingest_requests_total{code="503",kind="incident",source="api"} 1`,
		`steward_ingest_requests_total{code="400",kind="change",source="api"} 1`,
		`steward_ingest_duration_seconds_bucket{kind="incident",source="api",le="0.05"} 1`,
		`steward_ingest_duration_seconds_count{kind="incident",source="api"} 2`,
		`steward_last_ingest_timestamp_seconds{source="csv"} 1.7723664e+09`,
		`steward_ingest_records_total{kind="feedback",result="accepted",source="pulse"} 1`,
		`steward_last_ingest_timestamp_seconds{source="pulse"} 1.7723664e+09`,
		"# TYPE steward_ingest_duration_seconds histogram",
		"# TYPE steward_ingest_records_total counter",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, `result="rejected",source="api"} 2`, "a batch that could not be stored was not rejected")
}

func TestSourcesAreBounded(t *testing.T) {
	tel := New("dev", time.Now)
	for i := range maxSources + 10 {
		src := "src-" + strings.Repeat("x", i)
		tel.Ingested(record.KindChange, "api", 200, record.Batch{Changes: []record.Change{{ID: "c", Source: src}}}, nil, 0)
	}
	out := written(tel)
	assert.Contains(t, out, `steward_ingest_records_total{kind="change",result="accepted",source="other"} 11`)
	// the endpoint's "api" takes one of the maxSources; "other" adds one
	assert.Equal(t, maxSources-1+1, strings.Count(out, "steward_last_ingest_timestamp_seconds{"))
}

func TestLabelValuesAreEscaped(t *testing.T) {
	tel := New("dev", time.Now)
	tel.Ingested(record.KindChange, "api", 200, record.Batch{Changes: []record.Change{{ID: "c", Source: "a\"b\\c\nd"}}}, nil, 0)
	assert.Contains(t, written(tel), `source="a\"b\\c\nd"`)
}

func TestReloadAndPush(t *testing.T) {
	tel := New("dev", func() time.Time { return clock })
	tel.ConfigReloaded(true)
	tel.ConfigReloaded(false)
	tel.Pushed(nil)
	tel.Pushed(errors.New("refused"))
	tel.Recomputed(1500 * time.Millisecond)
	out := written(tel)
	for _, want := range []string{
		"steward_config_last_reload_successful 0",
		"steward_config_last_reload_success_timestamp_seconds 1.7723664e+09",
		`steward_push_requests_total{result="success"} 1`,
		`steward_push_requests_total{result="failure"} 1`,
		`steward_recompute_duration_seconds_bucket{le="2.048"} 1`,
		`steward_recompute_duration_seconds_bucket{le="1.024"} 0`,
	} {
		assert.Contains(t, out, want)
	}
}

// The store wrapper counts a real store's errors, not its caller's
// cancellations.
func TestStoreErrors(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "s.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	tel := New("dev", time.Now)
	counted := tel.Store(st)
	_, err = counted.Incidents(ctx, 0, 10)
	require.NoError(t, err)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = counted.Incidents(canceled, 0, 10)
	require.Error(t, err)
	assert.Contains(t, written(tel), `steward_store_errors_total{operation="read"} 0`)

	require.NoError(t, st.Close())
	_, err = counted.Changes(ctx, 0, 10)
	require.Error(t, err)
	assert.Error(t, counted.Write(ctx, record.Batch{Changes: []record.Change{{ID: "c", Source: "api"}}}))
	out := written(tel)
	assert.Contains(t, out, `steward_store_errors_total{operation="read"} 1`)
	assert.Contains(t, out, `steward_store_errors_total{operation="write"} 1`)
}

func TestMeasurements(t *testing.T) {
	tel := New("dev", func() time.Time { return clock })
	tel.MeasurementsStarted(record.MeasureUptime, record.MeasureResponseTime)
	out := written(tel)
	assert.Contains(t, out, `steward_measurement_query_failures_total{measure="response_time"} 0`)
	assert.NotContains(t, out, "steward_measurement_last_success_timestamp_seconds", "nothing read yet")
	tel.MeasurementsStored(record.MeasureUptime, 120, clock.Add(-10*time.Minute))
	tel.MeasurementsStored(record.MeasureUptime, 3, clock.Add(-5*time.Minute))
	tel.MeasurementFailed(record.MeasureResponseTime)
	out = written(tel)
	for _, want := range []string{
		`steward_measurement_samples_stored_total{measure="uptime"} 123`,
		`steward_measurement_last_success_timestamp_seconds{measure="uptime"} 1.7723664e+09`,
		`steward_measurement_read_through_timestamp_seconds{measure="uptime"} 1.7723661e+09`,
		`steward_measurement_query_failures_total{measure="response_time"} 1`,
		`steward_measurement_query_failures_total{measure="uptime"} 0`,
	} {
		assert.Contains(t, out, want)
	}
}

// The store's connection pools are exported by client_golang's collector,
// one db_name per pool.
func TestWatchPools(t *testing.T) {
	st, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "s.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer st.Close()
	tel := New("dev", time.Now)
	tel.WatchPools(st.Pools())
	mfs, err := tel.Registry().Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "go_sql_max_open_connections" {
			for _, m := range mf.Metric {
				got[m.Label[0].GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	assert.Equal(t, map[string]float64{"write": 1, "read": 0}, got, "SQLite: one writer, unbounded readers")
}

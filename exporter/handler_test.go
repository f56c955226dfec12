package exporter

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	sc "github.com/steward-sh/steward/scorecard"
	"github.com/steward-sh/steward/telemetry"
)

func gatherer(t *testing.T) (prometheus.Gatherer, *telemetry.Telemetry) {
	cfg := parse(t, tinyConfig)
	snap := tinySnapshot(cfg, true)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(func() *sc.Snapshot { return snap }, func() *config.Config { return cfg }))
	tel := telemetry.New("v9", func() time.Time { return tinyAt })
	return prometheus.Gatherers{reg, TextGatherer(tel.WritePrometheus, telemetry.Help)}, tel
}

// The self-metrics written by VictoriaMetrics/metrics come out typed, with
// help, beside the KPIs.
func TestTextGatherer(t *testing.T) {
	g, tel := gatherer(t)
	tel.Pushed(nil)
	tel.Recomputed(3 * time.Millisecond)
	const want = `
# HELP steward_push_requests_total Pushes of the metrics to the --push.url endpoint, by result.
# TYPE steward_push_requests_total counter
steward_push_requests_total{result="failure"} 0
steward_push_requests_total{result="success"} 1
# HELP steward_recompute_duration_seconds Time to recompute every scorecard (the scheduled and after-ingest recomputes).
# TYPE steward_recompute_duration_seconds histogram
steward_recompute_duration_seconds_bucket{le="0.001"} 0
steward_recompute_duration_seconds_bucket{le="0.002"} 0
steward_recompute_duration_seconds_bucket{le="0.004"} 1
steward_recompute_duration_seconds_bucket{le="0.008"} 1
steward_recompute_duration_seconds_bucket{le="0.016"} 1
steward_recompute_duration_seconds_bucket{le="0.032"} 1
steward_recompute_duration_seconds_bucket{le="0.064"} 1
steward_recompute_duration_seconds_bucket{le="0.128"} 1
steward_recompute_duration_seconds_bucket{le="0.256"} 1
steward_recompute_duration_seconds_bucket{le="0.512"} 1
steward_recompute_duration_seconds_bucket{le="1.024"} 1
steward_recompute_duration_seconds_bucket{le="2.048"} 1
steward_recompute_duration_seconds_bucket{le="4.096"} 1
steward_recompute_duration_seconds_bucket{le="8.192"} 1
steward_recompute_duration_seconds_bucket{le="16.384"} 1
steward_recompute_duration_seconds_bucket{le="32.768"} 1
steward_recompute_duration_seconds_bucket{le="65.536"} 1
steward_recompute_duration_seconds_bucket{le="+Inf"} 1
steward_recompute_duration_seconds_sum 0.003
steward_recompute_duration_seconds_count 1
`
	require.NoError(t, testutil.GatherAndCompare(g, strings.NewReader(want), "steward_push_requests_total", "steward_recompute_duration_seconds"))
}

func TestHandlerOpenMetrics(t *testing.T) {
	g, _ := gatherer(t)
	h := Handler(g, slog.New(slog.DiscardHandler))
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	assert.Contains(t, rec.Header().Get("Content-Type"), "application/openmetrics-text")
	assert.True(t, strings.HasSuffix(body, "# EOF\n"))
	assert.Contains(t, body, "# TYPE steward_push_requests counter\nsteward_push_requests_total{result=\"failure\"} 0")
	assert.Contains(t, body, `steward_mttr_seconds{role="system",subject="pay",window="7d"} 5400`)
}

func TestPush(t *testing.T) {
	g, _ := gatherer(t)
	var got struct {
		method, contentType, body string
	}
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.contentType, got.body = r.Method, r.Header.Get("Content-Type"), string(b)
		w.WriteHeader(status)
		w.Write([]byte("pushgateway says no"))
	}))
	defer srv.Close()
	var results []error
	p, err := NewPusher(srv.URL+"/metrics/job/steward", g, srv.Client(), slog.New(slog.DiscardHandler), func(err error) { results = append(results, err) })
	require.NoError(t, err)

	require.NoError(t, p.Push(context.Background()))
	assert.Equal(t, http.MethodPut, got.method, "PUT replaces the Pushgateway group: no stale series")
	assert.Contains(t, got.contentType, "text/plain; version=0.0.4")
	assert.Contains(t, got.body, `steward_mttr_seconds{role="system",subject="pay",window="7d"} 5400`)
	assert.Contains(t, got.body, `steward_push_requests_total{result="success"} 0`)

	status = http.StatusBadRequest
	assert.ErrorContains(t, p.Push(context.Background()), "400 Bad Request: pushgateway says no")
	require.Len(t, results, 2)
	assert.NoError(t, results[0])
	assert.Error(t, results[1])

	_, err = NewPusher("pushgateway:9091", g, srv.Client(), slog.New(slog.DiscardHandler), nil)
	assert.ErrorContains(t, err, "not an http(s) URL")
}

func TestVMImporterURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8428":  "http://127.0.0.1:8428/api/v1/import/prometheus",
		"http://127.0.0.1:8428/": "http://127.0.0.1:8428/api/v1/import/prometheus",
		"http://vminsert:8480/insert/0/prometheus/api/v1/import/prometheus": "http://vminsert:8480/insert/0/prometheus/api/v1/import/prometheus",
	} {
		v, err := NewVMImporter(context.Background(), in, http.DefaultClient)
		require.NoError(t, err)
		assert.Equal(t, want, v.url)
	}
	_, err := NewVMImporter(context.Background(), "127.0.0.1:8428", http.DefaultClient)
	assert.ErrorContains(t, err, "not an http(s) URL")
}

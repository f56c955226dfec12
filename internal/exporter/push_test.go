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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/telemetry"
	sc "github.com/steward-sh/steward/scorecard"
)

// scraper serves the tiny snapshot with a daemon's self-metrics.
func scraper(t *testing.T) (*Scraper, *telemetry.Telemetry) {
	cfg := parse(t, tinyConfig)
	snap := tinySnapshot(cfg, true)
	tel := telemetry.New("v9", func() time.Time { return tinyAt })
	return ScrapeHandler(func() *sc.Snapshot { return snap }, func() *config.Config { return cfg }, tel.Registry(), slog.New(slog.DiscardHandler)), tel
}

// The self-metrics are encoded in the negotiated format: in OpenMetrics a
// counter's family has no _total, its samples have; one # EOF ends all.
func TestScrapeSelfMetricsOpenMetrics(t *testing.T) {
	h, tel := scraper(t)
	tel.Recomputed(3 * time.Millisecond)
	body, hdr := scrape(t, h, "application/openmetrics-text;version=1.0.0", "")
	assert.Contains(t, hdr.Get("Content-Type"), "application/openmetrics-text")
	assert.True(t, strings.HasSuffix(body, "# EOF\n"))
	assert.Equal(t, 1, strings.Count(body, "# EOF"))
	assert.Contains(t, body, "# TYPE steward_push_requests counter\n")
	assert.Contains(t, body, "\nsteward_push_requests_total{result=\"failure\"} 0")
	assert.Contains(t, body, "# HELP steward_recompute_duration_seconds Time to recompute every scorecard (the scheduled and after-ingest recomputes).\n# TYPE steward_recompute_duration_seconds histogram\n")
	assert.Contains(t, body, "\nsteward_recompute_duration_seconds_bucket{le=\"0.004\"} 1\n")
	assert.Contains(t, body, `steward_mttr_seconds{role="system",subject="pay",window="7d"} 5400`)
}

func TestPush(t *testing.T) {
	h, _ := scraper(t)
	var got struct {
		method, contentType, body string
	}
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.contentType, got.body = r.Method, r.Header.Get("Content-Type"), string(b)
		w.WriteHeader(status)
		_, _ = w.Write([]byte("pushgateway says no"))
	}))
	defer srv.Close()
	var results []error
	p, err := NewPusher(srv.URL+"/metrics/job/steward", h.WriteText, srv.Client(), slog.New(slog.DiscardHandler), func(err error) { results = append(results, err) })
	require.NoError(t, err)

	require.NoError(t, p.Push(context.Background()))
	assert.Equal(t, http.MethodPut, got.method, "PUT replaces the Pushgateway group: no stale series")
	assert.Contains(t, got.contentType, "text/plain; version=0.0.4")
	assert.Contains(t, got.body, `steward_mttr_seconds{role="system",subject="pay",window="7d"} 5400`)
	assert.Contains(t, got.body, `steward_push_requests_total{result="success"} 0`)
	_, err = parseText([]byte(got.body))
	assert.NoError(t, err, "one valid text exposition")

	status = http.StatusBadRequest
	assert.ErrorContains(t, p.Push(context.Background()), "400 Bad Request: pushgateway says no")
	require.Len(t, results, 2)
	assert.NoError(t, results[0])
	assert.Error(t, results[1])

	_, err = NewPusher("pushgateway:9091", h.WriteText, srv.Client(), slog.New(slog.DiscardHandler), nil)
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

// Settle flushes then resets the cache of a VictoriaMetrics given by its
// base URL (with its user, without its query), says which call failed, and
// leaves a full import URL alone.
func TestVMImporterSettle(t *testing.T) {
	var calls []string
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call := r.URL.String()
		if user, pass, ok := r.BasicAuth(); ok {
			call += " as " + user + ":" + pass
		}
		calls = append(calls, call)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	withUser := strings.Replace(srv.URL, "http://", "http://vm:secret@", 1)
	for _, tc := range []struct {
		url   string
		calls []string
	}{
		{srv.URL, []string{"/internal/force_flush", "/internal/resetRollupResultCache"}},
		{srv.URL + "/?extra_label=env=prod", []string{"/internal/force_flush", "/internal/resetRollupResultCache"}},
		{withUser, []string{"/internal/force_flush as vm:secret", "/internal/resetRollupResultCache as vm:secret"}},
		{srv.URL + "/insert/0/prometheus/api/v1/import/prometheus", nil},
	} {
		calls = nil
		v, err := NewVMImporter(context.Background(), tc.url, srv.Client())
		require.NoError(t, err)
		require.NoError(t, v.Settle(), tc.url)
		assert.Equal(t, tc.calls, calls, tc.url)
	}

	status = http.StatusForbidden
	v, err := NewVMImporter(context.Background(), withUser, srv.Client())
	require.NoError(t, err)
	err = v.Settle()
	assert.ErrorContains(t, err, "/internal/force_flush answered 403 Forbidden")
	assert.NotContains(t, err.Error(), "secret", "the password stays out of the message")
}

package exporter

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	sc "github.com/steward-sh/steward/scorecard"
)

func scrape(t *testing.T, h http.Handler, accept, encoding string) (string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Encoding", encoding)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.Bytes()
	if rec.Header().Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body)) // reads every member
		require.NoError(t, err)
		body, err = io.ReadAll(zr)
		require.NoError(t, err)
	}
	return string(body), rec.Header()
}

// The cached scrape serves the self-metrics, then the KPIs exactly as
// rendered, in text, OpenMetrics and gzip; a protobuf scraper gets text.
func TestScrapeHandler(t *testing.T) {
	cfg := parse(t, tinyConfig)
	snap := tinySnapshot(cfg, true)
	latest := func() *sc.Snapshot { return snap }
	self := prometheus.NewRegistry()
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "steward_self_test", Help: "A self-metric."})
	self.MustRegister(up)
	h := ScrapeHandler(latest, func() *config.Config { return cfg }, self, slog.New(slog.DiscardHandler))

	text, hdr := scrape(t, h, "text/plain", "")
	assert.True(t, strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; version=0.0.4"))
	selfText := "# HELP steward_self_test A self-metric.\n# TYPE steward_self_test gauge\nsteward_self_test 0\n"
	assert.Equal(t, selfText+string(Render(snap, cfg, false)), text)
	got, err := parseText([]byte(text))
	require.NoError(t, err)
	require.NoError(t, testutil.GatherAndCompare(prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return got, nil }),
		strings.NewReader(expected(true)+selfText)), "one valid exposition")

	proto, hdr := scrape(t, h, "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "")
	assert.True(t, strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; version=0.0.4"), "protobuf is answered in text")
	assert.Equal(t, text, proto)

	zipped, hdr := scrape(t, h, "text/plain", "gzip, deflate")
	assert.Equal(t, "gzip", hdr.Get("Content-Encoding"))
	assert.Equal(t, text, zipped)

	om, hdr := scrape(t, h, "application/openmetrics-text;version=1.0.0", "gzip")
	assert.True(t, strings.HasPrefix(hdr.Get("Content-Type"), "application/openmetrics-text"))
	assert.True(t, strings.HasSuffix(om, "\n# EOF\n"))
	assert.Equal(t, 1, strings.Count(om, "# EOF"))
	assert.Contains(t, om, `steward_kpi_status{kpi="mttr_seconds",role="system",subject="pay",window="7d"} 1`+"\n")
	assert.True(t, strings.HasPrefix(om, strings.Replace(selfText, "test 0\n", "test 0.0\n", 1)), "the self-metrics come first, encoded as OpenMetrics")

	// a new snapshot is rendered anew; a subject gone is gone
	snap = tinySnapshot(cfg, false)
	text2, _ := scrape(t, h, "text/plain", "")
	assert.NotContains(t, text2, `subject="pay"`)
	assert.Contains(t, text, `subject="pay"`)
}

// prometheusAccept is the Accept header Prometheus 3 sends by default.
const prometheusAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," +
	"application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4," +
	"text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

// Warm renders each new snapshot ahead of the scrape: the first one in the
// form Prometheus asks for, later ones in the forms scraped meanwhile, so
// that no scrape renders.
func TestScrapeHandlerWarm(t *testing.T) {
	cfg := parse(t, tinyConfig)
	var snap *sc.Snapshot
	latest := func() *sc.Snapshot { return snap }
	h := ScrapeHandler(latest, func() *config.Config { return cfg }, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))

	h.Warm() // before the first snapshot: nothing to render
	assert.Equal(t, 0, h.renders)
	assert.False(t, h.Warmed())

	snap = tinySnapshot(cfg, true)
	h.Warm() // as the daemon does after each recompute
	require.Equal(t, 1, h.renders)
	assert.True(t, h.Warmed())
	om, hdr := scrape(t, h, prometheusAccept, "gzip")
	assert.Equal(t, 1, h.renders, "the first scrape is served from the rendering done ahead")
	assert.Equal(t, "gzip", hdr.Get("Content-Encoding"))
	assert.True(t, strings.HasPrefix(hdr.Get("Content-Type"), "application/openmetrics-text"))
	assert.Equal(t, string(Render(snap, cfg, true)), om, "the cached rendering is the fresh one")

	// a text scraper joins: its form is rendered on its first scrape, then
	// ahead of it, with Prometheus's
	text, _ := scrape(t, h, "text/plain", "")
	assert.Equal(t, 2, h.renders)
	assert.Equal(t, string(Render(snap, cfg, false)), text)
	snap = tinySnapshot(cfg, false)
	h.Warm()
	assert.Equal(t, 4, h.renders)
	text, _ = scrape(t, h, "text/plain", "")
	om, _ = scrape(t, h, prometheusAccept, "gzip")
	assert.Equal(t, 4, h.renders)
	assert.NotContains(t, text, `subject="pay"`)
	assert.Equal(t, string(Render(snap, cfg, true)), om)

	// nothing scraped since: the next snapshot is warmed in the same forms
	snap = tinySnapshot(cfg, true)
	h.Warm()
	assert.Equal(t, 6, h.renders)
	scrape(t, h, prometheusAccept, "gzip")
	scrape(t, h, "text/plain", "")
	assert.Equal(t, 6, h.renders)
}

// Until the first scrape, Warm renders ahead until a rendering is still
// the latest snapshot's when done: a daemon nobody scrapes does not render
// after every recompute.
func TestScrapeHandlerWarmUnscraped(t *testing.T) {
	cfg := parse(t, tinyConfig)
	snap := tinySnapshot(cfg, true)
	calls, newer := 0, tinySnapshot(cfg, false)
	latest := func() *sc.Snapshot {
		calls++
		if calls == 3 { // a recompute publishes a newer snapshot during the first rendering
			snap = newer
		}
		return snap
	}
	h := ScrapeHandler(latest, func() *config.Config { return cfg }, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	h.Warm()
	require.Equal(t, 1, h.renders)
	assert.False(t, h.Warmed(), "the rendering was superseded")
	h.Warm() // the newer snapshot's
	require.Equal(t, 2, h.renders)
	assert.True(t, h.Warmed())
	for range 3 {
		snap = tinySnapshot(cfg, true)
		h.Warm()
	}
	assert.Equal(t, 2, h.renders, "nothing scrapes: later snapshots are not rendered ahead")
	scrape(t, h, prometheusAccept, "gzip")
	assert.Equal(t, 3, h.renders, "a snapshot not rendered ahead is rendered by the scrape")
	snap = tinySnapshot(cfg, true)
	h.Warm()
	scrape(t, h, prometheusAccept, "gzip")
	assert.Equal(t, 4, h.renders, "once scraped, each snapshot is rendered ahead")
}

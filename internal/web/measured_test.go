package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// measuredServer is the scenario's UI with measurements read: api has
// hourly samples from December 2025, down one hour in ten and slow one
// hour in four.
func measuredServer(t *testing.T) string {
	t.Helper()
	s, write, db := serverWithStore(t, "", func(cfg *config.Config) {
		cfg.Measurements = &config.Measurements{Source: config.MeasurementSource{URL: "http://prometheus:9090"}, Step: time.Hour,
			Uptime:       &config.MeasurementQuery{Query: "min by (system) (probe_success)", By: "system"},
			ResponseTime: &config.MeasurementQuery{Query: "max by (system) (probe_duration_seconds)", By: "system", Objective: 0.3}}
	})
	var samples []record.Sample
	start := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	for h, at := 0, start; at.Before(time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC)); h, at = h+1, at.Add(time.Hour) {
		up, rt := 1.0, 0.2
		if h%10 == 0 {
			up = 0
		}
		if h%4 == 0 {
			rt = 0.5
		}
		samples = append(samples,
			record.Sample{Measure: record.MeasureUptime, Series: "api", At: at, Value: up},
			record.Sample{Measure: record.MeasureResponseTime, Series: "api-alias", At: at, Value: rt})
	}
	require.NoError(t, db.WriteSamples(context.Background(), samples, record.Cursor{Name: "test", Value: "1"}, ""))
	write(record.Batch{}) // the engine reads the samples
	return s.URL
}

// A subject with measurements has a tile and a trend line for each
// measured KPI, and the measured systems in its evidence.
func TestSubjectPageMeasurements(t *testing.T) {
	base := measuredServer(t)
	code, body := get(t, base+"/ui/subject/system/api?"+at)
	require.Equal(t, http.StatusOK, code)
	// the window [2026-01-01, 2026-01-11): 240 hours, 24 down, 60 slow
	// before December nothing was measured: no uptime, no compliance, and
	// a coverage of 0
	for kpi, want := range map[string][2]string{
		"measured_uptime_ratio":          {`data-value="0.9">90.000 %</p>`, "no data"},
		"response_time_compliance_ratio": {`data-value="0.75">75.0 %</p>`, "no data"},
		"measurement_coverage_ratio":     {`data-value="1">100.0 %</p>`, "0.0 %"},
	} {
		i := strings.Index(body, `<p class="tile-value" data-kpi="`+kpi+`"`)
		require.Positive(t, i, "a tile for %s", kpi)
		tile := body[i:]
		tile = tile[:strings.Index(tile, "</details>")]
		assert.Contains(t, tile, want[0], kpi)
		assert.Contains(t, tile, "<svg", "%s: a trend line", kpi)
		assert.Equal(t, 12, strings.Count(tile, "<tr><td>"), "%s: 12 windows", kpi)
		assert.Contains(t, tile, "<tr><td>2025-11-22 00:00</td><td>"+want[1]+"</td></tr>", "%s: the window before December", kpi)
		assert.Contains(t, tile, "<tr><td>2026-01-01 00:00</td><td>"+strings.TrimSuffix(want[0][strings.Index(want[0], ">")+1:], "</p>")+"</td></tr>",
			"%s: the window before this one, measured alike", kpi)
	}
	assert.Contains(t, body, `<table class="measured">`)
	assert.Contains(t, body, `<tr><th scope="row">api</th><td class="num">240 of 240</td><td class="num">240 of 240</td>`)

	// alice owned api for the first half of the window, bob the second
	_, body = get(t, base+"/ui/subject/system_owner/bob?"+at)
	assert.Contains(t, body, `<tr><th scope="row">api</th><td class="num">120 of 120</td>`)
	_, body = get(t, base+"/ui/subject/team/desk?"+at)
	assert.NotContains(t, body, `data-kpi="measured_uptime_ratio"`, "a team has no measured KPIs")
}

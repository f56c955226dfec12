package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/htmltest"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
)

const measuredConfig = `
windows: [1d]
people: [{id: alice}, {id: bob}, {id: carol}]
programs: [{id: shop, manager: carol}]
systems:
  - {id: api, program: shop, owners: [{owner: alice, since: 2026-01-01T00:00:00Z}, {owner: bob, since: 2026-01-02T12:00:00Z}]}
  - {id: web, program: shop, owners: [{owner: bob, since: 2026-01-01T00:00:00Z}]}
measurements:
  source: {url: "http://prometheus:9090"}
  step: 1h
  uptime: {query: "min by (system) (probe_success)", by: system}
  response_time: {query: "max by (system) (probe_duration_seconds)", by: system, objective: 300ms}
`

// measuredBuilder is a Builder over a store holding a day of hourly
// samples: api down at 03:00, half up at 15:00, slow at 13:00 and 14:00
// (bob owns it from noon); web, bob's, measured until noon, uptime only.
func measuredBuilder(t *testing.T) *Builder {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Parse([]byte(measuredConfig))
	require.NoError(t, err)
	db, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "steward.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	day := ts("2026-01-02T00:00:00Z")
	var samples []record.Sample
	add := func(m record.Measure, sys string, h int, v float64) {
		samples = append(samples, record.Sample{Measure: m, Series: sys, At: day.Add(time.Duration(h) * time.Hour), Value: v})
	}
	for h := range 24 {
		up, rt := 1.0, 0.2
		switch h {
		case 3:
			up = 0
		case 15:
			up = 0.5
		case 13, 14:
			rt = 0.5
		}
		add(record.MeasureUptime, "api", h, up)
		add(record.MeasureResponseTime, "api", h, rt)
		if h < 12 {
			add(record.MeasureUptime, "web", h, 1)
		}
	}
	require.NoError(t, db.WriteSamples(ctx, samples, record.Cursor{Name: "test", Value: "1"}, ""))
	eng := scorecard.New(scorecard.Options{Store: db, Samples: db, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
	return &Builder{Engine: eng, Now: func() time.Time { return generated }}
}

// A review shows, in every format, which systems stand behind the measured
// KPIs, how much of the period each was measured and what its samples say.
func TestMeasuredEvidenceInEveryFormat(t *testing.T) {
	b := measuredBuilder(t)
	p, err := RangePeriod(ts("2026-01-02T00:00:00Z"), ts("2026-01-03T00:00:00Z"))
	require.NoError(t, err)
	rep, err := b.Build(context.Background(), Request{Role: scorecard.RoleSystemOwner, Subject: "bob", Period: p})
	require.NoError(t, err)
	require.Len(t, rep.Subjects, 1)
	k, ok := rep.Subjects[0].KPI("measured_uptime_ratio")
	require.True(t, ok)
	assert.InDelta(t, 23.5/24, *k.Value, 1e-12, "bob: api from noon and web")

	render := func(format string) string {
		var out bytes.Buffer
		require.NoError(t, Write(&out, rep, format))
		return out.String()
	}

	t.Run("json", func(t *testing.T) {
		var js struct {
			Subjects []struct {
				Evidence struct {
					Systems []struct {
						ID       string
						Measured map[string]any
					}
				}
			}
		}
		require.NoError(t, json.Unmarshal([]byte(render("json")), &js))
		systems := js.Subjects[0].Evidence.Systems
		require.Len(t, systems, 2)
		assert.Equal(t, "api", systems[0].ID)
		assert.Equal(t, map[string]any{"steps": 12.0, "uptime_samples": 12.0, "response_time_samples": 12.0, "coverage_ratio": 1.0,
			"uptime_ratio": 11.5 / 12, "response_time_compliance_ratio": 10.0 / 12}, systems[0].Measured)
		assert.Equal(t, map[string]any{"steps": 24.0, "uptime_samples": 12.0, "response_time_samples": 0.0, "coverage_ratio": 0.25,
			"uptime_ratio": 1.0, "response_time_compliance_ratio": nil}, systems[1].Measured)
	})

	t.Run("markdown", func(t *testing.T) {
		md := render("markdown")
		assert.Contains(t, md, "### Measured uptime and response times (2 systems)\n")
		assert.Contains(t, md, "| api | 12 of 12 | 12 of 12 | 100.0 % | 95.833 % | 83.3 % |\n")
		assert.Contains(t, md, "| web | 12 of 24 | 0 of 24 | 25.0 % | 100.000 % | no data |\n")
	})

	t.Run("html", func(t *testing.T) {
		h := render("html")
		htmltest.WellFormed(t, []byte(h))
		i := strings.Index(h, `<table class="measured">`)
		require.Positive(t, i)
		table := h[i : i+strings.Index(h[i:], "</table>")]
		assert.Contains(t, table, `<tr><th scope="row">web</th><td class="num">12 of 24</td><td class="num">0 of 24</td><td class="num" data-kpi="measurement_coverage_ratio" data-value="0.25">25.0 %</td>`)
		assert.Contains(t, table, `data-kpi="measured_uptime_ratio" data-value="0.9583333333333334">95.833 %</td>`)
	})

	t.Run("csv", func(t *testing.T) {
		rows, err := csv.NewReader(strings.NewReader(render("csv"))).ReadAll()
		require.NoError(t, err)
		col := map[string]int{}
		for i, name := range rows[0] {
			col[name] = i
		}
		cells := map[string]string{}
		for _, r := range rows[1:] {
			cells[r[col["kpi"]]] = r[col["measured_systems"]]
		}
		assert.Equal(t, "api: 0.9583333333333334 (12 samples); web: 1 (12 samples)", cells["measured_uptime_ratio"])
		assert.Equal(t, "api: 0.8333333333333334 (12 samples); web: no samples", cells["response_time_compliance_ratio"])
		assert.Equal(t, "api: 1 (24 samples, 12 steps); web: 0.25 (12 samples, 24 steps)", cells["measurement_coverage_ratio"])
		assert.Empty(t, cells["mttr_seconds"])
	})
}

// Without measurements a review has no measured section.
func TestNoMeasuredEvidenceWithoutMeasurements(t *testing.T) {
	b, _ := scenario(t)
	rep, err := b.Build(context.Background(), Request{Role: scorecard.RoleSystem, Subject: "api", Period: scenarioPeriod(t)})
	require.NoError(t, err)
	var md, js bytes.Buffer
	require.NoError(t, Write(&md, rep, "markdown"))
	require.NoError(t, Write(&js, rep, "json"))
	assert.NotContains(t, md.String(), "Measured uptime")
	assert.NotContains(t, js.String(), `"measured"`)
}

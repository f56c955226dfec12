package scorecard

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// samples is a SampleSource over a slice, in Seq order.
type samples []record.Sample

func (s samples) Samples(_ context.Context, after int64, limit int) ([]record.Sample, error) {
	var out []record.Sample
	for _, x := range s {
		if x.Seq > after && len(out) < limit {
			out = append(out, x)
		}
	}
	return out, nil
}

const measuredConfig = `
windows: [1d]
people: [{id: alice}, {id: bob}, {id: carol}]
programs: [{id: shop, manager: carol}]
systems:
  - {id: api, program: shop, owners: [{owner: alice, since: 2026-01-01T00:00:00Z}, {owner: bob, since: 2026-01-02T12:00:00Z}]}
  - {id: web, program: shop, owners: [{owner: bob, since: 2026-01-01T00:00:00Z}]}
processes: {incident: {owner: carol, managers: [{manager: alice, systems: [api]}]}}
measurements:
  source: {url: "http://prometheus:9090"}
  step: 1h
  uptime: {query: "min by (system) (probe_success)", by: system}
  response_time: {query: "max by (system) (probe_duration_seconds)", by: system, objective: 300ms}
`

// measuredDay is a day of hourly samples: api down at 03:00, half up at
// 15:00, slow at 13:00 and 14:00; web up, measured only until noon, with
// no response times.
func measuredDay() samples {
	var out samples
	day := ts("2026-01-02T00:00:00Z")
	add := func(m record.Measure, sys string, h int, v float64) {
		out = append(out, record.Sample{Measure: m, Series: sys, At: day.Add(time.Duration(h) * time.Hour), Value: v, Seq: int64(len(out) + 1)})
	}
	for h := range 24 {
		up := map[int]float64{3: 0, 15: 0.5}
		u, ok := up[h]
		if !ok {
			u = 1
		}
		add(record.MeasureUptime, "api", h, u)
		rt := 0.2
		if h == 13 || h == 14 {
			rt = 0.5
		}
		add(record.MeasureResponseTime, "api", h, rt)
		if h < 12 {
			add(record.MeasureUptime, "web", h, 1)
		}
	}
	return out
}

// Each system's measured evidence is its share of the subject's
// measurement KPIs: the same samples and steps, over the subject's part of
// the period (an owner's tenure).
func TestMeasurementEvidence(t *testing.T) {
	cfg, err := config.Parse([]byte(measuredConfig))
	require.NoError(t, err)
	e := New(Options{Config: func() *config.Config { return cfg }, Samples: measuredDay()})
	ctx := context.Background()
	require.NoError(t, e.syncSamples(ctx))
	from, to := ts("2026-01-02T00:00:00Z"), ts("2026-01-03T00:00:00Z")
	subjects := []Subject{{RoleSystem, "api"}, {RoleSystemOwner, "alice"}, {RoleSystemOwner, "bob"}, {RoleProgram, "shop"}, {RoleProcessManager, "alice"}}
	evs, err := e.Evidence(ctx, subjects, from, to)
	require.NoError(t, err)

	ratio := func(v float64) *float64 { return &v }
	n := func(v int) *int { return &v }
	type row = MeasurementEvidence
	want := map[Subject]map[string]*row{
		{RoleSystem, "api"}: {"api": {Steps: 24, UptimeSamples: n(24), ResponseTimeSamples: n(24), CoverageRatio: ratio(1),
			UptimeRatio: ratio(22.5 / 24), ResponseTimeComplianceRatio: ratio(22.0 / 24)}},
		{RoleSystemOwner, "alice"}: {"api": {Steps: 12, UptimeSamples: n(12), ResponseTimeSamples: n(12), CoverageRatio: ratio(1),
			UptimeRatio: ratio(11.0 / 12), ResponseTimeComplianceRatio: ratio(1)}},
		{RoleSystemOwner, "bob"}: {
			"api": {Steps: 12, UptimeSamples: n(12), ResponseTimeSamples: n(12), CoverageRatio: ratio(1),
				UptimeRatio: ratio(11.5 / 12), ResponseTimeComplianceRatio: ratio(10.0 / 12)},
			"web": {Steps: 24, UptimeSamples: n(12), ResponseTimeSamples: n(0), CoverageRatio: ratio(12.0 / 48), UptimeRatio: ratio(1)},
		},
	}
	for s, systems := range want {
		got := map[string]*row{}
		for _, sys := range evs[s].Systems {
			got[sys.ID] = sys.Measured
		}
		assert.Equal(t, systems, got, s.String())
	}
	assert.Len(t, evs[Subject{RoleProgram, "shop"}].Systems, 2)
	for _, sys := range evs[Subject{RoleProgram, "shop"}].Systems {
		assert.NotNil(t, sys.Measured, "program shop: %s", sys.ID)
	}

	// the subject's KPIs are its systems' samples and steps added up
	snap, err := e.Evaluate(ctx, Query{At: to, Windows: []config.Window{{Name: "d", Duration: to.Sub(from)}}})
	require.NoError(t, err)
	for _, s := range subjects[:4] {
		cards := snap.Find("d", s.Role, s.ID)
		require.Len(t, cards, 1, s.String())
		c := &cards[0]
		var steps int64
		var up, rt int
		var upSum, okSum float64
		for _, sys := range evs[s].Systems {
			m := sys.Measured
			steps += m.Steps
			up += *m.UptimeSamples
			rt += *m.ResponseTimeSamples
			if m.UptimeRatio != nil {
				upSum += *m.UptimeRatio * float64(*m.UptimeSamples)
			}
			if m.ResponseTimeComplianceRatio != nil {
				okSum += *m.ResponseTimeComplianceRatio * float64(*m.ResponseTimeSamples)
			}
		}
		assert.InDelta(t, c.Value[MeasuredUptimeRatio], upSum/float64(up), 1e-12, s.String())
		assert.InDelta(t, c.Value[ResponseTimeComplianceRatio], okSum/float64(rt), 1e-12, s.String())
		assert.InDelta(t, c.Value[MeasurementCoverageRatio], float64(up+rt)/float64(2*steps), 1e-12, s.String())
	}
	assert.InDelta(t, 23.5/24, snap.Find("d", RoleSystemOwner, "bob")[0].Value[MeasuredUptimeRatio], 1e-12)

	// a role without measurement KPIs has none
	require.Len(t, evs[Subject{RoleProcessManager, "alice"}].Systems, 1)
	assert.Nil(t, evs[Subject{RoleProcessManager, "alice"}].Systems[0].Measured)
}

func TestNoMeasurementEvidenceWithoutMeasurements(t *testing.T) {
	e := scenarioEngine(t)
	evs, err := e.Evidence(context.Background(), []Subject{{RoleGlobal, GlobalSubject}}, ts("2026-01-01T00:00:00Z"), ts("2026-01-11T00:00:00Z"))
	require.NoError(t, err)
	require.NotEmpty(t, evs[Subject{RoleGlobal, GlobalSubject}].Systems)
	for _, sys := range evs[Subject{RoleGlobal, GlobalSubject}].Systems {
		assert.Nil(t, sys.Measured, sys.ID)
	}
}

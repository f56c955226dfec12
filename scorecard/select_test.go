package scorecard

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/record"
)

// selectionEngine is an engine over a generated dataset with feedback,
// whose last records were written after the time index was built: they
// are evaluated from the delta.
func selectionEngine(t *testing.T) (*Engine, generate.Options) {
	t.Helper()
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 25, 30, 2000, 4000
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	cfg.Policy.Review.Signoff = []string{record.RoleSystemOwner}
	cfg.Policy.Review.ActionDue = 240 * time.Hour
	incidents, changes := generate.Records(cfg, o)
	e := New(Options{Config: func() *config.Config { return cfg }})
	cut := len(incidents) * 9 / 10
	e.take(incidents[:cut], changes[:2*cut], true)
	e.st.minRebuild = 1 << 30 // the rest stays in the delta
	e.take(incidents[cut:], changes[2*cut:], true)
	responses := generate.Feedback(cfg, o)
	require.NotEmpty(t, responses)
	e.fb.mu.Lock()
	for i := range responses {
		e.fb.put(&responses[i])
	}
	e.fb.gen++
	e.fb.mu.Unlock()
	return e, o
}

// assertSameKPIs checks that card sel, evaluated for the KPIs in ks only,
// has the values, previous values and statuses of card all for them, no
// value for the others, no score, and lists exactly those of them defined.
func assertSameKPIs(t *testing.T, all, sel Card, ks []KPI, what string) {
	t.Helper()
	require.Equal(t, all.Subject, sel.Subject, what)
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	for k := range numKPI {
		if !slices.Contains(ks, k) {
			require.True(t, math.IsNaN(sel.Value[k]), "%s: %s not selected has a value", what, k.Name())
			continue
		}
		require.True(t, same(all.Value[k], sel.Value[k]), "%s: %s = %v alone, %v with every KPI", what, k.Name(), sel.Value[k], all.Value[k])
		require.True(t, same(all.Previous[k], sel.Previous[k]), "%s: previous %s = %v alone, %v with every KPI", what, k.Name(), sel.Previous[k], all.Previous[k])
		require.Equal(t, all.Status[k], sel.Status[k], "%s: status of %s", what, k.Name())
	}
	defined := []KPI{}
	for _, k := range all.Defined {
		if slices.Contains(ks, k) {
			defined = append(defined, k)
		}
	}
	require.Equal(t, defined, sel.Defined, what)
	require.Equal(t, all.NotAccountable, sel.NotAccountable, what)
	require.Equal(t, all.PreviousNotAccountable, sel.PreviousNotAccountable, what)
	require.True(t, math.IsNaN(sel.Score), "%s: a selection has no score", what)
}

// Every KPI evaluated alone has the value it has when every KPI is
// evaluated: kpiNeeds names all that each reads. Random subjects, times
// and windows; one subject at a time and every system owner at once (the
// path that computes every system's downtime once).
func TestSelectedKPIsEqualEveryKPI(t *testing.T) {
	e, o := selectionEngine(t)
	ctx := context.Background()
	st, _, done, err := e.read(ctx)
	require.NoError(t, err)
	subjects := slices.Clone(st.m.subj.list)
	done()
	rng := rand.New(rand.NewPCG(3, 4))
	span := o.To.Sub(o.From)
	windows := []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 11*24*time.Hour + 3*time.Hour}
	seen := map[KPI]int{} // comparisons with a value other than 0
	for round := range 40 {
		sub := subjects[rng.IntN(len(subjects))]
		at := o.From.Add(time.Duration(rng.Int64N(int64(span + 20*24*time.Hour)))).Truncate(time.Second)
		ws := []config.Window{{Name: "w", Duration: windows[rng.IntN(len(windows))]}}
		q := Query{At: at, Windows: ws, Role: sub.Role, Subject: sub.ID}
		if round%8 == 7 {
			q.Subject = "" // every subject of the role
		}
		full, err := e.Evaluate(ctx, q)
		require.NoError(t, err)
		require.NotEmpty(t, full.Cards["w"])
		for k := range numKPI {
			q.KPIs = []KPI{k}
			one, err := e.Evaluate(ctx, q)
			require.NoError(t, err)
			require.Len(t, one.Cards["w"], len(full.Cards["w"]))
			for i, c := range full.Cards["w"] {
				assertSameKPIs(t, c, one.Cards["w"][i], q.KPIs, c.Subject.String()+" at "+at.String())
				if v := c.Value[k]; v != 0 && !math.IsNaN(v) {
					seen[k]++
				}
			}
		}
		// and a few together
		q.KPIs = nil
		for k := range numKPI {
			if rng.IntN(6) == 0 {
				q.KPIs = append(q.KPIs, k)
			}
		}
		if q.KPIs == nil {
			q.KPIs = []KPI{}
		}
		some, err := e.Evaluate(ctx, q)
		require.NoError(t, err)
		for i, c := range full.Cards["w"] {
			assertSameKPIs(t, c, some.Cards["w"][i], q.KPIs, c.Subject.String())
		}
	}
	for _, k := range []KPI{ChangeSuccessRatio, MTTR, TimeToRestoreP90, ChangeLeadTimeP50, AvailabilityRatio, IncidentsOpen,
		ReviewsOverdue, ReviewActionsOpen, FailedDeploymentRecovery, FeedbackResponses, SatisfactionEmployee} {
		assert.Positive(t, seen[k], "%s: no comparison with a value", k.Name())
	}
}

// The measurement KPIs alone are those of every KPI.
func TestSelectedMeasurementKPIs(t *testing.T) {
	cfg, err := config.Parse([]byte(measuredConfig))
	require.NoError(t, err)
	e := New(Options{Config: func() *config.Config { return cfg }, Samples: measuredDay()})
	ctx := context.Background()
	require.NoError(t, e.syncSamples(ctx))
	q := Query{At: ts("2026-01-02T20:00:00Z"), Windows: []config.Window{{Name: "d", Duration: 18 * time.Hour}}}
	full, err := e.Evaluate(ctx, q)
	require.NoError(t, err)
	valued := 0
	for _, k := range []KPI{MeasuredUptimeRatio, ResponseTimeComplianceRatio, MeasurementCoverageRatio, UnattributedMeasurements} {
		q.KPIs = []KPI{k}
		one, err := e.Evaluate(ctx, q)
		require.NoError(t, err)
		for i, c := range full.Cards["d"] {
			assertSameKPIs(t, c, one.Cards["d"][i], q.KPIs, c.Subject.String())
			if !math.IsNaN(c.Value[k]) {
				valued++
			}
		}
	}
	assert.Greater(t, valued, 5)
}

// A system owner who owned nothing in the window keeps its counts only,
// whatever is selected (SPEC 4, Exposure).
func TestSelectionKeepsExposure(t *testing.T) {
	e, o := selectionEngine(t)
	ctx := context.Background()
	ks := []KPI{ChangeSuccessRatio, MTTR, ChangesCompleted, ChangesFailed, IncidentsResolved, DeploymentsPerDay}
	unaccountable := 0
	for _, at := range []time.Time{o.From.Add(3 * 24 * time.Hour), o.To.Add(-40 * 24 * time.Hour), o.To} {
		q := Query{At: at, Windows: []config.Window{{Name: "w", Duration: 7 * 24 * time.Hour}}, Role: RoleSystemOwner}
		full, err := e.Evaluate(ctx, q)
		require.NoError(t, err)
		q.KPIs = ks
		sel, err := e.Evaluate(ctx, q)
		require.NoError(t, err)
		for i, c := range full.Cards["w"] {
			assertSameKPIs(t, c, sel.Cards["w"][i], ks, c.Subject.String())
			if c.NotAccountable {
				unaccountable++
				assert.True(t, math.IsNaN(sel.Cards["w"][i].Value[ChangeSuccessRatio]))
			}
		}
	}
	require.Positive(t, unaccountable, "the dataset has owners who owned nothing in some window")
}

// Every KPI's needs are populations and sources that exist, and every
// population is read by some KPI.
func TestEveryPopulationIsRead(t *testing.T) {
	var read need
	for k := range numKPI {
		read = read.or(kpiNeeds[k])
	}
	assert.Equal(t, needAll, read)
	assert.Equal(t, needAll, needOf(allKPIs))
	assert.Equal(t, need{}, needOf(0))
}

// The generation stands while nothing changes, and moves with records and
// with the config in force.
func TestGeneration(t *testing.T) {
	e, o := selectionEngine(t)
	ctx := context.Background()
	g1, err := e.Generation(ctx)
	require.NoError(t, err)
	g2, err := e.Generation(ctx)
	require.NoError(t, err)
	assert.Equal(t, g1, g2, "reads change nothing")
	_, err = e.Evaluate(ctx, Query{At: o.To, Role: RoleSystemOwner, KPIs: []KPI{MTTR}})
	require.NoError(t, err)
	g3, err := e.Generation(ctx)
	require.NoError(t, err)
	assert.Equal(t, g1, g3)

	in := record.Incident{Source: "t", ID: "new", System: "s0001", Severity: 2, OpenedAt: o.To.Add(-time.Hour)}
	e.take([]record.Incident{in}, nil, true)
	g4, err := e.Generation(ctx)
	require.NoError(t, err)
	assert.Greater(t, g4, g3, "a write")

	cfg := *e.opts.Config()
	e.opts.Config = func() *config.Config { return &cfg }
	g5, err := e.Generation(ctx)
	require.NoError(t, err)
	assert.Greater(t, g5, g4, "a config reload")
}

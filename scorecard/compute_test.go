package scorecard

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

func TestPercentile(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		q    float64
		want float64
	}{
		{"empty has no value", nil, 0.5, math.NaN()},
		{"one value", []float64{7}, 0.9, 7},
		{"two values median", []float64{10, 20}, 0.5, 15},
		{"two values p90", []float64{20, 10}, 0.9, 19},
		{"three values p90", []float64{1, 2, 3}, 0.9, 2.8},
		{"p50 of four", []float64{4, 1, 3, 2}, 0.5, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vs []int64
			for _, x := range tt.xs {
				vs = append(vs, int64(x*1e6))
			}
			got := quantile(vs, tt.q)
			if math.IsNaN(tt.want) {
				assert.True(t, math.IsNaN(got))
				return
			}
			assert.InDelta(t, tt.want, got, 1e-12)
		})
	}
}

func TestIntervals(t *testing.T) {
	iv := func(a, b int64) interval { return interval{a, b} }
	assert.Equal(t, []interval{iv(0, 5), iv(6, 9)}, union([]interval{iv(3, 5), iv(0, 4), iv(6, 8), iv(7, 9)}))
	assert.Equal(t, []interval{iv(0, 10)}, union([]interval{iv(0, 5), iv(5, 10)}), "touching intervals merge")
	assert.Equal(t, []interval{iv(0, 2), iv(4, 6), iv(9, 10)},
		subtract([]interval{iv(0, 6), iv(8, 10)}, []interval{iv(2, 4), iv(7, 9)}))
	assert.Nil(t, subtract([]interval{iv(2, 3)}, []interval{iv(0, 10)}))
	ivs := []interval{iv(0, 10), iv(20, 30), iv(40, math64Max)}
	assert.Equal(t, int64(0), overlap(ivs, 10, 20))
	assert.Equal(t, int64(10), overlap(ivs, 5, 25))
	assert.Equal(t, int64(25), overlap(ivs, 0, 45))
	assert.Equal(t, int64(60), overlap(ivs, 40, 100), "an open interval runs to the window's end")
}

const edgeConfig = `
windows: [1d]
people: [{id: o}]
systems: [{id: s, owners: [{owner: o, since: 2026-01-01T00:00:00Z}]}]
processes: {incident: {owner: o}, change: {owner: o}}
policy: {review: {severity_threshold: 2, due: 24h}, sla: {"1": 1h}}
`

func edgeSnapshot(t *testing.T, at time.Time, incidents []record.Incident, changes []record.Change) Card {
	t.Helper()
	cfg, err := config.Parse([]byte(edgeConfig))
	require.NoError(t, err)
	x := newIndex()
	for i := range incidents {
		x.putIncident(&incidents[i])
	}
	for i := range changes {
		x.putChange(&changes[i])
	}
	return card(t, snapshot(cfg, x, at), "1d", RoleSystem, "s")
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func tp(s string) *time.Time { t := ts(s); return &t }

func TestEdgeCases(t *testing.T) {
	at := ts("2026-02-10T00:00:00Z") // W = [02-09, 02-10)
	tests := []struct {
		name      string
		incidents []record.Incident
		changes   []record.Change
		want      map[KPI]float64
	}{
		{
			name: "review due exactly at the window start counts, at `at` does not",
			incidents: []record.Incident{
				{ID: "a", System: "s", Severity: 1, OpenedAt: ts("2026-02-07T00:00:00Z"), ResolvedAt: tp("2026-02-08T00:00:00Z")},
				{ID: "b", System: "s", Severity: 1, OpenedAt: ts("2026-02-08T00:00:00Z"), ResolvedAt: tp("2026-02-09T00:00:00Z"),
					Review: &record.Review{CompletedAt: tp("2026-02-09T12:00:00Z")}},
			},
			// a: due 02-09 00:00 (in W), never done; b: due 02-10 00:00 = at (not in W)
			want: map[KPI]float64{ReviewComplianceRatio: 0, ReviewsOverdue: 1},
		},
		{
			name: "review completed exactly at due is on time; not yet complete at `at` is overdue",
			incidents: []record.Incident{
				{ID: "a", System: "s", Severity: 2, OpenedAt: ts("2026-02-07T00:00:00Z"), ResolvedAt: tp("2026-02-08T06:00:00Z"),
					Review: &record.Review{CompletedAt: tp("2026-02-09T06:00:00Z")}},
				{ID: "b", System: "s", Severity: 5, OpenedAt: ts("2026-02-07T00:00:00Z"), ResolvedAt: tp("2026-02-08T07:00:00Z"),
					Review: &record.Review{Required: boolp(true), CompletedAt: tp("2026-02-10T00:00:00Z")}},
				{ID: "c", System: "s", Severity: 1, OpenedAt: ts("2026-02-07T00:00:00Z"), ResolvedAt: tp("2026-02-08T08:00:00Z"),
					Review: &record.Review{Required: boolp(false)}},
			},
			want: map[KPI]float64{ReviewComplianceRatio: 0.5, ReviewsOverdue: 1},
		},
		{
			name: "an incident resolved after `at` is still open at `at` and extends its outage to `at`",
			incidents: []record.Incident{
				{ID: "a", System: "s", Severity: 1, Impact: record.ImpactOutage, OpenedAt: ts("2026-02-09T18:00:00Z"), ResolvedAt: tp("2026-02-11T00:00:00Z")},
			},
			want: map[KPI]float64{IncidentsOpen: 1, IncidentsResolved: 0, MTTR: math.NaN(), DowntimeSeconds: 6 * 3600, AvailabilityRatio: 0.75},
		},
		{
			name: "SLA breach only among severities with a target",
			incidents: []record.Incident{
				{ID: "a", System: "s", Severity: 1, OpenedAt: ts("2026-02-09T01:00:00Z"), ResolvedAt: tp("2026-02-09T03:00:00Z")},
				{ID: "b", System: "s", Severity: 1, OpenedAt: ts("2026-02-09T01:00:00Z"), ResolvedAt: tp("2026-02-09T02:00:00Z")},
				{ID: "c", System: "s", Severity: 3, OpenedAt: ts("2026-02-09T01:00:00Z"), ResolvedAt: tp("2026-02-09T09:00:00Z")},
			},
			// a took 2 h > 1 h; b exactly 1 h is not a breach; c has no target
			want: map[KPI]float64{SLABreachRatio: 0.5, IncidentsResolved: 3},
		},
		{
			name: "a change failed through an incident opened before `at` only",
			changes: []record.Change{
				{ID: "c1", Source: "api", System: "s", Type: record.TypeNormal, Environment: "production", Outcome: record.OutcomeSuccess, Authorized: true, FinishedAt: tp("2026-02-09T01:00:00Z")},
				{ID: "c2", Source: "api", System: "s", Type: record.TypeNormal, Environment: "production", Outcome: record.OutcomeSuccess, Authorized: true, FinishedAt: tp("2026-02-09T02:00:00Z")},
			},
			incidents: []record.Incident{
				{ID: "i1", Source: "api", System: "s", Severity: 3, OpenedAt: ts("2026-02-09T05:00:00Z"), CausedByChange: &record.Ref{Source: "api", ID: "c1"}},
				{ID: "i2", Source: "api", System: "s", Severity: 3, OpenedAt: ts("2026-02-10T05:00:00Z"), CausedByChange: &record.Ref{Source: "api", ID: "c2"}},
			},
			want: map[KPI]float64{ChangesCompleted: 2, ChangesFailed: 1, ChangeSuccessRatio: 0.5, DeploymentsPerDay: 2},
		},
		{
			name: "empty populations have no value, counts are zero",
			want: map[KPI]float64{ChangesCompleted: 0, ChangeSuccessRatio: math.NaN(), EmergencyChangeRatio: math.NaN(),
				DeploymentsPerDay: 0, ChangeLeadTimeP50: math.NaN(), MTTR: math.NaN(), MTTA: math.NaN(),
				SLABreachRatio: math.NaN(), ReviewComplianceRatio: math.NaN(), IncidentsOpen: 0, AvailabilityRatio: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertKPIs(t, edgeSnapshot(t, at, tt.incidents, tt.changes), tt.want)
		})
	}
}

func boolp(b bool) *bool { return &b }

// The percentiles of many values, taken among the values near their ranks,
// are exactly those of a selection over all of them, however the values
// are spread: the sample's brackets either hold the ranks or the
// selection over all of them answers.
func TestNearRanksEqualSelection(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	spreads := map[string]func(i, n int) int64{
		"uniform":    func(int, int) int64 { return rng.Int64N(1e9) },
		"few values": func(int, int) int64 { return rng.Int64N(5) },
		"one value":  func(int, int) int64 { return 42 },
		"ascending":  func(i, _ int) int64 { return int64(i) },
		"descending": func(i, n int) int64 { return int64(n - i) },
		"long tail":  func(int, int) int64 { return int64(math.Exp(rng.Float64() * 30)) },
		"two modes": func(i, n int) int64 {
			if i < n/2 {
				return rng.Int64N(100)
			}
			return 1e12 + rng.Int64N(100)
		},
	}
	for name, spread := range spreads {
		t.Run(name, func(t *testing.T) {
			var tl tally
			for _, n := range []int{nearMin, nearMin + 1, 5000, 12345, 100_000} {
				vs := make([]int64, n)
				for i := range vs {
					vs[i] = spread(i, n)
				}
				if name == "uniform" {
					_, _, ok := nearRanks(vs, make([]int64, n))
					require.True(t, ok, "the brackets of evenly spread values hold their ranks")
				}
				want50, want90 := quantiles(slices.Clone(vs))
				got50, got90 := tl.quantiles(vs)
				require.Equal(t, want50, got50, "n=%d", n)
				require.Equal(t, want90, got90, "n=%d", n)
			}
		})
	}
}

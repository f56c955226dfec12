package dashboards

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/dashboards/dashboardtest"
	"github.com/steward-sh/steward/mixin"
)

// Stats are green when a KPI meets its objective, yellow in the warning
// band and red in breach, whichever direction is good.
func TestKPIThresholds(t *testing.T) {
	warn := func(v float64) *float64 { return &v }
	cfg := mixin.DefaultConfig()
	cfg.Objectives = map[string]mixin.Objective{
		"availability_ratio": {Objective: 0.999, Warning: warn(0.995)},
		"mttr_seconds":       {Objective: 14400, Warning: warn(28800)},
		"reviews_overdue":    {Objective: 0, Warning: warn(2)},
		"systems_unowned":    {Objective: 0},
	}
	g := gen{cfg: cfg}
	type step struct {
		from  *float64
		color string
	}
	for _, tc := range []struct {
		kpi  string
		want []step
	}{
		{"availability_ratio", []step{{nil, "red"}, {warn(0.995), "yellow"}, {warn(0.999), "green"}}},
		{"mttr_seconds", []step{{nil, "green"}, {warn(14400), "yellow"}, {warn(28800), "red"}}},
		// counts: "more than 0" starts at 1
		{"reviews_overdue", []step{{nil, "green"}, {warn(1), "yellow"}, {warn(3), "red"}}},
		{"systems_unowned", []step{{nil, "green"}, {warn(1), "red"}}},
	} {
		b := g.kpiThresholds(kpiByName(tc.kpi))
		require.NotNil(t, b, tc.kpi)
		th, err := b.Build()
		require.NoError(t, err)
		var got []step
		for _, s := range th.Steps {
			got = append(got, step{s.Value, s.Color})
		}
		assert.Equal(t, tc.want, got, tc.kpi)
	}
	assert.Nil(t, g.kpiThresholds(kpiByName("changes_completed")), "no objective: no colours")
}

// previousPeriod looks the KPI up one window ago, inside any aggregation.
func TestPreviousPeriod(t *testing.T) {
	g := gen{cfg: mixin.DefaultConfig()}
	k := kpiByName("incidents_opened")
	got := previousPeriod(g.exprBy(k, []string{"subject"}, eq("window", "$window"), eq("role", "$role")))
	assert.Equal(t, `sum by (subject) (max by (subject, severity) (last_over_time(steward_incidents_opened{role="$role",window="$window"}[1d] offset $window)))`, got)
	assert.Equal(t, []string{"role", "window"}, dashboardtest.References(got))
}

package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var tagRe = regexp.MustCompile(`<[^>]+>`)

func TestGrouped(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "999": "999", "1000": "1,000", "1234567": "1,234,567", "-1234567.25": "-1,234,567.25",
		"12345.678": "12,345.678", "100.0": "100.0", "NaN": "NaN", "+Inf": "+Inf",
	} {
		assert.Equal(t, want, Grouped(in), in)
	}
	n := 1234567.0
	assert.Equal(t, "1,234,567", Value("incidents_opened", &n))
	assert.Equal(t, "1,234,567.00/day", Value("deployments_per_day", &n))
	assert.Equal(t, "1,234,567", Count(1234567))
	assert.Equal(t, "14d 6h", Duration(1234567))
	assert.Equal(t, "1,428d 21h", Duration(123456789))
}

func TestExplanation(t *testing.T) {
	score := func(v float64) *float64 { return &v }
	kpis := []KPI{{Name: "change_success_ratio", Status: "meets"}, {Name: "mttr_seconds", Status: "breach"},
		{Name: "availability_ratio", Status: "warning"}, {Name: "mtta_seconds", Status: "meets"},
		{Name: "sla_breach_ratio", Status: "meets"}, {Name: "review_compliance_ratio", Status: "no_data"}, {Name: "changes_completed"}}
	tests := []struct {
		name string
		e    Explanation
		want []string
	}{
		{"scored", Explain(score(62.5), kpis), []string{
			"Score 62.5 = 100 × (3 meets + 0.5 × 1 warning) / 5 KPIs with an objective and a value",
			"meets Change success, MTTA, SLA breaches", "warning Availability", "breach MTTR", "no data Review compliance (not counted)"}},
		{"no value", Explain(nil, kpis[5:]), []string{"no score : no KPI with an objective has a value"}},
		{"no objective", Explain(nil, kpis[6:]), []string{"no score : no KPI of this role has an objective"}},
		// the engine will flag a subject without exposure (SPEC 4): one field
		{"not accountable", Explanation{NotAccountable: true}, []string{"not accountable in this period"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ScoreHTML(tt.e)
			require.NoError(t, err)
			text := strings.Join(strings.Fields(tagRe.ReplaceAllString(string(h), " ")), " ")
			text = strings.ReplaceAll(text, "&#43;", "+")
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
			if tt.e.NotAccountable {
				assert.NotContains(t, text, "Score")
			}
		})
	}
	assert.Equal(t, "100 × (3 + 0.5 × 1) / 5", Explain(score(62.5), kpis).Short())
}

package api

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/scorecard"
)

// CSV numbers are plain decimals, never 1e+06, whatever their size.
func TestCSVNumbersArePlain(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	v := ScorecardsView{At: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), Window: "30d", Scorecards: []CardView{{
		Role: "global", Subject: "global", Score: f(12.5), KPIs: map[string]KPIView{
			"downtime_seconds":  {Value: f(2592000), Previous: f(1.5e7), Delta: f(2592000 - 1.5e7)},
			"changes_completed": {Value: f(1e21)},
			"sla_breach_ratio":  {Value: f(0.00001), Previous: f(1.5e-7)},
		}}}}
	var out bytes.Buffer
	writeCSV(&out, v)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 4)
	assert.Equal(t, "2026-07-01T00:00:00Z,30d,global,global,12.5,changes_completed,1000000000000000000000,,,,,", lines[1])
	assert.Equal(t, "2026-07-01T00:00:00Z,30d,global,global,12.5,sla_breach_ratio,0.00001,,,,0.00000015,", lines[2])
	assert.Equal(t, "2026-07-01T00:00:00Z,30d,global,global,12.5,downtime_seconds,2592000,,,,15000000,-12408000", lines[3])
}

// TestScorecardCSVCellsAreNotFormulas writes teams named like spreadsheet
// formulas: each is shown as text, and negative numbers stay numbers.
func TestScorecardCSVCellsAreNotFormulas(t *testing.T) {
	delta := -0.5
	var v ScorecardsView
	v.At, v.Window = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "30d"
	for _, team := range []string{`=HYPERLINK("https://evil.example","x")`, "+cmd", "-2+3", "@SUM(A1)", "\tx", "payments"} {
		v.Scorecards = append(v.Scorecards, CardView{Role: scorecard.RoleTeam, Subject: team,
			KPIs: map[string]KPIView{"incidents_opened": {Value: &delta, Delta: &delta}}})
	}
	var b bytes.Buffer
	writeCSV(&b, v)
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	var subjects []string
	for _, row := range rows[1:] {
		subjects = append(subjects, row[3])
		assert.Equal(t, "-0.5", row[6], "value")
	}
	assert.Equal(t, []string{`'=HYPERLINK("https://evil.example","x")`, "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "payments"}, subjects)
}

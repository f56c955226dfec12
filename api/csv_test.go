package api

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/scorecard"
)

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

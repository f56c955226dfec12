package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

// The subject page, the review's JSON and a frozen review mark the times a
// collector estimated, and show a time to restore on one as left out.
func TestEstimatedTimesMarked(t *testing.T) {
	s, write := serverWith(t, "", nil)
	opened, resolved := time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 4, 9, 0, 0, 0, time.UTC)
	write(record.Batch{Incidents: []record.Incident{{Source: "test", ID: "guessed", System: "api", Severity: 3, Impact: record.ImpactNone,
		Category: "none", OpenedAt: opened, ResolvedAt: &resolved, Estimated: []string{"opened_at"}}}})

	row := func(body string) string {
		i := strings.Index(body, `<th scope="row">test/guessed`)
		require.Positive(t, i, "the incident's row")
		return body[i : i+strings.Index(body[i:], "</tr>")]
	}
	code, body := get(t, s.URL+"/ui/subject/system/api?"+at)
	require.Equal(t, http.StatusOK, code)
	r := row(body)
	assert.Contains(t, r, `test/guessed <abbr class="estimated" title="Estimated by the collector: opened_at. A duration on an estimated time is left out of every mean, percentile and ratio.">≈</abbr></th>`)
	assert.Contains(t, r, `>left out ≈</abbr></td>`, "its time to restore, left out")
	assert.Contains(t, body, `<p class="muted estimated-note">≈ marks a time a collector had to estimate`)
	assert.Contains(t, body, `data-kpi="mttr_seconds" data-value="16800">4h 40m</p>`, "the MTTR leaves its 9h out")
	assert.Contains(t, body, `data-kpi="incidents_resolved" data-value="4">4</p>`, "yet it counts as resolved")

	code, body = get(t, s.URL+"/ui/report?role=system&subject=api&period=2026-01&format=json")
	require.Equal(t, http.StatusOK, code)
	var rep struct {
		Subjects []struct {
			Evidence struct{ Incidents []map[string]any }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &rep))
	var found map[string]any
	for _, in := range rep.Subjects[0].Evidence.Incidents {
		if in["id"] == "guessed" {
			found = in
		}
	}
	require.NotNil(t, found)
	assert.Equal(t, []any{"opened_at"}, found["estimated"])
	assert.Equal(t, []any{"time_to_restore"}, found["left_out"])
	assert.NotContains(t, found, "ttr_seconds")

	// a frozen review keeps the marks: they are in what it stores
	resp, err := http.Post(s.URL+"/api/v1/reviews", "application/json", strings.NewReader(`{"role":"system","subject":"api","period":"2026-01"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	code, body = get(t, s.URL+"/ui/review?role=system&subject=api&period=2026-01&version=1")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, row(body), `>left out ≈</abbr></td>`)
}

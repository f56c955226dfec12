package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/htmltest"
	"github.com/steward-sh/steward/record"
)

// The UI explains what a review meeting asks about (issue 16, point 7):
// the score's formula with its inputs, scored KPIs apart from the others,
// dated trend points, grouped digits, open incidents past their SLA.

func TestScoreFormulaWhereTheScoreIs(t *testing.T) {
	s := server(t, "")
	tests := []struct {
		path string
		want []string
	}{
		// api: change success and MTTR breach, availability warns (SPEC 4: 100 × 0.5 / 3)
		{"/ui/subject/system/api?" + at, []string{
			"Score 16.7 = 100 × (0 meets + 0.5 × 1 warning) / 3 KPIs with an objective and a value",
			"warning Availability", "breach Change success, MTTR"}},
		// bob: change success meets, availability warns, MTTR breaches
		{"/ui/subject/system_owner/bob?" + at, []string{
			"Score 50.0 = 100 × (1 meets + 0.5 × 1 warning) / 3 KPIs with an objective and a value",
			"meets Change success", "warning Availability", "breach MTTR"}},
		// db: MTTR has no value, so it is left out of the divisor
		{"/ui/subject/system/db?" + at, []string{
			"Score 25.0 = 100 × (0 meets + 0.5 × 1 warning) / 2 KPIs with an objective and a value",
			"no data MTTR (not counted)"}},
		// guy: the only KPI with an objective has no value
		{"/ui/subject/process_manager/guy?" + at, []string{"no score : no KPI with an objective has a value", "no data MTTR (not counted)"}},
		{"/ui/report?role=system&subject=api&period=2026-01", []string{"KPIs with an objective and a value"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, body := get(t, s.URL+tt.path)
			require.Equal(t, http.StatusOK, code, body)
			text := squash(body)
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
		})
	}
}

var headingOrTile = regexp.MustCompile(`<h2 id="(scored|unscored)">|data-kpi="(\w+)"`)

func TestScoredKPIsComeFirst(t *testing.T) {
	s := server(t, "")
	_, body := get(t, s.URL+"/ui/subject/system/api?"+at)
	var scored, unscored []string
	section := ""
	for _, m := range headingOrTile.FindAllStringSubmatch(body, -1) {
		switch {
		case m[1] != "":
			section = m[1]
		case section == "scored":
			scored = append(scored, m[2])
		case section == "unscored":
			unscored = append(unscored, m[2])
		default:
			t.Errorf("tile %s before the scored KPIs", m[2])
		}
	}
	assert.Equal(t, []string{"change_success_ratio", "mttr_seconds", "availability_ratio"}, scored, "the KPIs with an objective, first")
	assert.Contains(t, unscored, "changes_completed")
	assert.NotContains(t, unscored, "mttr_seconds")
	assert.Contains(t, squash(body), "Not scored: no objective (")

	_, body = get(t, s.URL+"/ui/report?role=system&subject=api&period=2026-01")
	text := squash(body)
	first, second := strings.Index(text, "Scored KPIs of system api"), strings.Index(text, "Not scored: KPIs without an objective")
	require.True(t, first >= 0 && second > first, "the review lists the scored KPIs, then the others")
	assert.NotContains(t, text[first:second], "Changes completed")
	assert.Contains(t, text[second:], "Changes completed")
}

var pointTitle = regexp.MustCompile(`<circle class="point"[^>]*><title>([^<]*)</title>`)

func TestTrendPointsHaveDates(t *testing.T) {
	s := server(t, "")
	_, body := get(t, s.URL+"/ui/subject/system/api?"+at)
	tile := body[strings.Index(body, `data-kpi="changes_completed"`):]
	tile = tile[:strings.Index(tile, "</figure>")]
	var titles []string
	for _, m := range pointTitle.FindAllStringSubmatch(tile, -1) {
		titles = append(titles, m[1])
	}
	// the last 12 windows of 10d, back to back: each point the KPI over one
	require.Len(t, titles, 12)
	assert.Equal(t, "2025-09-13 – 2025-09-23: 0", titles[0])
	assert.Equal(t, "2026-01-01 – 2026-01-11: 3", titles[11])
	assert.Contains(t, tile, `<figcaption class="trend-dates"><span>2025-09-23</span><span>2026-01-11</span></figcaption>`)
	assert.Contains(t, tile, `aria-label="Trend of Changes completed over 12 points, from 0 (2025-09-23) to 3 (2026-01-11)"`)

	_, body = get(t, s.URL+"/ui/report?role=system&subject=api&period=2026-01")
	assert.Contains(t, body, `<title>2026-01-01 – 2026-01-08 18:00: `, "the review's trend lines are dated too (four buckets of 7¾ days)")
}

func TestLargeCountsAreGrouped(t *testing.T) {
	s, write := serverWith(t, "", nil)
	const n = 1234
	var b record.Batch
	start := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for i := range n {
		opened := start.Add(time.Duration(i) * time.Minute)
		resolved := opened.Add(time.Minute)
		b.Incidents = append(b.Incidents, record.Incident{Source: "test", ID: fmt.Sprintf("N%d", i), System: "web", Severity: 4,
			Impact: record.ImpactNone, Category: "none", OpenedAt: opened, ResolvedAt: &resolved})
	}
	write(b)
	for _, path := range []string{"/ui/subject/system/web?" + at, "/ui/?role=system&" + at, "/ui/report?role=system&subject=web&period=2026-01"} {
		_, body := get(t, s.URL+path)
		assert.Contains(t, body, ">1,234", path)
		assert.NotContains(t, body, ">1234<", path)
	}
	_, body := get(t, s.URL+"/ui/subject/system/web?"+at)
	assert.Contains(t, squash(body), "Incidents opened or resolved in the period or open at its end (1,234)")
}

func TestOpenIncidentPastSLAIsBreaching(t *testing.T) {
	s := server(t, "")
	// db's I4, severity 2 (SLA 8h), opened 2026-01-10 20:00, never resolved
	tests := []struct{ at, want string }{
		{"2026-01-11T00:00:00Z", "open (target 8h 0m)"},
		{"2026-01-11T04:00:00Z", "open (target 8h 0m)"}, // at its target: not yet past it
		{"2026-01-11T07:00:00Z", "open, SLA breached 3h 0m ago (target 8h 0m)"},
		{"2026-01-13T05:30:00Z", "open, SLA breached 2d 1h ago (target 8h 0m)"},
	}
	for _, tt := range tests {
		_, body := get(t, s.URL+"/ui/subject/system/db?at="+url.QueryEscape(tt.at))
		row := body[strings.Index(body, `<th scope="row">api/I4</th>`):]
		row = row[:strings.Index(row, "</tr>")]
		assert.Contains(t, row, "<td>"+tt.want+"</td>", tt.at)
	}
	_, body := get(t, s.URL+"/ui/report?role=system&subject=db&from=2026-01-01&to=2026-01-12&format=markdown")
	assert.Contains(t, body, "| open, SLA breached 20h 0m ago (target 8h 0m) |", "reviews say so too, at the period's end")
}

func TestOverviewWithoutObjectives(t *testing.T) {
	s, _ := serverWith(t, "", func(cfg *config.Config) { cfg.Objectives = nil })
	_, body := get(t, s.URL+"/ui/?role=system&"+at)
	text := squash(body)
	assert.Contains(t, text, "No objectives are configured, so no subject has a score yet")
	assert.Contains(t, text, "Not scored: no objective")
	assert.NotContains(t, text, "Scored KPIs")
	// api: 3 incidents opened, none open, 3 changes completed, MTTR 4h 40m
	assert.Contains(t, text, "api no score 3 0 3 4h 40m 66.7 % 0.30/day 96.667 %")
	code, body := get(t, s.URL+"/ui/?role=system&sort=mttr_seconds&"+at)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `aria-sort="descending" class="unscored"`, "an unscored column sorts")
}

var formField = regexp.MustCompile(`<(select|input) id="(\w+)" name="(\w+)"`)

// /ui/report without parameters asks what to review, and the form's GET
// submission, as a browser sends it, renders the review.
func TestReportForm(t *testing.T) {
	s := server(t, "") // now is 2026-11-25
	code, body := get(t, s.URL+"/ui/report")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `<form method="get" action="/ui/report"`)
	var names []string
	for _, m := range formField.FindAllStringSubmatch(body, -1) {
		names = append(names, m[3])
	}
	assert.Equal(t, []string{"role", "subject", "period", "from", "to", "format"}, names)
	for _, want := range []string{
		`<option value="system_owner" selected>System owners (system_owner)</option>`,
		`<optgroup label="Systems">`, `<option value="api">api</option>`, `<option value="alice">alice</option>`,
		`<option value="2026-10">2026-10 (last month)</option>`,
		`<option value="2026-Q3" selected>2026-Q3 (last quarter)</option>`,
		`<option value="2025">2025 (last year)</option>`,
		`<option value="2026-Q4">2026-Q4 (this quarter, provisional)</option>`,
	} {
		assert.Contains(t, body, want)
	}
	// what a browser submits with the defaults, and with a subject and a range
	for _, q := range []string{
		"role=system_owner&subject=&period=2026-Q3&from=&to=&format=",
		"role=system&subject=api&period=&from=2026-01-01&to=2026-01-11&format=",
	} {
		code, body = get(t, s.URL+"/ui/report?"+q)
		require.Equal(t, http.StatusOK, code, q)
		assert.Contains(t, body, "<h1>Performance review ", q)
	}
	// the review is a page of the UI, linking to its downloads
	assert.Contains(t, body, `<nav aria-label="Main">`)
	assert.Contains(t, body, `<a href="/ui/report?format=csv&amp;from=2026-01-01&amp;period=&amp;role=system&amp;subject=api&amp;to=2026-01-11">CSV</a>`)
	code, body = get(t, s.URL+"/ui/report?role=system&subject=api&period=2026-01&format=html")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "<style>", "the self-contained document of steward report")
	assert.NotContains(t, body, `<nav aria-label="Main">`)

	code, body = get(t, s.URL+"/ui/report?role=system&subject=api&period=&from=&to=&format=")
	assert.Equal(t, http.StatusBadRequest, code, "neither a period nor a range")
	assert.Contains(t, body, "give a period")
}

var versionLink = regexp.MustCompile(`<a href="(/ui/review\?[^"]+)">version (\d)</a>`)

// The list of frozen reviews: each with its versions, linked, and whether
// today's data restates it.
func TestFrozenReviewsPage(t *testing.T) {
	s, write := serverWith(t, "", nil)
	code, body := get(t, s.URL+"/ui/reviews")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "No review has been frozen yet.")

	freeze := func(body string) {
		resp, err := http.Post(s.URL+"/api/v1/reviews", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	freeze(`{"role":"system","subject":"api","period":"2026-01"}`)
	freeze(`{"role":"system_owner","period":"2025"}`)
	// a late record for api in January restates its frozen review
	opened := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	write(record.Batch{Incidents: []record.Incident{
		{Source: "test", ID: "late", System: "api", Severity: 1, Impact: record.ImpactOutage, Category: "none", OpenedAt: opened}}})
	freeze(`{"role":"system","subject":"api","period":"2026-01"}`) // version 2

	code, body = get(t, s.URL+"/ui/reviews")
	require.Equal(t, http.StatusOK, code)
	text := squash(body)
	assert.Contains(t, text, "Frozen reviews (4)", "api 2026-01, and alice, bob and carol for 2025")
	assert.Less(t, strings.Index(text, "2026-01 system api"), strings.Index(text, "2025 system_owner alice"), "latest period first")
	assert.Contains(t, text, "2026-01 system api version 1 2026-11-25 00:00 version 2 2026-11-25 00:00 unchanged")
	assert.Contains(t, text, "2025 system_owner bob version 1 2026-11-25 00:00 unchanged")
	assert.Contains(t, body, `<a href="/ui/subject/system/api">api</a>`)

	// more late data: the latest version is now restated, linked to its restatement
	write(record.Batch{Incidents: []record.Incident{
		{Source: "test", ID: "later", System: "api", Severity: 2, Impact: record.ImpactNone, Category: "none", OpenedAt: opened.Add(time.Hour)}}})
	_, body = get(t, s.URL+"/ui/reviews")
	assert.Contains(t, squash(body), "version 2 2026-11-25 00:00 restated")
	assert.Contains(t, body, `href="/ui/report?period=2026-01&amp;role=system&amp;subject=api#restatement">restated</a>`)
	_, report := get(t, s.URL+"/ui/report?period=2026-01&role=system&subject=api")
	assert.Contains(t, report, `id="restatement"`)

	links := versionLink.FindAllStringSubmatch(body, -1)
	require.Len(t, links, 5)
	code, page := get(t, s.URL+strings.ReplaceAll(links[0][1], "&amp;", "&"))
	require.Equal(t, http.StatusOK, code, page)
	text = squash(page)
	assert.Contains(t, text, "system api, 2026-01: version 1 of 2")
	assert.Contains(t, text, "Frozen on 2026-11-25 00:00 UTC, as it was then.")
	assert.Contains(t, text, "KPIs with an objective and a value")
	assert.Contains(t, text, "Incidents opened 4 not scored", "the numbers as frozen, before the late incidents")
	_, page = get(t, s.URL+strings.ReplaceAll(links[1][1], "&amp;", "&"))
	assert.Contains(t, squash(page), "Incidents opened 5 not scored")
	assert.Contains(t, body, `<a href="/ui/reviews">Frozen reviews</a>`, "linked from the navigation")

	code, _ = get(t, s.URL+"/ui/review?role=system&subject=api&period=2026-01&version=9")
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = get(t, s.URL+"/ui/review?role=system&subject=api&period=2026-01")
	assert.Equal(t, http.StatusBadRequest, code)
}

func TestUIPathEscapesEachSegment(t *testing.T) {
	assert.Equal(t, "/ui/subject/system/a%2Fb%20c%3F", string(uiPath("subject", "system", "a/b c?")))
	assert.Equal(t, "/ui/system/api", string(uiPath("system", "api")))
}

// Every page closes every element it opens, in order, and has one h1: the
// browser's error recovery must never be what makes a page look right.
func TestPagesAreWellFormed(t *testing.T) {
	s, _ := serverWith(t, "", nil)
	resp, err := http.Post(s.URL+"/api/v1/reviews", "application/json", strings.NewReader(`{"role":"system","subject":"api","period":"2026-01"}`))
	require.NoError(t, err)
	resp.Body.Close()
	for _, path := range []string{"/ui/?" + at, "/ui/subject/system/api?" + at, "/ui/subject/process_manager/guy?" + at,
		"/ui/system/api", "/ui/raci", "/ui/raci?person=alice", "/ui/report", "/ui/report?role=system&subject=api&period=2026-01",
		"/ui/reviews", "/ui/review?role=system&subject=api&period=2026-01&version=1", "/ui/nope"} {
		t.Run(path, func(t *testing.T) {
			_, body := get(t, s.URL+path)
			assert.Equal(t, 1, strings.Count(body, "<h1"), "one h1")
			htmltest.WellFormed(t, []byte(body))
		})
	}
}

package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/scenario"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

type archive struct{ db *store.DB }

func (a archive) Save(ctx context.Context, f report.Frozen) (report.Frozen, error) {
	s, err := a.db.SaveSnapshot(ctx, store.Snapshot{Role: f.Role, Subject: f.Subject, Period: f.Period, CreatedAt: f.CreatedAt, Content: f.Content})
	return report.Frozen{ID: s.ID, Role: s.Role, Subject: s.Subject, Period: s.Period, Version: s.Version, CreatedAt: s.CreatedAt, Content: s.Content}, err
}

func (a archive) Versions(ctx context.Context, role, subject, period string) ([]report.Frozen, error) {
	ss, err := a.db.Snapshots(ctx, role, subject, period)
	out := make([]report.Frozen, len(ss))
	for i, s := range ss {
		out[i] = report.Frozen{ID: s.ID, Role: s.Role, Subject: s.Subject, Period: s.Period, Version: s.Version, CreatedAt: s.CreatedAt, Content: s.Content}
	}
	return out, err
}

func (a archive) All(ctx context.Context) ([]report.Frozen, error) {
	ss, err := a.db.SnapshotIndex(ctx)
	out := make([]report.Frozen, len(ss))
	for i, s := range ss {
		out[i] = report.Frozen{ID: s.ID, Role: s.Role, Subject: s.Subject, Period: s.Period, Version: s.Version, CreatedAt: s.CreatedAt}
	}
	return out, err
}

// server serves the UI over the golden scenario of the scorecard package.
func server(t *testing.T, grafana string) *httptest.Server {
	t.Helper()
	s, _ := serverWith(t, grafana, nil)
	return s
}

// serverWith is server with the scenario's config changed by edit (if
// set), and a function that adds records to its store and engine.
func serverWith(t *testing.T, grafana string, edit func(*config.Config)) (*httptest.Server, func(record.Batch)) {
	t.Helper()
	s, write, _ := serverWithStore(t, grafana, edit)
	return s, write
}

// serverWithStore is serverWith that also gives its store, for what
// batches do not hold (measurement samples: sync the engine after).
func serverWithStore(t *testing.T, grafana string, edit func(*config.Config)) (*httptest.Server, func(record.Batch), *store.DB) {
	t.Helper()
	ctx := context.Background()
	cfg := scenario.Config(t)
	if edit != nil {
		edit(cfg)
	}
	db, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "s.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	b := scenario.Batch(t)
	require.NoError(t, db.Write(ctx, b))
	eng := scorecard.New(scorecard.Options{Store: db, Samples: db, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
	now := func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }
	ui := New(Options{Engine: eng, Reports: &report.Builder{Engine: eng, Archive: archive{db}, Now: now},
		Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler), GrafanaURL: grafana})
	mux := http.NewServeMux()
	mux.Handle("/", ui)
	mux.Handle("/api/v1/reviews", ui.Reviews())
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	write := func(b record.Batch) {
		require.NoError(t, db.Write(ctx, b))
		require.NoError(t, eng.Sync(ctx))
	}
	return s, write, db
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

const at = "at=2026-01-11T00:00:00Z"

var rowSubject = regexp.MustCompile(`<th scope="row"><a href="/ui/subject/system_owner/(\w+)`)

func TestOverviewSorts(t *testing.T) {
	s := server(t, "")
	tests := []struct {
		query string
		want  []string // system owners in order
	}{
		{"", []string{"alice", "bob", "carol"}},
		{"&sort=subject&dir=desc", []string{"carol", "bob", "alice"}},
		// scores: alice 33.3, bob 50, carol 25
		{"&sort=score", []string{"carol", "alice", "bob"}},
		{"&sort=score&dir=desc", []string{"bob", "alice", "carol"}},
		// mttr: alice 7200, bob 36000, carol none (always last)
		{"&sort=mttr_seconds&dir=asc", []string{"alice", "bob", "carol"}},
		{"&sort=mttr_seconds&dir=desc", []string{"bob", "alice", "carol"}},
		{"&sort=nonsense", []string{"alice", "bob", "carol"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, body := get(t, s.URL+"/?"+at+"&role=system_owner"+tt.query)
			require.Equal(t, http.StatusOK, code)
			var got []string
			for _, m := range rowSubject.FindAllStringSubmatch(body, -1) {
				got = append(got, m[1])
			}
			assert.Equal(t, tt.want, got)
		})
	}
	_, body := get(t, s.URL+"/ui/?"+at+"&sort=score&dir=asc")
	assert.Contains(t, body, `<th scope="col" aria-sort="ascending"><a href="/ui/?at=2026-01-11T00%3A00%3A00Z&amp;dir=desc&amp;sort=score&amp;window=10d">Score`,
		"the sorted column's link flips the direction")
	assert.Contains(t, body, `<td class="num"><span data-score="16.666666666666668">16.7</span><br><span class="formula-short muted">100 × (0 &#43; 0.5 × 1) / 3</span></td>`,
		"system api, with the inputs of its score")
	code, _ := get(t, s.URL+"/?window=99d")
	assert.Equal(t, http.StatusBadRequest, code)
}

func TestSubjectPage(t *testing.T) {
	s := server(t, "https://grafana.example.com/")
	code, body := get(t, s.URL+"/ui/subject/system/api?"+at)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `<a href="https://grafana.example.com/d/steward-system?var-role=system&amp;var-subject=api&amp;var-window=10d">`)
	assert.Contains(t, body, `data-kpi="mttr_seconds" data-value="16800">4h 40m</p>`)
	assert.Contains(t, body, "<h3>MTTR</h3>\n"+`<p class="tile-help muted">Mean time to restore of the incidents resolved in the window.</p>`,
		"each tile says what its KPI counts")
	assert.Contains(t, body, `<span class="status st-breach">breach</span>`, "status as text, not colour alone")
	assert.Contains(t, body, `<th scope="row">api/C2</th><td>api</td><td>success</td><td>2026-01-01 23:00</td><td>caused api/I1</td>`)
	assert.Contains(t, body, `<a href="/ui/system/api">`)
	assert.NotContains(t, body, "<script")

	_, body = get(t, s.URL+"/ui/subject/system_owner/alice?"+at)
	assert.Contains(t, body, "/d/steward-owner?var-role=system_owner&amp;var-subject=alice&amp;var-window=10d")

	code, _ = get(t, s.URL+"/ui/subject/system/nope?"+at)
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = get(t, s.URL+"/ui/subject/wizard/api")
	assert.Equal(t, http.StatusNotFound, code)

	plain := server(t, "")
	_, body = get(t, plain.URL+"/ui/subject/system/api?"+at)
	assert.NotContains(t, body, "Grafana", "no link without --web.grafana-url")
}

// Each KPI's trend shows the window and the 11 before it, each with the
// date its window ends.
func TestSubjectPageTrend(t *testing.T) {
	s := server(t, "")
	_, body := get(t, s.URL+"/ui/subject/system/api?"+at)
	i := strings.Index(body, `data-kpi="mttr_seconds"`)
	require.Positive(t, i)
	tile := body[i:]
	tile = tile[:strings.Index(tile, "</details>")]
	assert.Equal(t, 12, strings.Count(tile, "<tr><td>"), "12 windows")
	assert.Contains(t, tile, "<tr><td>2026-01-11 00:00</td><td>4h 40m</td></tr>", "the window itself, last")
	assert.Contains(t, tile, "<tr><td>2026-01-01 00:00</td><td>no data</td></tr>", "the window before: nothing resolved on api")
	assert.Contains(t, tile, "<tr><td>2025-09-23 00:00</td>", "the first of 12 ten-day windows")
}

func TestSystemPage(t *testing.T) {
	s := server(t, "")
	code, body := get(t, s.URL+"/ui/system/api-alias?at=2026-01-08T00:00:00Z")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "<h1>System api</h1>")
	assert.Contains(t, body, `<th scope="row"><a href="/ui/subject/system_owner/alice">alice</a></th><td></td><td>2025-06-01 00:00</td><td>2026-01-06 00:00</td>`)
	assert.Contains(t, body, `<th scope="row"><a href="/ui/subject/system_owner/bob">bob</a> <span class="badge">current</span></th><td></td><td>2026-01-06 00:00</td><td>still</td>`)
	assert.Contains(t, body, `managed by <a href="/ui/subject/program_manager/dave">dave</a>`)
	_, body = get(t, s.URL+"/ui/system/web")
	assert.Contains(t, body, "nobody (unowned)")
	code, _ = get(t, s.URL+"/ui/system/nope")
	assert.Equal(t, http.StatusNotFound, code)
}

func TestReviewsAPI(t *testing.T) {
	s := server(t, "")
	post := func(body string) (int, map[string]any) {
		resp, err := http.Post(s.URL+"/api/v1/reviews", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	code, out := post(`{"role":"system_owner","period":"2026-Q1"}`)
	require.Equal(t, http.StatusOK, code, out)
	reviews := out["reviews"].([]any)
	require.Len(t, reviews, 3)
	first := reviews[0].(map[string]any)
	assert.Equal(t, "alice", first["subject"])
	assert.EqualValues(t, 1, first["version"])
	assert.Equal(t, "2026-11-25T00:00:00Z", first["created_at"])

	code, out = post(`{"role":"system_owner","subject":"alice","period":"2026-Q1"}`)
	require.Equal(t, http.StatusOK, code)
	assert.EqualValues(t, 1, out["reviews"].([]any)[0].(map[string]any)["version"], "unchanged: no new version")

	code, _ = post(`{"role":"system","subject":"nope","period":"2026-Q1"}`)
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = post(`{"role":"system","period":"last year"}`)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = post(`{"role":"system","period":"2026","extra":1}`)
	assert.Equal(t, http.StatusBadRequest, code)

	code, body := get(t, s.URL+"/api/v1/reviews?role=system_owner&subject=alice&period=2026-Q1")
	require.Equal(t, http.StatusOK, code)
	var v struct {
		Versions []struct {
			Version int
			Content struct {
				Subject string
				KPIs    []report.KPI
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	require.Len(t, v.Versions, 1)
	assert.Equal(t, "alice", v.Versions[0].Content.Subject)
	assert.NotEmpty(t, v.Versions[0].Content.KPIs)

	code, body = get(t, s.URL+"/ui/report?role=system_owner&subject=alice&period=2026-Q1")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "frozen as version 1 on 2026-11-25 00:00")
	code, body = get(t, s.URL+"/ui/report?role=system_owner&subject=alice&period=2026-Q1&format=csv")
	require.Equal(t, http.StatusOK, code)
	assert.True(t, strings.HasPrefix(body, "period,from,to,role,subject,"))
	code, _ = get(t, s.URL+"/ui/report?role=system_owner&period=someday")
	assert.Equal(t, http.StatusBadRequest, code)
}

// SPEC 8 through the API and the UI: a period that has not started is a
// 400 naming it; one that has not ended is provisional and a 409 to freeze
// unless the request says force.
func TestReviewsAPIUnfinishedPeriods(t *testing.T) {
	s := server(t, "") // now is 2026-11-25
	post := func(body string) (int, map[string]any) {
		resp, err := http.Post(s.URL+"/api/v1/reviews", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	code, out := post(`{"role":"system","subject":"api","period":"2027-Q2"}`)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, out["error"], "period 2027-Q2 has not started")
	code, body := get(t, s.URL+"/ui/report?role=system&subject=api&period=2027-Q2")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "period 2027-Q2 has not started")

	code, out = post(`{"role":"system","subject":"api","period":"2026-Q4"}`)
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, out["error"], "period 2026-Q4 has not ended")
	code, body = get(t, s.URL+"/api/v1/reviews?role=system&subject=api&period=2026-Q4")
	require.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"versions":[]}`, body, "nothing was frozen")

	code, out = post(`{"role":"system","subject":"api","period":"2026-Q4","force":true}`)
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, true, out["provisional"])
	assert.EqualValues(t, 1, out["reviews"].([]any)[0].(map[string]any)["version"])

	code, body = get(t, s.URL+"/ui/report?role=system&subject=api&period=2026-Q4")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `<p class="provisional" role="note"><strong>Provisional:</strong>`)
	code, body = get(t, s.URL+"/ui/report?role=system&subject=api&period=2026-Q4&format=json")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"provisional": true`)
}

// A system's alias works wherever a system is a subject: the subject page
// redirects to the system's id, reviews name the system.
func TestSystemAliasAsSubject(t *testing.T) {
	s := server(t, "")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(s.URL + "/ui/subject/system/api-alias?window=10d&" + at)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/ui/subject/system/api?window=10d&"+at, resp.Header.Get("Location"))
	code, body := get(t, s.URL+"/ui/subject/system/api-alias?window=10d&"+at)
	require.Equal(t, http.StatusOK, code)
	_, want := get(t, s.URL+"/ui/subject/system/api?window=10d&"+at)
	assert.Equal(t, want, body)

	code, body = get(t, s.URL+"/ui/report?role=system&subject=api-alias&period=2026-Q1&format=json")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"subject": "api"`)
	code, _ = get(t, s.URL+"/ui/subject/system_owner/api-alias")
	assert.Equal(t, http.StatusNotFound, code)
}

func TestOverviewPages(t *testing.T) {
	tests := []struct {
		rows             int
		page             string
		wantPage, pages  int
		first, shown     int
		wantPrev, wantNx int
	}{
		{rows: 3, page: "", wantPage: 1, pages: 1, first: 0, shown: 3},
		{rows: 250, page: "", wantPage: 1, pages: 3, first: 0, shown: 100, wantNx: 2},
		{rows: 250, page: "2", wantPage: 2, pages: 3, first: 100, shown: 100, wantPrev: 1, wantNx: 3},
		{rows: 250, page: "3", wantPage: 3, pages: 3, first: 200, shown: 50, wantPrev: 2},
		{rows: 250, page: "9", wantPage: 1, pages: 3, first: 0, shown: 100, wantNx: 2},
		{rows: 250, page: "x", wantPage: 1, pages: 3, first: 0, shown: 100, wantNx: 2},
	}
	for _, tt := range tests {
		tb := roleTable{}
		for i := range tt.rows {
			tb.Rows = append(tb.Rows, overviewRow{Subject: strconv.Itoa(i)})
		}
		tb.paginate(tt.page)
		assert.Equal(t, tt.rows, tb.Total)
		assert.Equal(t, tt.wantPage, tb.Page, "page %q of %d", tt.page, tt.rows)
		assert.Equal(t, tt.pages, tb.Pages)
		require.Len(t, tb.Rows, tt.shown)
		assert.Equal(t, strconv.Itoa(tt.first), tb.Rows[0].Subject)
		assert.Equal(t, tt.wantPrev, tb.PrevPage)
		assert.Equal(t, tt.wantNx, tb.NextPage)
	}
}

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/chromium"
	"github.com/steward-sh/steward/internal/htmltest"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/report"
)

// startGenerated runs the daemon on SQLite over the default generated
// dataset (ending 2026-01-01T00:00:00Z).
func startGenerated(t *testing.T) *daemon {
	t.Helper()
	o := generate.DefaultOptions()
	dsn := filepath.Join(t.TempDir(), "steward.db")
	text := strings.Replace(string(generate.Config(o)), "dsn: steward.db", "dsn: "+strconv.Quote(dsn), 1)
	cfg, err := config.Parse([]byte(text))
	require.NoError(t, err)
	incidents, changes := generate.Records(cfg, o)
	st, err := store.Open(context.Background(), "sqlite", dsn, nil)
	require.NoError(t, err)
	require.NoError(t, st.Write(context.Background(), record.Batch{Incidents: incidents, Changes: changes}))
	require.NoError(t, st.Close())
	return startDaemonWith(t, "sqlite", dsn, text, 0)
}

const generatedAt = "2026-01-01T00:00:00Z"

type apiCard struct {
	Role    string   `json:"role"`
	Subject string   `json:"subject"`
	Score   *float64 `json:"score"`
	KPIs    map[string]struct {
		Value *float64 `json:"value"`
	} `json:"kpis"`
}

func apiCards(t *testing.T, d *daemon, query string) []apiCard {
	t.Helper()
	code, raw := d.get(t, "/api/v1/scorecards?"+query)
	require.Equal(t, http.StatusOK, code, string(raw))
	var v struct{ Scorecards []apiCard }
	require.NoError(t, json.Unmarshal(raw, &v))
	return v.Scorecards
}

func parseDOM(t *testing.T, dom []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(dom))
	require.NoError(t, err)
	return doc
}

// The UI, rendered by headless Chromium, shows the same scores and KPI
// values as the scorecards API, and its screenshot is a real page.
func TestUIInBrowser(t *testing.T) {
	br := chromium.Find(t)
	d := startGenerated(t)
	at := url.QueryEscape(generatedAt)
	cards := apiCards(t, d, "role=system_owner&window=30d&at="+at)
	require.NotEmpty(t, cards)
	want := cards[0]
	for _, c := range cards { // the subject with the most to show
		if c.Score != nil && (want.Score == nil || len(c.KPIs) >= len(want.KPIs)) {
			want = c
			break
		}
	}
	require.NotNil(t, want.Score, "the generated data gives owners a score")

	t.Run("overview", func(t *testing.T) {
		doc := parseDOM(t, br.DumpDOM(t, d.url+"/?window=30d&at="+at))
		found := 0
		for _, link := range htmltest.WithAttr(doc, "href") {
			href, _ := htmltest.Attr(link, "href")
			if !strings.HasPrefix(href, "/ui/subject/system_owner/"+want.Subject+"?") {
				continue
			}
			row := link.Parent.Parent // a > th > tr
			scores := htmltest.WithAttr(row, "data-score")
			require.Len(t, scores, 1)
			assert.Equal(t, report.Score(want.Score), htmltest.Text(scores[0]))
			found++
		}
		assert.Equal(t, 1, found, "one overview row for system_owner %s", want.Subject)
		all := apiCards(t, d, "window=30d&at="+at)
		assert.Len(t, htmltest.WithAttr(doc, "data-score"), len(all), "a row per scorecard of every role")
	})

	page := d.url + "/ui/subject/system_owner/" + want.Subject + "?window=30d&at=" + at
	t.Run("subject page", func(t *testing.T) {
		doc := parseDOM(t, br.DumpDOM(t, page))
		scores := htmltest.WithAttr(doc, "data-score")
		require.Len(t, scores, 1)
		assert.Equal(t, report.Score(want.Score), htmltest.Text(scores[0]))
		shown := map[string]*html.Node{}
		for _, n := range htmltest.WithAttr(doc, "data-kpi") {
			k, _ := htmltest.Attr(n, "data-kpi")
			shown[k] = n
		}
		assert.Len(t, shown, len(want.KPIs), "a tile per KPI of the role")
		for name, kv := range want.KPIs {
			n, ok := shown[name]
			if !assert.True(t, ok, "tile for %s", name) {
				continue
			}
			assert.Equal(t, report.Value(name, kv.Value), htmltest.Text(n), name)
			raw, _ := htmltest.Attr(n, "data-value")
			if kv.Value == nil {
				assert.Empty(t, raw, name)
				continue
			}
			got, err := strconv.ParseFloat(raw, 64)
			require.NoError(t, err, name)
			assert.InDelta(t, *kv.Value, got, 1e-9*max(1, *kv.Value), name)
		}
		sparks := 0
		for _, n := range htmltest.WithAttr(doc, "role") {
			if role, _ := htmltest.Attr(n, "role"); role == "img" && n.Data == "svg" {
				label, _ := htmltest.Attr(n, "aria-label")
				assert.Contains(t, label, "Trend of ")
				sparks++
			}
		}
		assert.Equal(t, len(want.KPIs), sparks, "a labelled trend line per KPI")
	})

	t.Run("screenshot", func(t *testing.T) {
		img, path := br.Screenshot(t, page, 1280, 1600)
		assert.Equal(t, 1280, img.Bounds().Dx())
		assert.Greater(t, chromium.Variance(img), 100.0, "the screenshot at %s is not blank", path)
		if dir := os.Getenv("STEWARD_SCREENSHOTS"); dir != "" {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("subject-%s.png", want.Subject)), data, 0o644))
		}
	})
}

// Every page of the UI, rendered by headless Chromium at 1280 px: each
// shows what a review meeting asks about (issue 16, point 7), and each
// screenshot is a real page (STEWARD_SCREENSHOTS=dir keeps them).
func TestUIPagesInBrowser(t *testing.T) {
	br := chromium.Find(t)
	d := startGenerated(t)
	at := url.QueryEscape(generatedAt)
	cards := apiCards(t, d, "role=system_owner&window=30d&at="+at)
	require.NotEmpty(t, cards)
	owner := cards[0].Subject
	systems := apiCards(t, d, "role=system&window=30d&at="+at)
	require.NotEmpty(t, systems)
	code, out := d.post(t, "/api/v1/reviews", "application/json", `{"role":"system_owner","subject":"`+owner+`","period":"2025-Q4"}`)
	require.Equal(t, http.StatusOK, code, out)

	pages := []struct {
		name, path string
		height     int
		want       []string // text the rendered page shows
	}{
		{"overview", "/ui/?window=30d&at=" + at, 1400, []string{"Scored KPIs", "Not scored: no objective", "100 × ("}},
		{"subject", "/ui/subject/system_owner/" + owner + "?window=30d&at=" + at, 1600,
			[]string{"KPIs with an objective and a value", "Scored KPIs (", "Not scored: no objective (", "2025-12-"}},
		// the evidence tables of the whole organisation: at most 100 rows
		// each, the most recent first, with the whole counts
		{"global", "/ui/subject/global/all?window=90d&at=" + at, 12500,
			[]string{"Evidence", "Incidents opened or resolved in the period or open at its end (", "The latest 100 of", "the most recent first"}},
		{"system", "/ui/system/" + systems[0].Subject, 700, []string{"Owner history of " + systems[0].Subject}},
		{"report-form", "/ui/report", 800, []string{"Role", "Subject", "Period", "(last quarter)", "Show review"}},
		{"report", "/ui/report?role=system_owner&subject=" + owner + "&period=2025-Q4", 1600,
			[]string{"KPIs with an objective and a value", "Scored KPIs of system_owner " + owner, "frozen as version 1"}},
		{"reviews", "/ui/reviews", 700, []string{"Frozen reviews (1)", "2025-Q4 system_owner " + owner + " version 1", "unchanged"}},
		{"frozen", "/ui/review?role=system_owner&subject=" + owner + "&period=2025-Q4&version=1", 1400,
			[]string{"version 1 of 1", "Frozen on", "KPIs with an objective and a value"}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			code, _ := d.get(t, p.path)
			require.Equal(t, http.StatusOK, code, p.path)
			doc := parseDOM(t, br.DumpDOM(t, d.url+p.path))
			text := words(doc)
			for _, w := range p.want {
				assert.Contains(t, text, w, p.path)
			}
			img, path := br.Screenshot(t, d.url+p.path, 1280, p.height)
			assert.Equal(t, 1280, img.Bounds().Dx())
			assert.Greater(t, chromium.Variance(img), 100.0, "the screenshot at %s is not blank", path)
			if dir := os.Getenv("STEWARD_SCREENSHOTS"); dir != "" {
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, p.name+".png"), data, 0o644))
			}
		})
	}

	t.Run("raci", func(t *testing.T) {
		// the example config's matrix, which breaks rules on purpose
		raw, err := os.ReadFile("../../examples/steward.yml")
		require.NoError(t, err)
		dsn := filepath.Join(t.TempDir(), "steward.db")
		ex := startDaemonWith(t, "sqlite", dsn, strings.Replace(string(raw), "dsn: steward.db", "dsn: "+strconv.Quote(dsn), 1), 0)
		page := ex.url + "/ui/raci?at=2026-10-01"
		doc := parseDOM(t, br.DumpDOM(t, page))
		text := words(doc)
		assert.Contains(t, text, "Violations (3)")
		assert.Contains(t, text, "Warnings (5)")
		assert.Contains(t, text, "System incident-response security-patching capacity payments-api A bob (owner) R engineering I service-desk")
		marked := map[string]int{}
		for _, n := range htmltest.WithAttr(doc, "class") {
			if c, _ := htmltest.Attr(n, "class"); n.Data == "td" {
				marked[c]++
			}
		}
		assert.Equal(t, 3, marked["cell-violation"])
		assert.Equal(t, 4, marked["cell-warning"])
		img, path := br.Screenshot(t, page, 1280, 1500)
		assert.Greater(t, chromium.Variance(img), 100.0, "the screenshot at %s is not blank", path)
		if dir := os.Getenv("STEWARD_SCREENSHOTS"); dir != "" {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "raci.png"), data, 0o644))
		}
	})

	t.Run("trend points", func(t *testing.T) {
		doc := parseDOM(t, br.DumpDOM(t, d.url+"/ui/subject/system_owner/"+owner+"?window=30d&at="+at))
		var titles []string
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "circle" && n.FirstChild != nil && n.FirstChild.Data == "title" {
				titles = append(titles, htmltest.Text(n.FirstChild))
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		require.NotEmpty(t, titles)
		for _, title := range titles {
			assert.Regexp(t, `^\d{4}-\d{2}-\d{2}( \d{2}:\d{2})? – \d{4}-\d{2}-\d{2}( \d{2}:\d{2})?: .+$`, title)
		}
	})
}

// words is the text of a document, a space between text nodes, white
// space folded.
func words(n *html.Node) string {
	var parts []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "style" || n.Data == "script" || n.Data == "title" && n.Parent != nil && n.Parent.Data == "head") {
			return
		}
		if n.Type == html.TextNode {
			parts = append(parts, n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

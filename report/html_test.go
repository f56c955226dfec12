package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/steward-sh/steward/internal/chromium"
	"github.com/steward-sh/steward/internal/htmltest"
	"github.com/steward-sh/steward/scorecard"
)

// accessible checks the structure screen readers rely on.
func accessible(t *testing.T, doc *html.Node) {
	t.Helper()
	htmls := htmltest.FindAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Html })
	require.Len(t, htmls, 1)
	lang, _ := htmltest.Attr(htmls[0], "lang")
	assert.Equal(t, "en", lang)
	assert.Len(t, htmltest.FindAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Title && n.Parent.DataAtom == atom.Head }), 1)
	assert.Len(t, htmltest.FindAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.H1 }), 1)
	assert.Empty(t, htmltest.FindAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Script }), "no JavaScript")
	for _, table := range htmltest.FindAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Table }) {
		caption := htmltest.FindAll(table, func(n *html.Node) bool { return n.DataAtom == atom.Caption })
		require.Len(t, caption, 1, "every table has a caption")
		assert.NotEmpty(t, htmltest.Text(caption[0]))
		for _, th := range htmltest.FindAll(table, func(n *html.Node) bool { return n.DataAtom == atom.Th }) {
			scope, ok := htmltest.Attr(th, "scope")
			assert.True(t, ok && (scope == "col" || scope == "row"), "th %q has a scope", htmltest.Text(th))
		}
	}
	for _, svg := range htmltest.FindAll(doc, func(n *html.Node) bool { return n.Data == "svg" }) {
		role, _ := htmltest.Attr(svg, "role")
		label, _ := htmltest.Attr(svg, "aria-label")
		assert.Equal(t, "img", role)
		assert.NotEmpty(t, label)
	}
}

func TestHTMLReport(t *testing.T) {
	b, _ := scenario(t)
	rep, err := b.Build(context.Background(), Request{Role: scorecard.RoleSystemOwner, Period: scenarioPeriod(t)})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, Write(&out, rep, "html"))
	htmltest.WellFormed(t, out.Bytes())
	doc, err := html.Parse(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	accessible(t, doc)
	assert.NotContains(t, out.String(), "<link", "self-contained: no external stylesheet")
	assert.NotContains(t, out.String(), "src=", "self-contained: nothing loaded")

	sections := htmltest.FindAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Section })
	require.Len(t, sections, 3)
	scores := htmltest.FindAll(sections[2], func(n *html.Node) bool { _, ok := htmltest.Attr(n, "data-score"); return ok })
	require.Len(t, scores, 1)
	assert.Equal(t, "25.0", htmltest.Text(scores[0]), "carol")
	cells := map[string]string{}
	for _, td := range htmltest.FindAll(sections[2], func(n *html.Node) bool { _, ok := htmltest.Attr(n, "data-kpi"); return ok }) {
		k, _ := htmltest.Attr(td, "data-kpi")
		cells[k] = htmltest.Text(td)
	}
	assert.Equal(t, "4h 0m", cells["downtime_seconds"])
	assert.Equal(t, "0.0 %", cells["change_success_ratio"])
	assert.Equal(t, "no data", cells["mttr_seconds"])
	sparks := htmltest.FindAll(sections[0], func(n *html.Node) bool { return n.Data == "svg" })
	assert.Len(t, sparks, len(rep.Subjects[0].KPIs), "a trend line per KPI")

	// and it renders in a real browser
	br := chromium.Find(t)
	file := filepath.Join(t.TempDir(), "review.html")
	require.NoError(t, os.WriteFile(file, out.Bytes(), 0o600))
	dom := br.DumpDOM(t, "file://"+file)
	rendered, err := html.Parse(bytes.NewReader(dom))
	require.NoError(t, err)
	h1 := htmltest.FindAll(rendered, func(n *html.Node) bool { return n.DataAtom == atom.H1 })
	require.Len(t, h1, 1)
	assert.Equal(t, "Performance review 2026-01-01/2026-01-11", htmltest.Text(h1[0]))
	assert.Len(t, htmltest.FindAll(rendered, func(n *html.Node) bool { return n.DataAtom == atom.Table }),
		len(htmltest.FindAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Table })))
	img, path := br.Screenshot(t, "file://"+file, 1280, 1600)
	assert.Greater(t, chromium.Variance(img), 100.0, "the screenshot at %s is not blank", path)
	if dir := os.Getenv("STEWARD_SCREENSHOTS"); dir != "" {
		data, _ := os.ReadFile(path)
		_ = os.WriteFile(filepath.Join(dir, "report.png"), data, 0o644)
	}
}

package report

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/steward-sh/steward/internal/chromium"
	"github.com/steward-sh/steward/scorecard"
)

// voidElements never have an end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// wellFormed checks that every element is closed, in order: the browser's
// error recovery must never be what makes the page look right. SVG
// children may be self-closing.
func wellFormed(t *testing.T, doc []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(doc))
	var stack []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			require.ErrorIs(t, z.Err(), io.EOF)
			require.Empty(t, stack, "unclosed elements")
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			if !voidElements[string(name)] {
				stack = append(stack, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			require.NotEmpty(t, stack, "stray </%s>", name)
			require.Equal(t, stack[len(stack)-1], string(name), "mismatched end tag, open: %v", stack)
			stack = stack[:len(stack)-1]
		}
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// accessible checks the structure screen readers rely on.
func accessible(t *testing.T, doc *html.Node) {
	t.Helper()
	htmls := findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Html })
	require.Len(t, htmls, 1)
	lang, _ := attr(htmls[0], "lang")
	assert.Equal(t, "en", lang)
	assert.Len(t, findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Title && n.Parent.DataAtom == atom.Head }), 1)
	assert.Len(t, findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.H1 }), 1)
	assert.Empty(t, findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Script }), "no JavaScript")
	for _, table := range findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Table }) {
		caption := findAll(table, func(n *html.Node) bool { return n.DataAtom == atom.Caption })
		require.Len(t, caption, 1, "every table has a caption")
		assert.NotEmpty(t, text(caption[0]))
		for _, th := range findAll(table, func(n *html.Node) bool { return n.DataAtom == atom.Th }) {
			scope, ok := attr(th, "scope")
			assert.True(t, ok && (scope == "col" || scope == "row"), "th %q has a scope", text(th))
		}
	}
	for _, svg := range findAll(doc, func(n *html.Node) bool { return n.Data == "svg" }) {
		role, _ := attr(svg, "role")
		label, _ := attr(svg, "aria-label")
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
	wellFormed(t, out.Bytes())
	doc, err := html.Parse(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	accessible(t, doc)
	assert.NotContains(t, out.String(), "<link", "self-contained: no external stylesheet")
	assert.NotContains(t, out.String(), "src=", "self-contained: nothing loaded")

	sections := findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Section })
	require.Len(t, sections, 3)
	scores := findAll(sections[2], func(n *html.Node) bool { _, ok := attr(n, "data-score"); return ok })
	require.Len(t, scores, 1)
	assert.Equal(t, "25.0", text(scores[0]), "carol")
	cells := map[string]string{}
	for _, td := range findAll(sections[2], func(n *html.Node) bool { _, ok := attr(n, "data-kpi"); return ok }) {
		k, _ := attr(td, "data-kpi")
		cells[k] = text(td)
	}
	assert.Equal(t, "4h 0m", cells["downtime_seconds"])
	assert.Equal(t, "0.0 %", cells["change_success_ratio"])
	assert.Equal(t, "no data", cells["mttr_seconds"])
	sparks := findAll(sections[0], func(n *html.Node) bool { return n.Data == "svg" })
	assert.Len(t, sparks, len(rep.Subjects[0].KPIs), "a trend line per KPI")

	// and it renders in a real browser
	br := chromium.Find(t)
	file := filepath.Join(t.TempDir(), "review.html")
	require.NoError(t, os.WriteFile(file, out.Bytes(), 0o600))
	dom := br.DumpDOM(t, "file://"+file)
	rendered, err := html.Parse(bytes.NewReader(dom))
	require.NoError(t, err)
	h1 := findAll(rendered, func(n *html.Node) bool { return n.DataAtom == atom.H1 })
	require.Len(t, h1, 1)
	assert.Equal(t, "Performance review 2026-01-01/2026-01-11", text(h1[0]))
	assert.Len(t, findAll(rendered, func(n *html.Node) bool { return n.DataAtom == atom.Table }),
		len(findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Table })))
	img, path := br.Screenshot(t, "file://"+file, 1280, 1600)
	assert.Greater(t, chromium.Variance(img), 100.0, "the screenshot at %s is not blank", path)
	if dir := os.Getenv("STEWARD_SCREENSHOTS"); dir != "" {
		data, _ := os.ReadFile(path)
		_ = os.WriteFile(filepath.Join(dir, "report.png"), data, 0o644)
	}
}

package htmltest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

func TestWellFormed(t *testing.T) {
	for _, tc := range []struct {
		doc string
		ok  bool
	}{
		{`<html><body><p>a<br>b</p><svg><path d="M0"/></svg></body></html>`, true},
		{`<html><body><p>a</body></html>`, false},
		{`<html><body><b><i>a</b></i></body></html>`, false},
		{`<html><body></p></body></html>`, false},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			rec := &recorder{T: t}
			func() {
				defer func() { _ = recover() }() // FailNow of the recorder
				WellFormed(rec, []byte(tc.doc))
			}()
			assert.Equal(t, !tc.ok, rec.failed)
		})
	}
}

// recorder notes a failure instead of failing the test.
type recorder struct {
	*testing.T
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) FailNow()              { r.failed = true; panic("failed") }

func TestFind(t *testing.T) {
	doc, err := html.Parse(strings.NewReader(`<div id="a"><span data-kpi="x"> one </span><span>two <b data-kpi="y">three</b></span></div>`))
	require.NoError(t, err)
	kpis := WithAttr(doc, "data-kpi")
	require.Len(t, kpis, 2)
	v, ok := Attr(kpis[1], "data-kpi")
	assert.True(t, ok)
	assert.Equal(t, "y", v)
	_, ok = Attr(kpis[1], "id")
	assert.False(t, ok)
	assert.Equal(t, "one", Text(kpis[0]))
	spans := FindAll(doc, func(n *html.Node) bool { return n.Data == "span" })
	require.Len(t, spans, 2)
	assert.Equal(t, "two three", Text(spans[1]))
}

// Package htmltest holds what tests of Steward's pages and HTML reports
// ask of a document: that it is well formed, and its elements, attributes
// and text.
package htmltest

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// voidElements never have an end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// WellFormed checks that every element of doc is closed, in order: the
// browser's error recovery must never be what makes a page look right.
// SVG children may be self-closing.
func WellFormed(t testing.TB, doc []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(doc))
	var stack []string
	for {
		switch z.Next() {
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

// Attr returns the value of n's attribute key, and whether it has one.
func Attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// FindAll lists the elements under n (n included) that match, in
// document order.
func FindAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
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

// WithAttr lists the elements under n carrying attribute key, in
// document order.
func WithAttr(n *html.Node, key string) []*html.Node {
	return FindAll(n, func(n *html.Node) bool { _, ok := Attr(n, key); return ok })
}

// Text is the text under n, trimmed.
func Text(n *html.Node) string {
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

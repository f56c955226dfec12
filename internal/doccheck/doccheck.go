// Package doccheck checks the project's Markdown documentation: every
// relative link resolves to a file of the repository (and a heading of
// it, when the link names one), and nothing links outside the repository
// but absolute https URLs. Its tests run it over README.md,
// CONTRIBUTING.md and docs/.
package doccheck

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

var (
	// inlineLink is [text](target) and ![alt](target); the target ends at
	// the first space (a title may follow) or closing parenthesis.
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// refDef is a reference definition: [label]: target.
	refDef   = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	autoLink = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]+)>`)
	codeSpan = regexp.MustCompile("`+[^`]*`+")
	heading  = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
)

// Link is one link of a Markdown file.
type Link struct {
	File, Target string
	Line         int
}

// Links returns the links of a Markdown text, outside fenced code blocks
// and code spans.
func Links(file, text string) []Link {
	var links []Link
	fence := ""
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, re := range []*regexp.Regexp{inlineLink, refDef, autoLink} {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				links = append(links, Link{File: file, Target: m[1], Line: i + 1})
			}
		}
	}
	return links
}

// Anchors returns the anchors GitHub gives the headings of a Markdown
// text: lower case, punctuation dropped, spaces as hyphens, and -1, -2...
// after a repeated one.
func Anchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	fence := ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := Slug(m[2])
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	}
	return anchors
}

// mdLink is a link inside a heading: its text stays, its target goes.
var mdLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// Slug is GitHub's anchor for a heading's text.
func Slug(text string) string {
	text = mdLink.ReplaceAllString(text, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Check returns a problem per link of the files (paths relative to root)
// that leaves the repository, is not https, or names a file or heading
// that does not exist.
func Check(root string, files []string) ([]string, error) {
	texts := map[string]string{}
	read := func(rel string) (string, error) {
		if t, ok := texts[rel]; ok {
			return t, nil
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return "", err
		}
		texts[rel] = string(b)
		return string(b), nil
	}
	var problems []string
	for _, file := range files {
		text, err := read(file)
		if err != nil {
			return nil, err
		}
		for _, l := range Links(file, text) {
			if p := checkLink(root, l, read); p != "" {
				problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", l.File, l.Line, l.Target, p))
			}
		}
	}
	return problems, nil
}

func checkLink(root string, l Link, read func(string) (string, error)) string {
	u, err := url.Parse(l.Target)
	if err != nil {
		return "not a URL: " + err.Error()
	}
	if u.Scheme != "" || u.Host != "" {
		if u.Scheme != "https" {
			return "an absolute link must be https"
		}
		return ""
	}
	target := l.File
	if u.Path != "" {
		if strings.HasPrefix(u.Path, "/") {
			return "an absolute path; link relative to the file"
		}
		target = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(l.File), u.Path)))
		if target == ".." || strings.HasPrefix(target, "../") {
			return "leaves the repository"
		}
		info, err := os.Stat(filepath.Join(root, filepath.FromSlash(target)))
		if err != nil {
			return "no such file in the repository"
		}
		if info.IsDir() {
			if u.Fragment != "" {
				return "an anchor on a directory"
			}
			return ""
		}
	}
	if u.Fragment == "" {
		return ""
	}
	if !strings.HasSuffix(target, ".md") {
		return "an anchor in a file that is not Markdown"
	}
	text, err := read(target)
	if err != nil {
		return err.Error()
	}
	if !Anchors(text)[u.Fragment] {
		return fmt.Sprintf("%s has no heading with anchor #%s", target, u.Fragment)
	}
	return ""
}

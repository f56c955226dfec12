package doccheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const root = "../.."

// docs lists the documentation the links are checked in: the README,
// CONTRIBUTING.md and every page under docs/ but the drafts in
// docs/pending, which are placed before they are published.
func docs(t *testing.T) []string {
	files := []string{"README.md", "CONTRIBUTING.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() && rel == "docs/pending" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(rel, ".md") {
			files = append(files, rel)
		}
		return nil
	})
	require.NoError(t, err)
	return files
}

func TestDocumentationLinksResolve(t *testing.T) {
	files := docs(t)
	require.Greater(t, len(files), 10, "README, CONTRIBUTING and the pages of docs/")
	problems, err := Check(root, files)
	require.NoError(t, err)
	assert.Empty(t, problems, strings.Join(problems, "\n"))
}

// Every page of docs/ is reachable from the README, directly or through
// other pages, so nothing moved out of the README is lost to readers.
func TestEveryPageIsReachableFromTheReadme(t *testing.T) {
	files := docs(t)
	reached := map[string]bool{"README.md": true}
	queue := []string{"README.md"}
	for len(queue) > 0 {
		file := queue[0]
		queue = queue[1:]
		text, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			continue // a broken link: TestDocumentationLinksResolve names it
		}
		for _, l := range Links(file, string(text)) {
			path, _, _ := strings.Cut(l.Target, "#")
			if path == "" || strings.Contains(path, ":") || !strings.HasSuffix(path, ".md") {
				continue
			}
			target := filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(file), path)))
			if !reached[target] {
				reached[target] = true
				queue = append(queue, target)
			}
		}
	}
	for _, f := range files {
		assert.True(t, reached[f], "%s is not reachable from README.md", f)
	}
}

// Nothing the documentation says should send a reader to a file outside
// the repository (a sibling specification, ../shared): the repository's
// own pages hold what users need.
func TestDocumentationStaysInTheRepository(t *testing.T) {
	for _, file := range docs(t) {
		text, err := os.ReadFile(filepath.Join(root, file))
		require.NoError(t, err)
		for i, line := range strings.Split(string(text), "\n") {
			assert.NotContains(t, line, "../shared", "%s:%d", file, i+1)
			assert.NotRegexp(t, `\bSPEC\b`, line, "%s:%d: the docs state what the specification says rather than cite it", file, i+1)
		}
	}
}

func TestCheckFindsBrokenLinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	write("docs/a.md", "# Page A\n\n## Vendor webhooks (`/hooks/<vendor>`)\n\n## Limits\n\n## Limits\n")
	write("README.md", strings.Join([]string{
		"[ok](docs/a.md) [ok](docs/a.md#page-a) [ok](docs/a.md#vendor-webhooks-hooksvendor)",
		"[ok](docs/a.md#limits-1) [ok](docs/) [ok](https://prometheus.io/docs/) [ok](#top)",
		"[missing file](docs/b.md)",
		"[missing anchor](docs/a.md#nope)",
		"[outside](../shared/SPEC.md)",
		"[plain http](http://example.com/)",
		"[absolute path](/docs/a.md)",
		"[anchor on dir](docs/#x)",
		"`[in code](nowhere.md)`",
		"```",
		"[in a fence](nowhere.md)",
		"```",
		"[ref]: docs/c.md",
		"# Top",
	}, "\n"))
	problems, err := Check(dir, []string{"README.md"})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"README.md:3: docs/b.md: no such file in the repository",
		"README.md:4: docs/a.md#nope: docs/a.md has no heading with anchor #nope",
		"README.md:5: ../shared/SPEC.md: leaves the repository",
		"README.md:6: http://example.com/: an absolute link must be https",
		"README.md:7: /docs/a.md: an absolute path; link relative to the file",
		"README.md:8: docs/#x: an anchor on a directory",
		"README.md:13: docs/c.md: no such file in the repository",
	}, problems)
}

func TestSlug(t *testing.T) {
	for _, tt := range []struct{ heading, slug string }{
		{"Vendor webhooks (`/hooks/<vendor>`)", "vendor-webhooks-hooksvendor"},
		{"Push (`--push.url`, `--push.interval`)", "push---pushurl---pushinterval"},
		{"SQLite or PostgreSQL: where the line is", "sqlite-or-postgresql-where-the-line-is"},
		{"`steward import`", "steward-import"},
		{"Durability: nothing acknowledged is lost", "durability-nothing-acknowledged-is-lost"},
		{"See [the API](api.md)", "see-the-api"},
	} {
		assert.Equal(t, tt.slug, Slug(tt.heading), tt.heading)
	}
}

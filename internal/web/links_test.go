package web

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
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

// TestLinksEscapeIDs stores incidents of teams whose names hold path,
// query and fragment characters: the overview links each to its own page,
// and following the link shows that team.
func TestLinksEscapeIDs(t *testing.T) {
	ctx := context.Background()
	cfg := scenario.Config(t)
	db, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "s.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	teams := []string{"a/b", "x?role=system", "#1", "../../-/reload", "50%"}
	opened := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
	var b record.Batch
	for i, team := range teams {
		b.Incidents = append(b.Incidents, record.Incident{Source: "api", ID: fmt.Sprint("I", i), System: cfg.Systems[0].ID,
			Team: team, Severity: 2, Impact: record.ImpactNone, OpenedAt: opened})
	}
	require.NoError(t, db.Write(ctx, b))
	eng := scorecard.New(scorecard.Options{Store: db, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
	ui := New(Options{Engine: eng, Reports: &report.Builder{Engine: eng, Now: time.Now},
		Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
	s := httptest.NewServer(ui)
	t.Cleanup(s.Close)

	code, page := get(t, s.URL+"/ui/?role=team")
	require.Equal(t, http.StatusOK, code, page)
	links := map[string]string{} // team → href
	for _, m := range regexp.MustCompile(`<a href="(/ui/subject/team/[^"]*)">([^<]*)</a>`).FindAllStringSubmatch(page, -1) {
		links[html.UnescapeString(m[2])] = html.UnescapeString(m[1])
	}
	for _, team := range teams {
		href, ok := links[team]
		require.True(t, ok, "a link for team %q in %v", team, links)
		assert.Regexp(t, `^/ui/subject/team/[^/?#]+(\?|$)`, href, "team %q: one path segment, no query or fragment of its own", team)
		code, body := get(t, s.URL+href)
		assert.Equal(t, http.StatusOK, code, "team %q at %s", team, href)
		assert.Contains(t, body, html.EscapeString(team), "team %q's own page", team)
	}
}

// TestReportOutsideTheWritableYears asks for a JSON review of 0001, whose
// comparison period has no RFC 3339 form: a clear 400, not a 200 cut short.
func TestReportOutsideTheWritableYears(t *testing.T) {
	s := server(t, "")
	system := scenario.Config(t).Systems[0].ID
	code, body := get(t, s.URL+"/ui/report?role=system&subject="+system+"&period=0001&format=json")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "within the years 0001 to 9999")
}

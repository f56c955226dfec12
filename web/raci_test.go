package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
	"github.com/steward-sh/steward/store"
)

// The accountability matrix page of the example config, whole and as one
// person's view.
func TestRACIPage(t *testing.T) {
	cfg, err := config.Load("../examples/steward.yml")
	require.NoError(t, err)
	db, err := store.Open(t.Context(), "sqlite", filepath.Join(t.TempDir(), "s.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	eng := scorecard.New(scorecard.Options{Store: db, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
	ui := New(Options{Engine: eng, Reports: &report.Builder{Engine: eng, Archive: archive{db}},
		Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
	s := httptest.NewServer(ui)
	t.Cleanup(s.Close)

	code, body := get(t, s.URL+"/ui/raci?at=2026-10-01")
	require.Equal(t, http.StatusOK, code, body)
	text := squash(body)
	assert.Contains(t, text, "system payments-api capacity engineering carol alice –")
	assert.Contains(t, text, "system payments-api incident-response engineering bob (owner) – service-desk")
	assert.Contains(t, text, "system legacy-reporting incident-response engineering nobody – service-desk")
	assert.Contains(t, text, "process incident post-incident-review windy , guy , bob , hana davis (owner)")
	assert.Contains(t, text, "violation : system legacy-reporting: activity incident-response has nobody Accountable")
	assert.Equal(t, 6*3+2, strings.Count(body, `<tr><th scope="row">`), "6 systems × 3 system activities + 2 process rows")

	code, body = get(t, s.URL+"/ui/raci?at=2026-10-01&person=bob")
	require.Equal(t, http.StatusOK, code)
	text = squash(body)
	assert.Contains(t, text, "What bob is R, A, C or I for")
	assert.Contains(t, text, "system payments-api incident-response A")
	assert.Contains(t, text, "system message-bus incident-response C")
	assert.Contains(t, text, "process change change-approval R")

	code, _ = get(t, s.URL+"/ui/raci?at=yesterday")
	assert.Equal(t, http.StatusBadRequest, code)
}

var tags = regexp.MustCompile(`<[^>]+>`)

// squash is a page's text with tags removed and white space folded.
func squash(html string) string {
	return strings.Join(strings.Fields(tags.ReplaceAllString(html, " ")), " ")
}

package web

import (
	"html"
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
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

// The accountability matrix page of the example config, whole and as one
// person's view.
func TestRACIPage(t *testing.T) {
	cfg, err := config.Load("../../examples/steward.yml")
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
	// a matrix: systems (rows) by activities (columns), then processes
	assert.Contains(t, text, "System incident-response security-patching capacity payments-api "+
		"A bob (owner) R engineering I service-desk A bob (owner) R engineering A carol R engineering C alice checkout-web")
	assert.Contains(t, text, "legacy-reporting A nobody R engineering I service-desk A nobody R engineering A nobody R nobody Processes by activity")
	assert.Contains(t, text, "Process post-incident-review change-approval incident A davis (owner) R windy , guy , bob , hana")
	assert.Equal(t, 6+2, strings.Count(body, `<tr><th scope="row">`), "a row per system and per process")
	// violations apart from warnings, each cell marked by the worst it breaks
	violations, warnings := strings.Index(text, "Violations (3)"), strings.Index(text, "Warnings (5)")
	require.True(t, violations >= 0 && warnings > violations, text)
	assert.Contains(t, text[violations:warnings], "violation : system legacy-reporting: activity incident-response has nobody Accountable")
	assert.NotContains(t, text[violations:warnings], "nobody Responsible")
	assert.Contains(t, text[warnings:], "warning : system checkout-web: activity capacity has nobody Responsible")
	assert.Contains(t, body, `<section class="findings findings-violation"`)
	assert.Contains(t, body, `<section class="findings findings-warning"`)
	assert.Equal(t, 3, strings.Count(body, `<td class="cell-violation">`), "legacy-reporting's three activities")
	assert.Equal(t, 4, strings.Count(body, `<td class="cell-warning">`), "capacity without a Responsible, but legacy-reporting's is a violation")

	code, body = get(t, s.URL+"/ui/raci?at=2026-10-01&person=bob")
	require.Equal(t, http.StatusOK, code)
	text = squash(body)
	assert.Contains(t, text, "What bob is R, A, C or I for, per system and activity")
	assert.Contains(t, text, "System incident-response security-patching payments-api A A message-bus C")
	assert.Contains(t, text, "Process post-incident-review change-approval incident R n/a change n/a R")

	code, _ = get(t, s.URL+"/ui/raci?at=yesterday")
	assert.Equal(t, http.StatusBadRequest, code)
}

var tags = regexp.MustCompile(`<[^>]+>`)

// squash is a page's text with tags removed, entities decoded and white
// space folded.
func squash(page string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(page, " "))), " ")
}

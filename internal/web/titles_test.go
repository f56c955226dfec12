package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/enginetest"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

// askedFinder finds incidents in a store, titling them by their key, and
// remembers how many keys it was asked for.
type askedFinder struct {
	store scorecard.RecordFinder
	asked int
}

func (f *askedFinder) FindIncidents(ctx context.Context, keys []record.Ref) ([]record.Incident, error) {
	f.asked += len(keys)
	found, err := f.store.FindIncidents(ctx, keys)
	for i := range found {
		found[i].Title = "title of " + found[i].ID
	}
	return found, err
}

// The global subject's page lists more incidents than it shows rows; it
// fetches the titles of the rows its tables show (at most evidenceRows
// each of four tables of incidents), and only those.
func TestSubjectPageFetchesShownTitles(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 20, 15, 6000, 100
	g := enginetest.Loaded(t, o)
	cfg := func() *config.Config { return g.Config }
	// an engine whose store cannot find records, as the daemon's (counted)
	eng := scorecard.New(scorecard.Options{Store: struct{ record.Store }{g.Store}, Config: cfg,
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return o.To }})
	_, err := eng.Refresh(context.Background())
	require.NoError(t, err)
	f := &askedFinder{store: g.Store}
	ui := New(Options{Engine: eng, Reports: &report.Builder{Engine: eng, Now: time.Now}, Config: cfg,
		Logger: slog.New(slog.DiscardHandler), Titles: f})
	s := httptest.NewServer(ui)
	t.Cleanup(s.Close)
	res, err := http.Get(s.URL + "/ui/subject/global/all")
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	page := string(body)
	require.Contains(t, page, "The latest 100 of", "more incidents than rows")
	assert.GreaterOrEqual(t, f.asked, evidenceRows, "titles fetched")
	assert.LessOrEqual(t, f.asked, 4*evidenceRows, "titles fetched")
	assert.Equal(t, evidenceRows, strings.Count(page, "<td>title of "), "rows with their titles")
}

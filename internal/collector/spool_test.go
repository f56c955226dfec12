package collector

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/pgtest"
	"github.com/steward-sh/steward/internal/spool"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// spoolEnv is a webhook handler over a real store and a real spool.
type spoolEnv struct {
	st      *store.DB
	sp      *spool.Spool
	spooler *Spooler
	results map[string]int
	srv     *httptest.Server
}

// newSpoolEnv serves srcs at /hooks/<name>, spooling the deliveries of
// the sources named in held.
func newSpoolEnv(t *testing.T, st *store.DB, sp *spool.Spool, held []string, srcs ...Source) *spoolEnv {
	t.Helper()
	e := &spoolEnv{st: st, sp: sp, results: map[string]int{}}
	byName := map[string]Source{}
	for _, s := range srcs {
		byName[s.Name] = s
	}
	e.spooler = NewSpooler(SpoolerOptions{
		Spool: sp, Store: st, Prior: st, Logger: slog.New(slog.DiscardHandler),
		Holds:   func(name string) bool { return contains(held, name) },
		Sources: func(name string) (Source, bool) { s, ok := byName[name]; return s, ok },
		Counted: func(result string) { e.results[result]++ },
	})
	mux := http.NewServeMux()
	for _, s := range srcs {
		mux.Handle("/hooks/"+s.Name, Handler(func() (Source, bool) { return s, true },
			Options{Store: st, Logger: slog.New(slog.DiscardHandler), Spooler: e.spooler}))
	}
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func openSpool(t *testing.T, o spool.Options) *spool.Spool {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	sp, err := spool.Open(o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sp.Close() })
	return sp
}

func openSQLite(t *testing.T, path string) *store.DB {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite", path, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// post sends body with headers (name, value pairs): status, answer and
// the Retry-After header.
func (e *spoolEnv) post(t *testing.T, path string, body []byte, headers ...string) (int, Answer, string) {
	t.Helper()
	code, a, hdr := postJSON(t, e.srv.URL+path, body, headers...)
	return code, a, hdr.Get("Retry-After")
}

// github posts a signed GitHub delivery.
func (e *spoolEnv) github(t *testing.T, event string, body []byte) (int, Answer) {
	t.Helper()
	code, a, _ := e.post(t, "/hooks/github", body, "X-GitHub-Event", event, "X-Hub-Signature-256", "sha256="+hmacHex("gh-secret", body))
	return code, a
}

func (e *spoolEnv) queued(t *testing.T) int {
	t.Helper()
	n, _ := e.sp.Len()
	return n
}

// ghDeliveries are a deployment and its statuses, from GitHub's own
// payloads, in the order GitHub sends them. Applied in another order the
// change would not have started when it went in progress.
func ghDeliveries(t *testing.T) (events []string, bodies [][]byte) {
	status := hookFixture(t, "github/deployment_status/payload.json")
	at := func(state, created string) []byte {
		return editJSON(t, status, func(doc map[string]any) {
			st := doc["deployment_status"].(map[string]any)
			st["state"], st["created_at"] = state, created
		})
	}
	return []string{"deployment", "deployment_status", "deployment_status"},
		[][]byte{hookFixture(t, "github/deployment/payload.json"), at("in_progress", "2019-05-15T15:20:54Z"), status}
}

// During a PostgreSQL outage GitHub deliveries (GitHub does not deliver
// again) are answered 202 and spooled, Alertmanager's (it retries) 503;
// once the database is back the spool drains in order, quarantining the
// malformed delivery, and the spool's position is committed with them.
func TestSpoolDuringOutage(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	st, err := store.Open(context.Background(), "postgres", dsn, nil)
	require.NoError(t, err)
	defer st.Close()
	sp := openSpool(t, spool.Options{})
	e := newSpoolEnv(t, st, sp, []string{"github"},
		GitHubSource(&config.Webhook{Secret: "gh-secret"}), AlertmanagerSource(&config.Webhook{Token: "am-token"}))
	events, bodies := ghDeliveries(t)

	restore := pgtest.Outage(t, dsn)
	for i := range bodies {
		code, a := e.github(t, events[i], bodies[i])
		require.Equal(t, http.StatusAccepted, code, "%+v", a)
		assert.True(t, a.Spooled)
	}
	code, a := e.github(t, "deployment", []byte(`{"deployment":{}}`))
	assert.Equal(t, http.StatusBadRequest, code, "malformed is still said to be malformed")
	assert.Equal(t, "malformed payload: deployment event without deployment.id", a.Error)
	code, _, retry := e.post(t, "/hooks/alertmanager", hookFixture(t, "alertmanager/alertmanager-bot/firing.json"), "Authorization", "Bearer am-token")
	assert.Equal(t, http.StatusServiceUnavailable, code, "Alertmanager retries: not spooled")
	assert.Equal(t, "5", retry)
	assert.Equal(t, 4, e.queued(t))
	assert.Equal(t, map[string]int{SpoolHeld: 4}, e.results)
	require.Error(t, e.spooler.Drain(context.Background()), "the store is still down")
	assert.Equal(t, 4, e.queued(t), "nothing leaves the spool while the store is down")

	restore()
	require.Eventually(t, func() bool { return e.spooler.Drain(context.Background()) == nil }, 10*time.Second, 50*time.Millisecond)
	assert.Zero(t, e.queued(t))
	all, err := st.Changes(context.Background(), 0, 10)
	require.NoError(t, err)
	require.Len(t, all, 1)
	c := all[0]
	assert.Equal(t, record.OutcomeSuccess, c.Outcome)
	assert.Equal(t, atp("2019-05-15T15:20:54Z"), c.StartedAt, "the statuses were applied in the order they came")
	q, err := st.Quarantined(context.Background(), 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, "malformed payload: deployment event without deployment.id", q[0].Error)
	cursor, err := st.Cursor(context.Background(), "spool/"+sp.ID())
	require.NoError(t, err)
	assert.Equal(t, "4", cursor)
	assert.Equal(t, 4, e.results[SpoolDrained])
	assert.Equal(t, 4, e.results[SpoolHeld])

	code, _ = e.github(t, events[2], bodies[2])
	assert.Equal(t, http.StatusOK, code, "with the spool empty and the store back, deliveries are stored at once")
}

// While deliveries wait in the spool, later ones queue behind them even
// though the store is back, so that no event overtakes an older one.
func TestSpoolKeepsOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "steward.db")
	down := openSQLite(t, path)
	require.NoError(t, down.Close())
	sp := openSpool(t, spool.Options{})
	gh := GitHubSource(&config.Webhook{Secret: "gh-secret"})
	events, bodies := ghDeliveries(t)
	before := newSpoolEnv(t, down, sp, []string{"github"}, gh)
	code, _ := before.github(t, events[0], bodies[0])
	require.Equal(t, http.StatusAccepted, code)

	up := openSQLite(t, path)
	after := newSpoolEnv(t, up, sp, []string{"github"}, gh)
	for i := 1; i < len(bodies); i++ {
		code, a := after.github(t, events[i], bodies[i])
		require.Equal(t, http.StatusAccepted, code)
		assert.True(t, a.Spooled)
	}
	require.NoError(t, after.spooler.Drain(context.Background()))
	all, err := up.Changes(context.Background(), 0, 10)
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, atp("2019-05-15T15:20:54Z"), all[0].StartedAt)
	assert.Equal(t, record.OutcomeSuccess, all[0].Outcome)
}

// A full spool is a clear 503, and the delivery is not kept.
func TestSpoolFull(t *testing.T) {
	down := openSQLite(t, filepath.Join(t.TempDir(), "steward.db"))
	require.NoError(t, down.Close())
	sp := openSpool(t, spool.Options{MaxEntries: 1})
	e := newSpoolEnv(t, down, sp, []string{"github"}, GitHubSource(&config.Webhook{Secret: "gh-secret"}))
	events, bodies := ghDeliveries(t)
	code, _ := e.github(t, events[0], bodies[0])
	require.Equal(t, http.StatusAccepted, code)
	code, a, retry := e.post(t, "/hooks/github", bodies[1], "X-GitHub-Event", events[1], "X-Hub-Signature-256", "sha256="+hmacHex("gh-secret", bodies[1]))
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, a.Error, "the spool cannot take the delivery (spool: full: 1 entries (max 1))")
	assert.Equal(t, "30", retry)
	assert.Equal(t, 1, e.queued(t))
	assert.Equal(t, map[string]int{SpoolHeld: 1, SpoolRefused: 1}, e.results)
}

// A delivery committed just before a crash, and so not yet removed from
// the spool, is recognised by the position committed with it and removed
// without being stored twice.
func TestSpoolSkipsWhatWasStored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "steward.db")
	down := openSQLite(t, path)
	require.NoError(t, down.Close())
	sp := openSpool(t, spool.Options{})
	gh := GitHubSource(&config.Webhook{Secret: "gh-secret"})
	before := newSpoolEnv(t, down, sp, []string{"github"}, gh)
	for _, body := range []string{`{"deployment":{}}`, `{"deployment":{"id":""}}`} {
		code, _ := before.github(t, "deployment", []byte(body))
		require.Equal(t, http.StatusBadRequest, code)
	}
	up := openSQLite(t, path)
	// What the drainer commits for the first entry, had it crashed before
	// removing it.
	require.NoError(t, up.Write(context.Background(), record.Batch{
		Rejected: []record.Rejected{{Kind: record.KindChange, Source: "github", Error: "first", Raw: "{}", ReceivedAt: time.Now()}},
		Cursor:   &record.Cursor{Name: "spool/" + sp.ID(), Value: "1"},
	}))
	after := newSpoolEnv(t, up, sp, []string{"github"}, gh)
	require.NoError(t, after.spooler.Drain(context.Background()))
	assert.Zero(t, after.queued(t))
	q, err := up.Quarantined(context.Background(), 10)
	require.NoError(t, err)
	assert.Len(t, q, 2, "the first entry was not quarantined again")
}

// A delivery that cannot be stored even though the store is up (here
// text PostgreSQL and SQLite refuse alike), or whose source is gone, is
// quarantined whole rather than blocking the spool for ever.
func TestSpoolNeverBlocks(t *testing.T) {
	nul := Source{Name: "nul", Kind: record.KindIncident, Verify: func(*http.Request, []byte) error { return nil },
		Decode: func(_ context.Context, req Request) (Decoded, error) {
			return Decoded{Incidents: []record.Incident{{ID: "1", Source: "nul", System: "a\x00b", Severity: 1,
				Impact: record.ImpactNone, OpenedAt: req.Now}}}, nil
		}}
	tests := []struct {
		name      string
		configure []Source // sources configured when draining
		failures  int      // drains that fail before the delivery is quarantined
		wantError string
	}{
		{"refused by the store", []Source{nul}, poisonAttempts - 1, "spooled delivery refused by the store 5 times"},
		{"source no longer configured", nil, 0, "spooled nul delivery: the nul webhook is no longer configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "steward.db")
			down := openSQLite(t, path)
			require.NoError(t, down.Close())
			sp := openSpool(t, spool.Options{})
			before := newSpoolEnv(t, down, sp, []string{"nul"}, nul)
			code, _, _ := before.post(t, "/hooks/nul", []byte(`{"raw":"delivery"}`))
			require.Equal(t, http.StatusAccepted, code)

			up := openSQLite(t, path)
			after := newSpoolEnv(t, up, sp, []string{"nul"}, tt.configure...)
			for range tt.failures {
				require.Error(t, after.spooler.Drain(context.Background()))
			}
			require.NoError(t, after.spooler.Drain(context.Background()))
			assert.Zero(t, after.queued(t))
			q, err := up.Quarantined(context.Background(), 10)
			require.NoError(t, err)
			require.Len(t, q, 1)
			assert.Contains(t, q[0].Error, tt.wantError)
			assert.Equal(t, `{"raw":"delivery"}`, q[0].Raw)
		})
	}
}

package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/audit"
)

func hash(token string) config.Secret {
	sum := sha256.Sum256([]byte(token))
	return config.Secret(hex.EncodeToString(sum[:]))
}

var now = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

func tokens() []config.Token {
	return []config.Token{
		{Name: "ci", Scopes: []config.Scope{config.ScopeIngest}, SHA256: hash("ingest-token")},
		{Name: "grafana", Scopes: []config.Scope{config.ScopeRead}, SHA256: hash("read-token")},
		{Name: "ops", Scopes: []config.Scope{config.ScopeAdmin}, SHA256: hash("admin-token")},
		{Name: "old", Scopes: []config.Scope{config.ScopeAdmin}, SHA256: hash("old-token"), Expires: now},
	}
}

// lockedBuffer collects audit lines written from handler goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

type fixture struct {
	srv   *httptest.Server
	audit *lockedBuffer
}

// newFixture serves a mux with the daemon's route patterns behind a guard.
// The reload route fails when the request says ?fail=1; the freeze route
// echoes its body.
func newFixture(t *testing.T, cfg *config.Config, users map[string]string) *fixture {
	t.Helper()
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) }
	for _, p := range []string{"POST /api/v1/incidents", "GET /api/v1/scorecards", "GET /metrics", "/ui/",
		"GET /api/v1/quarantine", "GET /healthz", "POST /hooks/alertmanager", "GET /unlisted"} {
		mux.HandleFunc(p, ok)
	}
	mux.HandleFunc("POST /-/reload", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			http.Error(w, "failed to reload config: line 3: bad", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("config reloaded\n"))
	})
	mux.HandleFunc("POST /api/v1/reviews", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	})
	buf := &lockedBuffer{}
	g := New(Options{
		Config:  func() *config.Config { return cfg },
		Users:   func() (map[string]string, error) { return users, nil },
		Pattern: func(r *http.Request) string { _, p := mux.Handler(r); return p },
		Audit:   audit.New(slog.New(slog.NewJSONHandler(buf, nil))),
		Logger:  slog.New(slog.DiscardHandler),
		Now:     func() time.Time { return now },
	})
	srv := httptest.NewServer(g.Wrap(mux))
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, audit: buf}
}

type answer struct {
	status    int
	challenge []string
	body      string
}

func (f *fixture) do(t *testing.T, method, path string, header map[string]string, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Values("WWW-Authenticate"), string(b)}
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func TestGuardTokens(t *testing.T) {
	f := newFixture(t, &config.Config{Auth: config.Auth{Tokens: tokens()}}, nil)
	tests := []struct {
		name, method, path string
		header             map[string]string
		want               int
		challenge          string
	}{
		{"ingest with ingest", "POST", "/api/v1/incidents", bearer("ingest-token"), 200, ""},
		{"ingest with read", "POST", "/api/v1/incidents", bearer("read-token"), 403, `Bearer realm="steward", error="insufficient_scope", scope="ingest"`},
		{"ingest with admin", "POST", "/api/v1/incidents", bearer("admin-token"), 200, ""},
		{"read with read", "GET", "/api/v1/scorecards", bearer("read-token"), 200, ""},
		{"read with ingest", "GET", "/api/v1/scorecards", bearer("ingest-token"), 403, `Bearer realm="steward", error="insufficient_scope", scope="read"`},
		{"ui with read", "GET", "/ui/report", bearer("read-token"), 200, ""},
		{"admin with read", "POST", "/-/reload", bearer("read-token"), 403, `Bearer realm="steward", error="insufficient_scope", scope="admin"`},
		{"admin with admin", "POST", "/-/reload", bearer("admin-token"), 200, ""},
		{"missing", "GET", "/api/v1/scorecards", nil, 401, `Bearer realm="steward"`},
		{"wrong token", "GET", "/api/v1/scorecards", bearer("nope"), 401, `Bearer realm="steward", error="invalid_token"`},
		{"empty bearer", "GET", "/api/v1/scorecards", map[string]string{"Authorization": "Bearer "}, 401, `Bearer realm="steward", error="invalid_token"`},
		{"expired", "POST", "/-/reload", bearer("old-token"), 401, `Bearer realm="steward", error="invalid_token"`},
		{"bearer is case-insensitive", "GET", "/api/v1/scorecards", map[string]string{"Authorization": "bearer read-token"}, 200, ""},
		{"basic without users", "GET", "/api/v1/scorecards", map[string]string{"Authorization": "Basic Z3JhZmFuYTpyZWFkLXRva2Vu"}, 401, `Bearer realm="steward", error="invalid_token"`},
		{"token without scheme", "GET", "/api/v1/scorecards", map[string]string{"Authorization": "read-token"}, 401, `Bearer realm="steward", error="invalid_token"`},
		{"token in another header", "GET", "/api/v1/scorecards", map[string]string{"X-Api-Token": "read-token"}, 401, `Bearer realm="steward"`},
		{"public health", "GET", "/healthz", nil, 200, ""},
		{"webhooks keep their scheme", "POST", "/hooks/alertmanager", nil, 200, ""},
		{"metrics open by default", "GET", "/metrics", nil, 200, ""},
		{"unlisted route is admin-only", "GET", "/unlisted", bearer("read-token"), 403, `Bearer realm="steward", error="insufficient_scope", scope="admin"`},
		{"unlisted route with admin", "GET", "/unlisted", bearer("admin-token"), 200, ""},
		{"no route needs a credential", "GET", "/nothing", nil, 401, `Bearer realm="steward"`},
		{"no route with any token", "GET", "/nothing", bearer("ingest-token"), 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.do(t, tt.method, tt.path, tt.header, "")
			assert.Equal(t, tt.want, a.status, a.body)
			if tt.challenge != "" {
				assert.Equal(t, []string{tt.challenge}, a.challenge)
			} else {
				assert.Empty(t, a.challenge)
			}
		})
	}
	a := f.do(t, "GET", "/api/v1/scorecards", bearer("ingest-token"), "")
	assert.JSONEq(t, `{"error": "token \"ci\" has scopes [ingest]; GET /api/v1/scorecards needs read"}`, a.body, "403 says what is missing")
	a = f.do(t, "POST", "/-/reload", bearer("old-token"), "")
	assert.JSONEq(t, `{"error": "token \"old\" expired at 2026-07-01T00:00:00Z"}`, a.body)
}

func TestGuardMetricsProtected(t *testing.T) {
	f := newFixture(t, &config.Config{Auth: config.Auth{Tokens: tokens(), Metrics: config.ScopeRead}}, nil)
	assert.Equal(t, 401, f.do(t, "GET", "/metrics", nil, "").status)
	assert.Equal(t, 403, f.do(t, "GET", "/metrics", bearer("ingest-token"), "").status)
	assert.Equal(t, 200, f.do(t, "GET", "/metrics", bearer("read-token"), "").status)
}

func TestGuardBasicUsers(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	require.NoError(t, err)
	users := map[string]string{"root": string(h), "viewer": string(h)}
	cfg := &config.Config{Auth: config.Auth{Tokens: tokens(), Users: []config.User{{Name: "viewer", Scopes: []config.Scope{config.ScopeRead}}}}}
	f := newFixture(t, cfg, users)
	basic := func(u, p string) map[string]string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(u, p)
		return map[string]string{"Authorization": req.Header.Get("Authorization")}
	}
	both := []string{`Bearer realm="steward", error="invalid_token"`, `Basic realm="steward", charset="UTF-8"`}
	tests := []struct {
		name, method, path string
		header             map[string]string
		want               int
		challenge          []string
	}{
		{"unscoped user is admin", "POST", "/-/reload", basic("root", "s3cret"), 200, nil},
		{"unscoped user reads", "GET", "/api/v1/scorecards", basic("root", "s3cret"), 200, nil},
		{"scoped user reads", "GET", "/ui/", basic("viewer", "s3cret"), 200, nil},
		{"scoped user is no admin", "POST", "/-/reload", basic("viewer", "s3cret"), 403, []string{`Bearer realm="steward", error="insufficient_scope", scope="admin"`}},
		{"wrong password", "GET", "/api/v1/scorecards", basic("root", "nope"), 401, both},
		{"unknown user", "GET", "/api/v1/scorecards", basic("nobody", "s3cret"), 401, both},
		{"missing asks the browser for basic", "GET", "/ui/", nil, 401, []string{`Bearer realm="steward"`, `Basic realm="steward", charset="UTF-8"`}},
		{"tokens still work", "GET", "/api/v1/scorecards", bearer("read-token"), 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.do(t, tt.method, tt.path, tt.header, "")
			assert.Equal(t, tt.want, a.status, a.body)
			assert.Equal(t, tt.challenge, a.challenge)
		})
	}
}

func TestGuardOpenWithoutCredentials(t *testing.T) {
	f := newFixture(t, &config.Config{}, nil)
	for _, path := range []string{"/api/v1/scorecards", "/ui/", "/metrics", "/api/v1/quarantine"} {
		assert.Equal(t, 200, f.do(t, "GET", path, nil, "").status, path)
	}
	assert.Equal(t, 200, f.do(t, "POST", "/-/reload", nil, "").status)
	assert.Equal(t, 200, f.do(t, "POST", "/api/v1/incidents", map[string]string{"Authorization": "Bearer anything"}, "").status,
		"an open daemon ignores credentials")
	lines := f.audit.lines(t)
	require.Len(t, lines, 2, "admin calls are audited even when open")
	assert.Equal(t, "anonymous", lines[1]["actor"])
	assert.Equal(t, "config.reload", lines[1]["action"])
}

func TestGuardUnreadableUsersFailClosed(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/scorecards", func(w http.ResponseWriter, _ *http.Request) {})
	g := New(Options{
		Config:  func() *config.Config { return &config.Config{} },
		Users:   func() (map[string]string, error) { return nil, errors.New("web config: bad") },
		Pattern: func(r *http.Request) string { _, p := mux.Handler(r); return p },
		Audit:   audit.Discard(), Logger: slog.New(slog.DiscardHandler),
	})
	assert.True(t, g.Enabled(), "an invalid web config does not open the daemon")
	rec := httptest.NewRecorder()
	g.Wrap(mux).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/scorecards", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
}

func TestGuardAudit(t *testing.T) {
	f := newFixture(t, &config.Config{Auth: config.Auth{Tokens: tokens()}}, nil)
	f.do(t, "POST", "/-/reload", bearer("admin-token"), "")
	f.do(t, "POST", "/-/reload?fail=1", bearer("admin-token"), "")
	f.do(t, "POST", "/-/reload", bearer("read-token"), "")
	f.do(t, "POST", "/-/reload", bearer("nope"), "")
	f.do(t, "POST", "/api/v1/reviews", bearer("admin-token"), `{"role":"system","subject":"api","period":"2026-Q1"}`)
	f.do(t, "GET", "/api/v1/quarantine?limit=5", bearer("admin-token"), "")
	f.do(t, "GET", "/api/v1/scorecards", bearer("admin-token"), "")
	f.do(t, "POST", "/api/v1/incidents", bearer("admin-token"), `{"id":"x"}`)

	lines := f.audit.lines(t)
	require.Len(t, lines, 6, "only admin routes are audited")
	pick := func(m map[string]any, keys ...string) map[string]any {
		out := map[string]any{}
		for _, k := range keys {
			if v, ok := m[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	keys := []string{"audit", "level", "action", "actor", "actor_kind", "outcome", "reason", "status", "request", "query"}
	assert.Equal(t, map[string]any{"audit": true, "level": "INFO", "action": "config.reload", "actor": "ops", "actor_kind": "token",
		"outcome": "success", "status": 200.0}, pick(lines[0], keys...))
	assert.Equal(t, map[string]any{"audit": true, "level": "WARN", "action": "config.reload", "actor": "ops", "actor_kind": "token",
		"outcome": "failure", "reason": "failed to reload config: line 3: bad", "status": 500.0, "query": "fail=1"}, pick(lines[1], keys...))
	assert.Equal(t, map[string]any{"audit": true, "level": "WARN", "action": "config.reload", "actor": "grafana", "actor_kind": "token",
		"outcome": "denied", "reason": `token "grafana" has scopes [read]; POST /-/reload needs admin`, "status": 403.0}, pick(lines[2], keys...))
	assert.Equal(t, map[string]any{"audit": true, "level": "WARN", "action": "config.reload", "actor": "anonymous", "actor_kind": "anonymous",
		"outcome": "denied", "reason": "invalid token", "status": 401.0}, pick(lines[3], keys...))
	assert.Equal(t, map[string]any{"audit": true, "level": "INFO", "action": "reviews.freeze", "actor": "ops", "actor_kind": "token",
		"outcome": "success", "status": 200.0, "request": `{"role":"system","subject":"api","period":"2026-Q1"}`}, pick(lines[4], keys...))
	assert.Equal(t, map[string]any{"audit": true, "level": "INFO", "action": "quarantine.read", "actor": "ops", "actor_kind": "token",
		"outcome": "success", "status": 200.0, "query": "limit=5"}, pick(lines[5], keys...))
	assert.Equal(t, "/-/reload", lines[0]["path"])
	assert.Equal(t, "POST /-/reload", lines[0]["route"])
	for _, l := range lines {
		assert.NotEmpty(t, l["time"], "when")
		assert.NotEmpty(t, l["remote"])
		for _, v := range l {
			assert.NotContains(t, fmt.Sprint(v), "admin-token", "credentials never reach the audit log")
		}
	}
}

func TestMatchComparesEveryToken(t *testing.T) {
	ts := tokens()
	got, ok := match(ts, "admin-token")
	require.True(t, ok)
	assert.Equal(t, "ops", got.Name)
	_, ok = match(ts, "")
	assert.False(t, ok, "an empty credential matches nothing")
	_, ok = match(ts, string(hash("admin-token")))
	assert.False(t, ok, "the hash itself is not a credential")
}

func TestUnlisted(t *testing.T) {
	assert.Equal(t, []string{"GET /new", "POST /api/v1/things"},
		Unlisted([]string{"GET /healthz", "POST /api/v1/things", "POST /hooks/newvendor", "GET /new", "GET /metrics"}))
	r, ok := Lookup("POST /hooks/pagerduty")
	assert.True(t, ok)
	assert.True(t, r.Public)
	for pattern, r := range routes {
		if r.Scope == config.ScopeAdmin {
			assert.NotEmpty(t, r.Action, "admin route %s needs an audit action", pattern)
		}
		assert.True(t, r.Public != (r.Scope != ""), "route %s is either public or scoped", pattern)
	}
}

package collector

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// hookFixtures is where the real vendor payloads are, relative to this
// package: copies of the shared fixtures, with their licences and
// provenance (testdata/fixtures/PROVENANCE.md).
const hookFixtures = "testdata/fixtures/webhooks"

// hookFixture reads a vendor payload, skipping the test when the shared
// fixtures are not checked out next to the module.
func hookFixture(t *testing.T, rel string) []byte {
	t.Helper()
	if _, err := os.Stat(hookFixtures); err != nil {
		t.Skipf("vendor payloads not found at %s (the shared fixtures folder): %v", hookFixtures, err)
	}
	b, err := os.ReadFile(filepath.Join(hookFixtures, rel))
	require.NoError(t, err)
	return b
}

// editJSON decodes a fixture, lets edit change it and encodes it again.
func editJSON(t *testing.T, body []byte, edit func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(body, &doc))
	edit(doc)
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

// hookEnv is one webhook served by Handler over a real SQLite store.
type hookEnv struct {
	srv      *httptest.Server
	st       *store.DB
	answered answered
	notified atomic.Int64
	events   chan Event
}

func newHookEnv(t *testing.T, src Source) *hookEnv {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "steward.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	e := &hookEnv{st: st, events: make(chan Event, 100)}
	h := Handler(func() (Source, bool) { return src, true }, Options{
		Store: st, Logger: slog.New(slog.DiscardHandler),
		Notify:  func() { e.notified.Add(1) },
		Observe: func(ev Event) { e.events <- ev },
	})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// post sends body with headers (name, value pairs) and decodes the answer.
func (e *hookEnv) post(t *testing.T, path string, body []byte, headers ...string) (int, Answer) {
	t.Helper()
	code, a, _ := postJSON(t, e.srv.URL+path, body, headers...)
	e.answered.add(code, a)
	return code, a
}

// answered tallies what the webhook answered through post, as its vendor
// sees it.
type answered struct {
	Accepted, Rejected, Ignored, Unauthorized, Malformed int
}

func (n *answered) add(code int, a Answer) {
	n.Accepted += a.Accepted
	n.Rejected += len(a.Rejected)
	n.Ignored += len(a.Ignored)
	switch {
	case code == http.StatusUnauthorized:
		n.Unauthorized++
	case code == http.StatusBadRequest && len(a.Rejected) > 0:
		n.Malformed++
	}
}

// postJSON posts a JSON body to url with headers (name, value pairs) and
// returns the status, the decoded answer and the response headers.
func postJSON(t *testing.T, url string, body []byte, headers ...string) (int, Answer, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var a Answer
	require.NoError(t, json.Unmarshal(raw, &a), "answer %s", raw)
	return resp.StatusCode, a, resp.Header
}

func (e *hookEnv) incidents(t *testing.T) map[string]record.Incident {
	t.Helper()
	all, err := e.st.Incidents(context.Background(), 0, 1000)
	require.NoError(t, err)
	out := map[string]record.Incident{}
	for _, in := range all {
		in.Seq = 0
		out[in.ID] = in
	}
	return out
}

func (e *hookEnv) changes(t *testing.T) map[string]record.Change {
	t.Helper()
	all, err := e.st.Changes(context.Background(), 0, 1000)
	require.NoError(t, err)
	out := map[string]record.Change{}
	for _, c := range all {
		c.Seq = 0
		out[c.ID] = c
	}
	return out
}

func (e *hookEnv) quarantined(t *testing.T) []record.Rejected {
	t.Helper()
	q, err := e.st.Quarantined(context.Background(), 1000)
	require.NoError(t, err)
	return q
}

func (e *hookEnv) stats(*testing.T) answered { return e.answered }

// hmacHex is the hex HMAC-SHA256 of body, as the vendors sign.
func hmacHex(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func atp(s string) *time.Time { t := at(s); return &t }

func TestMappingWith(t *testing.T) {
	base := AlertmanagerDefaults()
	got := base.With(config.Mapping{
		System:          []string{"app"},
		SeverityMap:     map[string]int{"page": 1, "warning": 4},
		ImpactMap:       map[string]string{"down": "outage"},
		DefaultSeverity: 5,
	})
	assert.Equal(t, []string{"app"}, got.System, "a list replaces the default")
	assert.Equal(t, base.Team, got.Team, "an absent list keeps the default")
	assert.Equal(t, map[string]int{"critical": 1, "high": 2, "error": 2, "warning": 4, "info": 4, "page": 1}, got.SeverityMap,
		"a map is merged over the default")
	assert.Equal(t, record.ImpactOutage, got.ImpactMap["down"])
	assert.Equal(t, record.ImpactDegraded, got.ImpactMap["degraded"])
	assert.Equal(t, 5, got.DefaultSeverity)
	assert.Equal(t, record.ImpactNone, got.DefaultImpact)
	assert.Equal(t, 3, base.SeverityMap["warning"], "With does not change the defaults it starts from")
}

func TestJSONFields(t *testing.T) {
	doc, err := parseDoc([]byte(`{"a":{"b":[{"c":"x"},{"c":""}],"n":3,"t":true,"z":null,"o":{}}}`))
	require.NoError(t, err)
	get := jsonFields(doc)
	tests := []struct {
		path   string
		want   string
		wantOK bool
	}{
		{"a.b.0.c", "x", true},
		{"a.b.1.c", "", false},
		{"a.b.2.c", "", false},
		{"a.b.x", "", false},
		{"a.n", "3", true},
		{"a.t", "true", true},
		{"a.z", "", false},
		{"a.o", "", false},
		{"a.missing.deeper", "", false},
	}
	for _, tt := range tests {
		v, ok := get(tt.path)
		assert.Equal(t, tt.wantOK, ok, tt.path)
		assert.Equal(t, tt.want, v, tt.path)
	}
	for _, bad := range []string{`[]`, `null`, `{"a":1} {}`, `{`} {
		_, err := parseDoc([]byte(bad))
		assert.ErrorIs(t, err, ErrMalformed, bad)
	}
}

// TestHandler covers what every vendor's webhook shares, with a small
// source whose body is one incident in Steward's own JSON.
func TestHandler(t *testing.T) {
	src := Source{
		Name: "test",
		Kind: record.KindIncident,
		Verify: func(r *http.Request, _ []byte) error {
			if r.Header.Get("X-Token") != "right" {
				return errUnauthorized
			}
			return nil
		},
		Decode: func(_ context.Context, req Request) (Decoded, error) {
			var d Decoded
			switch {
			case string(req.Body) == "unused":
				d.Ignored = []string{"event unused is not used"}
				return d, nil
			case !json.Valid(req.Body):
				return Decoded{}, malformed("not JSON")
			}
			var in record.Incident
			_ = json.Unmarshal(req.Body, &in)
			d.addIncident(in, req.Body, "event", Mapping{System: []string{"system"}}, req.Now)
			return d, nil
		},
	}
	good := []byte(`{"id":"1","source":"test","system":"payments","severity":2,"impact":"none","opened_at":"2026-01-02T03:04:05+01:00"}`)
	invalid := []byte(`{"id":"2","source":"test","system":"","severity":9,"impact":"none","opened_at":"2026-01-02T03:04:05Z"}`)

	t.Run("stored, notified, observed", func(t *testing.T) {
		e := newHookEnv(t, src)
		code, a := e.post(t, "/", good, "X-Token", "right")
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, 1, a.Accepted)
		assert.Equal(t, record.Incident{ID: "1", Source: "test", System: "payments", Severity: 2, Impact: record.ImpactNone, Category: record.CategoryNone,
			OpenedAt: at("2026-01-02T02:04:05Z")}, e.incidents(t)["1"])
		assert.EqualValues(t, 1, e.notified.Load())
		ev := <-e.events
		assert.Equal(t, http.StatusOK, ev.Status)
		assert.Len(t, ev.Batch.Incidents, 1)
		assert.EqualValues(t, 1, e.stats(t).Accepted)
	})
	t.Run("invalid record is quarantined, the request succeeds", func(t *testing.T) {
		e := newHookEnv(t, src)
		code, a := e.post(t, "/", invalid, "X-Token", "right")
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, 0, a.Accepted)
		require.Len(t, a.Rejected, 1)
		assert.Equal(t, `event (incident id "2"): field "system": is required; field "severity": must be an integer from 1 to 5, got 9; `+
			`no value in any of the mapping's system fields ["system"]`, a.Rejected[0].Error)
		q := e.quarantined(t)
		require.Len(t, q, 1)
		assert.Equal(t, string(invalid), q[0].Raw)
		assert.Equal(t, record.KindIncident, q[0].Kind)
		assert.Equal(t, "test", q[0].Source)
		assert.Empty(t, e.incidents(t))
		assert.EqualValues(t, 1, e.stats(t).Rejected)
	})
	t.Run("bad credentials: 401, nothing stored", func(t *testing.T) {
		e := newHookEnv(t, src)
		code, a := e.post(t, "/", good, "X-Token", "wrong")
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.Equal(t, "missing or invalid credentials", a.Error)
		assert.Empty(t, e.incidents(t))
		assert.Empty(t, e.quarantined(t))
		assert.EqualValues(t, 1, e.stats(t).Unauthorized)
		assert.Zero(t, e.notified.Load())
	})
	t.Run("unused event: 202, counted", func(t *testing.T) {
		e := newHookEnv(t, src)
		code, a := e.post(t, "/", []byte("unused"), "X-Token", "right")
		assert.Equal(t, http.StatusAccepted, code)
		assert.Equal(t, []string{"event unused is not used"}, a.Ignored)
		assert.EqualValues(t, 1, e.stats(t).Ignored)
		assert.Empty(t, e.quarantined(t))
	})
	t.Run("malformed body: 400, quarantined with the reason", func(t *testing.T) {
		e := newHookEnv(t, src)
		code, a := e.post(t, "/", []byte("{nope"), "X-Token", "right")
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, "malformed payload: not JSON", a.Error)
		q := e.quarantined(t)
		require.Len(t, q, 1)
		assert.Equal(t, record.Rejected{Kind: record.KindIncident, Source: "test", Error: "malformed payload: not JSON", Raw: "{nope",
			ReceivedAt: q[0].ReceivedAt}, q[0])
		st := e.stats(t)
		assert.EqualValues(t, 1, st.Malformed)
		assert.EqualValues(t, 1, st.Rejected)
	})
	t.Run("store down: 503 and retry", func(t *testing.T) {
		e := newHookEnv(t, src)
		require.NoError(t, e.st.Close())
		resp, err := http.Post(e.srv.URL, "application/json", bytes.NewReader(good))
		require.NoError(t, err)
		resp.Body.Close()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL, bytes.NewReader(good))
		req.Header.Set("X-Token", "right")
		resp, err = http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		assert.Equal(t, "5", resp.Header.Get("Retry-After"))
		ev := <-e.events // the unauthenticated request
		assert.Equal(t, http.StatusUnauthorized, ev.Status)
		ev = <-e.events
		assert.Equal(t, http.StatusServiceUnavailable, ev.Status)
		assert.Error(t, ev.StoreErr)
		assert.Zero(t, e.notified.Load())
	})
	t.Run("body too large: 413", func(t *testing.T) {
		st, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "s.db"), nil)
		require.NoError(t, err)
		defer st.Close()
		srv := httptest.NewServer(Handler(func() (Source, bool) { return src, true },
			Options{Store: st, Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 10}))
		defer srv.Close()
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(string(good)))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	})
	t.Run("not configured: 404", func(t *testing.T) {
		srv := httptest.NewServer(Handler(func() (Source, bool) { return Source{}, false },
			Options{Logger: slog.New(slog.DiscardHandler)}))
		defer srv.Close()
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader("{}"))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
}

func TestCredentials(t *testing.T) {
	body := []byte(`{"x":1}`)
	sig := hmacHex("s3cret", body)
	assert.True(t, validHMAC(sig, body, "s3cret"))
	assert.True(t, validHMAC(strings.ToUpper(sig), body, "s3cret"), "hex case does not matter")
	assert.False(t, validHMAC(sig, body, "other"))
	assert.False(t, validHMAC(sig, []byte(`{"x":2}`), "s3cret"))
	assert.False(t, validHMAC("zz", body, "s3cret"))
	assert.False(t, validHMAC("", body, "s3cret"))
	assert.True(t, equal("abc", "abc"))
	assert.False(t, equal("abc", "abcd"))
	assert.False(t, equal("", "abc"))

	for header, want := range map[string]string{"Bearer tok": "tok", "bearer  tok ": "tok", "Basic tok": "", "Bearer": "", "": ""} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Authorization", header)
		got, ok := bearer(r)
		assert.Equal(t, want, got, header)
		assert.Equal(t, want != "", ok, header)
	}
}

// A vendor without a collectors section answers 404, and says why in the
// log once, not at every retry; once configured and then removed again, it
// says so again.
func TestUnconfiguredVendorLogsOnce(t *testing.T) {
	var log bytes.Buffer
	configured := false
	src := Source{Name: "test", Kind: record.KindIncident,
		Verify: func(*http.Request, []byte) error { return nil },
		Decode: func(context.Context, Request) (Decoded, error) { return Decoded{}, nil }}
	h := Handler(func() (Source, bool) { return src, configured }, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	post := func() int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/hooks/test", strings.NewReader("{}")))
		return w.Code
	}
	for range 3 {
		assert.Equal(t, http.StatusNotFound, post())
	}
	assert.Equal(t, 1, strings.Count(log.String(), "no collectors section"), log.String())
	assert.Contains(t, log.String(), "path=/hooks/test")
	configured = true
	assert.NotEqual(t, http.StatusNotFound, post())
	configured = false
	assert.Equal(t, http.StatusNotFound, post())
	assert.Equal(t, 2, strings.Count(log.String(), "no collectors section"))
}

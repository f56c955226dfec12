package limit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpensive(t *testing.T) {
	tests := []struct {
		pattern, url string
		want         bool
	}{
		{"GET /api/v1/scorecards", "/api/v1/scorecards?role=system", true},
		{"GET /api/v1/scorecards", "/api/v1/scorecards", true},
		{"GET /api/v1/scorecards", "/api/v1/scorecards?role=system&subject=api&format=csv", false},
		{"GET /api/v1/scorecards", "/api/v1/scorecards?at=2026-01-01T00:00:00Z", true},
		{"GET /api/v1/trends", "/api/v1/trends?role=system&subject=api&at=2026-01-01T00:00:00Z", true},
		{"GET /{$}", "/", true},
		{"GET /{$}", "/?role=team", true},
		{"GET /{$}", "/?role=system", false},
		{"GET /{$}", "/?at=2026-01-01", true},
		{"/ui/", "/ui/", true},
		{"/ui/", "/ui/?role=system_owner", false},
		{"/ui/", "/ui/style.css", false},
		{"/ui/", "/ui/report?role=system&period=2026", true},
		{"/ui/", "/ui/subject/system/api", true},
		{"/ui/", "/ui/system/api?at=2026-01-01", true},
		{"POST /api/v1/reviews", "/api/v1/reviews", true},
		{"GET /api/v1/reviews", "/api/v1/reviews?role=system", false},
		{"POST /api/v1/incidents", "/api/v1/incidents", false},
		{"GET /metrics", "/metrics", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Expensive(tt.pattern, httptest.NewRequest("GET", tt.url, nil)), tt.url)
	}
}

// TestConcurrency holds expensive requests in their handler with channels
// and checks that one past the bound is refused at once while cheap ones
// still pass, and that a freed slot is taken again.
func TestConcurrency(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/scorecards", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("at") {
			entered <- struct{}{}
			<-release
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	pattern := func(r *http.Request) string { _, p := mux.Handler(r); return p }
	srv := httptest.NewServer(NewConcurrency(2, pattern, "--web.max-concurrent-reads").Wrap(mux))
	defer srv.Close()

	get := func(path string) (*http.Response, string) {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	held := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := http.Get(srv.URL + "/api/v1/scorecards?at=2026-01-01T00:00:00Z")
			if err == nil {
				resp.Body.Close()
				held <- resp.StatusCode
				return
			}
			held <- 0
		}()
		<-entered
	}

	resp, body := get("/api/v1/scorecards?at=2026-01-01T00:00:00Z")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	assert.JSONEq(t, `{"error": "2 expensive requests (answers of every subject, scorecards at a past time, reviews, report pages) are in progress, the limit set by --web.max-concurrent-reads; retry later"}`, body)
	resp, body = get("/ui/report?period=2026")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "UI report pages share the bound")
	assert.Contains(t, body, "--web.max-concurrent-reads")
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	resp, _ = get("/api/v1/scorecards?subject=api")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "cheap requests are never held back")
	resp, _ = get("/ui/?role=system")
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	release <- struct{}{}
	release <- struct{}{}
	assert.Equal(t, http.StatusOK, <-held)
	assert.Equal(t, http.StatusOK, <-held)
	go func() { <-entered; release <- struct{}{} }()
	resp, _ = get("/api/v1/scorecards?at=2026-01-01T00:00:00Z")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "freed slots are taken again")
}

package collector

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/limit"
)

// countingBody counts the bytes a handler reads of a request body.
type countingBody struct {
	r    io.Reader
	read int
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func (c *countingBody) Close() error { return nil }

// TestHandlerReadsNoBodyBeforeAdmitting sends every vendor's webhook a
// 1 MiB body without credentials (or with a signature header that cannot
// be an HMAC), and with valid credentials while the bodies' bound is full:
// each is answered, 401 or 503, without one byte of the body read.
func TestHandlerReadsNoBodyBeforeAdmitting(t *testing.T) {
	cfg := &config.Webhook{Token: "tok", Secret: "sec", BasicAuth: &config.BasicAuth{Username: "u", Password: "p"}}
	hmacHeader := strings.Repeat("ab", 32)
	tests := []struct {
		source  func(*config.Webhook) Source
		refused http.Header // no valid credential
		good    http.Header // credentials Admit accepts
	}{
		{AlertmanagerSource, http.Header{"Authorization": {"Bearer wrong"}}, http.Header{"Authorization": {"Bearer tok"}}},
		{GitLabSource, http.Header{}, http.Header{"X-Gitlab-Token": {"tok"}}},
		{OpsgenieSource, http.Header{"Authorization": {"Bearer"}}, http.Header{"Authorization": {"Bearer tok"}}},
		{GitHubSource, http.Header{"X-Hub-Signature-256": {"sha256=zz"}}, http.Header{"X-Hub-Signature-256": {"sha256=" + hmacHeader}}},
		{PagerDutySource, http.Header{"X-Pagerduty-Signature": {"v1=abc"}}, http.Header{"X-Pagerduty-Signature": {"v1=" + hmacHeader}}},
	}
	body := bytes.Repeat([]byte("x"), 1<<20)
	for _, tt := range tests {
		src := tt.source(cfg)
		t.Run(src.Name, func(t *testing.T) {
			bodies := limit.NewBodies(2<<20, 2<<20, "--web.max-body-bytes-in-flight")
			h := Handler(func() (Source, bool) { return src, true }, Options{Logger: slog.New(slog.DiscardHandler), Bodies: bodies})
			send := func(header http.Header) (int, int) {
				c := &countingBody{r: bytes.NewReader(body)}
				r := httptest.NewRequest(http.MethodPost, "/hooks/"+src.Name, c)
				r.Header = header.Clone()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w.Code, c.read
			}
			code, read := send(tt.refused)
			assert.Equal(t, http.StatusUnauthorized, code)
			assert.Zero(t, read, "body read before the credentials were checked")

			hold, ok := bodies.Take(httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(make([]byte, 3<<19))))
			require.True(t, ok)
			code, read = send(tt.good)
			assert.Equal(t, http.StatusServiceUnavailable, code, "bodies' bound full")
			assert.Zero(t, read, "body read past the bodies' bound")
			hold()
		})
	}
}

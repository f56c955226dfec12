package webconfig

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/exporter-toolkit/web"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/steward-sh/steward/internal/testcert"
)

var discard = slog.New(slog.DiscardHandler)

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.New(t, dir)
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "tls_server_config: {cert_file: x, key_file: y, certfile: z}\n", "field certfile not found"},
		{"not bcrypt", "basic_auth_users: {alice: plaintext}\n", "hashedSecret too short"},
		{"header not allowed", "http_server_config: {headers: {X-Powered-By: steward}}\n", `HTTP header "X-Powered-By" can not be configured`},
		{"missing key", "tls_server_config: {cert_file: " + ca.CertFile + "}\n", "missing one of key or key_file"},
		{"missing cert file", "tls_server_config: {cert_file: nope.crt, key_file: nope.key}\n", "failed to read cert_file"},
		{"client CA without policy", fmt.Sprintf("tls_server_config: {cert_file: %s, key_file: %s, client_ca_file: %s}\n", ca.CertFile, ca.KeyFile, ca.CAFile),
			"client CA's have been configured without a Client Auth Policy"},
		{"bad version", fmt.Sprintf("tls_server_config: {cert_file: %s, key_file: %s, min_version: TLS99}\n", ca.CertFile, ca.KeyFile), "unknown TLS version: TLS99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, filepath.Join(dir, "web.yml"), tt.yaml), discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := Load(filepath.Join(dir, "absent.yml"), discard)
	assert.ErrorContains(t, err, "no such file")
	f, err := Load("", discard)
	require.NoError(t, err)
	assert.Nil(t, f, "no flag, no file")
	assert.False(t, f.TLS())
	users, err := f.Users()
	require.NoError(t, err)
	assert.Empty(t, users)
}

// serve runs f.Serve with handler on a loopback port until the test ends.
func serve(t *testing.T, f *File, handler http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: handler}
	done := make(chan error, 1)
	go func() { done <- f.Serve(srv, ln) }()
	t.Cleanup(func() {
		srv.Close()
		assert.ErrorIs(t, <-done, http.ErrServerClosed)
	})
	return ln.Addr().String()
}

var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello over %s", r.Proto)
})

func httpsClient(cfg *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true, ForceAttemptHTTP2: true}}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.New(t, dir)
	// Paths relative to the web config file, as in the toolkit.
	f, err := Load(writeFile(t, filepath.Join(dir, "web.yml"), "tls_server_config: {cert_file: server.crt, key_file: server.key}\n"), discard)
	require.NoError(t, err)
	assert.True(t, f.TLS())
	addr := serve(t, f, hello)

	resp, err := httpsClient(&tls.Config{RootCAs: ca.Pool}).Get("https://" + addr + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "hello over HTTP/2.0", string(body), "HTTP/2 by default, as in the toolkit")
	assert.Equal(t, int64(2), resp.TLS.PeerCertificates[0].SerialNumber.Int64())

	plain, err := http.Get("http://" + addr + "/")
	if err == nil {
		plain.Body.Close()
		assert.Equal(t, http.StatusBadRequest, plain.StatusCode, "plain HTTP to the TLS port is refused")
	}

	_, err = httpsClient(&tls.Config{}).Get("https://" + addr + "/")
	assert.ErrorContains(t, err, "certificate signed by unknown authority", "a client not trusting the CA refuses the server")

	ca.Server(t, 99) // rotate the certificate: new connections get it, without a restart
	resp, err = httpsClient(&tls.Config{RootCAs: ca.Pool}).Get("https://" + addr + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, int64(99), resp.TLS.PeerCertificates[0].SerialNumber.Int64())
}

func TestTLSSettings(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.New(t, dir)
	f, err := Load(writeFile(t, filepath.Join(dir, "web.yml"), fmt.Sprintf(`
tls_server_config:
  cert_file: %s
  key_file: %s
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: %s
  min_version: TLS13
http_server_config: {http2: false}
`, ca.CertFile, ca.KeyFile, ca.CAFile)), discard)
	require.NoError(t, err)
	addr := serve(t, f, hello)

	resp, err := httpsClient(&tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{ca.Client}}).Get("https://" + addr + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "hello over HTTP/1.1", string(body), "http2: false")

	_, err = httpsClient(&tls.Config{RootCAs: ca.Pool}).Get("https://" + addr + "/")
	assert.Error(t, err, "a client without a certificate is refused")
	_, err = httpsClient(&tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{ca.Client}, MaxVersion: tls.VersionTLS12}).Get("https://" + addr + "/")
	assert.ErrorContains(t, err, "protocol version", "min_version: TLS13")
}

func TestFileIsReread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.yml")
	h1, err := bcrypt.GenerateFromPassword([]byte("one"), bcrypt.MinCost)
	require.NoError(t, err)
	f, err := Load(writeFile(t, path, fmt.Sprintf("basic_auth_users: {alice: %q}\n", h1)), discard)
	require.NoError(t, err)
	users, err := f.Users()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"alice": string(h1)}, users)

	writeFile(t, path, fmt.Sprintf("basic_auth_users: {bob: %q}\n", h1))
	users, err = f.Users()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"bob": string(h1)}, users, "a change applies without a reload")

	// Half written, then removed: the last good users stay, and requests
	// (health checks and webhooks among them) are served as before.
	for _, broken := range []func(){
		func() { writeFile(t, path, "basic_auth_users: [\n") },
		func() { require.NoError(t, os.Remove(path)) },
	} {
		broken()
		users, err = f.Users()
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"bob": string(h1)}, users, "the last good content stays in force")
		assert.Error(t, f.Err(), "why the file is not in force")
		rec := httptest.NewRecorder()
		f.Wrap(hello).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		assert.Equal(t, http.StatusOK, rec.Code)
	}

	writeFile(t, path, "")
	users, err = f.Users()
	require.NoError(t, err, "an empty file is valid again")
	assert.Empty(t, users)
	assert.NoError(t, f.Err())
}

// TestCheckRefusesAChange has a check refuse a change that removes every
// user: the users in force stay until a change passes it.
func TestCheckRefusesAChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.yml")
	h1, err := bcrypt.GenerateFromPassword([]byte("one"), bcrypt.MinCost)
	require.NoError(t, err)
	f, err := Load(writeFile(t, path, fmt.Sprintf("basic_auth_users: {alice: %q}\n", h1)), discard)
	require.NoError(t, err)
	f.SetCheck(func(old, new *web.Config) error {
		if len(old.Users) > 0 && len(new.Users) == 0 {
			return errors.New("it removes every user")
		}
		return nil
	})
	writeFile(t, path, "http_server_config: {headers: {X-Frame-Options: deny}}\n")
	users, err := f.Users()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"alice": string(h1)}, users)
	assert.ErrorContains(t, f.Err(), "it removes every user")

	writeFile(t, path, fmt.Sprintf("basic_auth_users: {carol: %q}\n", h1))
	users, err = f.Users()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"carol": string(h1)}, users)
}

func TestWrapHeadersAndRateLimit(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "web.yml"), `
http_server_config:
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
rate_limit: {interval: 1h, burst: 2}
`)
	f, err := Load(path, discard)
	require.NoError(t, err)
	h := f.Wrap(hello)
	for i := range 2 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		assert.Equal(t, http.StatusOK, rec.Code, "request %d is within the burst", i)
		assert.Equal(t, "deny", rec.Header().Get("X-Frame-Options"))
		assert.Equal(t, "max-age=31536000", rec.Header().Get("Strict-Transport-Security"))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "3600", rec.Header().Get("Retry-After"))
}

// TestExample keeps examples/web.yml valid: with a certificate and key
// beside it, it loads.
func TestExample(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.New(t, dir)
	for src, dst := range map[string]string{ca.CertFile: "steward.crt", ca.KeyFile: "steward.key", "../../examples/web.yml": "web.yml"} {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		writeFile(t, filepath.Join(dir, dst), string(b))
	}
	f, err := Load(filepath.Join(dir, "web.yml"), discard)
	require.NoError(t, err)
	assert.True(t, f.TLS())
	users, err := f.Users()
	require.NoError(t, err)
	require.Contains(t, users, "alice")
	assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(users["alice"]), []byte("change-me")))
}

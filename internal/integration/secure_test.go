package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	steward "github.com/steward-sh/steward/internal/daemon"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/steward-sh/steward/internal/auth"
	"github.com/steward-sh/steward/internal/testcert"
)

// secureConfig is the daemon's config for these tests; %s is where the
// auth and collectors sections go.
const secureConfig = `
storage: {driver: sqlite, dsn: %q}
windows: [30d]
people: [{id: alice}, {id: erin}]
systems:
  - {id: payments-api, owners: [{owner: alice, since: 2025-01-01T00:00:00Z}]}
processes:
  incident: {owner: erin}
  change: {owner: erin}
%s`

// syncBuffer is a log sink written from the daemon's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type secureDaemon struct {
	base    string // http://addr or https://addr
	addr    string
	client  *http.Client
	dir     string
	cfgFile string
	log     *syncBuffer
	routes  []string
}

// startSecure runs the daemon in-process with the auth text in its config
// and the options o (listen address, config file and logger are set here).
func startSecure(t *testing.T, authText string, o steward.Options) *secureDaemon {
	t.Helper()
	d := &secureDaemon{dir: t.TempDir(), log: &syncBuffer{}, client: &http.Client{}}
	d.cfgFile = filepath.Join(d.dir, "steward.yml")
	d.writeConfig(t, authText)
	o.ConfigFile, o.ListenAddress, o.Interval = d.cfgFile, "127.0.0.1:0", time.Hour
	addr := make(chan string, 1)
	o.Listening = func(a string) { addr <- a }
	o.Routes = func(r []string) { d.routes = r }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	// Debug lines too: the logs must never hold a credential.
	o.Logger = slog.New(slog.NewTextHandler(d.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { done <- steward.Run(ctx, o) }()
	select {
	case d.addr = <-addr:
	case err := <-done:
		cancel()
		t.Fatalf("daemon did not start: %v", err)
	}
	d.base = "http://" + d.addr
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "daemon shutdown")
	})
	return d
}

func (d *secureDaemon) writeConfig(t *testing.T, authText string) {
	t.Helper()
	text := fmt.Sprintf(secureConfig, filepath.Join(d.dir, "steward.db"), authText)
	require.NoError(t, os.WriteFile(d.cfgFile, []byte(text), 0o600))
}

type reply struct {
	status    int
	challenge []string
	body      string
}

// do sends a request; header holds name, value pairs.
func (d *secureDaemon) do(t *testing.T, method, path, body string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, d.base+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := d.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header.Values("WWW-Authenticate"), string(b)}
}

func bearerHeader(token string) []string { return []string{"Authorization", "Bearer " + token} }

func basicHeader(user, pass string) []string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pass)
	return []string{"Authorization", req.Header.Get("Authorization")}
}

// credentials are the tokens and users of the acceptance test, made with
// the token command's own functions.
type credentials struct {
	ingest, read, admin, expired string
	authText, webConfig          string
}

func newCredentials(t *testing.T, dir string) credentials {
	t.Helper()
	var c credentials
	for _, tok := range []*string{&c.ingest, &c.read, &c.admin, &c.expired} {
		var err error
		*tok, err = auth.NewToken()
		require.NoError(t, err)
	}
	readFile := filepath.Join(dir, "grafana.sha256")
	require.NoError(t, os.WriteFile(readFile, []byte(auth.HashToken(c.read)+"\n"), 0o600))
	c.authText = fmt.Sprintf(`auth:
  metrics: read
  tokens:
    - {name: ci-pipeline, scopes: [ingest], sha256: %s}
    - {name: grafana, scopes: [read], sha256_file: %s}
    - {name: ops, scopes: [admin], sha256: %s}
    - {name: retired, scopes: [admin], sha256: %s, expires: 2020-01-01T00:00:00Z}
  users:
    - {name: viewer, scopes: [read]}
collectors:
  alertmanager: {token: am-vendor-token}
`, auth.HashToken(c.ingest), readFile, auth.HashToken(c.admin), auth.HashToken(c.expired))
	hash, err := bcrypt.GenerateFromPassword([]byte("root-password"), bcrypt.MinCost)
	require.NoError(t, err)
	c.webConfig = fmt.Sprintf("basic_auth_users:\n  root: %q\n  viewer: %q\n", hash, hash)
	return c
}

// TestEveryRouteHasAScope walks every route the daemon serves and checks
// that the authentication table gives it a scope or makes it public, so
// that a route added anywhere is not left open (or locked) by accident.
func TestEveryRouteHasAScope(t *testing.T) {
	d := startSecure(t, "", steward.Options{})
	require.NotEmpty(t, d.routes)
	assert.Empty(t, auth.Unlisted(d.routes), "add these routes to auth's route table with their scope")
	for _, want := range []string{"POST /api/v1/incidents", "GET /api/v1/scorecards", "POST /-/reload", "GET /metrics",
		"/ui/", "POST /api/v1/reviews", "GET /api/v1/quarantine", "POST /hooks/alertmanager", "GET /healthz"} {
		assert.Contains(t, d.routes, want)
	}
	for _, p := range d.routes {
		r, _ := auth.Lookup(p)
		assert.True(t, r.Public || r.Scope != "", "%s has a scope or is public", p)
	}
}

func TestAuthenticationAcceptance(t *testing.T) {
	dir := t.TempDir()
	c := newCredentials(t, dir)
	webFile := filepath.Join(dir, "web.yml")
	require.NoError(t, os.WriteFile(webFile, []byte(c.webConfig), 0o600))
	d := startSecure(t, c.authText, steward.Options{WebConfigFile: webFile})
	assert.Contains(t, d.log.String(), "authentication is on")

	const incident = `{"id":"INC-1","system":"payments-api","severity":2,"opened_at":"2026-01-01T00:00:00Z"}`
	const change = `{"id":"CHG-1","system":"payments-api","outcome":"success","finished_at":"2026-01-01T00:00:00Z"}`
	const review = `{"role":"system","subject":"payments-api","period":"2026-Q1"}`
	endpoints := []struct {
		method, path, body string
		right, lacking     string // a token with the scope, one without
	}{
		{"POST", "/api/v1/incidents", incident, c.ingest, c.read},
		{"POST", "/api/v1/changes", change, c.ingest, c.read},
		{"GET", "/api/v1/scorecards?role=system", "", c.read, c.ingest},
		{"GET", "/api/v1/scorecards?role=system&at=2026-01-01T00:00:00Z", "", c.read, c.ingest},
		{"GET", "/api/v1/reviews?role=system&subject=payments-api&period=2026-Q1", "", c.read, c.ingest},
		{"GET", "/metrics", "", c.read, c.ingest},
		{"GET", "/", "", c.read, c.ingest},
		{"GET", "/ui/subject/system/payments-api", "", c.read, c.ingest},
		{"GET", "/ui/report?role=system&subject=payments-api&period=2026-Q1", "", c.read, c.ingest},
		{"POST", "/-/reload", "", c.admin, c.read},
		{"GET", "/api/v1/quarantine", "", c.admin, c.read},
		{"POST", "/api/v1/reviews", review, c.admin, c.read},
	}
	refused := []struct {
		name   string
		header func(right string) []string
		status int
	}{
		{"missing", func(string) []string { return nil }, http.StatusUnauthorized},
		{"wrong token", func(string) []string { return bearerHeader("stw_wrong") }, http.StatusUnauthorized},
		{"expired token", func(string) []string { return bearerHeader(c.expired) }, http.StatusUnauthorized},
		{"basic with the token as password", func(r string) []string { return basicHeader("token", r) }, http.StatusUnauthorized},
		{"the token without a scheme", func(r string) []string { return []string{"Authorization", r} }, http.StatusUnauthorized},
		{"another scheme", func(r string) []string { return []string{"Authorization", "Token " + r} }, http.StatusUnauthorized},
		{"the token in another header", func(r string) []string { return []string{"X-Api-Token", r} }, http.StatusUnauthorized},
		{"the hash instead of the token", func(r string) []string { return bearerHeader(auth.HashToken(r)) }, http.StatusUnauthorized},
	}
	for _, e := range endpoints {
		t.Run(e.method+" "+e.path, func(t *testing.T) {
			for _, r := range refused {
				got := d.do(t, e.method, e.path, e.body, r.header(e.right)...)
				assert.Equal(t, r.status, got.status, "%s: %s", r.name, got.body)
				assert.True(t, strings.HasPrefix(strings.Join(got.challenge, "|"), `Bearer realm="steward"`), "%s: %v", r.name, got.challenge)
			}
			got := d.do(t, e.method, e.path, e.body, bearerHeader(e.lacking)...)
			assert.Equal(t, http.StatusForbidden, got.status, "a token without the scope: %s", got.body)
			assert.Contains(t, got.body, "needs ")
			sep := "?"
			if strings.Contains(e.path, "?") {
				sep = "&"
			}
			got = d.do(t, e.method, e.path+sep+"access_token="+e.right, e.body)
			assert.Equal(t, http.StatusUnauthorized, got.status, "a token in the query")

			for name, h := range map[string][]string{
				"the scope's token": bearerHeader(e.right), "an admin token": bearerHeader(c.admin),
				"an admin user of the web config": basicHeader("root", "root-password"),
			} {
				got := d.do(t, e.method, e.path, e.body, h...)
				assert.Equal(t, http.StatusOK, got.status, "%s: %s", name, got.body)
			}
		})
	}

	t.Run("a scoped web config user", func(t *testing.T) {
		assert.Equal(t, http.StatusOK, d.do(t, "GET", "/ui/", "", basicHeader("viewer", "root-password")...).status)
		assert.Equal(t, http.StatusForbidden, d.do(t, "POST", "/-/reload", "", basicHeader("viewer", "root-password")...).status)
		assert.Equal(t, http.StatusUnauthorized, d.do(t, "GET", "/ui/", "", basicHeader("root", "wrong")...).status)
	})
	t.Run("open routes", func(t *testing.T) {
		assert.Equal(t, http.StatusOK, d.do(t, "GET", "/healthz", "").status)
		assert.Equal(t, http.StatusOK, d.do(t, "GET", "/readyz", "").status)
	})
	t.Run("webhooks keep their vendor's scheme", func(t *testing.T) {
		got := d.do(t, "POST", "/hooks/alertmanager", "{}", bearerHeader(c.admin)...)
		assert.Equal(t, http.StatusUnauthorized, got.status, "a Steward token is not the vendor's: %s", got.body)
		got = d.do(t, "POST", "/hooks/alertmanager", "{}", bearerHeader("am-vendor-token")...)
		assert.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, got.status, got.body)
	})
}

func TestOpenDaemonSaysSo(t *testing.T) {
	d := startSecure(t, "", steward.Options{})
	assert.Contains(t, d.log.String(), "AUTHENTICATION IS OFF")
	for _, path := range []string{"/api/v1/quarantine", "/metrics", "/ui/", "/api/v1/scorecards"} {
		assert.Equal(t, http.StatusOK, d.do(t, "GET", path, "").status, path)
	}
	assert.Equal(t, http.StatusOK, d.do(t, "POST", "/-/reload", "").status)
}

func TestTokenRotation(t *testing.T) {
	dir := t.TempDir()
	admin, old, renewed := "stw_admin-token", "stw_old-token", "stw_new-token"
	hashFile := filepath.Join(dir, "ci.sha256")
	require.NoError(t, os.WriteFile(hashFile, []byte(auth.HashToken(old)), 0o600))
	authText := fmt.Sprintf("auth:\n  tokens:\n    - {name: ops, scopes: [admin], sha256: %s}\n    - {name: ci, scopes: [read], sha256_file: %s}\n", auth.HashToken(admin), hashFile)
	d := startSecure(t, authText, steward.Options{})
	assert.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/scorecards", "", bearerHeader(old)...).status)

	require.NoError(t, os.WriteFile(hashFile, []byte(auth.HashToken(renewed)), 0o600))
	assert.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/scorecards", "", bearerHeader(old)...).status, "in force until a reload")
	require.Equal(t, http.StatusOK, d.do(t, "POST", "/-/reload", "", bearerHeader(admin)...).status)
	assert.Equal(t, http.StatusUnauthorized, d.do(t, "GET", "/api/v1/scorecards", "", bearerHeader(old)...).status)
	assert.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/scorecards", "", bearerHeader(renewed)...).status)

	// Removing every token, on purpose, opens the daemon, and it says so
	// (without allow_none the reload is refused: reload_secure_test.go).
	d.writeConfig(t, "auth: {allow_none: true}\n")
	require.Equal(t, http.StatusOK, d.do(t, "POST", "/-/reload", "", bearerHeader(admin)...).status)
	assert.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/quarantine", "").status)
	assert.Contains(t, d.log.String(), "AUTHENTICATION IS OFF")
}

func TestTLSDaemon(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.New(t, dir)
	c := newCredentials(t, dir)
	webFile := filepath.Join(dir, "web.yml")
	require.NoError(t, os.WriteFile(webFile, []byte(fmt.Sprintf("tls_server_config: {cert_file: %s, key_file: %s}\n%s",
		ca.CertFile, ca.KeyFile, c.webConfig)), 0o600))
	d := startSecure(t, c.authText, steward.Options{WebConfigFile: webFile})

	d.base = "https://" + d.addr
	d.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}
	assert.Equal(t, http.StatusOK, d.do(t, "GET", "/healthz", "").status)
	assert.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/scorecards?role=global", "", bearerHeader(c.read)...).status)
	assert.Equal(t, http.StatusOK, d.do(t, "GET", "/ui/", "", basicHeader("root", "root-password")...).status)
	assert.Equal(t, http.StatusUnauthorized, d.do(t, "GET", "/api/v1/scorecards", "").status)

	resp, err := http.Get("http://" + d.addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "plain HTTP to the TLS port is refused")
	}
	_, err = (&http.Client{}).Get("https://" + d.addr + "/healthz")
	assert.ErrorContains(t, err, "certificate signed by unknown authority")
}

func TestBatchLimit(t *testing.T) {
	d := startSecure(t, "", steward.Options{MaxBatchRecords: 3})
	rec := func(i int) string {
		return fmt.Sprintf(`{"id":"INC-%d","system":"payments-api","severity":3,"opened_at":"2026-01-01T00:00:00Z"}`, i)
	}
	batch := func(n int) string {
		var lines []string
		for i := range n {
			lines = append(lines, rec(i))
		}
		return "[" + strings.Join(lines, ",") + "]"
	}
	got := d.do(t, "POST", "/api/v1/incidents", batch(4))
	assert.Equal(t, http.StatusRequestEntityTooLarge, got.status)
	assert.JSONEq(t, `{"error": "batch has more than the limit of 3 records (--web.max-batch-records); split it"}`, got.body)
	assert.Equal(t, http.StatusOK, d.do(t, "POST", "/api/v1/incidents", batch(3)).status)
}

// TestSlowHeadersAreCut sends a request whose headers never end: the
// daemon closes the connection (--web.read-header-timeout) instead of
// holding it. The client's own deadline is only a guard against a hang.
func TestSlowHeadersAreCut(t *testing.T) {
	d := startSecure(t, "", steward.Options{ReadHeaderTimeout: 50 * time.Millisecond})
	conn, err := net.Dial("tcp", d.addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: steward\r\nX-Slow: ")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(time.Minute)))
	_, err = bufio.NewReader(conn).ReadByte()
	require.Error(t, err, "no answer to headers that never end")
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the server closed the connection; the client did not give up: %v", err)
}

// auditLines reads an audit file of JSON lines.
func auditLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	c := newCredentials(t, dir)
	auditFile := filepath.Join(dir, "audit.log")
	d := startSecure(t, c.authText, steward.Options{AuditFile: auditFile})

	require.Equal(t, http.StatusOK, d.do(t, "POST", "/-/reload", "", bearerHeader(c.admin)...).status)
	good, err := os.ReadFile(d.cfgFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(d.cfgFile, append(good, []byte("nonsense: true\n")...), 0o600))
	require.Equal(t, http.StatusInternalServerError, d.do(t, "POST", "/-/reload", "", bearerHeader(c.admin)...).status)
	require.NoError(t, os.WriteFile(d.cfgFile, good, 0o600))
	require.Equal(t, http.StatusForbidden, d.do(t, "POST", "/-/reload", "", bearerHeader(c.read)...).status)
	require.Equal(t, http.StatusOK, d.do(t, "POST", "/api/v1/reviews", `{"role":"system","subject":"payments-api","period":"2026-Q1"}`, bearerHeader(c.admin)...).status)
	require.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/quarantine?limit=5", "", bearerHeader(c.admin)...).status)
	require.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/scorecards", "", bearerHeader(c.admin)...).status)

	lines := auditLines(t, auditFile)
	require.Len(t, lines, 5, "one line per admin call, none for reads")
	type row struct{ action, actor, outcome, reason string }
	var got []row
	for _, l := range lines {
		assert.Equal(t, true, l["audit"])
		_, err := time.Parse(time.RFC3339Nano, l["time"].(string))
		assert.NoError(t, err, "when")
		r := row{l["action"].(string), l["actor"].(string), l["outcome"].(string), ""}
		if v, ok := l["reason"].(string); ok {
			r.reason = v
		}
		got = append(got, r)
	}
	assert.Equal(t, []row{
		{"config.reload", "ops", "success", ""},
		{"config.reload", "ops", "failure", `failed to reload config: line 21: unknown key "nonsense"`},
		{"config.reload", "grafana", "denied", `token "grafana" has scopes [read]; POST /-/reload needs admin`},
		{"reviews.freeze", "ops", "success", ""},
		{"quarantine.read", "ops", "success", ""},
	}, got)
	assert.Equal(t, `{"role":"system","subject":"payments-api","period":"2026-Q1"}`, lines[3]["request"], "what was frozen")
	assert.NotContains(t, string(mustRead(t, auditFile)), c.admin, "no credential in the audit log")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestCommandsAudit(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "steward.yml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(secureConfig, filepath.Join(dir, "steward.db"), "")), 0o600))
	records := filepath.Join(dir, "incidents.ndjson")
	require.NoError(t, os.WriteFile(records, []byte(`{"id":"INC-1","system":"payments-api","severity":2,"opened_at":"2026-01-01T00:00:00Z"}
{"id":"INC-2","system":"payments-api","severity":9,"opened_at":"2026-01-01T00:00:00Z"}
`), 0o600))
	auditFile := filepath.Join(dir, "audit.log")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"import", "--config.file", cfgFile, "--format", "ndjson", "--kind", "incident",
		"--log.audit-file", auditFile, records}, &stdout, &stderr), stderr.String())
	require.NoError(t, run(context.Background(), []string{"report", "--config.file", cfgFile, "--role", "system", "--subject", "payments-api",
		"--period", "2026-Q1", "--freeze", "--log.audit-file", auditFile}, &stdout, &stderr), stderr.String())
	require.NoError(t, run(context.Background(), []string{"quarantine", "list", "--config.file", cfgFile, "--log.audit-file", auditFile}, &stdout, &stderr), stderr.String())
	_, err := os.Stat(filepath.Join(dir, "missing.ndjson"))
	require.Error(t, err)
	require.Error(t, run(context.Background(), []string{"import", "--config.file", cfgFile, "--format", "ndjson", "--kind", "incident",
		"--log.audit-file", auditFile, filepath.Join(dir, "missing.ndjson")}, &stdout, &stderr))

	lines := auditLines(t, auditFile)
	require.Len(t, lines, 4)
	for _, l := range lines {
		assert.Equal(t, "local", l["actor"])
		assert.Equal(t, "local", l["actor_kind"])
		assert.NotEmpty(t, l["os_user"])
	}
	assert.Equal(t, "records.import", lines[0]["action"])
	assert.Equal(t, "success", lines[0]["outcome"])
	assert.EqualValues(t, 1, lines[0]["accepted"])
	assert.EqualValues(t, 1, lines[0]["rejected"])
	assert.Equal(t, "reviews.freeze", lines[1]["action"])
	assert.Equal(t, "2026-Q1", lines[1]["period"])
	assert.Equal(t, "quarantine.read", lines[2]["action"])
	assert.EqualValues(t, 1, lines[2]["listed"])
	assert.Equal(t, "records.import", lines[3]["action"])
	assert.Equal(t, "failure", lines[3]["outcome"])
	assert.Contains(t, lines[3]["reason"], "missing.ndjson")

	stderr.Reset()
	require.NoError(t, run(context.Background(), []string{"quarantine", "list", "--config.file", cfgFile}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "audit=true", "without a file, the audit line goes to standard error")
	assert.Contains(t, stderr.String(), "action=quarantine.read")
}

package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	steward "github.com/steward-sh/steward/internal/daemon"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// TestReloadCannotSwitchAuthenticationOff reloads a config truncated after
// its storage section while tokens are in force: the reload is refused and
// the tokens stay. A config that says auth: {allow_none: true} opens the
// daemon on purpose.
func TestReloadCannotSwitchAuthenticationOff(t *testing.T) {
	c := newCredentials(t, t.TempDir())
	d := startSecure(t, c.authText, steward.Options{})
	require.Equal(t, http.StatusUnauthorized, d.do(t, "GET", "/api/v1/quarantine", "").status)

	d.writeConfig(t, "") // every credential gone
	got := d.do(t, "POST", "/-/reload", "", bearerHeader(c.admin)...)
	assert.Equal(t, http.StatusInternalServerError, got.status, got.body)
	assert.Contains(t, got.body, "allow_none")
	assert.Equal(t, http.StatusUnauthorized, d.do(t, "GET", "/api/v1/quarantine", "").status, "the tokens stay in force")
	assert.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/quarantine", "", bearerHeader(c.admin)...).status)

	d.writeConfig(t, "auth: {allow_none: true}\n")
	got = d.do(t, "POST", "/-/reload", "", bearerHeader(c.admin)...)
	assert.Equal(t, http.StatusOK, got.status, got.body)
	assert.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/quarantine", "").status, "opened on purpose")
	assert.Contains(t, d.log.String(), "AUTHENTICATION IS OFF")
}

// TestReloadWebConfigKeepsTheLastGood breaks the web config file at run
// time (half written, then emptied of its users): the last good users stay
// in force, health checks and vendor webhooks are served as before (a
// GitLab delivery is stored, not lost), and the file's next good content
// applies.
func TestReloadWebConfigKeepsTheLastGood(t *testing.T) {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	require.NoError(t, err)
	webFile := filepath.Join(dir, "web.yml")
	write := func(text string) { require.NoError(t, os.WriteFile(webFile, []byte(text), 0o600)) }
	write(fmt.Sprintf("basic_auth_users: {root: %q}\n", hash))
	d := startSecure(t, "collectors:\n  gitlab: {token: gl-token}\n", steward.Options{WebConfigFile: webFile})
	root := basicHeader("root", "pw")
	require.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/quarantine", "", root...).status)

	const delivery = `{"object_kind":"deployment","status":"success","status_changed_at":"2026-01-01 00:00:00 +0000",` +
		`"deployment_id":15,"environment":"production","project":{"path_with_namespace":"payments-api"}}`
	for i, broken := range []string{"basic_auth_users: [\n", "http_server_config: {headers: {X-Frame-Options: deny}}\n"} {
		write(broken)
		assert.Equal(t, http.StatusUnauthorized, d.do(t, "GET", "/api/v1/quarantine", "").status, "%d: still protected", i)
		assert.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/quarantine", "", root...).status, "%d: the last good users", i)
		assert.Equal(t, http.StatusOK, d.do(t, "GET", "/healthz", "").status, "%d", i)
		got := d.do(t, "POST", "/hooks/gitlab", delivery, "X-Gitlab-Token", "gl-token")
		assert.Equal(t, http.StatusOK, got.status, "%d: a GitLab delivery is stored: %s", i, got.body)
	}
	assert.Contains(t, d.log.String(), "removes every basic auth user")

	write(fmt.Sprintf("basic_auth_users: {other: %q}\n", hash))
	assert.Equal(t, http.StatusUnauthorized, d.do(t, "GET", "/api/v1/quarantine", "", root...).status, "the new users apply")
	assert.Equal(t, http.StatusOK, d.do(t, "GET", "/api/v1/quarantine", "", basicHeader("other", "pw")...).status)
}

// TestAuditNeverHoldsTokens calls an admin route with credentials where
// they do not belong (the query, an Authorization header without a scheme
// or with another one): none of them reaches the audit log, the log or the
// answer.
func TestAuditNeverHoldsTokens(t *testing.T) {
	dir := t.TempDir()
	c := newCredentials(t, dir)
	auditFile := filepath.Join(dir, "audit.log")
	d := startSecure(t, c.authText, steward.Options{AuditFile: auditFile})
	var bodies []string
	for _, call := range []struct {
		path   string
		header []string
	}{
		{"/api/v1/quarantine?access_token=" + c.admin, nil},
		{"/api/v1/quarantine?limit=5&x=" + c.admin, nil},
		{"/api/v1/quarantine?limit=5&x=" + c.read, bearerHeader(c.read)},
		{"/api/v1/quarantine", []string{"Authorization", c.admin}},
		{"/api/v1/quarantine", []string{"Authorization", c.admin + " trailing"}},
		{"/api/v1/quarantine", []string{"Authorization", "Token " + c.admin}},
	} {
		got := d.do(t, "GET", call.path, "", call.header...)
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, got.status, call.path)
		bodies = append(bodies, got.body)
	}
	lines := auditLines(t, auditFile)
	assert.Len(t, lines, 6)
	for _, text := range append(bodies, string(mustRead(t, auditFile)), d.log.String()) {
		for _, tok := range []string{c.admin, c.read} {
			assert.NotContains(t, text, tok)
		}
	}
	assert.Equal(t, "access_token=REDACTED", lines[0]["query"])
	assert.Equal(t, "limit=5&x=REDACTED", lines[1]["query"])
}

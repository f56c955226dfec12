package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	hashA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" // sha256("test")
	hashB = "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824" // sha256("hello"), upper case
)

func TestAuthParse(t *testing.T) {
	file := filepath.Join(t.TempDir(), "grafana.sha256")
	require.NoError(t, os.WriteFile(file, []byte(hashB+"\n"), 0o600))
	cfg, err := Parse([]byte(fmt.Sprintf(`
auth:
  metrics: read
  tokens:
    - {name: ci, scopes: [ingest], sha256: %s}
    - {name: grafana, scopes: [read, ingest], sha256_file: %s, expires: 2027-01-01T00:00:00Z}
  users:
    - {name: viewer, scopes: [read]}
`, hashA, file)))
	require.NoError(t, err)
	a := cfg.Auth
	assert.Equal(t, ScopeRead, a.Metrics)
	require.Len(t, a.Tokens, 2)
	assert.Equal(t, Token{Name: "ci", Scopes: []Scope{ScopeIngest}, SHA256: hashA}, a.Tokens[0])
	assert.Equal(t, Token{Name: "grafana", Scopes: []Scope{ScopeRead, ScopeIngest}, SHA256: Secret(strings.ToLower(hashB)),
		Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, a.Tokens[1], "the file's hash, lower-cased")
	assert.Equal(t, []User{{Name: "viewer", Scopes: []Scope{ScopeRead}}}, a.Users)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", a, a, a), hashA, "hashes never print")

	none, err := Parse([]byte(`windows: [30d]`))
	require.NoError(t, err)
	assert.Equal(t, Auth{}, none.Auth, "no section: no token, metrics open")
	open, err := Parse([]byte(`auth: {metrics: open}`))
	require.NoError(t, err)
	assert.Equal(t, Scope(""), open.Auth.Metrics)
	assert.False(t, open.Auth.AllowNone)
	allow, err := Parse([]byte(`auth: {allow_none: true}`))
	require.NoError(t, err)
	assert.True(t, allow.Auth.AllowNone)
	_, err = Parse([]byte(`auth: {allow_none: maybe}`))
	assert.ErrorContains(t, err, "allow_none")
}

func TestAuthErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.sha256")
	require.NoError(t, os.WriteFile(file, []byte(hashA), 0o600))
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown scope", `{name: a, scopes: [write], sha256: ` + hashA + `}`, `line 3: auth: token "a": unknown scope "write" (want ingest, read or admin)`},
		{"no scopes", `{name: a, sha256: ` + hashA + `}`, `line 3: auth: token "a": scopes is required`},
		{"empty scopes", `{name: a, scopes: [], sha256: ` + hashA + `}`, `auth: token "a": scopes is empty`},
		{"scope twice", `{name: a, scopes: [read, read], sha256: ` + hashA + `}`, `scope "read" is listed twice`},
		{"no name", `{scopes: [read], sha256: ` + hashA + `}`, `line 3: auth: tokens[0]: name is required`},
		{"no hash", `{name: a, scopes: [read]}`, `auth: token "a": sha256 or sha256_file is required`},
		{"the token itself", `{name: a, scopes: [read], sha256: stw_secret}`, `sha256 must be 64 hex digits, the SHA-256 of the token (steward token hash prints it), not the token itself`},
		{"not hex", `{name: a, scopes: [read], sha256: ` + strings.Repeat("z", 64) + `}`, `sha256 must be 64 hex digits`},
		{"both", `{name: a, scopes: [read], sha256: ` + hashA + `, sha256_file: ` + file + `}`, `auth: token "a": give sha256 or sha256_file, not both`},
		{"missing file", `{name: a, scopes: [read], sha256_file: /nonexistent/x}`, `auth: token "a": sha256_file: open /nonexistent/x`},
		{"unknown key", `{name: a, scopes: [read], sha256: ` + hashA + `, token: x}`, `auth: token "a": unknown key "token"`},
		{"bad expires", `{name: a, scopes: [read], sha256: ` + hashA + `, expires: soon}`, `bad time "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte("auth:\n  tokens:\n    - " + tt.yaml + "\n"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}

	whole := []struct {
		name, yaml, want string
	}{
		{"two names", "auth:\n  tokens:\n    - {name: a, scopes: [read], sha256: " + hashA + "}\n    - {name: a, scopes: [read], sha256: " + hashB + "}\n",
			`line 4: auth: token "a": name is used by another token (line 3)`},
		{"one token twice", "auth:\n  tokens:\n    - {name: a, scopes: [read], sha256: " + hashA + "}\n    - {name: b, scopes: [admin], sha256: " + hashA + "}\n",
			`line 4: auth: token "b": has the same hash as token "a"`},
		{"metrics", "auth: {metrics: admin}\n", `line 1: auth: metrics "admin": want open or read`},
		{"user twice", "auth:\n  users: [{name: v, scopes: [read]}, {name: v, scopes: [admin]}]\n", `auth: user "v": listed twice`},
		{"user without scopes", "auth:\n  users: [{name: v}]\n", `auth: user "v": scopes is required`},
		{"unknown auth key", "auth: {token: x}\n", `auth: unknown key "token"`},
	}
	for _, tt := range whole {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestAllows(t *testing.T) {
	assert.True(t, Allows([]Scope{ScopeRead}, ScopeRead))
	assert.False(t, Allows([]Scope{ScopeRead}, ScopeIngest))
	assert.False(t, Allows([]Scope{ScopeIngest, ScopeRead}, ScopeAdmin))
	assert.True(t, Allows([]Scope{ScopeAdmin}, ScopeIngest), "admin implies ingest")
	assert.True(t, Allows([]Scope{ScopeAdmin}, ScopeRead), "admin implies read")
	assert.False(t, Allows(nil, ScopeRead))
}

package auth

import (
	"net/url"
	"strings"

	"github.com/steward-sh/steward/config"
)

// secretParams are parts of query parameter names whose values may be
// credentials (access_token, api_key, password, sig...).
var secretParams = []string{"token", "key", "secret", "pass", "auth", "sig", "cred", "session", "code"}

const redacted = "REDACTED"

// redactQuery returns a raw query as the audit log shows it: a parameter's
// value is replaced when its name says it may be a credential, when it
// looks like a Steward token, or when it is one of the configured tokens.
// Credentials are refused in the query, but a client may still send them
// there, and the audit log must not keep them.
func redactQuery(raw string, tokens []config.Token) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		name, _ := url.QueryUnescape(k)
		value, err := url.QueryUnescape(v)
		if err != nil {
			value = v
		}
		if v != "" && secretValue(strings.ToLower(name), value, tokens) {
			parts[i] = k + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

func secretValue(name, value string, tokens []config.Token) bool {
	for _, s := range secretParams {
		if strings.Contains(name, s) {
			return true
		}
	}
	if strings.HasPrefix(value, "stw_") {
		return true
	}
	_, ok := match(tokens, value)
	return ok
}

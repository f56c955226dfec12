package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/steward-sh/steward/config"
)

func TestRedactQuery(t *testing.T) {
	sum := sha256.Sum256([]byte("plain-secret-value"))
	tokens := []config.Token{{Name: "ops", SHA256: config.Secret(hex.EncodeToString(sum[:]))}}
	tests := map[string]string{
		"limit=5":                  "limit=5",
		"access_token=abc&limit=5": "access_token=REDACTED&limit=5",
		"api_key=abc&Password=x&X-Amz-Signature=": "api_key=REDACTED&Password=REDACTED&X-Amz-Signature=",
		"q=stw_abcdef":                        "q=REDACTED",
		"x=plain-secret-value&y=2":            "x=REDACTED&y=2",
		"x=plain%2Dsecret%2Dvalue":            "x=REDACTED",
		"at=2026-01-01T00:00:00Z&role=system": "at=2026-01-01T00:00:00Z&role=system",
		"bare&%zz=1":                          "bare&%zz=1",
	}
	for in, want := range tests {
		assert.Equal(t, want, redactQuery(in, tokens), in)
	}
}

func TestSchemeName(t *testing.T) {
	assert.Equal(t, `"Token"`, schemeName("Token"))
	assert.Equal(t, `"Digest"`, schemeName("Digest"))
	assert.Equal(t, "(not shown)", schemeName("stw_Q2x0abcdef"))
	assert.Equal(t, "(not shown)", schemeName("averyveryverylongword"))
}

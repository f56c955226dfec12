package csvsafe

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestText(t *testing.T) {
	tests := map[string]string{
		`=HYPERLINK("https://evil.example","x")`: `'=HYPERLINK("https://evil.example","x")`,
		"+cmd|' /C calc'!A0":                     "'+cmd|' /C calc'!A0",
		"-2+3":                                   "'-2+3",
		"@SUM(A1:A9)":                            "'@SUM(A1:A9)",
		"\t=1":                                   "'\t=1",
		"\r=1":                                   "'\r=1",
		"payments-api":                           "payments-api",
		"a=b":                                    "a=b",
		"":                                       "",
	}
	for in, want := range tests {
		assert.Equal(t, want, Text(in), "%q", in)
	}
}

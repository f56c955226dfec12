package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/steward-sh/steward/internal/auth"
)

func TestTokenCommand(t *testing.T) {
	tok := func(args []string, stdin string) (string, error) {
		var out, errb bytes.Buffer
		err := runTokenWith(args, strings.NewReader(stdin), &out, &errb)
		return out.String(), err
	}
	out, err := tok([]string{"generate"}, "")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	token := strings.TrimSpace(strings.TrimPrefix(lines[0], "token:"))
	sum := strings.TrimSpace(strings.TrimPrefix(lines[1], "sha256:"))
	assert.True(t, strings.HasPrefix(token, "stw_"), token)
	assert.Len(t, token, len("stw_")+43, "256 random bits")
	assert.Equal(t, auth.HashToken(token), sum)
	again, err := tok([]string{"generate"}, "")
	require.NoError(t, err)
	assert.NotEqual(t, out, again)

	out, err = tok([]string{"hash"}, token+"\n")
	require.NoError(t, err)
	assert.Equal(t, sum+"\n", out, "hash of what generate printed")
	out, err = tok([]string{"hash"}, "test")
	require.NoError(t, err)
	assert.Equal(t, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n", out)
	_, err = tok([]string{"hash"}, "\n")
	assert.ErrorContains(t, err, "nothing on standard input")

	out, err = tok([]string{"bcrypt", "--cost", strconv.Itoa(bcrypt.MinCost)}, " pass word \n")
	require.NoError(t, err)
	assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(strings.TrimSpace(out)), []byte(" pass word ")), "a password keeps its spaces")

	_, err = tok(nil, "")
	assert.ErrorIs(t, err, errUsage)
	_, err = tok([]string{"rotate"}, "")
	assert.ErrorIs(t, err, errUsage)
}

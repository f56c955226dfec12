package config

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/backstage"
)

func TestBackstageCatalog(t *testing.T) {
	parsed, err := Load("../examples/backstage/steward.yml")
	require.NoError(t, err)
	b := parsed.Catalog.Backstage
	require.NotNil(t, b)
	want, err := filepath.Abs("../examples/backstage")
	require.NoError(t, err)
	got, err := filepath.Abs(b.Path)
	require.NoError(t, err)
	assert.Equal(t, want, got, "path is relative to the config file")
	assert.Nil(t, parsed.CatalogReport, "parsing reads no catalog")
	_, ok := parsed.System("PXYZ123")
	assert.False(t, ok)

	entities, err := backstage.ReadDir(b.Path)
	require.NoError(t, err)
	c := parsed.WithCatalog(entities, b.Path)
	_, ok = parsed.System("PXYZ123")
	assert.False(t, ok, "WithCatalog leaves the parsed config as it was")
	r := c.CatalogReport
	require.NotNil(t, r)
	assert.Equal(t, [4]int{2, 2, 3, 3}, [4]int{r.People, r.Programs, r.Systems, r.Aliases})
	assert.Len(t, r.Conflicts, 3)

	s, ok := c.System("PXYZ123")
	require.True(t, ok)
	assert.Equal(t, "payments-api", s.ID)
	assert.Equal(t, "checkout", s.Program)
	assert.Equal(t, "alice", s.OwnerAt(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)))
	assert.Empty(t, s.OwnerAt(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)), "owners start at catalog.backstage.since")
	s, _ = c.System("search-svc")
	assert.Equal(t, "bob", s.OwnerAt(time.Now()), "a group's accountable person")
	s, _ = c.System("legacy-reporting")
	assert.Equal(t, "davis", s.OwnerAt(time.Now()), "the config wins")
	p, ok := c.Program("checkout")
	require.True(t, ok)
	assert.Equal(t, "carol", p.Manager)
	alice, ok := c.Person("alice")
	require.True(t, ok)
	assert.Equal(t, "alice@example.com", alice.Email)
}

func TestBackstageCatalogErrors(t *testing.T) {
	_, err := Parse([]byte("catalog: {backstage: {since: 2025-01-01}}\n"))
	assert.EqualError(t, err, "line 1: catalog.backstage: give exactly one of path or url")
	_, err = Parse([]byte("catalog: {backstage: {url: 'http://b', token_file: t, authorization: {credentials: x}}}\n"))
	assert.EqualError(t, err, "line 1: catalog.backstage: give token_file or Prometheus's authorization settings, not both")
	_, err = Parse([]byte("catalog: {backstage: {url: 'http://b', tls_config: {ca_filez: x}}}\n"))
	assert.ErrorContains(t, err, "line 1: catalog.backstage: yaml: unmarshal errors:")
	c, err := Parse([]byte("catalog: {backstage: {url: 'http://b', token_file: /run/token, tls_config: {insecure_skip_verify: true}}}\n"))
	require.NoError(t, err)
	require.NotNil(t, c.Catalog.Backstage.HTTP.Authorization)
	assert.Equal(t, "/run/token", c.Catalog.Backstage.HTTP.Authorization.CredentialsFile)
	assert.True(t, c.Catalog.Backstage.HTTP.TLSConfig.InsecureSkipVerify)
	_, err = Parse([]byte("catalog: {backstage: {path: x, group_accountable: {team: zed}}}\n"))
	assert.EqualError(t, err, `line 1: catalog.backstage: group_accountable person "zed" is not declared under people`)
}

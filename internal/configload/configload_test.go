package configload

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The loader reads the catalog API with Prometheus's HTTP client settings
// (here a bearer token in a file beside the config) at every load;
// config.Load itself reads nothing but the file.
func TestLoadConfigReadsCatalogAPI(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode([]map[string]any{
			{"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": map[string]any{"name": "alice"}},
			{"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": map[string]any{"name": "api",
				"annotations": map[string]any{"pagerduty.com/service-id": "PAPI01"}}, "spec": map[string]any{"owner": "user:alice"}},
		})
	}))
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "steward.yml")
	write := func(token string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "token"), []byte(token+"\n"), 0o600))
		require.NoError(t, os.WriteFile(file, []byte("catalog:\n  backstage:\n    url: "+srv.URL+"\n    token_file: token\n    since: 2025-01-01\n"), 0o600))
	}
	write("s3cret")
	cfg, err := Load(context.Background(), file)
	require.NoError(t, err)
	s, ok := cfg.System("PAPI01")
	require.True(t, ok)
	assert.Equal(t, "api", s.ID)
	assert.Equal(t, "alice", s.Owners[0].Owner)
	assert.Equal(t, srv.URL, cfg.CatalogReport.Source)
	assert.EqualValues(t, 1, calls.Load())

	write("wrong")
	_, err = Load(context.Background(), file)
	assert.ErrorContains(t, err, "catalog.backstage: backstage: GET "+srv.URL+"/api/catalog/entities?")
	assert.ErrorContains(t, err, "401 Unauthorized")

	require.NoError(t, os.WriteFile(file, []byte("catalog: {backstage: {path: missing-dir}}\n"), 0o600))
	_, err = Load(context.Background(), file)
	assert.ErrorContains(t, err, "catalog.backstage: backstage: lstat "+filepath.Join(dir, "missing-dir")+": no such file or directory")
}

package dashboards

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/mixin"
)

// The committed dashboards and provisioning files are exactly what the
// generator writes: run `make dashboards` after changing the generator.
func TestCommittedFilesAreGenerated(t *testing.T) {
	files, err := Files(mixin.DefaultConfig())
	require.NoError(t, err)
	for name, want := range files {
		got, err := os.ReadFile(filepath.FromSlash(name))
		if !assert.NoError(t, err, "%s is not committed: run make dashboards", name) {
			continue
		}
		assert.Equal(t, string(want), string(got), "%s differs from the generator's output: run make dashboards", name)
	}
	committed, err := filepath.Glob(filepath.Join("json", "*.json"))
	require.NoError(t, err)
	var generated []string
	for name := range files {
		if filepath.Dir(name) == "json" {
			generated = append(generated, filepath.FromSlash(name))
		}
	}
	sort.Strings(generated)
	assert.Equal(t, generated, committed, "dashboards/json holds exactly the generated dashboards")
}

// Write replaces the dashboards of a folder and writes the same files as
// Files.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "json"), 0o755))
	stale := filepath.Join(dir, "json", "removed-dashboard.json")
	require.NoError(t, os.WriteFile(stale, []byte("{}"), 0o644))

	require.NoError(t, Write(dir, mixin.DefaultConfig()))
	files, err := Files(mixin.DefaultConfig())
	require.NoError(t, err)
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), name)
	}
	assert.NoFileExists(t, stale, "a dashboard the generator no longer makes is removed")
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/dashboards"
	"github.com/steward-sh/steward/mixin"
)

func runDashboardsCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"dashboards"}, args...), &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// steward dashboards writes what the generators make; with a config file
// the KPI colours follow its objectives and its windows are checked.
func TestDashboardsCommand(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		out, mx := t.TempDir(), t.TempDir()
		_, err := runDashboardsCmd(t, "--output.dir", out, "--mixin.dir", mx)
		require.NoError(t, err)
		want, err := dashboards.Files(mixin.DefaultConfig())
		require.NoError(t, err)
		for name, b := range want {
			assert.Equal(t, string(b), readFile(t, filepath.Join(out, filepath.FromSlash(name))), name)
		}
		rules, err := mixin.Files(mixin.DefaultConfig())
		require.NoError(t, err)
		for name, b := range rules {
			assert.Equal(t, string(b), readFile(t, filepath.Join(mx, name)), name)
		}
	})

	t.Run("objectives from a config file", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "steward.yml")
		require.NoError(t, os.WriteFile(cfg, []byte("windows: [7d, 30d, 90d]\nobjectives:\n  mttr_seconds: {objective: 1234, warning: 5678}\n"), 0o600))
		out := filepath.Join(dir, "out")
		_, err := runDashboardsCmd(t, "--config.file", cfg, "--output.dir", out, "--mixin.dir", filepath.Join(dir, "mixin"))
		require.NoError(t, err)
		owner := readFile(t, filepath.Join(out, "json", "steward-owner.json"))
		assert.Contains(t, owner, `"value": 1234`)
		assert.Contains(t, owner, `"value": 5678`)
		assert.NotContains(t, owner, `"value": 14400`, "the default MTTR objective is gone")
	})

	t.Run("a window the config does not compute", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "steward.yml")
		require.NoError(t, os.WriteFile(cfg, []byte("windows: [7d, 28d]\n"), 0o600))
		_, err := runDashboardsCmd(t, "--config.file", cfg, "--output.dir", dir, "--mixin.dir", dir)
		require.Error(t, err)
		assert.Equal(t, `mixin: breach window "30d" is not a configured window [7d 28d]`, err.Error())
		_, err = runDashboardsCmd(t, "--config.file", cfg, "--window.breach", "28d", "--window.long", "28d", "--output.dir", dir, "--mixin.dir", dir)
		require.NoError(t, err)
		assert.True(t, strings.Contains(readFile(t, filepath.Join(dir, "alerts.yml")), `max without (instance, pod) (steward_kpi_status{window="28d"}) == 2`))
	})
}

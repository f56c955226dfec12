package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
)

// A reload does every fallible step before the swap: a file that does not
// parse, a storage change and a refused check each keep the config in
// force and tell no subscriber; a good one is swapped in, then the
// outcome and the subscribers are told in the order they subscribed.
func TestCoordinatorReload(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "steward.yml")
	write := func(dsn, windows string) {
		require.NoError(t, os.WriteFile(file, fmt.Appendf(nil, "storage: {driver: sqlite, dsn: %q}\nwindows: [%s]\n", dsn, windows), 0o600))
	}
	dsn := filepath.Join(dir, "s.db")
	write(dsn, "30d")
	var logs bytes.Buffer
	c, err := NewCoordinator(context.Background(), file, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	first := c.Config()
	require.Equal(t, "30d", first.Windows[0].Name)

	var told []string
	c.Outcome(func(ok bool) { told = append(told, fmt.Sprintf("outcome %v", ok)) })
	c.Subscribe(func(cfg *config.Config) {
		assert.Same(t, cfg, c.Config(), "subscribers see the new config in force")
		told = append(told, "first "+cfg.Windows[0].Name)
	})
	c.Subscribe(func(cfg *config.Config) { told = append(told, "second "+cfg.Windows[0].Name) })
	refuse := false
	c.Check(func(old, new *config.Config) error {
		assert.Same(t, c.Config(), old, "checks run before the swap")
		if refuse {
			return errors.New("refused by the check")
		}
		return nil
	})

	require.NoError(t, os.WriteFile(file, []byte("storage: {driver: sqlite\n"), 0o600))
	require.Error(t, c.Reload())
	write(filepath.Join(dir, "other.db"), "7d")
	require.ErrorContains(t, c.Reload(), "storage settings changed")
	write(dsn, "7d")
	refuse = true
	require.EqualError(t, c.Reload(), "refused by the check")
	assert.Same(t, first, c.Config(), "failed reloads keep the config in force")
	assert.Equal(t, []string{"outcome false", "outcome false", "outcome false"}, told, "no subscriber hears of a failed reload")
	assert.Contains(t, logs.String(), "config reload refused; the previous config stays in force")

	refuse, told = false, nil
	require.NoError(t, c.Reload())
	assert.Equal(t, "7d", c.Config().Windows[0].Name)
	assert.Equal(t, []string{"outcome true", "first 7d", "second 7d"}, told)
}

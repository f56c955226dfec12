package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	for i := range 2 { // a second opening appends, as a restarted daemon or a command does
		log, closer, err := Open(path, nil)
		require.NoError(t, err)
		outcome := Success
		if i == 1 {
			outcome = Failure
		}
		log.Record(context.Background(), Entry{Actor: "ops", ActorKind: KindToken, Action: "config.reload", Outcome: outcome,
			Reason: map[bool]string{true: "bad config"}[i == 1], Attrs: []slog.Attr{slog.Int("status", 200)}})
		require.NoError(t, closer.Close())
	}
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the audit log is not world-readable")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	require.Len(t, lines, 2)
	var first, second map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
	delete(first, "time")
	assert.Equal(t, map[string]any{"level": "INFO", "msg": "audit: config.reload", "audit": true, "action": "config.reload",
		"actor": "ops", "actor_kind": "token", "outcome": "success", "status": 200.0}, first)
	assert.Equal(t, "WARN", second["level"], "failures stand out")
	assert.Equal(t, "bad config", second["reason"])
}

func TestOpenFallback(t *testing.T) {
	var b strings.Builder
	log, closer, err := Open("", slog.New(slog.NewTextHandler(&b, nil)))
	require.NoError(t, err)
	log.Record(context.Background(), Entry{Actor: "SIGHUP", ActorKind: KindSignal, Action: "config.reload", Outcome: Success})
	require.NoError(t, closer.Close())
	assert.Contains(t, b.String(), `msg="audit: config.reload" audit=true action=config.reload actor=SIGHUP actor_kind=signal outcome=success`)

	_, _, err = Open(filepath.Join(t.TempDir(), "no", "such", "dir", "audit.log"), nil)
	assert.ErrorContains(t, err, "audit log: open")
}

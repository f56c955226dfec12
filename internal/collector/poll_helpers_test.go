package collector

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// pollFixtures is the fixtures folder (copied from the shared fixtures with
// their licences and provenance).
func pollFixtures(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join("testdata", "fixtures", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("fixtures not found at %s: %v", dir, err)
	}
	return dir
}

// fakeSleeps records the waits a poller asks for instead of waiting, so that
// retry tests assert the exact backoff without taking time.
type fakeSleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *fakeSleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *fakeSleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// openPollStore opens a real SQLite store at path (reopening it if it exists).
func openPollStore(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite", path, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func pollIncidents(t *testing.T, db *store.DB) map[string]record.Incident {
	t.Helper()
	ins, err := db.Incidents(context.Background(), 0, 1_000_000)
	require.NoError(t, err)
	out := map[string]record.Incident{}
	for _, in := range ins {
		_, dup := out[in.ID]
		require.False(t, dup, "incident %s stored twice", in.ID)
		out[in.ID] = in
	}
	return out
}

func pollCursor(t *testing.T, db *store.DB, name string) string {
	t.Helper()
	c, err := db.Cursor(context.Background(), name)
	require.NoError(t, err)
	return c
}

func pollTime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

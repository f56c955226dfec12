package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

// TestQuarantineKeepsABoundedPrefix checks on both stores that a huge
// rejected record is kept as its first MaxQuarantinedRaw bytes, cut on a
// UTF-8 boundary and marked as cut, while a small one is kept whole.
func TestQuarantineKeepsABoundedPrefix(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T) record.Store{
		"sqlite": func(t *testing.T) record.Store {
			return openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db"))
		},
		"postgres": func(t *testing.T) record.Store {
			postgresDSN(t)
			return openTestDB(t, "postgres", newPostgresDatabase(t))
		},
	}
	// "é" is two bytes: the prefix lands in the middle of one.
	huge := `{"title": "` + strings.Repeat("é", 16<<20) + `"}`
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			small := record.Rejected{Kind: record.KindIncident, Source: "api", Index: 0, Error: "bad", Raw: `{"id":1}`, ReceivedAt: t0}
			big := record.Rejected{Kind: record.KindIncident, Source: "api", Index: 1, Error: "too long", Raw: huge, ReceivedAt: t0.Add(1)}
			require.NoError(t, s.Write(context.Background(), record.Batch{Rejected: []record.Rejected{small, big}}))
			got := quarantined(t, s)
			require.Len(t, got, 2)
			assert.Equal(t, small, got[1], "a small record is kept whole")
			kept := got[0]
			assert.Equal(t, MaxQuarantinedRaw-1, len(kept.Raw), "cut before the split character")
			assert.True(t, strings.HasPrefix(huge, kept.Raw))
			assert.Equal(t, "too long [raw record truncated: the first 65535 of its 33554445 bytes are kept]", kept.Error)
		})
	}
}

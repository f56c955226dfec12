package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

func TestLastByKey(t *testing.T) {
	in := func(source, id, title string) record.Incident {
		return record.Incident{Source: source, ID: id, Title: title}
	}
	tests := []struct {
		name string
		in   []record.Incident
		want []record.Incident
	}{
		{name: "empty", in: nil, want: nil},
		{name: "distinct keys keep their order", in: []record.Incident{in("a", "1", ""), in("a", "2", ""), in("b", "1", "")},
			want: []record.Incident{in("a", "1", ""), in("a", "2", ""), in("b", "1", "")}},
		{name: "the last version wins, at its place", in: []record.Incident{in("a", "1", "old"), in("a", "2", ""), in("a", "1", "new")},
			want: []record.Incident{in("a", "2", ""), in("a", "1", "new")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, pick(tt.in, lastByKey(tt.in, (*record.Incident).Key)))
		})
	}
}

func TestValuesList(t *testing.T) {
	assert.Equal(t, "(?)", valuesList(1, 1))
	assert.Equal(t, "(?, ?, ?), (?, ?, ?)", valuesList(3, 2))
}

// BenchmarkWrite measures Write with batches of 1,000 fully populated
// incidents: "insert" adds new records every time, "upsert" replaces the same
// ones. Run with: go test -run '^$' -bench Write ./store/
func BenchmarkWrite(b *testing.B) {
	const batchSize = 1000
	stores := []struct {
		name string
		open func(b *testing.B) *DB
	}{
		{"sqlite", func(b *testing.B) *DB { return openBenchDB(b, "sqlite", filepath.Join(b.TempDir(), "bench.db")) }},
		{"postgres", func(b *testing.B) *DB { return openBenchDB(b, "postgres", newPostgresDatabase(b)) }},
	}
	for _, st := range stores {
		for _, mode := range []string{"insert", "upsert"} {
			b.Run(st.name+"/"+mode, func(b *testing.B) {
				db := st.open(b)
				batch := make([]record.Incident, batchSize)
				for i := range batch {
					batch[i] = fullIncident(fmt.Sprintf("bench-%d", i))
				}
				ctx := context.Background()
				var round, written int
				for b.Loop() {
					if mode == "insert" {
						for i := range batch {
							batch[i].ID = fmt.Sprintf("bench-%d-%d", round, i)
						}
					}
					require.NoError(b, db.Write(ctx, record.Batch{Incidents: batch}))
					round++
					written += len(batch)
				}
				b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// openBenchDB is openTestDB without logs, which would clutter the results.
func openBenchDB(b *testing.B, driver, dsn string) *DB {
	db, err := Open(context.Background(), driver, dsn, nil)
	require.NoError(b, err)
	b.Cleanup(func() { assert.NoError(b, db.Close()) })
	return db
}

package store

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

func TestSamples(t *testing.T) {
	t.Parallel()
	dbs := map[string]func(t *testing.T) *DB{
		"sqlite": func(t *testing.T) *DB { return openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db")) },
		"postgres": func(t *testing.T) *DB {
			postgresDSN(t)
			return openTestDB(t, "postgres", newPostgresDatabase(t))
		},
	}
	for name, open := range dbs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testSamples(t, open(t))
		})
	}
}

func testSamples(t *testing.T, db *DB) {
	ctx := context.Background()
	step := 5 * time.Minute
	s := func(m record.Measure, series string, i int, v float64) record.Sample {
		return record.Sample{Measure: m, Series: series, At: t0.Truncate(step).Add(time.Duration(i) * step), Value: v}
	}
	cursor := func(v string) record.Cursor { return record.Cursor{Name: "measurements/uptime", Value: v} }

	first := []record.Sample{
		s(record.MeasureUptime, "payments-api", 0, 1), s(record.MeasureUptime, "payments-api", 1, 0.5),
		s(record.MeasureUptime, "PXYZ123", 0, 0), s(record.MeasureResponseTime, "payments-api", 0, 0.250),
	}
	require.NoError(t, db.WriteSamples(ctx, first, cursor("a"), ""))
	got, err := db.Samples(ctx, 0, 100)
	require.NoError(t, err)
	require.Len(t, got, 4)
	for i := range got {
		assert.Positive(t, got[i].Seq)
		if i > 0 {
			assert.Greater(t, got[i].Seq, got[i-1].Seq, "samples come in seq order")
		}
		w := first[i]
		w.Seq = got[i].Seq
		assert.Equal(t, w, got[i])
	}
	c, err := db.Cursor(ctx, "measurements/uptime")
	require.NoError(t, err)
	assert.Equal(t, "a", c)

	// A rewritten sample replaces the stored one and is read again after
	// the last seq seen; a stale cursor writes nothing at all.
	last := got[len(got)-1].Seq
	again := []record.Sample{s(record.MeasureUptime, "payments-api", 1, 0.75), s(record.MeasureUptime, "payments-api", 1, 0.25)}
	err = db.WriteSamples(ctx, again, cursor("c"), "b")
	require.ErrorIs(t, err, ErrCursorMoved)
	require.NoError(t, db.WriteSamples(ctx, again, cursor("b"), "a"))
	newer, err := db.Samples(ctx, last, 100)
	require.NoError(t, err)
	require.Len(t, newer, 1, "the later duplicate in a batch wins")
	assert.Equal(t, 0.25, newer[0].Value)
	all, err := db.Samples(ctx, 0, 100)
	require.NoError(t, err)
	assert.Len(t, all, 4, "replaced, not added")

	// Paging follows seq.
	p1, err := db.Samples(ctx, 0, 2)
	require.NoError(t, err)
	require.Len(t, p1, 2)
	p2, err := db.Samples(ctx, p1[1].Seq, 2)
	require.NoError(t, err)
	require.Len(t, p2, 2)
	assert.Greater(t, p2[0].Seq, p1[1].Seq)

	// What the store cannot hold fails the write, naming the sample.
	for _, bad := range []record.Sample{
		s(record.MeasureUptime, "a\x00b", 0, 1),
		s(record.MeasureUptime, "x", 0, math.NaN()),
		s(record.MeasureUptime, "x", 0, math.Inf(1)),
	} {
		err := db.WriteSamples(ctx, []record.Sample{bad}, cursor("z"), "b")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "sample 0")
		assert.False(t, errors.Is(err, ErrCursorMoved))
	}
	c, err = db.Cursor(ctx, "measurements/uptime")
	require.NoError(t, err)
	assert.Equal(t, "b", c, "a failed write leaves the cursor")
}

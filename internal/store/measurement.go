package store

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/steward-sh/steward/record"
)

var measurementColumns = []string{"measure", "series", "at", "value", "seq"}

// WriteSamples upserts measurement samples by (measure, series, at), each
// with a new Seq, and saves cursor in the same transaction, but only if the
// cursor still has the value prev (see WriteAfter): a reader that lost its
// lead without knowing yet never moves the cursor back. A sample whose key
// is already stored replaces it.
func (db *DB) WriteSamples(ctx context.Context, samples []record.Sample, cursor record.Cursor, prev string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("store: write samples: %w", err)
		}
	}()
	for i := range samples {
		s := &samples[i]
		if err := textProblem(s.Series); err != nil {
			return fmt.Errorf("sample %d: series: %w", i, err)
		}
		if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
			return fmt.Errorf("sample %d: value %v is not a finite number", i, s.Value)
		}
	}
	samples = pick(samples, lastByKey(samples, func(s *record.Sample) record.SampleKey { return s.Key() }))
	tx, err := db.write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if len(samples) > 0 {
		seqs, err := db.d.reserveSeq(ctx, tx, len(samples))
		if err != nil {
			return err
		}
		if err := db.announce(ctx, tx); err != nil {
			return err
		}
		st := insertSQL("measurements", measurementColumns,
			` ON CONFLICT (measure, series, at) DO UPDATE SET value = excluded.value, seq = excluded.seq`)
		err = insertRows(ctx, tx, st, len(samples), func(args []any, i int) ([]any, error) {
			s := &samples[i]
			return append(args, string(s.Measure), s.Series, db.timeArg(s.At), s.Value, seqs[i]), nil
		})
		if err != nil {
			return err
		}
	}
	if err := db.saveCursor(ctx, tx, cursor, &prev); err != nil {
		return fmt.Errorf("cursor %q: %w", cursor.Name, err)
	}
	return tx.Commit()
}

type sampleRow struct {
	Measure string     `db:"measure"`
	Series  string     `db:"series"`
	At      timeColumn `db:"at"`
	Value   float64    `db:"value"`
	Seq     int64      `db:"seq"`
}

// Samples returns up to limit measurement samples with Seq > after, in Seq
// order, as Incidents does for incidents.
func (db *DB) Samples(ctx context.Context, after int64, limit int) ([]record.Sample, error) {
	var out []record.Sample
	var row sampleRow
	err := db.since(ctx, "measurements", measurementColumns, after, limit, &row, func() error {
		if !row.At.valid {
			return errors.New("sample without a time")
		}
		out = append(out, record.Sample{Measure: record.Measure(row.Measure), Series: row.Series,
			At: row.At.t, Value: row.Value, Seq: row.Seq})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: samples after %d: %w", after, err)
	}
	return out, nil
}

package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// prepareUpsert sends u's rows to PostgreSQL with COPY, into a temporary
// staging table shaped like u.table, and the returned function moves them
// into u.table with one INSERT … SELECT … ON CONFLICT. COPY is several times
// cheaper per row than parameters of multi-row INSERTs, and it runs before
// reserveSeq takes the writers' lock, so one batch's transfer overlaps
// another's upsert.
//
// The rows' sequence numbers are not known while they are copied: the
// staging table's seq column holds each row's index in the batch instead,
// and the INSERT looks the real number up in the array of reserved ones.
// Rows arrive deduplicated by key (lastByKey), as ON CONFLICT requires.
//
// The staging table is dropped at commit (and with a rollback, its
// creation is undone), so no connection of the pool keeps one whose shape
// a later migration could make stale.
func (postgresDialect) prepareUpsert(ctx context.Context, tx *sqlx.Tx, u upsert) (func(seqs []int64) error, error) {
	if u.n == 0 {
		return func([]int64) error { return nil }, nil
	}
	staging := u.table + "_staging"
	if _, err := tx.ExecContext(ctx, "CREATE TEMPORARY TABLE "+staging+" (LIKE "+u.table+") ON COMMIT DROP"); err != nil {
		return nil, fmt.Errorf("create staging table: %w", err)
	}
	if err := copyRows(ctx, tx, staging, u); err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	query := stagedUpsertSQL(u.table, staging, u.columns)
	return func(seqs []int64) error {
		if len(seqs) != u.n {
			return fmt.Errorf("%d sequence numbers for %d rows", len(seqs), u.n)
		}
		res, err := tx.ExecContext(ctx, query, pq.Array(seqs))
		if err != nil {
			return err
		}
		// Every staged row is inserted or updates one row; fewer would mean
		// a record silently not written.
		if n, err := res.RowsAffected(); err == nil && n != int64(u.n) {
			return fmt.Errorf("upserted %d rows of %d", n, u.n)
		}
		return nil
	}, nil
}

// copyRows streams u's rows into staging with COPY FROM STDIN, each with its
// index as seq.
func copyRows(ctx context.Context, tx *sqlx.Tx, staging string, u upsert) (err error) {
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(staging, u.columns...))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := stmt.Close(); err == nil {
			err = cerr
		}
	}()
	args := make([]any, 0, len(u.columns))
	for i := range u.n {
		if args, err = u.args(args[:0], i, int64(i)); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	// An Exec without values ends the stream and reports errors in the data.
	_, err = stmt.ExecContext(ctx)
	return err
}

// stagedUpsertSQL moves every row of staging into table, with the sequence
// number at position seq+1 of the array $1 (PostgreSQL's arrays count from
// 1), replacing the rows with the same key.
func stagedUpsertSQL(table, staging string, columns []string) string {
	sel := make([]string, len(columns))
	for i, c := range columns {
		sel[i] = c
		if c == "seq" {
			sel[i] = "($1::bigint[])[seq + 1]"
		}
	}
	st := upsertSQL(table, columns)
	return "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") SELECT " +
		strings.Join(sel, ", ") + " FROM " + staging + st.tail
}

package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/steward-sh/steward/record"
)

// rowsPerStatement bounds a multi-row INSERT: 500 rows of the widest table
// (23 columns) stay far below SQLite's 32766 and PostgreSQL's 65535
// parameters, and larger statements no longer speed writing up.
const rowsPerStatement = 500

// Write stores a batch in one transaction: incidents and changes are upserted
// by (Source, ID), each with a new Seq, and rejected records are added to the
// quarantine, and the batch's poll cursor, if any, is saved with them. Either
// all of it is committed or none. When a key occurs more than once in the
// batch, the last occurrence wins.
//
// Once committed, each stored record of b has its Seq set (b's slices are
// written to), and the records a later one of the same key replaced have
// Seq 0: the writer can so hand the records to a reader that follows Seq
// without that reader reading them back (scorecard.Engine.Written). The
// batch's Seqs are consecutive, and every smaller Seq is committed or
// never will be (writers draw them in commit order), so such a reader
// knows whether anything was written between what it has and the batch.
func (db *DB) Write(ctx context.Context, b record.Batch) error {
	if err := db.writeBatch(ctx, b, nil); err != nil {
		return fmt.Errorf("store: write batch: %w", err)
	}
	return nil
}

// WriteAfter is Write for a poller that may have lost its job to another
// process without knowing yet: the batch is stored only if its cursor
// still has the value prev that the poller started from, and otherwise
// nothing is, and the error wraps ErrCursorMoved. A stale poller so never
// puts older versions of records over newer ones, nor its cursor back.
func (db *DB) WriteAfter(ctx context.Context, b record.Batch, prev string) error {
	if b.Cursor == nil {
		return errors.New("store: write batch: WriteAfter needs a cursor")
	}
	if err := db.writeBatch(ctx, b, &prev); err != nil {
		return fmt.Errorf("store: write batch: %w", err)
	}
	return nil
}

func (db *DB) writeBatch(ctx context.Context, b record.Batch, prev *string) (err error) {
	for i := range b.Incidents {
		if err := checkIncident(&b.Incidents[i]); err != nil {
			return fmt.Errorf("incident %d (id %q): %w", i, b.Incidents[i].ID, err)
		}
	}
	for i := range b.Changes {
		if err := checkChange(&b.Changes[i]); err != nil {
			return fmt.Errorf("change %d (id %q): %w", i, b.Changes[i].ID, err)
		}
	}
	for i := range b.Feedback {
		if err := checkFeedback(&b.Feedback[i]); err != nil {
			return fmt.Errorf("feedback %d (id %q): %w", i, b.Feedback[i].ID, err)
		}
	}
	incKept := lastByKey(b.Incidents, (*record.Incident).Key)
	chgKept := lastByKey(b.Changes, (*record.Change).Key)
	fbKept := lastByKey(b.Feedback, (*record.Feedback).Key)
	incidents, changes, feedback := pick(b.Incidents, incKept), pick(b.Changes, chgKept), pick(b.Feedback, fbKept)
	if len(incidents)+len(changes)+len(feedback)+len(b.Rejected) == 0 && b.Cursor == nil {
		return ctx.Err()
	}

	tx, err := db.write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// Whatever needs no sequence numbers is done before writers are
	// serialised, so that concurrent batches overlap there.
	finishIncidents, err := db.d.prepareUpsert(ctx, tx, upsert{
		table: "incidents", columns: incidentColumns, n: len(incidents),
		args: func(args []any, i int, seq int64) ([]any, error) { return db.incidentArgs(args, &incidents[i], seq) },
	})
	if err != nil {
		return fmt.Errorf("incidents: %w", err)
	}
	finishChanges, err := db.d.prepareUpsert(ctx, tx, upsert{
		table: "changes", columns: changeColumns, n: len(changes),
		args: func(args []any, i int, seq int64) ([]any, error) { return db.changeArgs(args, &changes[i], seq) },
	})
	if err != nil {
		return fmt.Errorf("changes: %w", err)
	}
	finishFeedback, err := db.d.prepareUpsert(ctx, tx, upsert{
		table: "feedback", columns: feedbackColumns, n: len(feedback),
		args: func(args []any, i int, seq int64) ([]any, error) { return db.feedbackArgs(args, &feedback[i], seq) },
	})
	if err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	var seqs []int64
	if n := len(incidents) + len(changes) + len(feedback); n > 0 {
		if seqs, err = db.d.reserveSeq(ctx, tx, n); err != nil {
			return err
		}
		if err := db.announce(ctx, tx); err != nil {
			return err
		}
	}
	if err := finishIncidents(seqs[:len(incidents)]); err != nil {
		return fmt.Errorf("incidents: %w", err)
	}
	if err := finishChanges(seqs[len(incidents) : len(incidents)+len(changes)]); err != nil {
		return fmt.Errorf("changes: %w", err)
	}
	if err := finishFeedback(seqs[len(incidents)+len(changes):]); err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	err = insertRows(ctx, tx, insertSQL("quarantine", quarantineColumns, ""), len(b.Rejected), func(args []any, i int) ([]any, error) {
		return db.rejectedArgs(args, &b.Rejected[i]), nil
	})
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	if b.Cursor != nil {
		if err := db.saveCursor(ctx, tx, *b.Cursor, prev); err != nil {
			return fmt.Errorf("cursor %q: %w", b.Cursor.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if len(seqs) > 0 {
		setSeqs(b.Incidents, incKept, seqs[:len(incidents)], func(r *record.Incident) *int64 { return &r.Seq })
		setSeqs(b.Changes, chgKept, seqs[len(incidents):len(incidents)+len(changes)], func(r *record.Change) *int64 { return &r.Seq })
		setSeqs(b.Feedback, fbKept, seqs[len(incidents)+len(changes):], func(r *record.Feedback) *int64 { return &r.Seq })
	}
	return nil
}

// lastByKey returns the indexes, in order, of the items whose key does not
// occur again later: a multi-row upsert may not touch one row twice, and
// the later version is the newer.
func lastByKey[T any, K comparable](items []T, key func(*T) K) []int {
	seen := make(map[K]bool, len(items))
	out := make([]int, 0, len(items))
	for i := len(items) - 1; i >= 0; i-- {
		k := key(&items[i])
		if !seen[k] {
			seen[k] = true
			out = append(out, i)
		}
	}
	slices.Reverse(out)
	return out
}

// pick returns the items at the indexes kept, in their order; items itself
// when it keeps every one.
func pick[T any](items []T, kept []int) []T {
	if len(kept) == len(items) {
		return items
	}
	out := make([]T, len(kept))
	for j, i := range kept {
		out[j] = items[i]
	}
	return out
}

// setSeqs gives items[kept[j]] the sequence number seqs[j] and every other
// item 0 (not stored: a later one of its key was).
func setSeqs[T any](items []T, kept []int, seqs []int64, seq func(*T) *int64) {
	for i := range items {
		*seq(&items[i]) = 0
	}
	for j, i := range kept {
		*seq(&items[i]) = seqs[j]
	}
}

// statement is a multi-row INSERT cut in two around its VALUES list.
type statement struct {
	head, tail string
	columns    int
}

func insertSQL(table string, columns []string, tail string) statement {
	return statement{
		head:    "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ",
		tail:    tail,
		columns: len(columns),
	}
}

// upsertSQL replaces every column but the key on conflict, so a new version
// also clears the fields it no longer has.
func upsertSQL(table string, columns []string) statement {
	var set []string
	for _, c := range columns {
		if c != "source" && c != "id" {
			set = append(set, c+" = excluded."+c)
		}
	}
	return insertSQL(table, columns, " ON CONFLICT (source, id) DO UPDATE SET "+strings.Join(set, ", "))
}

// upsert describes one table's rows of a batch: n rows of columns, the
// values of row i appended by args with the row's sequence number seq.
type upsert struct {
	table   string
	columns []string
	n       int
	args    func(args []any, i int, seq int64) ([]any, error)
}

// upsertRows writes u's rows with multi-row INSERT … ON CONFLICT statements,
// rowsPerStatement rows at a time; seqs[i] is row i's sequence number.
func upsertRows(ctx context.Context, tx *sqlx.Tx, u upsert, seqs []int64) error {
	return insertRows(ctx, tx, upsertSQL(u.table, u.columns), u.n, func(args []any, i int) ([]any, error) {
		return u.args(args, i, seqs[i])
	})
}

// insertRows runs st for n rows, rowsPerStatement at a time; rowArgs appends
// row i's values.
func insertRows(ctx context.Context, tx *sqlx.Tx, st statement, n int, rowArgs func(args []any, i int) ([]any, error)) error {
	for start := 0; start < n; start += rowsPerStatement {
		end := min(start+rowsPerStatement, n)
		args := make([]any, 0, (end-start)*st.columns)
		for i := start; i < end; i++ {
			var err error
			if args, err = rowArgs(args, i); err != nil {
				return fmt.Errorf("row %d: %w", i, err)
			}
		}
		query := tx.Rebind(st.head + valuesList(st.columns, end-start) + st.tail)
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return err
		}
	}
	return nil
}

// valuesList is "(?, ?), (?, ?)" for rows rows of columns placeholders.
func valuesList(columns, rows int) string {
	row := "(" + strings.Repeat("?, ", columns-1) + "?)"
	var sb strings.Builder
	sb.Grow(rows * (len(row) + 2))
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
	}
	return sb.String()
}

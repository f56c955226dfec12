package store

import (
	"github.com/steward-sh/steward/record"
)

// quarantineColumns are the quarantine table's columns that Write fills, in
// the order rejectedArgs produces values; id is assigned by the database.
var quarantineColumns = []string{"kind", "source", "idx", "record_id", "error", "raw", "received_at"}

// rejectedArgs appends r's column values, in quarantineColumns order. The
// descriptive text is cleaned so a malformed record can always be kept; raw
// is stored as bytes, exactly as received.
func (db *DB) rejectedArgs(args []any, r *record.Rejected) []any {
	raw := []byte(r.Raw)
	if raw == nil {
		raw = []byte{} // nil would be NULL
	}
	return append(args,
		cleanText(string(r.Kind)), cleanText(r.Source), r.Index, cleanText(r.ID), cleanText(r.Error),
		raw, db.timeArg(r.ReceivedAt),
	)
}

// rejectedRow is one row of quarantine as read back.
type rejectedRow struct {
	ID         int64      `db:"id"`
	Kind       string     `db:"kind"`
	Source     string     `db:"source"`
	Index      int        `db:"idx"`
	RecordID   string     `db:"record_id"`
	Error      string     `db:"error"`
	Raw        []byte     `db:"raw"`
	ReceivedAt timeColumn `db:"received_at"`
}

func (r *rejectedRow) rejected() record.Rejected {
	return record.Rejected{
		Kind:       record.Kind(r.Kind),
		Source:     r.Source,
		Index:      r.Index,
		ID:         r.RecordID,
		Error:      r.Error,
		Raw:        string(r.Raw),
		ReceivedAt: r.ReceivedAt.t,
	}
}

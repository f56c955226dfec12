package store

import (
	"fmt"
	"unicode/utf8"

	"github.com/steward-sh/steward/record"
)

// MaxQuarantinedRaw bounds the bytes of a rejected record the quarantine
// keeps: enough to see what was wrong, while a client sending huge invalid
// records cannot make every rejection store (and the quarantine API
// answer) megabytes. The error says when a record was cut.
const MaxQuarantinedRaw = 64 << 10

// quarantineColumns are the quarantine table's columns that Write fills, in
// the order rejectedArgs produces values; id is assigned by the database.
var quarantineColumns = []string{"kind", "source", "idx", "record_id", "error", "raw", "received_at"}

// rejectedArgs appends r's column values, in quarantineColumns order. The
// descriptive text is cleaned so a malformed record can always be kept; raw
// is stored as bytes, exactly as received, up to MaxQuarantinedRaw.
func (db *DB) rejectedArgs(args []any, r *record.Rejected) []any {
	raw, msg := truncateRaw(r.Raw), r.Error
	if len(raw) < len(r.Raw) {
		msg += fmt.Sprintf(" [raw record truncated: the first %d of its %d bytes are kept]", len(raw), len(r.Raw))
	}
	return append(args,
		cleanText(string(r.Kind)), cleanText(r.Source), r.Index, cleanText(r.ID), cleanText(msg),
		[]byte(raw), db.timeArg(r.ReceivedAt), // never nil: nil would be NULL
	)
}

// truncateRaw returns raw's first MaxQuarantinedRaw bytes, cut before a
// UTF-8 sequence the cut would split.
func truncateRaw(raw string) string {
	if len(raw) <= MaxQuarantinedRaw {
		return raw
	}
	cut := MaxQuarantinedRaw
	for i := cut; i > cut-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(raw[i]) {
			cut = i
			break
		}
	}
	return raw[:cut]
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

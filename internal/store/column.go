package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/steward-sh/steward/record"
)

// timeArg is the column value for t: UTC, truncated to the microsecond both
// databases keep, in the dialect's encoding.
func (db *DB) timeArg(t time.Time) any {
	return db.d.timeValue(t.UTC().Truncate(time.Microsecond))
}

// timePtrArg is timeArg for an optional time; nil is NULL.
func (db *DB) timePtrArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return db.timeArg(*t)
}

// timeColumn scans a nullable time of either dialect: INTEGER microseconds
// (SQLite) or timestamptz (PostgreSQL).
type timeColumn struct {
	t     time.Time
	valid bool
}

func (c *timeColumn) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c = timeColumn{}
	case int64:
		*c = timeColumn{t: time.UnixMicro(v).UTC(), valid: true}
	case time.Time:
		*c = timeColumn{t: v.UTC(), valid: true}
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	return nil
}

func (c timeColumn) ptr() *time.Time {
	if !c.valid {
		return nil
	}
	t := c.t
	return &t
}

// labelsArg encodes labels as a JSON object; no labels is NULL.
func labelsArg(labels map[string]string) (any, error) {
	if len(labels) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(labels)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	return string(b), nil
}

// labelsFrom decodes a labels column; NULL and {} are nil.
func labelsFrom(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	var labels map[string]string
	if err := json.Unmarshal([]byte(s.String), &labels); err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	if len(labels) == 0 {
		return nil, nil
	}
	return labels, nil
}

// listArg encodes a list of names as a JSON array; an empty list is NULL.
func listArg(names []string) (any, error) {
	if len(names) == 0 {
		return nil, nil
	}
	for _, n := range names {
		if err := textProblem(n); err != nil {
			return nil, fmt.Errorf("estimated %q %w", n, err)
		}
	}
	b, err := json.Marshal(names)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// signoffsArg encodes review sign-offs as a JSON array, times in UTC to the
// microsecond like every other time column; none is NULL.
func signoffsArg(signoffs []record.Signoff) (any, error) {
	if len(signoffs) == 0 {
		return nil, nil
	}
	out := make([]record.Signoff, len(signoffs))
	for i, s := range signoffs {
		s.At = normal(s.At)
		out[i] = s
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("review_signoffs: %w", err)
	}
	return string(b), nil
}

// actionsArg is signoffsArg for review action items.
func actionsArg(actions []record.Action) (any, error) {
	if len(actions) == 0 {
		return nil, nil
	}
	out := make([]record.Action, len(actions))
	for i, a := range actions {
		a.Due, a.DoneAt = normalPtr(a.Due), normalPtr(a.DoneAt)
		out[i] = a
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("review_actions: %w", err)
	}
	return string(b), nil
}

func normal(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normalPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normal(*t)
	return &n
}

// jsonFrom decodes a JSON column into dst; NULL leaves dst as it is.
func jsonFrom(column string, s sql.NullString, dst any) error {
	if !s.Valid {
		return nil
	}
	if err := json.Unmarshal([]byte(s.String), dst); err != nil {
		return fmt.Errorf("%s: %w", column, err)
	}
	return nil
}

// checkText returns an error naming the first field whose value PostgreSQL
// cannot keep in a text column: a NUL byte or invalid UTF-8. Both dialects
// refuse such records, so that whatever one store accepts the other does
// too, and so that labels are not silently altered by JSON encoding.
// fields alternates names and values.
func checkText(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if err := textProblem(fields[i+1]); err != nil {
			return fmt.Errorf("field %q %w (%w)", fields[i], err, record.ErrInvalid)
		}
	}
	return nil
}

// checkLabels is checkText for every label name and value.
func checkLabels(labels map[string]string) error {
	for k, v := range labels {
		if err := textProblem(k); err != nil {
			return fmt.Errorf("label name %q %w (%w)", k, err, record.ErrInvalid)
		}
		if err := textProblem(v); err != nil {
			return fmt.Errorf("label %q %w (%w)", k, err, record.ErrInvalid)
		}
	}
	return nil
}

var (
	errNUL     = errors.New("contains a NUL byte, which PostgreSQL cannot store")
	errNotUTF8 = errors.New("is not valid UTF-8")
)

func textProblem(s string) error {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return errNUL
	case !utf8.ValidString(s):
		return errNotUTF8
	}
	return nil
}

// cleanText makes s storable by replacing NUL bytes and invalid UTF-8 with
// U+FFFD. It is only for quarantine's descriptive columns: a record that is
// already being rejected must never fail the batch it came in.
func cleanText(s string) string {
	if textProblem(s) == nil {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"), "\uFFFD")
}

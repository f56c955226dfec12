package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrUnparseable is returned by BatchDecoder when a body is not JSON at all.
var ErrUnparseable = errors.New("body is not a JSON object, a JSON array or NDJSON")

// TooManyRecordsError says a body held more records than the decoder's
// limit. Decoding stopped at the first record past it.
type TooManyRecordsError struct{ Limit int }

func (e *TooManyRecordsError) Error() string {
	return fmt.Sprintf("batch has more than %d records", e.Limit)
}

// Rejection is one record a batch refused: its place in the batch, its id
// when it had one, and what is wrong with it, field by field.
type Rejection struct {
	Kind     Kind
	Index    int
	ID       string
	Problems []FieldError
}

// Fields lists the fields named by the problems, once each, in order.
func (r *Rejection) Fields() []string {
	var out []string
	for _, p := range r.Problems {
		if p.Field != "" && !contains(out, p.Field) {
			out = append(out, p.Field)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Reason is every problem in one line.
func (r *Rejection) Reason() string {
	parts := make([]string, len(r.Problems))
	for i := range r.Problems {
		parts[i] = r.Problems[i].Error()
	}
	return strings.Join(parts, "; ")
}

// Error names the record and every problem: `incident 3 (id "x"): field
// "resolved_at": ...`.
func (r *Rejection) Error() string {
	return fmt.Sprintf("%s %d (id %q): %s", r.Kind, r.Index, r.ID, r.Reason())
}

// problems flattens a parse error into field errors.
func problems(err error) []FieldError {
	var multi interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &multi) {
		errs = multi.Unwrap()
	}
	out := make([]FieldError, 0, len(errs))
	for _, e := range errs {
		var fe *FieldError
		if errors.As(e, &fe) {
			out = append(out, *fe)
		} else {
			out = append(out, FieldError{Msg: e.Error()})
		}
	}
	return out
}

// BatchBuilder validates records of one kind, one at a time, into a batch:
// valid records to upsert (a later record with the same key replaces an
// earlier one, as a later request would) and rejected ones to quarantine.
type BatchBuilder struct {
	kind       Kind
	source     string
	now        time.Time
	batch      Batch
	seen       map[Ref]int
	accepted   int
	rejections []Rejection
}

// NewBatchBuilder starts a batch of kind; defaultSource fills records
// without a source; now is when the batch was received.
func NewBatchBuilder(kind Kind, defaultSource string, now time.Time) *BatchBuilder {
	return &BatchBuilder{kind: kind, source: defaultSource, now: now.UTC(), seen: map[Ref]int{}}
}

// Add validates raw as the batch's record number index and keeps it, or
// rejects it; it returns the rejection, or nil.
func (b *BatchBuilder) Add(index int, raw []byte) *Rejection {
	var err error
	switch b.kind {
	case KindIncident:
		var in Incident
		if in, err = ParseIncident(raw, b.source); err == nil {
			put(&b.batch.Incidents, b.seen, in, in.Key())
		}
	case KindChange:
		var c Change
		if c, err = ParseChange(raw, b.source); err == nil {
			put(&b.batch.Changes, b.seen, c, c.Key())
		}
	case KindFeedback:
		var f Feedback
		if f, err = ParseFeedback(raw, b.source); err == nil {
			put(&b.batch.Feedback, b.seen, f, f.Key())
		}
	default:
		err = fmt.Errorf("unknown record kind %q", b.kind)
	}
	if err != nil {
		return b.Reject(index, PeekID(raw), err, raw)
	}
	b.accepted++
	return nil
}

func put[T any](list *[]T, seen map[Ref]int, r T, key Ref) {
	if j, dup := seen[key]; dup {
		(*list)[j] = r
		return
	}
	seen[key] = len(*list)
	*list = append(*list, r)
}

// Reject adds a record refused without being parsed (a CSV row that cannot
// be written as a record) or by Add, to be quarantined with raw (the store
// bounds what it keeps of it). Batch().Rejected[i] is Rejections()[i]. The
// returned pointer is valid until the next Add or Reject.
func (b *BatchBuilder) Reject(index int, id string, err error, raw []byte) *Rejection {
	r := Rejection{Kind: b.kind, Index: index, ID: truncate(id, MaxNameBytes), Problems: problems(err)}
	b.rejections = append(b.rejections, r)
	b.batch.Rejected = append(b.batch.Rejected, Rejected{
		Kind: b.kind, Source: b.source, Index: index, ID: r.ID, Error: r.Error(), Raw: string(raw), ReceivedAt: b.now,
	})
	return &b.rejections[len(b.rejections)-1]
}

// Batch is what the store should write.
func (b *BatchBuilder) Batch() Batch { return b.batch }

// Accepted counts the valid records added, repeated keys included.
func (b *BatchBuilder) Accepted() int { return b.accepted }

// Rejections lists the rejected records in the order they were added.
func (b *BatchBuilder) Rejections() []Rejection { return b.rejections }

// PeekID returns the "id" of a raw record if it has one, for error
// messages about records that failed to parse.
func PeekID(raw []byte) string {
	var v struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil || v.ID == nil {
		return ""
	}
	return fmt.Sprint(v.ID)
}

// BatchDecoder reads an ingest body of one kind of record: one JSON object,
// a JSON array of them, or (NDJSON) one per non-empty line. It reads the
// body as a stream and stops at the first record past MaxRecords, so a
// huge body costs no more memory than the records it is allowed to hold.
type BatchDecoder struct {
	Kind          Kind
	DefaultSource string
	NDJSON        bool
	// MaxRecords bounds the records of one body; 0 is no limit.
	MaxRecords int
}

// Decode reads r into a batch. Its error is ErrUnparseable (wrapped) when
// the body is not JSON at all, *TooManyRecordsError past MaxRecords, or
// the reader's own error; then nothing of the body may be stored. Records
// that are JSON but invalid are rejections of the batch, not errors.
func (d BatchDecoder) Decode(r io.Reader, now time.Time) (*BatchBuilder, error) {
	b := NewBatchBuilder(d.Kind, d.DefaultSource, now)
	err := Records(r, d.NDJSON, d.MaxRecords, func(i int, raw []byte) error {
		_ = b.Add(i, raw) // a rejection is kept in b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Records calls fn with each raw record of a body (see BatchDecoder) and
// its index, as it reads them. A line of NDJSON that is not valid JSON is
// passed on as it is, so that the caller rejects that record alone.
func Records(r io.Reader, ndjson bool, max int, fn func(i int, raw []byte) error) error {
	er := &errReader{r: r}
	n := 0
	each := func(raw []byte) error {
		if max > 0 && n >= max {
			return &TooManyRecordsError{Limit: max}
		}
		n++
		return fn(n-1, raw)
	}
	var err error
	if ndjson {
		err = ndjsonRecords(er, each)
	} else {
		err = jsonRecords(er, each)
	}
	if er.err != nil {
		return er.err // the reader's failure (a body past its limit) explains the rest
	}
	return err
}

// errReader keeps the first error other than EOF its reader returned.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

func ndjsonRecords(r io.Reader, each func([]byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<30) // grows only as far as the longest line
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := each(bytes.Clone(line)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnparseable, err)
	}
	return nil
}

func jsonRecords(r io.Reader, each func([]byte) error) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(br)
	switch first {
	case '{':
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%w: invalid JSON object: %v", ErrUnparseable, err)
		}
		if err := endOfBody(dec); err != nil {
			return err
		}
		return each(raw)
	case '[':
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%w: %v", ErrUnparseable, err)
		}
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("%w: %v", ErrUnparseable, err)
			}
			if err := each(raw); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%w: %v", ErrUnparseable, err)
		}
		return endOfBody(dec)
	}
	return ErrUnparseable
}

// firstByte returns the body's first non-space byte, left unread.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return 0, fmt.Errorf("%w: empty body", ErrUnparseable)
		}
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c, br.UnreadByte()
	}
}

func endOfBody(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the JSON value", ErrUnparseable)
	}
	return nil
}

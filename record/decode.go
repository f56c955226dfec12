package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// FieldError says what is wrong with one field of a record.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Msg) }

// ErrUnparseable is returned by Split when a body is not JSON at all.
var ErrUnparseable = errors.New("body is not a JSON object, a JSON array or NDJSON")

// Split cuts a request body into raw records: one JSON object, a JSON array
// of objects, or (ndjson) one object per non-empty line. Lines of NDJSON that
// are not valid JSON are returned as they are, so the caller rejects that
// record alone.
func Split(body []byte, ndjson bool) ([]json.RawMessage, error) {
	if ndjson {
		var out []json.RawMessage
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(make([]byte, 0, 64*1024), len(body)+1)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			out = append(out, json.RawMessage(bytes.Clone(line)))
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnparseable, err)
		}
		return out, nil
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrUnparseable)
	}
	switch trimmed[0] {
	case '{':
		if !json.Valid(trimmed) {
			return nil, fmt.Errorf("%w: invalid JSON object", ErrUnparseable)
		}
		return []json.RawMessage{trimmed}, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnparseable, err)
		}
		return items, nil
	}
	return nil, ErrUnparseable
}

// PeekID returns the "id" of a raw record if it has a string one, for error
// messages about records that failed to parse.
func PeekID(raw json.RawMessage) string {
	var v struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil || v.ID == nil {
		return ""
	}
	return fmt.Sprint(v.ID)
}

type reviewWire struct {
	Required    *bool   `json:"required"`
	CompletedAt *string `json:"completed_at"`
}

type refWire struct {
	Source string  `json:"source"`
	ID     *string `json:"id"`
}

type incidentWire struct {
	ID             *string           `json:"id"`
	Source         string            `json:"source"`
	System         *string           `json:"system"`
	Title          string            `json:"title"`
	Severity       *json.Number      `json:"severity"`
	Impact         *string           `json:"impact"`
	OpenedAt       *string           `json:"opened_at"`
	AcknowledgedAt *string           `json:"acknowledged_at"`
	ResolvedAt     *string           `json:"resolved_at"`
	ClosedAt       *string           `json:"closed_at"`
	Team           string            `json:"team"`
	CausedByChange *refWire          `json:"caused_by_change"`
	Review         *reviewWire       `json:"review"`
	Labels         map[string]string `json:"labels"`
}

type changeWire struct {
	ID          *string           `json:"id"`
	Source      string            `json:"source"`
	System      *string           `json:"system"`
	Team        string            `json:"team"`
	Type        *string           `json:"type"`
	Environment *string           `json:"environment"`
	CreatedAt   *string           `json:"created_at"`
	StartedAt   *string           `json:"started_at"`
	FinishedAt  *string           `json:"finished_at"`
	Outcome     *string           `json:"outcome"`
	Authorized  *bool             `json:"authorized"`
	Labels      map[string]string `json:"labels"`
}

// ParseIncident decodes and validates one incident. defaultSource fills an
// absent source. Every problem found is reported, each naming its field.
func ParseIncident(raw []byte, defaultSource string) (Incident, error) {
	var w incidentWire
	if err := strictUnmarshal(raw, &w); err != nil {
		return Incident{}, err
	}
	var v validator
	v.noNUL(map[string]string{"title": w.Title, "team": w.Team, "source": w.Source}, w.Labels, w.ID, w.System)
	in := Incident{
		ID:     v.required("id", w.ID),
		Source: orDefault(w.Source, defaultSource),
		System: v.required("system", w.System),
		Title:  w.Title,
		Team:   w.Team,
		Labels: w.Labels,
	}
	in.Severity = v.severity(w.Severity)
	in.Impact = Impact(v.enum("impact", w.Impact, string(ImpactNone), string(ImpactOutage), string(ImpactDegraded), string(ImpactNone)))
	if w.OpenedAt == nil {
		v.add("opened_at", "is required")
	} else if t := v.time("opened_at", w.OpenedAt); t != nil {
		in.OpenedAt = *t
	}
	in.AcknowledgedAt = v.time("acknowledged_at", w.AcknowledgedAt)
	in.ResolvedAt = v.time("resolved_at", w.ResolvedAt)
	in.ClosedAt = v.time("closed_at", w.ClosedAt)
	if !in.OpenedAt.IsZero() {
		v.notBefore("acknowledged_at", in.AcknowledgedAt, "opened_at", in.OpenedAt)
		v.notBefore("resolved_at", in.ResolvedAt, "opened_at", in.OpenedAt)
		v.notBefore("closed_at", in.ClosedAt, "opened_at", in.OpenedAt)
	}
	if w.CausedByChange != nil {
		id := v.required("caused_by_change.id", w.CausedByChange.ID)
		in.CausedByChange = &Ref{Source: orDefault(w.CausedByChange.Source, in.Source), ID: id}
	}
	if w.Review != nil {
		in.Review = &Review{Required: w.Review.Required, CompletedAt: v.time("review.completed_at", w.Review.CompletedAt)}
	}
	return in, v.err()
}

// ParseChange decodes and validates one change.
func ParseChange(raw []byte, defaultSource string) (Change, error) {
	var w changeWire
	if err := strictUnmarshal(raw, &w); err != nil {
		return Change{}, err
	}
	var v validator
	v.noNUL(map[string]string{"team": w.Team, "source": w.Source}, w.Labels, w.ID, w.System)
	c := Change{
		ID:         v.required("id", w.ID),
		Source:     orDefault(w.Source, defaultSource),
		System:     v.required("system", w.System),
		Team:       w.Team,
		Labels:     w.Labels,
		Authorized: w.Authorized == nil || *w.Authorized,
	}
	c.Type = ChangeType(v.enum("type", w.Type, string(TypeNormal), string(TypeStandard), string(TypeNormal), string(TypeEmergency)))
	c.Environment = "production"
	if w.Environment != nil {
		if *w.Environment == "" {
			v.add("environment", "must not be empty")
		}
		c.Environment = *w.Environment
	}
	if w.Outcome == nil {
		v.add("outcome", "is required")
	} else {
		c.Outcome = Outcome(v.enum("outcome", w.Outcome, "", string(OutcomeSuccess), string(OutcomeFailed),
			string(OutcomeRolledBack), string(OutcomeCancelled), string(OutcomeInProgress)))
	}
	c.CreatedAt = v.time("created_at", w.CreatedAt)
	c.StartedAt = v.time("started_at", w.StartedAt)
	c.FinishedAt = v.time("finished_at", w.FinishedAt)
	if c.FinishedAt == nil && w.FinishedAt == nil && w.Outcome != nil && c.Outcome != OutcomeInProgress {
		v.add("finished_at", fmt.Sprintf("is required when outcome is %q", *w.Outcome))
	}
	if c.StartedAt != nil {
		v.notBefore("finished_at", c.FinishedAt, "started_at", *c.StartedAt)
	}
	if c.CreatedAt != nil {
		v.notBefore("started_at", c.StartedAt, "created_at", *c.CreatedAt)
		v.notBefore("finished_at", c.FinishedAt, "created_at", *c.CreatedAt)
	}
	return c, v.err()
}

// strictUnmarshal decodes one JSON object, refusing unknown fields and
// trailing data, and names the offending field in its error.
func strictUnmarshal(raw []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field == "":
			return fmt.Errorf("not a JSON object: got JSON %s", te.Value)
		case errors.As(err, &te):
			return &FieldError{Field: te.Field, Msg: fmt.Sprintf("must be %s, got JSON %s", jsonKind(te.Type.Kind().String()), te.Value)}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &FieldError{Field: name, Msg: "unknown field"}
		}
		return fmt.Errorf("not a valid JSON object: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("not a valid JSON object: trailing data after the object")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "map", "struct":
		return "an object"
	case "ptr":
		return "a value of another type"
	}
	return "a " + goKind
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// validator collects field errors so one record reports all its problems.
type validator struct{ errs []error }

func (v *validator) add(field, msg string) {
	v.errs = append(v.errs, &FieldError{Field: field, Msg: msg})
}

func (v *validator) err() error { return errors.Join(v.errs...) }

func (v *validator) required(field string, s *string) string {
	if s == nil || *s == "" {
		v.add(field, "is required")
		return ""
	}
	return *s
}

// noNUL refuses NUL characters, which PostgreSQL cannot store: such a record
// is quarantined here rather than failing its whole batch in the store.
func (v *validator) noNUL(fields map[string]string, labels map[string]string, id, system *string) {
	if id != nil {
		fields["id"] = *id
	}
	if system != nil {
		fields["system"] = *system
	}
	for k, val := range labels {
		fields["labels."+k] = k + val
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if strings.ContainsRune(fields[name], 0) {
			v.add(name, "contains a NUL character")
		}
	}
}

func (v *validator) severity(n *json.Number) int {
	if n == nil {
		v.add("severity", "is required")
		return 0
	}
	i, err := n.Int64()
	if err != nil || i < 1 || i > 5 {
		v.add("severity", fmt.Sprintf("must be an integer from 1 to 5, got %s", n.String()))
		return 0
	}
	return int(i)
}

func (v *validator) enum(field string, s *string, def string, allowed ...string) string {
	if s == nil {
		return def
	}
	for _, a := range allowed {
		if *s == a {
			return a
		}
	}
	v.add(field, fmt.Sprintf("unknown value %q (allowed: %s)", *s, strings.Join(dedupe(allowed), ", ")))
	return ""
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// time parses an optional RFC 3339 timestamp into UTC, truncated to the
// microsecond both stores keep.
func (v *validator) time(field string, s *string) *time.Time {
	if s == nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		v.add(field, fmt.Sprintf("not an RFC 3339 time: %q", *s))
		return nil
	}
	t = t.UTC().Truncate(time.Microsecond)
	if t.Year() < 1 || t.Year() > 9999 {
		// an offset can push year 0000 or 9999 outside what RFC 3339 writes
		v.add(field, fmt.Sprintf("%q is outside years 0001 to 9999 in UTC", *s))
		return nil
	}
	return &t
}

func (v *validator) notBefore(field string, t *time.Time, otherField string, other time.Time) {
	if t != nil && t.Before(other) {
		v.add(field, fmt.Sprintf("%s is before %s %s", t.Format(time.RFC3339), otherField, other.Format(time.RFC3339)))
	}
}

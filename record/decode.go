package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Length limits of string fields, in bytes. Every name a record carries can
// become a metric label value or a subject (a team), and every title is
// shown in reports: a 10 MB team name must be refused at the door, not
// rendered into every scrape.
const (
	// MaxNameBytes bounds identifiers and names: id, source, system, team,
	// program, environment, category, caused_by_change, sign-off roles and
	// persons, action ids and label names.
	MaxNameBytes = 256
	// MaxTextBytes bounds free text: a title.
	MaxTextBytes = 4096
	// MaxLabelValueBytes bounds a label's value: labels are kept, never
	// made metric labels, and real ones are long (one BPIC 2014 change
	// lists 10 kB of affected configuration items).
	MaxLabelValueBytes = 64 << 10
)

// FieldError says what is wrong with one field of a record. Field is empty
// when the problem is the record as a whole (not a JSON object).
type FieldError struct {
	Field string `json:"field,omitempty"`
	Msg   string `json:"error"`
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return fmt.Sprintf("field %q: %s", e.Field, e.Msg)
}

// ErrInvalid marks an error about a record's content that no retry can cure
// (a store refusing text it cannot hold): callers answer it as bad input,
// never as "try again later".
var ErrInvalid = errors.New("invalid record")

type reviewWire struct {
	Required    *bool         `json:"required"`
	CompletedAt *string       `json:"completed_at"`
	Signoffs    []signoffWire `json:"signoffs"`
	Actions     []actionWire  `json:"actions"`
}

type signoffWire struct {
	Role   *string `json:"role"`
	Person *string `json:"person"`
	At     *string `json:"at"`
}

type actionWire struct {
	ID     *string `json:"id"`
	Due    *string `json:"due"`
	DoneAt *string `json:"done_at"`
}

type refWire struct {
	Source string  `json:"source"`
	ID     *string `json:"id"`
}

type incidentWire struct {
	ID              *string           `json:"id"`
	Source          string            `json:"source"`
	System          *string           `json:"system"`
	Title           string            `json:"title"`
	Severity        json.RawMessage   `json:"severity"`
	Impact          *string           `json:"impact"`
	Category        *string           `json:"category"`
	ImpactStartedAt *string           `json:"impact_started_at"`
	OpenedAt        *string           `json:"opened_at"`
	AcknowledgedAt  *string           `json:"acknowledged_at"`
	MitigatedAt     *string           `json:"mitigated_at"`
	ResolvedAt      *string           `json:"resolved_at"`
	ClosedAt        *string           `json:"closed_at"`
	Team            string            `json:"team"`
	CausedByChange  *refWire          `json:"caused_by_change"`
	Review          *reviewWire       `json:"review"`
	Estimated       []string          `json:"estimated"`
	Labels          map[string]string `json:"labels"`
}

type changeWire struct {
	ID           *string           `json:"id"`
	Source       string            `json:"source"`
	System       *string           `json:"system"`
	Team         string            `json:"team"`
	Type         *string           `json:"type"`
	Environment  *string           `json:"environment"`
	CreatedAt    *string           `json:"created_at"`
	ApprovedAt   *string           `json:"approved_at"`
	PlannedStart *string           `json:"planned_start"`
	PlannedEnd   *string           `json:"planned_end"`
	StartedAt    *string           `json:"started_at"`
	FinishedAt   *string           `json:"finished_at"`
	Outcome      *string           `json:"outcome"`
	Authorized   *bool             `json:"authorized"`
	Rework       *bool             `json:"rework"`
	Estimated    []string          `json:"estimated"`
	Labels       map[string]string `json:"labels"`
}

type feedbackWire struct {
	ID          *string           `json:"id"`
	Source      string            `json:"source"`
	System      *string           `json:"system"`
	Program     *string           `json:"program"`
	Team        *string           `json:"team"`
	Audience    *string           `json:"audience"`
	Score       json.RawMessage   `json:"score"`
	ScaleMin    json.RawMessage   `json:"scale_min"`
	ScaleMax    json.RawMessage   `json:"scale_max"`
	SubmittedAt *string           `json:"submitted_at"`
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
	in := Incident{
		ID:     v.name("id", v.required("id", w.ID)),
		Source: v.name("source", orDefault(w.Source, defaultSource)),
		System: v.name("system", v.required("system", w.System)),
		Title:  v.text("title", w.Title, MaxTextBytes),
		Team:   v.name("team", w.Team),
		Labels: v.labels(w.Labels),
	}
	in.Severity = v.severity(w.Severity)
	in.Impact = Impact(v.enum("impact", w.Impact, string(ImpactNone), string(ImpactOutage), string(ImpactDegraded), string(ImpactNone)))
	in.Category = CategoryNone
	if w.Category != nil {
		in.Category = v.name("category", v.required("category", w.Category))
	}
	if w.OpenedAt == nil {
		v.add("opened_at", "is required")
	} else if t := v.time("opened_at", w.OpenedAt); t != nil {
		in.OpenedAt = *t
	}
	in.ImpactStartedAt = v.time("impact_started_at", w.ImpactStartedAt)
	in.AcknowledgedAt = v.time("acknowledged_at", w.AcknowledgedAt)
	in.MitigatedAt = v.time("mitigated_at", w.MitigatedAt)
	in.ResolvedAt = v.time("resolved_at", w.ResolvedAt)
	in.ClosedAt = v.time("closed_at", w.ClosedAt)
	if !in.OpenedAt.IsZero() {
		if in.ImpactStartedAt != nil && in.ImpactStartedAt.After(in.OpenedAt) {
			v.add("impact_started_at", fmt.Sprintf("%s is after opened_at %s", in.ImpactStartedAt.Format(time.RFC3339), in.OpenedAt.Format(time.RFC3339)))
		}
		v.notBefore("acknowledged_at", in.AcknowledgedAt, "opened_at", in.OpenedAt)
		v.notBefore("mitigated_at", in.MitigatedAt, "opened_at", in.OpenedAt)
		v.notBefore("resolved_at", in.ResolvedAt, "opened_at", in.OpenedAt)
		v.notBefore("closed_at", in.ClosedAt, "opened_at", in.OpenedAt)
	}
	if w.CausedByChange != nil {
		id := v.name("caused_by_change.id", v.required("caused_by_change.id", w.CausedByChange.ID))
		in.CausedByChange = &Ref{Source: v.name("caused_by_change.source", orDefault(w.CausedByChange.Source, in.Source)), ID: id}
	}
	if w.Review != nil {
		in.Review = v.review(w.Review, in.OpenedAt)
	}
	in.Estimated = v.estimated(w.Estimated, map[string]bool{
		"impact_started_at": in.ImpactStartedAt != nil, "opened_at": w.OpenedAt != nil,
		"acknowledged_at": in.AcknowledgedAt != nil, "mitigated_at": in.MitigatedAt != nil,
		"resolved_at": in.ResolvedAt != nil, "closed_at": in.ClosedAt != nil,
	})
	return in, v.err()
}

// review decodes a post-incident review; opened is the incident's opening
// (zero when it is itself invalid), before which nothing can be signed or
// done.
func (v *validator) review(w *reviewWire, opened time.Time) *Review {
	r := &Review{Required: w.Required, CompletedAt: v.time("review.completed_at", w.CompletedAt)}
	if !opened.IsZero() {
		v.notBefore("review.completed_at", r.CompletedAt, "opened_at", opened)
	}
	for i, s := range w.Signoffs {
		field := fmt.Sprintf("review.signoffs[%d]", i)
		so := Signoff{
			Role:   v.enum(field+".role", s.Role, "", SignoffRoles...),
			Person: v.name(field+".person", v.required(field+".person", s.Person)),
		}
		if s.Role == nil {
			v.add(field+".role", "is required")
		}
		if s.At == nil {
			v.add(field+".at", "is required")
		} else if t := v.time(field+".at", s.At); t != nil {
			so.At = *t
			if !opened.IsZero() {
				v.notBefore(field+".at", t, "opened_at", opened)
			}
		}
		r.Signoffs = append(r.Signoffs, so)
	}
	seen := map[string]bool{}
	for i, a := range w.Actions {
		field := fmt.Sprintf("review.actions[%d]", i)
		act := Action{
			ID:     v.name(field+".id", v.required(field+".id", a.ID)),
			Due:    v.time(field+".due", a.Due),
			DoneAt: v.time(field+".done_at", a.DoneAt),
		}
		if act.ID != "" && seen[act.ID] {
			v.add(field+".id", fmt.Sprintf("%q is listed twice", act.ID))
		}
		seen[act.ID] = true
		if !opened.IsZero() {
			v.notBefore(field+".done_at", act.DoneAt, "opened_at", opened)
		}
		r.Actions = append(r.Actions, act)
	}
	return r
}

// ParseChange decodes and validates one change.
func ParseChange(raw []byte, defaultSource string) (Change, error) {
	var w changeWire
	if err := strictUnmarshal(raw, &w); err != nil {
		return Change{}, err
	}
	var v validator
	c := Change{
		ID:         v.name("id", v.required("id", w.ID)),
		Source:     v.name("source", orDefault(w.Source, defaultSource)),
		System:     v.name("system", v.required("system", w.System)),
		Team:       v.name("team", w.Team),
		Labels:     v.labels(w.Labels),
		Authorized: w.Authorized == nil || *w.Authorized,
		Rework:     w.Rework != nil && *w.Rework,
	}
	c.Type = ChangeType(v.enum("type", w.Type, string(TypeNormal), string(TypeStandard), string(TypeNormal), string(TypeEmergency)))
	c.Environment = "production"
	if w.Environment != nil {
		c.Environment = v.name("environment", v.required("environment", w.Environment))
	}
	if w.Outcome == nil {
		v.add("outcome", "is required")
	} else {
		c.Outcome = Outcome(v.enum("outcome", w.Outcome, "", string(OutcomeSuccess), string(OutcomeFailed),
			string(OutcomeRolledBack), string(OutcomeCancelled), string(OutcomeInProgress)))
	}
	c.CreatedAt = v.time("created_at", w.CreatedAt)
	c.ApprovedAt = v.time("approved_at", w.ApprovedAt)
	c.PlannedStart = v.time("planned_start", w.PlannedStart)
	c.PlannedEnd = v.time("planned_end", w.PlannedEnd)
	c.StartedAt = v.time("started_at", w.StartedAt)
	c.FinishedAt = v.time("finished_at", w.FinishedAt)
	if c.FinishedAt == nil && w.FinishedAt == nil && w.Outcome != nil && c.Outcome != OutcomeInProgress {
		v.add("finished_at", fmt.Sprintf("is required when outcome is %q", *w.Outcome))
	}
	if c.StartedAt != nil {
		v.notBefore("finished_at", c.FinishedAt, "started_at", *c.StartedAt)
	}
	if c.PlannedStart != nil {
		v.notBefore("planned_end", c.PlannedEnd, "planned_start", *c.PlannedStart)
	}
	// Work started (or even finished) before the change was requested is a
	// retroactive change: unusual, and exactly what a change review must
	// see, so it is stored and counted, never rejected (SPEC 2).
	c.Estimated = v.estimated(w.Estimated, map[string]bool{
		"created_at": c.CreatedAt != nil, "approved_at": c.ApprovedAt != nil,
		"planned_start": c.PlannedStart != nil, "planned_end": c.PlannedEnd != nil,
		"started_at": c.StartedAt != nil, "finished_at": c.FinishedAt != nil,
	})
	return c, v.err()
}

// ParseFeedback decodes and validates one feedback record.
func ParseFeedback(raw []byte, defaultSource string) (Feedback, error) {
	var w feedbackWire
	if err := strictUnmarshal(raw, &w); err != nil {
		return Feedback{}, err
	}
	var v validator
	f := Feedback{
		ID:     v.name("id", v.required("id", w.ID)),
		Source: v.name("source", orDefault(w.Source, defaultSource)),
		Labels: v.labels(w.Labels),
	}
	var about []string
	for _, t := range []struct {
		field string
		val   *string
		dst   *string
	}{{"system", w.System, &f.System}, {"program", w.Program, &f.Program}, {"team", w.Team, &f.Team}} {
		if t.val != nil {
			*t.dst = v.name(t.field, v.required(t.field, t.val))
			about = append(about, t.field)
		}
	}
	switch len(about) {
	case 0:
		v.add("system", "one of system, program or team is required")
	case 1:
	default:
		v.add(about[1], fmt.Sprintf("give exactly one of system, program or team, not %s", strings.Join(about, " and ")))
	}
	f.Audience = Audience(v.enum("audience", w.Audience, string(AudienceStakeholder), string(AudienceStakeholder), string(AudienceEmployee)))
	f.ScaleMin, f.ScaleMax = 1, 5
	minOK := v.number("scale_min", w.ScaleMin, &f.ScaleMin)
	maxOK := v.number("scale_max", w.ScaleMax, &f.ScaleMax)
	if minOK && maxOK && f.ScaleMin >= f.ScaleMax {
		v.add("scale_max", fmt.Sprintf("%g is not above scale_min %g", f.ScaleMax, f.ScaleMin))
		minOK = false
	}
	if w.Score == nil {
		v.add("score", "is required")
	} else if v.number("score", w.Score, &f.Score) && minOK && maxOK && (f.Score < f.ScaleMin || f.Score > f.ScaleMax) {
		v.add("score", fmt.Sprintf("%g is outside the scale %g to %g", f.Score, f.ScaleMin, f.ScaleMax))
	}
	if w.SubmittedAt == nil {
		v.add("submitted_at", "is required")
	} else if t := v.time("submitted_at", w.SubmittedAt); t != nil {
		f.SubmittedAt = *t
	}
	return f, v.err()
}

// strictUnmarshal decodes one JSON object, refusing what encoding/json
// would let through altered (duplicate keys, invalid UTF-8), unknown
// fields and trailing data, and names the offending field in its error.
func strictUnmarshal(raw []byte, dst any) error {
	if err := checkJSON(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field == "":
			return &FieldError{Msg: fmt.Sprintf("not a JSON object: got JSON %s", te.Value)}
		case errors.As(err, &te):
			return &FieldError{Field: te.Field, Msg: fmt.Sprintf("must be %s, got JSON %s", jsonKind(te.Type.Kind().String()), te.Value)}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &FieldError{Field: name, Msg: "unknown field"}
		}
		return &FieldError{Msg: fmt.Sprintf("not a valid JSON object: %v", err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &FieldError{Msg: "not a valid JSON object: trailing data after the object"}
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
	case "slice":
		return "an array"
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

// name checks a name or identifier and returns it.
func (v *validator) name(field, s string) string { return v.text(field, s, MaxNameBytes) }

// text refuses what no store keeps or no reader should get: a NUL
// character (PostgreSQL cannot store one; such a record is rejected here
// rather than failing its whole batch in the store) and more than max bytes.
// Invalid UTF-8 never gets this far (checkJSON).
func (v *validator) text(field, s string, max int) string {
	if strings.IndexByte(s, 0) >= 0 {
		v.add(field, "contains a NUL character")
	}
	if len(s) > max {
		v.add(field, fmt.Sprintf("is %d bytes long, more than the limit of %d", len(s), max))
	}
	return s
}

func (v *validator) labels(labels map[string]string) map[string]string {
	for _, k := range sortedKeys(labels) {
		v.text("labels."+k, k, MaxNameBytes)
		v.text("labels."+k, labels[k], MaxLabelValueBytes)
	}
	return labels
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// severity accepts a JSON integer from 1 to 5 only: "2", a string, is
// refused rather than read as a number (SPEC 2: never silently altered).
func (v *validator) severity(raw json.RawMessage) int {
	if raw == nil || string(raw) == "null" {
		v.add("severity", "is required")
		return 0
	}
	var n json.Number
	if !isNumber(raw) || json.Unmarshal(raw, &n) != nil {
		v.add("severity", fmt.Sprintf("must be an integer from 1 to 5, got JSON %s", string(raw)))
		return 0
	}
	i, err := n.Int64()
	if err != nil || i < 1 || i > 5 {
		v.add("severity", fmt.Sprintf("must be an integer from 1 to 5, got %s", n.String()))
		return 0
	}
	return int(i)
}

// number reads an optional finite JSON number into dst; it reports whether
// the field is usable (absent, so dst keeps its default, or valid).
func (v *validator) number(field string, raw json.RawMessage, dst *float64) bool {
	if raw == nil {
		return true
	}
	if string(raw) == "null" || !isNumber(raw) {
		v.add(field, fmt.Sprintf("must be a number, got JSON %s", string(raw)))
		return false
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		v.add(field, fmt.Sprintf("%s is out of range", string(raw)))
		return false
	}
	*dst = f
	return true
}

// isNumber reports whether raw is a JSON number (not a string holding one).
func isNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
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
	v.add(field, fmt.Sprintf("unknown value %q (allowed: %s)", truncate(*s, 64), strings.Join(dedupe(allowed), ", ")))
	return ""
}

// truncate shortens s for an error message, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
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

// estimated checks a record's list of estimated times: each entry names a
// time field the record has (present[name]), once.
func (v *validator) estimated(names []string, present map[string]bool) []string {
	seen := map[string]bool{}
	for i, n := range names {
		field := fmt.Sprintf("estimated[%d]", i)
		has, isTime := present[n]
		switch {
		case !isTime:
			v.add(field, fmt.Sprintf("%q names no time field of the record (allowed: %s)", truncate(n, 64), strings.Join(slices.Sorted(maps.Keys(present)), ", ")))
		case !has:
			v.add(field, fmt.Sprintf("%q is estimated but the record has no %s", n, n))
		case seen[n]:
			v.add(field, fmt.Sprintf("%q is listed twice", n))
		}
		seen[n] = true
	}
	if len(names) == 0 {
		return nil
	}
	return names
}

// time parses an optional RFC 3339 timestamp into UTC, truncated to the
// microsecond both stores keep.
func (v *validator) time(field string, s *string) *time.Time {
	if s == nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		v.add(field, fmt.Sprintf("not an RFC 3339 time: %q", truncate(*s, 64)))
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

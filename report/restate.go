package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/steward-sh/steward/fault"
	"github.com/steward-sh/steward/scorecard"
)

// Frozen is one stored version of a subject's review of a period.
type Frozen struct {
	ID        int64           `json:"id"`
	Role      string          `json:"role"`
	Subject   string          `json:"subject"`
	Period    string          `json:"period"`
	Version   int             `json:"version"`
	CreatedAt time.Time       `json:"created_at"`
	Content   json.RawMessage `json:"-"`
}

// Archive keeps frozen reviews. Versions never change once saved.
type Archive interface {
	// Save stores f.Content as the next version of (Role, Subject, Period)
	// and returns it with ID and Version set.
	Save(ctx context.Context, f Frozen) (Frozen, error)
	// Versions returns every version, oldest first.
	Versions(ctx context.Context, role, subject, period string) ([]Frozen, error)
}

// Restatement is how a frozen review differs from the same review computed
// from today's data: the KPIs whose value or status moved and the records
// (and systems) that were added, removed or changed.
type Restatement struct {
	Score   *ValueChange   `json:"score,omitempty"`
	KPIs    []KPIChange    `json:"kpis"`
	Records []RecordChange `json:"records"`
}

// ValueChange is an old and a new value (nil: no value).
type ValueChange struct {
	Old *float64 `json:"old"`
	New *float64 `json:"new"`
}

// KPIChange is a restated KPI.
type KPIChange struct {
	Name      string   `json:"name"`
	Old       *float64 `json:"old"`
	New       *float64 `json:"new"`
	OldStatus string   `json:"old_status,omitempty"`
	NewStatus string   `json:"new_status,omitempty"`
}

// RecordChange is a record of the evidence that is new, gone or different
// since the freeze. Kind is incident, change or system.
type RecordChange struct {
	Kind   string        `json:"kind"`
	Source string        `json:"source,omitempty"`
	ID     string        `json:"id"`
	Change string        `json:"change"` // added, removed or changed
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field of a changed record, as JSON text ("" absent).
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// content is what a freeze stores for a review.
func content(r *Review) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("report: encode review %s/%s: %w", r.Role, r.Subject, err)
	}
	return b, nil
}

// Freeze stores every subject's review of the report as a new version,
// unless it equals the latest version already stored. It updates the
// report's frozen versions (and clears restatements: the new version is
// what they are now measured against). A provisional report (its period
// has not ended) is refused with a Conflict error unless force is set.
func (b *Builder) Freeze(ctx context.Context, rep *Report, force bool) error {
	if b.Archive == nil {
		return fault.Errorf(fault.Unavailable, "report: freeze: no archive to keep frozen reviews in")
	}
	if rep.Provisional && !force {
		return fault.Errorf(fault.Conflict, "report: freeze: period %s has not ended (it ends %s), so its reviews are provisional; "+
			"freeze with force to keep them anyway", rep.Period.Name, bound(rep.Period.To))
	}
	for i := range rep.Subjects {
		s := &rep.Subjects[i]
		data, err := content(&s.Review)
		if err != nil {
			return err
		}
		if s.Frozen != nil && s.Restatement == nil && !s.finalizes {
			continue // unchanged since the latest version
		}
		f, err := b.Archive.Save(ctx, Frozen{Role: string(s.Role), Subject: s.Subject, Period: s.Period.Name, CreatedAt: b.Now().UTC(), Content: data})
		if err != nil {
			return fmt.Errorf("report: freeze: %w", fault.Default(fault.Unavailable, err))
		}
		f.Content = nil
		s.Frozen, s.Restatement, s.finalizes = &f, nil, false
	}
	return nil
}

// restate compares each subject's review with its latest frozen version.
func (b *Builder) restate(ctx context.Context, rep *Report) error {
	for i := range rep.Subjects {
		s := &rep.Subjects[i]
		versions, err := b.Archive.Versions(ctx, string(s.Role), s.Subject, s.Period.Name)
		if err != nil {
			return fmt.Errorf("report: frozen reviews: %w", err)
		}
		if len(versions) == 0 {
			continue
		}
		latest := versions[len(versions)-1]
		now, err := content(&s.Review)
		if err != nil {
			return err
		}
		meta := latest
		meta.Content = nil
		s.Frozen = &meta
		if bytes.Equal(now, latest.Content) {
			continue
		}
		var old Review
		if err := json.Unmarshal(latest.Content, &old); err != nil {
			return fmt.Errorf("report: frozen review %s/%s %s v%d: %w", latest.Role, latest.Subject, latest.Period, latest.Version, err)
		}
		// compare like with like: the current review as it would be stored
		var cur Review
		if err := json.Unmarshal(now, &cur); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if r := diff(&old, &cur); !r.empty() {
			s.Restatement = r
		}
		s.finalizes = old.Provisional && !cur.Provisional
	}
	return nil
}

func (r *Restatement) empty() bool {
	return r.Score == nil && len(r.KPIs) == 0 && len(r.Records) == 0
}

// diff lists what moved between a frozen review and the current one.
func diff(old, cur *Review) *Restatement {
	r := &Restatement{KPIs: []KPIChange{}, Records: []RecordChange{}}
	if !sameNum(old.Score, cur.Score) {
		r.Score = &ValueChange{Old: old.Score, New: cur.Score}
	}
	oldKPIs := map[string]KPI{}
	for _, k := range old.KPIs {
		oldKPIs[k.Name] = k
	}
	for _, k := range cur.KPIs {
		o := oldKPIs[k.Name]
		if !sameNum(o.Value, k.Value) || o.Status != k.Status {
			r.KPIs = append(r.KPIs, KPIChange{Name: k.Name, Old: o.Value, New: k.Value, OldStatus: o.Status, NewStatus: k.Status})
		}
	}
	oe, ce := old.Evidence, cur.Evidence
	if oe == nil {
		oe = &scorecard.Evidence{}
	}
	if ce == nil {
		ce = &scorecard.Evidence{}
	}
	r.Records = append(r.Records, diffRecords("incident", oe.Incidents, ce.Incidents, func(x scorecard.IncidentEvidence) [2]string { return [2]string{x.Source, x.ID} })...)
	r.Records = append(r.Records, diffRecords("change", oe.Changes, ce.Changes, func(x scorecard.ChangeEvidence) [2]string { return [2]string{x.Source, x.ID} })...)
	r.Records = append(r.Records, diffRecords("system", oe.Systems, ce.Systems, func(x scorecard.SystemEvidence) [2]string { return [2]string{"", x.ID} })...)
	return r
}

// sameNum compares values with a relative tolerance: a review recomputed
// from unchanged data may differ in the last bits of a float sum.
func sameNum(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	d := *a - *b
	if d < 0 {
		d = -d
	}
	scale := max(1, abs(*a), abs(*b))
	return d <= 1e-9*scale
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func diffRecords[T any](kind string, old, cur []T, key func(T) [2]string) []RecordChange {
	oldBy := map[[2]string]T{}
	for _, x := range old {
		oldBy[key(x)] = x
	}
	curBy := map[[2]string]T{}
	for _, x := range cur {
		curBy[key(x)] = x
	}
	var out []RecordChange
	for _, x := range cur {
		k := key(x)
		o, ok := oldBy[k]
		switch {
		case !ok:
			out = append(out, RecordChange{Kind: kind, Source: k[0], ID: k[1], Change: "added"})
		default:
			if fields := diffFields(o, x); len(fields) > 0 {
				out = append(out, RecordChange{Kind: kind, Source: k[0], ID: k[1], Change: "changed", Fields: fields})
			}
		}
	}
	for _, x := range old {
		if k := key(x); !hasKey(curBy, k) {
			out = append(out, RecordChange{Kind: kind, Source: k[0], ID: k[1], Change: "removed"})
		}
	}
	return out
}

func hasKey[T any](m map[[2]string]T, k [2]string) bool { _, ok := m[k]; return ok }

// diffFields compares two records field by field in their JSON form, so
// the names are the ones users see in the JSON report.
func diffFields(old, cur any) []FieldChange {
	o, c := fieldMap(old), fieldMap(cur)
	names := slices.Sorted(maps.Keys(o))
	for k := range c {
		if _, ok := o[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var out []FieldChange
	for _, k := range names {
		if !reflect.DeepEqual(o[k], c[k]) {
			out = append(out, FieldChange{Field: k, Old: jsonText(o[k]), New: jsonText(c[k])})
		}
	}
	return out
}

func fieldMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	return m
}

func jsonText(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return strings.TrimSpace(string(b))
}

// Package record holds Steward's domain types: incident and change records,
// the batch a store writes, and the Store interface the rest of Steward uses.
// It depends on nothing outside the standard library and must not learn about
// configuration, attribution or any concrete database.
package record

import (
	"context"
	"time"
)

// Kind names a record kind. It is also a label value (`kind`) in metrics.
type Kind string

const (
	KindIncident Kind = "incident"
	KindChange   Kind = "change"
)

// Impact is an incident's effect on its system's availability.
type Impact string

const (
	ImpactOutage   Impact = "outage"
	ImpactDegraded Impact = "degraded"
	ImpactNone     Impact = "none"
)

// ChangeType is the ITIL change type.
type ChangeType string

const (
	TypeStandard  ChangeType = "standard"
	TypeNormal    ChangeType = "normal"
	TypeEmergency ChangeType = "emergency"
)

// Outcome is how a change ended (or that it has not yet).
type Outcome string

const (
	OutcomeSuccess    Outcome = "success"
	OutcomeFailed     Outcome = "failed"
	OutcomeRolledBack Outcome = "rolled_back"
	OutcomeCancelled  Outcome = "cancelled"
	OutcomeInProgress Outcome = "in_progress"
)

// DefaultSource is the source of records posted without one.
const DefaultSource = "api"

// Ref points at another record by its key.
type Ref struct {
	Source string `json:"source"`
	ID     string `json:"id"`
}

// Review is an incident's post-incident review. Required is nil when the
// record leaves it to policy (severity threshold).
type Review struct {
	Required    *bool      `json:"required,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

// Incident is a service disruption, keyed by (Source, ID).
type Incident struct {
	ID             string            `json:"id"`
	Source         string            `json:"source"`
	System         string            `json:"system"`
	Title          string            `json:"title,omitempty"`
	Severity       int               `json:"severity"`
	Impact         Impact            `json:"impact"`
	OpenedAt       time.Time         `json:"opened_at"`
	AcknowledgedAt *time.Time        `json:"acknowledged_at,omitempty"`
	ResolvedAt     *time.Time        `json:"resolved_at,omitempty"`
	ClosedAt       *time.Time        `json:"closed_at,omitempty"`
	Team           string            `json:"team,omitempty"`
	CausedByChange *Ref              `json:"caused_by_change,omitempty"`
	Review         *Review           `json:"review,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`

	// Seq is the store's write sequence number: it grows with every write,
	// so readers can fetch what changed since they last looked. Zero until
	// stored; never part of the wire format.
	Seq int64 `json:"-"`
}

// Change is a change or deployment, keyed by (Source, ID).
type Change struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	System      string            `json:"system"`
	Team        string            `json:"team,omitempty"`
	Type        ChangeType        `json:"type"`
	Environment string            `json:"environment"`
	CreatedAt   *time.Time        `json:"created_at,omitempty"`
	StartedAt   *time.Time        `json:"started_at,omitempty"`
	FinishedAt  *time.Time        `json:"finished_at,omitempty"`
	Outcome     Outcome           `json:"outcome"`
	Authorized  bool              `json:"authorized"`
	Labels      map[string]string `json:"labels,omitempty"`

	Seq int64 `json:"-"`
}

// Key returns the record's identity.
func (i *Incident) Key() Ref { return Ref{Source: i.Source, ID: i.ID} }

// Key returns the record's identity.
func (c *Change) Key() Ref { return Ref{Source: c.Source, ID: c.ID} }

// Rejected is a record that failed validation, kept for inspection.
type Rejected struct {
	Kind       Kind      `json:"kind"`
	Source     string    `json:"source"`
	Index      int       `json:"index"`
	ID         string    `json:"id,omitempty"`
	Error      string    `json:"error"`
	Raw        string    `json:"raw"`
	ReceivedAt time.Time `json:"received_at"`
}

// Batch is what one ingest request writes: valid records are upserted and
// rejected ones quarantined, all in one transaction.
type Batch struct {
	Incidents []Incident
	Changes   []Change
	Rejected  []Rejected
	// Cursor, when set, is saved in the same transaction as the records: a
	// poller that resumes from it after a crash has lost nothing and
	// re-reads nothing it already stored.
	Cursor *Cursor
}

// Cursor is a poller's position in a remote source, named by the poller
// (e.g. "servicenow/incident"). Value is opaque to the store.
type Cursor struct {
	Name  string
	Value string
}

// Len is the number of records in the batch, rejected ones included.
func (b *Batch) Len() int { return len(b.Incidents) + len(b.Changes) + len(b.Rejected) }

// Store keeps records durably. Implementations must be safe for concurrent use.
type Store interface {
	// Write stores a batch atomically: when it returns nil every record is
	// committed; otherwise none is. Upserts replace an existing record with
	// the same (Source, ID) and give it a new Seq.
	Write(ctx context.Context, b Batch) error
	// Incidents returns up to limit incidents with Seq > after, by Seq.
	Incidents(ctx context.Context, after int64, limit int) ([]Incident, error)
	// Changes returns up to limit changes with Seq > after, by Seq.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// Quarantined returns up to limit rejected records, newest first.
	Quarantined(ctx context.Context, limit int) ([]Rejected, error)
	// Ping reports whether the store can be reached.
	Ping(ctx context.Context) error
	Close() error
}

// Getter reads one record by key. It is optional: a Store may implement it,
// and collectors whose vendors send partial events (an acknowledgement that
// does not repeat when the incident opened) use it to keep what an earlier
// event said.
type Getter interface {
	// Incident returns the stored incident with the key, or nil if none.
	Incident(ctx context.Context, source, id string) (*Incident, error)
	// Change returns the stored change with the key, or nil if none.
	Change(ctx context.Context, source, id string) (*Change, error)
}

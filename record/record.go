// Package record holds Steward's domain types: incident, change and feedback
// records, their validation and the batch decoder that reads them from a
// request body or a file, the batch a store writes, and the Store interface
// the rest of Steward uses.
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
	KindFeedback Kind = "feedback"
)

// Kinds are the record kinds, in the order stores and readers list them.
var Kinds = []Kind{KindIncident, KindChange, KindFeedback}

// CategoryNone is the category of an incident that names none.
const CategoryNone = "none"

// Sign-off roles: the accountable roles whose sign-off a post-incident
// review can need (SPEC 3, policy.review.signoff).
const (
	RoleSystemOwner    = "system_owner"
	RoleProgramManager = "program_manager"
	RoleProcessOwner   = "process_owner"
)

// SignoffRoles are the roles a review sign-off may name.
var SignoffRoles = []string{RoleSystemOwner, RoleProgramManager, RoleProcessOwner}

// Audience is who answered a feedback survey.
type Audience string

const (
	AudienceStakeholder Audience = "stakeholder"
	AudienceEmployee    Audience = "employee"
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
	Signoffs    []Signoff  `json:"signoffs,omitempty"`
	Actions     []Action   `json:"actions,omitempty"`
}

// Signoff is one accountable person's sign-off of a review.
type Signoff struct {
	Role   string    `json:"role"`
	Person string    `json:"person"`
	At     time.Time `json:"at"`
}

// Action is a review's follow-up item. Due is nil when policy sets it
// (policy.review.action_due); DoneAt is nil while it is open.
type Action struct {
	ID     string     `json:"id"`
	Due    *time.Time `json:"due,omitempty"`
	DoneAt *time.Time `json:"done_at,omitempty"`
}

// Incident is a service disruption, keyed by (Source, ID).
type Incident struct {
	ID              string     `json:"id"`
	Source          string     `json:"source"`
	System          string     `json:"system"`
	Title           string     `json:"title,omitempty"`
	Severity        int        `json:"severity"`
	Impact          Impact     `json:"impact"`
	Category        string     `json:"category,omitempty"`
	ImpactStartedAt *time.Time `json:"impact_started_at,omitempty"`
	OpenedAt        time.Time  `json:"opened_at"`
	AcknowledgedAt  *time.Time `json:"acknowledged_at,omitempty"`
	MitigatedAt     *time.Time `json:"mitigated_at,omitempty"`
	ResolvedAt      *time.Time `json:"resolved_at,omitempty"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	Team            string     `json:"team,omitempty"`
	CausedByChange  *Ref       `json:"caused_by_change,omitempty"`
	Review          *Review    `json:"review,omitempty"`
	// Estimated names the time fields a collector had to estimate
	// ("opened_at"); KPIs leave durations built on them out.
	Estimated []string          `json:"estimated,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`

	// Seq is the store's write sequence number: it grows with every write,
	// so readers can fetch what changed since they last looked. Zero until
	// stored; never part of the wire format.
	Seq int64 `json:"-"`
}

// Change is a change or deployment, keyed by (Source, ID).
type Change struct {
	ID           string            `json:"id"`
	Source       string            `json:"source"`
	System       string            `json:"system"`
	Team         string            `json:"team,omitempty"`
	Type         ChangeType        `json:"type"`
	Environment  string            `json:"environment"`
	CreatedAt    *time.Time        `json:"created_at,omitempty"`
	ApprovedAt   *time.Time        `json:"approved_at,omitempty"`
	PlannedStart *time.Time        `json:"planned_start,omitempty"`
	PlannedEnd   *time.Time        `json:"planned_end,omitempty"`
	StartedAt    *time.Time        `json:"started_at,omitempty"`
	FinishedAt   *time.Time        `json:"finished_at,omitempty"`
	Outcome      Outcome           `json:"outcome"`
	Authorized   bool              `json:"authorized"`
	Rework       bool              `json:"rework"`
	Estimated    []string          `json:"estimated,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`

	Seq int64 `json:"-"`
}

// Feedback is one answer to a satisfaction or pulse survey about exactly
// one of a system, a program or a team, keyed by (Source, ID).
type Feedback struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	System      string            `json:"system,omitempty"`
	Program     string            `json:"program,omitempty"`
	Team        string            `json:"team,omitempty"`
	Audience    Audience          `json:"audience,omitempty"`
	Score       float64           `json:"score"`
	ScaleMin    float64           `json:"scale_min"`
	ScaleMax    float64           `json:"scale_max"`
	SubmittedAt time.Time         `json:"submitted_at"`
	Labels      map[string]string `json:"labels,omitempty"`

	Seq int64 `json:"-"`
}

// Key returns the record's identity.
func (i *Incident) Key() Ref { return Ref{Source: i.Source, ID: i.ID} }

// Restored is when service was restored as the KPIs read it (SPEC 4,
// Times): resolved_at, or, for an incident closed without one, closed_at:
// a closed incident is not open. Nil while it is open.
func (i *Incident) Restored() *time.Time {
	if i.ResolvedAt != nil {
		return i.ResolvedAt
	}
	return i.ClosedAt
}

// Key returns the record's identity.
func (c *Change) Key() Ref { return Ref{Source: c.Source, ID: c.ID} }

// Key returns the record's identity.
func (f *Feedback) Key() Ref { return Ref{Source: f.Source, ID: f.ID} }

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
	Feedback  []Feedback
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
func (b *Batch) Len() int {
	return len(b.Incidents) + len(b.Changes) + len(b.Feedback) + len(b.Rejected)
}

// Store keeps records durably. Implementations must be safe for concurrent use.
type Store interface {
	// Write stores a batch atomically: when it returns nil every record is
	// committed; otherwise none is. Upserts replace an existing record with
	// the same (Source, ID) and give it a new Seq. A store may also set
	// the Seq of each record of b it stored (the SQL stores do, see
	// store.DB.Write); readers that rely on it check that it is set.
	Write(ctx context.Context, b Batch) error
	// Incidents returns up to limit incidents with Seq > after, by Seq.
	Incidents(ctx context.Context, after int64, limit int) ([]Incident, error)
	// Changes returns up to limit changes with Seq > after, by Seq.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// Feedback returns up to limit feedback records with Seq > after, by Seq.
	Feedback(ctx context.Context, after int64, limit int) ([]Feedback, error)
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

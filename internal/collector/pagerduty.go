package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// PagerDutyDefaults is how PagerDuty incidents map unless the config says
// otherwise. Fields are dotted paths into the webhook body. Severity comes
// from the priority (P1..P5 → 1..5) when the account uses priorities, else
// from the urgency (high → 2, low → 4), else 3. PagerDuty has no notion of
// impact, so it is none unless mapped (for example from the priority).
func PagerDutyDefaults() Mapping {
	return Mapping{
		System:   []string{"event.data.service.summary"},
		Team:     []string{"event.data.teams.0.summary"},
		Title:    []string{"event.data.title"},
		Severity: []string{"event.data.priority.summary", "event.data.urgency"},
		Category: []string{"event.data.incident_type.name"},
		SeverityMap: map[string]int{
			"p1": 1, "p2": 2, "p3": 3, "p4": 4, "p5": 5,
			"high": 2, "low": 4,
		},
		DefaultSeverity: 3,
		ImpactMap:       map[string]record.Impact{"outage": record.ImpactOutage, "degraded": record.ImpactDegraded, "none": record.ImpactNone},
		DefaultImpact:   record.ImpactNone,
	}
}

// PagerDutySource is the PagerDuty Webhooks v3 subscription
// (POST /hooks/pagerduty), verified by its X-PagerDuty-Signature.
func PagerDutySource(cfg *config.Webhook) Source {
	m := PagerDutyDefaults().With(cfg.Mapping)
	secret := cfg.Secret.Reveal()
	return Source{
		Name: "pagerduty",
		Kind: record.KindIncident,
		Admit: func(r *http.Request) error {
			for _, sig := range strings.Split(r.Header.Get("X-PagerDuty-Signature"), ",") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(sig), "v1="); ok && hmacForm(v) {
					return nil
				}
			}
			return errUnauthorized
		},
		Verify: func(r *http.Request, body []byte) error {
			// Several signatures are sent while a secret is being rotated.
			for _, sig := range strings.Split(r.Header.Get("X-PagerDuty-Signature"), ",") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(sig), "v1="); ok && validHMAC(v, body, secret) {
					return nil
				}
			}
			return errUnauthorized
		},
		Decode: func(ctx context.Context, req Request) (Decoded, error) {
			return DecodePagerDuty(ctx, req.Body, m, req.Prior, req.Now)
		},
		Merges: true,
	}
}

// pdIncidentEvents are the incident events that carry state Steward keeps.
// Others (annotations, responders, status updates, workflows...) are
// acknowledged and ignored.
var pdIncidentEvents = map[string]bool{
	"incident.triggered": true, "incident.acknowledged": true, "incident.unacknowledged": true,
	"incident.resolved": true, "incident.reopened": true, "incident.escalated": true,
	"incident.reassigned": true, "incident.delegated": true, "incident.priority_updated": true,
	"incident.service_updated": true,
}

type pdWebhook struct {
	Event *struct {
		EventType  string    `json:"event_type"`
		OccurredAt time.Time `json:"occurred_at"`
		Data       *struct {
			ID        string     `json:"id"`
			Number    int        `json:"number"`
			Status    string     `json:"status"`
			CreatedAt *time.Time `json:"created_at"`
			HTMLURL   string     `json:"html_url"`
		} `json:"data"`
	} `json:"event"`
}

// DecodePagerDuty turns one v3 event into the incident's current state. An
// event carries the incident but not its whole history, so what it lacks
// comes from the stored version (prior may be nil: then from the event):
//
//   - opened_at is the incident's created_at, which 2021-era payloads lack;
//     then the stored opened_at, else the event's occurred_at (exact for
//     incident.triggered, an estimate otherwise, labelled so).
//   - acknowledged_at is the first acknowledgement's occurred_at; later
//     events keep it (unacknowledging does not undo it).
//   - resolved_at is incident.resolved's occurred_at; it is kept while the
//     incident stays resolved and cleared when it is reopened (its status
//     is triggered or acknowledged again).
//
// An event older than the one the stored version was built from is
// ignored, so late deliveries cannot undo newer state.
func DecodePagerDuty(ctx context.Context, body []byte, m Mapping, prior record.Getter, now time.Time) (Decoded, error) {
	// The type first: other resources give data other shapes.
	var head struct {
		Event *struct {
			EventType    string `json:"event_type"`
			ResourceType string `json:"resource_type"`
		} `json:"event"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return Decoded{}, malformed("not a PagerDuty v3 webhook: %v", err)
	}
	if head.Event == nil || head.Event.EventType == "" {
		return Decoded{}, malformed("not a PagerDuty v3 webhook: no event.event_type")
	}
	var d Decoded
	if head.Event.ResourceType != "incident" || !pdIncidentEvents[head.Event.EventType] {
		d.Ignored = append(d.Ignored, fmt.Sprintf("event type %s is not used", head.Event.EventType))
		return d, nil
	}
	var w pdWebhook
	if err := json.Unmarshal(body, &w); err != nil {
		return Decoded{}, malformed("not a PagerDuty v3 incident event: %v", err)
	}
	ev := w.Event
	if ev.Data == nil || ev.Data.ID == "" {
		return Decoded{}, malformed("%s event without event.data.id", ev.EventType)
	}
	if ev.OccurredAt.IsZero() {
		return Decoded{}, malformed("%s event without event.occurred_at", ev.EventType)
	}
	doc, err := parseDoc(body)
	if err != nil {
		return Decoded{}, err
	}
	var old *record.Incident
	if prior != nil {
		if old, err = prior.Incident(ctx, "pagerduty", ev.Data.ID); err != nil {
			return Decoded{}, fmt.Errorf("pagerduty: %w", err)
		}
	}
	if old != nil && stale(old.Labels, ev.OccurredAt) {
		d.Ignored = append(d.Ignored, fmt.Sprintf("%s of %s happened before the stored state", ev.EventType, ev.Data.ID))
		return d, nil
	}
	data := ev.Data
	in := record.Incident{ID: data.ID, Source: "pagerduty"}
	m.fillIncident(&in, jsonFields(doc), old)
	in.Category = pdCategory(in.Category)
	at := ev.OccurredAt
	in.Labels = labels(labelLastEvent, stamp(at), "status", data.Status, "url", data.HTMLURL)
	if data.Number != 0 {
		in.Labels["number"] = strconv.Itoa(data.Number)
	}
	for label, path := range map[string]string{"urgency": "event.data.urgency", "priority": "event.data.priority.summary", "service_id": "event.data.service.id",
		"incident_type": "event.data.incident_type.name"} {
		if v, ok := jsonFields(doc)(path); ok {
			in.Labels[label] = v
		}
	}
	pdTimes(&in, ev.EventType, data.Status, data.CreatedAt, at, old)
	d.addIncident(in, body, ev.EventType, m, now)
	return d, nil
}

// pdCategory reads PagerDuty's incident type as a category: its built-in
// types are named "<kind>_default"; "security_default" is a security
// incident. The base type (incident_default) and major_default (a
// priority, not a kind) are no category. Custom types keep their names.
func pdCategory(incidentType string) string {
	switch kind, _ := strings.CutSuffix(incidentType, "_default"); kind {
	case "", "incident", "major", record.CategoryNone:
		return ""
	default:
		return kind
	}
}

// pdTimes sets an incident's opened, acknowledged and resolved times from
// an event of eventType that happened at, merged with the stored version
// old (see DecodePagerDuty).
func pdTimes(in *record.Incident, eventType, status string, createdAt *time.Time, at time.Time, old *record.Incident) {
	switch {
	case createdAt != nil && !createdAt.IsZero():
		in.OpenedAt = *createdAt
	case old != nil:
		in.OpenedAt = old.OpenedAt
		if old.Labels["opened_at_estimated"] != "" {
			in.Labels["opened_at_estimated"] = "true"
		}
		in.Estimated = keepEstimated(in.Estimated, old, "opened_at")
	default:
		// First heard of by a later event (PCPZE64 is first seen resolved):
		// when it opened is not known, and the event's time stands in.
		in.OpenedAt = at
		if eventType != "incident.triggered" {
			in.Labels["opened_at_estimated"] = "true"
			in.Estimated = append(in.Estimated, "opened_at")
		}
	}
	if old != nil {
		in.AcknowledgedAt = old.AcknowledgedAt
	}
	if in.AcknowledgedAt == nil && eventType == "incident.acknowledged" {
		in.AcknowledgedAt = ptr(at)
	}
	switch {
	case eventType == "incident.resolved" && old != nil && old.ResolvedAt != nil && old.Labels["status"] == "resolved":
		in.ResolvedAt = old.ResolvedAt // a redelivery: keep the first
	case eventType == "incident.resolved":
		in.ResolvedAt = ptr(at)
	case status == "resolved" && old != nil && old.ResolvedAt != nil:
		in.ResolvedAt = old.ResolvedAt
		in.Estimated = keepEstimated(in.Estimated, old, "resolved_at")
	case status == "resolved":
		in.ResolvedAt = ptr(at) // resolved before Steward heard of it
		in.Estimated = append(in.Estimated, "resolved_at")
	}
}

// keepEstimated adds field to est when the stored version old, whose value
// of field is kept, had estimated it.
func keepEstimated(est []string, old *record.Incident, field string) []string {
	if old != nil && slices.Contains(old.Estimated, field) && !slices.Contains(est, field) {
		return append(est, field)
	}
	return est
}

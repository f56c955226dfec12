package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// OpsgenieDefaults is how Opsgenie alerts map to incidents unless the config
// says otherwise. Fields are dotted paths into the webhook body, or
// "tag:<key>" for a tag written "<key>:<value>" or "<key>=<value>". The
// system is the alert's extra property system or service, a system:/service:
// tag, else its entity; severity its priority (P1..P5 → 1..5).
func OpsgenieDefaults() Mapping {
	return Mapping{
		System:   []string{"alert.details.system", "alert.details.service", "tag:system", "tag:service", "alert.entity"},
		Team:     []string{"alert.details.team", "tag:team"},
		Title:    []string{"alert.message"},
		Severity: []string{"alert.priority"},
		SeverityMap: map[string]int{
			"p1": 1, "p2": 2, "p3": 3, "p4": 4, "p5": 5,
			"1": 1, "2": 2, "3": 3, "4": 4, "5": 5,
		},
		DefaultSeverity: 3,
		Impact:          []string{"alert.details.impact", "tag:impact"},
		Category:        []string{"alert.details.category", "tag:category"},
		ImpactMap:       map[string]record.Impact{"outage": record.ImpactOutage, "degraded": record.ImpactDegraded, "none": record.ImpactNone},
		DefaultImpact:   record.ImpactNone,
	}
}

// OpsgenieSource is an Opsgenie Webhook integration (POST /hooks/opsgenie).
// Opsgenie does not sign its requests, so the integration carries the
// configured token, preferably as a custom header "Authorization: Bearer
// <token>", else in the URL (?token=<token>), which ends up in access logs.
func OpsgenieSource(cfg *config.Webhook) Source {
	m := OpsgenieDefaults().With(cfg.Mapping)
	token := cfg.Token.Reveal()
	return Source{
		Name: "opsgenie",
		Kind: record.KindIncident,
		Admit: func(r *http.Request) error {
			got, ok := bearer(r)
			if !ok {
				got = r.URL.Query().Get("token")
			}
			if got == "" || !equal(got, token) {
				return errUnauthorized
			}
			return nil
		},
		Decode: func(ctx context.Context, req Request) (Decoded, error) {
			return DecodeOpsgenie(ctx, req.Body, m, req.Prior, req.Now)
		},
		Merges: true,
	}
}

// ogActions are the actions that carry state Steward keeps. Notes,
// escalations, ownership, responders and the like are ignored.
var ogActions = map[string]bool{
	"Create": true, "Acknowledge": true, "UnAcknowledge": true, "Close": true,
	"UpdatePriority": true, "UpdateMessage": true, "AddTags": true, "RemoveTags": true,
	"AddDetails": true, "RemoveDetails": true,
}

type ogWebhook struct {
	Action string `json:"action"`
	Alert  *struct {
		AlertID   string      `json:"alertId"`
		CreatedAt json.Number `json:"createdAt"` // epoch milliseconds
		UpdatedAt json.Number `json:"updatedAt"` // epoch nanoseconds
		TinyID    string      `json:"tinyId"`
		Alias     string      `json:"alias"`
		Source    string      `json:"source"`
	} `json:"alert"`
}

// DecodeOpsgenie turns one alert action into the incident's current state,
// keyed by alertId. opened_at is the alert's createdAt; an Acknowledge sets
// acknowledged_at (the first one counts) and a Close sets resolved_at, both
// at the alert's updatedAt. Fields an action lacks (older payloads send
// Acknowledge without the priority) are kept from the stored version.
// Actions older than the stored state are ignored.
func DecodeOpsgenie(ctx context.Context, body []byte, m Mapping, prior record.Getter, now time.Time) (Decoded, error) {
	// The action first: the alert's shape varies between actions.
	var head struct {
		Action string `json:"action"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return Decoded{}, malformed("not an Opsgenie webhook: %v", err)
	}
	var d Decoded
	switch {
	case head.Action == "":
		return Decoded{}, malformed("not an Opsgenie webhook: no action")
	case !ogActions[head.Action]:
		d.Ignored = append(d.Ignored, fmt.Sprintf("action %s is not used", head.Action))
		return d, nil
	}
	var w ogWebhook
	if err := json.Unmarshal(body, &w); err != nil {
		return Decoded{}, malformed("not an Opsgenie %s webhook: %v", head.Action, err)
	}
	if w.Alert == nil || w.Alert.AlertID == "" {
		return Decoded{}, malformed("%s webhook without alert.alertId", head.Action)
	}
	a := w.Alert
	doc, err := parseDoc(body)
	if err != nil {
		return Decoded{}, err
	}
	var old *record.Incident
	if prior != nil {
		if old, err = prior.Incident(ctx, "opsgenie", a.AlertID); err != nil {
			return Decoded{}, fmt.Errorf("opsgenie: %w", err)
		}
	}
	created, hasCreated := epoch(a.CreatedAt, time.Millisecond)
	at, hasUpdated := epoch(a.UpdatedAt, time.Nanosecond)
	if !hasUpdated {
		at = now // Opsgenie sends at once: arrival is close
	}
	if old != nil && stale(old.Labels, at) {
		d.Ignored = append(d.Ignored, fmt.Sprintf("%s of %s happened before the stored state", w.Action, a.AlertID))
		return d, nil
	}
	in := record.Incident{ID: a.AlertID, Source: "opsgenie"}
	m.fillIncident(&in, opsgenieFields(doc), old)
	in.Labels = labels(labelLastEvent, stamp(at), "tiny_id", a.TinyID, "alias", a.Alias, "opsgenie_source", a.Source)
	switch {
	case hasCreated:
		in.OpenedAt = created
	case old != nil:
		in.OpenedAt = old.OpenedAt
		in.Estimated = keepEstimated(in.Estimated, old, "opened_at")
	default:
		in.OpenedAt = at
		in.Labels["opened_at_estimated"] = "true"
		in.Estimated = append(in.Estimated, "opened_at")
	}
	if old != nil {
		in.AcknowledgedAt, in.ResolvedAt = old.AcknowledgedAt, old.ResolvedAt
		in.Estimated = keepEstimated(in.Estimated, old, "acknowledged_at")
		in.Estimated = keepEstimated(in.Estimated, old, "resolved_at")
	}
	// Without updatedAt the arrival time stands in for when it happened.
	switch {
	case w.Action == "Acknowledge" && in.AcknowledgedAt == nil:
		in.AcknowledgedAt = ptr(at)
		if !hasUpdated {
			in.Estimated = append(in.Estimated, "acknowledged_at")
		}
	case w.Action == "Close" && in.ResolvedAt == nil:
		in.ResolvedAt = ptr(at)
		if !hasUpdated {
			in.Estimated = append(in.Estimated, "resolved_at")
		}
	}
	d.addIncident(in, body, w.Action, m, now)
	return d, nil
}

// opsgenieFields is jsonFields plus "tag:<key>", which finds a tag
// "<key>:<value>" or "<key>=<value>" on the alert.
func opsgenieFields(doc map[string]any) fields {
	get := jsonFields(doc)
	return func(name string) (string, bool) {
		key, isTag := strings.CutPrefix(name, "tag:")
		if !isTag {
			return get(name)
		}
		alert, _ := doc["alert"].(map[string]any)
		tags, _ := alert["tags"].([]any)
		for _, t := range tags {
			s, _ := t.(string)
			for _, sep := range []string{":", "="} {
				if v, ok := strings.CutPrefix(s, key+sep); ok && v != "" {
					return v, true
				}
			}
		}
		return "", false
	}
}

// epoch converts an integer count of units since the Unix epoch.
func epoch(n json.Number, unit time.Duration) (time.Time, bool) {
	v, err := n.Int64()
	if err != nil || v <= 0 {
		return time.Time{}, false
	}
	return time.Unix(0, 0).Add(time.Duration(v) * unit).UTC(), true
}

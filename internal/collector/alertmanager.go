package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/common/model"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// AlertmanagerDefaults is how Alertmanager alerts map to incidents unless
// the config says otherwise (SPEC section 7). Fields are label names;
// Title looks in the annotations first, then in the labels.
func AlertmanagerDefaults() Mapping {
	return Mapping{
		System:          []string{"system", "service", "job"},
		Team:            []string{"team"},
		Title:           []string{"summary", "alertname"},
		Severity:        []string{"severity"},
		SeverityMap:     map[string]int{"critical": 1, "high": 2, "error": 2, "warning": 3, "info": 4},
		DefaultSeverity: 3,
		Impact:          []string{"impact"},
		Category:        []string{"category"},
		ImpactMap:       map[string]record.Impact{"outage": record.ImpactOutage, "degraded": record.ImpactDegraded, "none": record.ImpactNone},
		DefaultImpact:   record.ImpactNone,
	}
}

// AlertmanagerSource is the Alertmanager webhook (POST /hooks/alertmanager),
// authenticated as Alertmanager's http_config sends it: a bearer token
// (authorization.credentials) or basic_auth, whichever the config names.
func AlertmanagerSource(cfg *config.Webhook) Source {
	m := AlertmanagerDefaults().With(cfg.Mapping)
	token, basic := cfg.Token.Reveal(), cfg.BasicAuth
	return Source{
		Name: "alertmanager",
		Kind: record.KindIncident,
		Admit: func(r *http.Request) error {
			if t, ok := bearer(r); ok && token != "" && equal(t, token) {
				return nil
			}
			if u, p, ok := r.BasicAuth(); ok && basic != nil && equal(u, basic.Username) && equal(p, basic.Password.Reveal()) {
				return nil
			}
			return errUnauthorized
		},
		Decode: func(ctx context.Context, req Request) (Decoded, error) {
			d, err := DecodeAlertmanager(req.Body, m, req.Now)
			if err != nil {
				return d, err
			}
			return d, dropReopening(ctx, &d, req.Prior)
		},
		// Firing alerts are checked against what is stored, so that two
		// notifications of one alert are not checked at once.
		Merges: true,
	}
}

// dropReopening leaves out firing alerts whose incident is stored as
// resolved: Alertmanager gives a new firing a new startsAt (a new
// incident), so a firing notification for a resolved one is late or
// replayed, and must not reopen it, as other vendors' stale events do not
// undo newer ones.
func dropReopening(ctx context.Context, d *Decoded, prior record.Getter) error {
	if prior == nil {
		return nil
	}
	kept := d.Incidents[:0]
	for _, in := range d.Incidents {
		if in.ResolvedAt == nil {
			old, err := prior.Incident(ctx, in.Source, in.ID)
			if err != nil {
				return fmt.Errorf("alertmanager: read incident %s: %w", in.ID, err)
			}
			if old != nil && old.ResolvedAt != nil {
				d.Ignored = append(d.Ignored, fmt.Sprintf("alert %s is firing in a late or replayed notification: "+
					"its incident was resolved at %s", in.ID, old.ResolvedAt.UTC().Format(time.RFC3339)))
				continue
			}
		}
		kept = append(kept, in)
	}
	d.Incidents = kept
	return nil
}

// amPayload is Alertmanager's webhook payload, version 4. Alerts stay raw
// so that one bad alert is quarantined alone.
type amPayload struct {
	Version         string            `json:"version"`
	Status          string            `json:"status"`
	TruncatedAlerts int               `json:"truncatedAlerts"`
	Alerts          []json.RawMessage `json:"alerts"`
}

type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Fingerprint string            `json:"fingerprint"`
}

// DecodeAlertmanager turns a notification into one incident per alert. The
// id is the alert's fingerprint and its startsAt in Unix seconds, so that
// repeated and resolved notifications of one firing update one incident
// while a new firing after a resolution is a new one.
func DecodeAlertmanager(body []byte, m Mapping, now time.Time) (Decoded, error) {
	var p amPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return Decoded{}, malformed("not an Alertmanager notification: %v", err)
	}
	if p.Version != "" && p.Version != "4" {
		return Decoded{}, malformed("webhook payload version %q is not supported (want 4)", p.Version)
	}
	if p.Alerts == nil {
		return Decoded{}, malformed("not an Alertmanager notification: no alerts list")
	}
	var d Decoded
	if p.TruncatedAlerts > 0 {
		d.Ignored = append(d.Ignored, fmt.Sprintf("%d alerts truncated by Alertmanager (max_alerts)", p.TruncatedAlerts))
	}
	if len(p.Alerts) == 0 {
		d.Ignored = append(d.Ignored, "notification without alerts")
	}
	for i, raw := range p.Alerts {
		what := fmt.Sprintf("alert %d", i)
		var a amAlert
		if err := json.Unmarshal(raw, &a); err != nil {
			d.reject(record.KindIncident, "alertmanager", "", i, raw, what, fmt.Sprintf("not an alert: %v", err), now)
			continue
		}
		if a.StartsAt.IsZero() {
			d.reject(record.KindIncident, "alertmanager", "", i, raw, what, "startsAt is missing", now)
			continue
		}
		status := a.Status
		if status == "" { // payloads before Alertmanager 0.13 have only the group's status
			status = p.Status
		}
		d.addIncident(amIncident(a, status, m, now), raw, what, m, now)
	}
	return d, nil
}

func amIncident(a amAlert, status string, m Mapping, now time.Time) record.Incident {
	fp := a.Fingerprint
	if fp == "" { // as Alertmanager computes it: a hash of the sorted labels
		ls := make(model.LabelSet, len(a.Labels))
		for k, v := range a.Labels {
			ls[model.LabelName(k)] = model.LabelValue(v)
		}
		fp = ls.Fingerprint().String()
	}
	in := record.Incident{
		ID:       fp + "-" + strconv.FormatInt(a.StartsAt.Unix(), 10),
		Source:   "alertmanager",
		OpenedAt: a.StartsAt,
		Labels:   a.Labels,
	}
	get := func(name string) (string, bool) {
		v := a.Labels[name]
		return v, v != ""
	}
	m.fillIncident(&in, get, nil)
	if title, ok := first(m.Title, func(name string) (string, bool) {
		if v := a.Annotations[name]; v != "" {
			return v, true
		}
		return get(name)
	}); ok {
		in.Title = title
	}
	if status == "resolved" {
		end := a.EndsAt
		if end.IsZero() {
			// A resolved alert always has endsAt from Alertmanager itself;
			// without it the notification's arrival is the best estimate.
			end = now
			in.Labels = withLabel(in.Labels, "resolved_at_estimated", "true")
			in.Estimated = []string{"resolved_at"}
		}
		in.ResolvedAt = &end
	}
	return in
}

// withLabel returns labels with one more, without changing the original.
func withLabel(labels map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for key, val := range labels {
		out[key] = val
	}
	out[k] = v
	return out
}

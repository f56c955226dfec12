package collector

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

var pdNow = at("2026-05-01T12:00:00Z")

func TestDecodePagerDutyFixtures(t *testing.T) {
	pig := func(id, number, status, occurred string) map[string]string {
		return map[string]string{
			"last_event_at": occurred, "status": status, "url": "https://pig208.pagerduty.com/incidents/" + id,
			"number": number, "urgency": "high", "service_id": "PA2P440",
		}
	}
	withEstimate := func(l map[string]string) map[string]string { l["opened_at_estimated"] = "true"; return l }
	harsh := func(id, number, urgency, priority, occurred string) map[string]string {
		return map[string]string{
			"last_event_at": occurred, "status": "triggered", "url": "https://harsh0303.pagerduty.com/incidents/" + id,
			"number": number, "urgency": urgency, "priority": priority, "service_id": "PLVTM9H",
			"incident_type": "major_default", // PagerDuty's incident type, for a category mapping
		}
	}
	tests := []struct {
		fixture string
		want    record.Incident
	}{
		{"pagerduty/v3/incident.triggered.json", record.Incident{
			ID: "PFQZPSY", Source: "pagerduty", System: "pig208", Title: "Test Incident 3", Severity: 2, Impact: record.ImpactNone, Category: record.CategoryNone,
			OpenedAt: at("2021-06-04T13:35:29.781Z"), Labels: pig("PFQZPSY", "9", "triggered", "2021-06-04T13:35:29.781Z"),
		}},
		{"pagerduty/v3/incident.acknowledged.json", record.Incident{
			ID: "PQ1K5C8", Source: "pagerduty", System: "pig208", Title: "Test Incident", Severity: 2, Impact: record.ImpactNone, Category: record.CategoryNone,
			OpenedAt: at("2021-06-04T13:55:30.394Z"), AcknowledgedAt: atp("2021-06-04T13:55:30.394Z"), Estimated: []string{"opened_at"},
			Labels: withEstimate(pig("PQ1K5C8", "10", "acknowledged", "2021-06-04T13:55:30.394Z")),
		}},
		{"pagerduty/v3/incident.unacknowledged.json", record.Incident{
			ID: "PQ1K5C8", Source: "pagerduty", System: "pig208", Title: "Test Incident", Severity: 2, Impact: record.ImpactNone, Category: record.CategoryNone,
			OpenedAt: at("2021-06-04T13:54:23.185Z"), Estimated: []string{"opened_at"},
			Labels: withEstimate(pig("PQ1K5C8", "10", "triggered", "2021-06-04T13:54:23.185Z")),
		}},
		{"pagerduty/v3/incident.resolved.json", record.Incident{
			ID: "PCPZE64", Source: "pagerduty", System: "pig208", Title: "Test Incident", Severity: 2, Impact: record.ImpactNone, Category: record.CategoryNone,
			OpenedAt: at("2021-06-04T13:16:53.816Z"), ResolvedAt: atp("2021-06-04T13:16:53.816Z"),
			Estimated: []string{"opened_at"}, // first seen resolved: its opening is not known
			Labels:    withEstimate(pig("PCPZE64", "6", "resolved", "2021-06-04T13:16:53.816Z")),
		}},
		{"pagerduty/v3/incident.reassigned.json", record.Incident{
			ID: "PIQUG8X", Source: "pagerduty", System: "pig208", Title: "Test Incident", Severity: 2, Impact: record.ImpactNone, Category: record.CategoryNone,
			OpenedAt: at("2021-06-04T10:17:54.838Z"), Estimated: []string{"opened_at"},
			Labels: withEstimate(pig("PIQUG8X", "3", "triggered", "2021-06-04T10:17:54.838Z")),
		}},
		{"pagerduty/v3/incident.escalated.json", record.Incident{
			ID: "Q3B15VLMF3ASBD", Source: "pagerduty", System: "Default Service", Title: "Critical: Checkout API High Latency",
			Severity: 1, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2026-04-01T02:07:30Z"),
			Labels: harsh("Q3B15VLMF3ASBD", "5", "high", "P1", "2026-04-01T02:08:04.642Z"),
		}},
		{"pagerduty/v3/incident.priority_updated.json", record.Incident{
			ID: "Q3B15VLMF3ASBD", Source: "pagerduty", System: "Default Service", Title: "Critical: Checkout API High Latency",
			Severity: 2, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2026-04-01T02:07:30Z"),
			Labels: harsh("Q3B15VLMF3ASBD", "5", "high", "P2", "2026-04-01T02:15:36.315Z"),
		}},
		{"pagerduty/v3/incident.reopened.json", record.Incident{
			ID: "Q05XJA8GDXGOB3", Source: "pagerduty", System: "Default Service", Title: "Test Incident 2",
			Severity: 3, Impact: record.ImpactNone, Category: "security", OpenedAt: at("2026-03-30T13:37:07Z"),
			Labels: func() map[string]string {
				l := harsh("Q05XJA8GDXGOB3", "4", "low", "P3", "2026-04-01T02:15:02.274Z")
				l["incident_type"] = "security_default" // a security incident type: category security
				return l
			}(),
		}},
		{"pagerduty/v3/go-pagerduty/incident.priority_updated.json", record.Incident{
			ID: "PGR0VU2", Source: "pagerduty", System: "API Service", Title: "A little bump in the road", Team: "Engineering",
			Severity: 1, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2021-04-26T17:36:27.458Z"),
			Estimated: []string{"opened_at"},
			Labels: map[string]string{
				"last_event_at": "2021-04-26T17:36:27.458Z", "status": "triggered", "url": "https://acme.pagerduty.com/incidents/PGR0VU2",
				"number": "2", "urgency": "high", "priority": "P1", "service_id": "PF9KMXH", "opened_at_estimated": "true",
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			d, err := DecodePagerDuty(context.Background(), hookFixture(t, tt.fixture), PagerDutyDefaults(), nil, pdNow)
			require.NoError(t, err)
			require.Empty(t, d.Rejected)
			require.Len(t, d.Incidents, 1)
			assert.Equal(t, tt.want, d.Incidents[0])
		})
	}
}

func TestDecodePagerDutyMapping(t *testing.T) {
	body := hookFixture(t, "pagerduty/v3/go-pagerduty/incident.priority_updated.json")
	m := PagerDutyDefaults().With(config.Mapping{
		System: []string{"event.data.service.id"}, Team: []string{"event.data.escalation_policy.summary"},
		Impact: []string{"event.data.priority.summary"}, ImpactMap: map[string]string{"P1": "outage", "P2": "degraded"},
		SeverityMap: map[string]int{"p1": 2},
	})
	d, err := DecodePagerDuty(context.Background(), body, m, nil, pdNow)
	require.NoError(t, err)
	require.Len(t, d.Incidents, 1)
	in := d.Incidents[0]
	assert.Equal(t, "PF9KMXH", in.System)
	assert.Equal(t, "Default", in.Team)
	assert.Equal(t, record.ImpactOutage, in.Impact)
	assert.Equal(t, 2, in.Severity)
}

// pdEvent rewrites the triggered fixture (a 2021 payload, without the
// incident's created_at) into another event of the same incident.
func pdEvent(t *testing.T, eventType, occurred, status string, priority any) []byte {
	return editJSON(t, hookFixture(t, "pagerduty/v3/incident.triggered.json"), func(doc map[string]any) {
		ev := doc["event"].(map[string]any)
		ev["event_type"], ev["occurred_at"] = eventType, occurred
		data := ev["data"].(map[string]any)
		data["status"] = status
		data["priority"] = priority
	})
}

func TestPagerDutyWebhookLifecycle(t *testing.T) {
	e := newHookEnv(t, PagerDutySource(&config.Webhook{Secret: "pd-secret"}))
	send := func(body []byte) (int, Answer) {
		return e.post(t, "/hooks/pagerduty", body, "X-PagerDuty-Signature", "v1="+hmacHex("pd-secret", body))
	}
	p1 := map[string]any{"id": "PSO75BM", "type": "priority_reference", "summary": "P1"}
	steps := []struct {
		name          string
		body          []byte
		wantStatus    int
		wantSeverity  int
		wantAck       *string
		wantResolved  *string
		wantLastEvent string
	}{
		{"triggered", pdEvent(t, "incident.triggered", "2026-04-01T10:00:00Z", "triggered", nil),
			http.StatusOK, 2, nil, nil, "2026-04-01T10:00:00Z"},
		{"acknowledged", pdEvent(t, "incident.acknowledged", "2026-04-01T10:03:00Z", "acknowledged", nil),
			http.StatusOK, 2, ptr("2026-04-01T10:03:00Z"), nil, "2026-04-01T10:03:00Z"},
		{"unacknowledged keeps the first acknowledgement", pdEvent(t, "incident.unacknowledged", "2026-04-01T10:04:00Z", "triggered", nil),
			http.StatusOK, 2, ptr("2026-04-01T10:03:00Z"), nil, "2026-04-01T10:04:00Z"},
		{"acknowledged again keeps the first", pdEvent(t, "incident.acknowledged", "2026-04-01T10:05:00Z", "acknowledged", nil),
			http.StatusOK, 2, ptr("2026-04-01T10:03:00Z"), nil, "2026-04-01T10:05:00Z"},
		{"priority raised", pdEvent(t, "incident.priority_updated", "2026-04-01T10:10:00Z", "acknowledged", p1),
			http.StatusOK, 1, ptr("2026-04-01T10:03:00Z"), nil, "2026-04-01T10:10:00Z"},
		{"resolved", pdEvent(t, "incident.resolved", "2026-04-01T11:00:00Z", "resolved", p1),
			http.StatusOK, 1, ptr("2026-04-01T10:03:00Z"), ptr("2026-04-01T11:00:00Z"), "2026-04-01T11:00:00Z"},
		{"reopened clears resolved_at", pdEvent(t, "incident.reopened", "2026-04-01T12:00:00Z", "triggered", p1),
			http.StatusOK, 1, ptr("2026-04-01T10:03:00Z"), nil, "2026-04-01T12:00:00Z"},
		{"resolved again", pdEvent(t, "incident.resolved", "2026-04-01T13:00:00Z", "resolved", p1),
			http.StatusOK, 1, ptr("2026-04-01T10:03:00Z"), ptr("2026-04-01T13:00:00Z"), "2026-04-01T13:00:00Z"},
		{"a late delivery of an older event is ignored", pdEvent(t, "incident.acknowledged", "2026-04-01T10:03:00Z", "acknowledged", nil),
			http.StatusAccepted, 1, ptr("2026-04-01T10:03:00Z"), ptr("2026-04-01T13:00:00Z"), "2026-04-01T13:00:00Z"},
		{"a redelivered resolution keeps its time", pdEvent(t, "incident.resolved", "2026-04-01T13:00:00Z", "resolved", p1),
			http.StatusOK, 1, ptr("2026-04-01T10:03:00Z"), ptr("2026-04-01T13:00:00Z"), "2026-04-01T13:00:00Z"},
	}
	for _, s := range steps {
		code, a := send(s.body)
		require.Equal(t, s.wantStatus, code, "%s: %+v", s.name, a)
		got := e.incidents(t)
		require.Len(t, got, 1, s.name)
		in := got["PFQZPSY"]
		assert.Equal(t, at("2026-04-01T10:00:00Z"), in.OpenedAt, "%s: opened_at is the triggering event's time", s.name)
		assert.Empty(t, in.Labels["opened_at_estimated"], s.name)
		assert.Equal(t, s.wantSeverity, in.Severity, s.name)
		if s.wantAck == nil {
			assert.Nil(t, in.AcknowledgedAt, s.name)
		} else if assert.NotNil(t, in.AcknowledgedAt, s.name) {
			assert.Equal(t, at(*s.wantAck), *in.AcknowledgedAt, s.name)
		}
		if s.wantResolved == nil {
			assert.Nil(t, in.ResolvedAt, s.name)
		} else if assert.NotNil(t, in.ResolvedAt, s.name) {
			assert.Equal(t, at(*s.wantResolved), *in.ResolvedAt, s.name)
		}
		assert.Equal(t, s.wantLastEvent, in.Labels["last_event_at"], s.name)
		assert.Equal(t, "pig208", in.System, s.name)
	}
	assert.EqualValues(t, 1, e.stats(t).Ignored)
}

func TestPagerDutyWebhookFixtures(t *testing.T) {
	e := newHookEnv(t, PagerDutySource(&config.Webhook{Secret: "pd-secret"}))
	// The 2026 captures of one incident, in the order PagerDuty sent them.
	for _, f := range []string{"incident.escalated.json", "incident.priority_updated.json"} {
		body := hookFixture(t, "pagerduty/v3/"+f)
		code, a := e.post(t, "/hooks/pagerduty", body, "X-PagerDuty-Signature", "v1="+hmacHex("pd-secret", body))
		require.Equal(t, http.StatusOK, code, "%s: %+v", f, a)
	}
	got := e.incidents(t)["Q3B15VLMF3ASBD"]
	assert.Equal(t, record.Incident{
		ID: "Q3B15VLMF3ASBD", Source: "pagerduty", System: "Default Service", Title: "Critical: Checkout API High Latency",
		Severity: 2, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2026-04-01T02:07:30Z"),
		Labels: map[string]string{
			"last_event_at": "2026-04-01T02:15:36.315Z", "status": "triggered", "url": "https://harsh0303.pagerduty.com/incidents/Q3B15VLMF3ASBD",
			"number": "5", "urgency": "high", "priority": "P2", "service_id": "PLVTM9H", "incident_type": "major_default",
		},
	}, got)
}

func TestPagerDutyWebhookRefusals(t *testing.T) {
	body := hookFixture(t, "pagerduty/v3/incident.triggered.json")
	good := "v1=" + hmacHex("pd-secret", body)

	t.Run("signatures", func(t *testing.T) {
		e := newHookEnv(t, PagerDutySource(&config.Webhook{Secret: "pd-secret"}))
		for sig, want := range map[string]int{
			"":                                 http.StatusUnauthorized,
			"v1=" + hmacHex("other", body):     http.StatusUnauthorized,
			hmacHex("pd-secret", body):         http.StatusUnauthorized, // no v1= scheme
			"v0=" + hmacHex("pd-secret", body): http.StatusUnauthorized,
		} {
			code, _ := e.post(t, "/hooks/pagerduty", body, "X-PagerDuty-Signature", sig)
			assert.Equal(t, want, code, sig)
		}
		assert.Empty(t, e.incidents(t))
		assert.Empty(t, e.quarantined(t))
		assert.EqualValues(t, 4, e.stats(t).Unauthorized)

		// While a secret is rotated PagerDuty sends one signature per secret.
		code, _ := e.post(t, "/hooks/pagerduty", body, "X-PagerDuty-Signature", "v1="+hmacHex("old", body)+", "+good)
		assert.Equal(t, http.StatusOK, code)
	})
	t.Run("unused events: 202, counted", func(t *testing.T) {
		e := newHookEnv(t, PagerDutySource(&config.Webhook{Secret: "pd-secret"}))
		for _, typ := range []string{"incident.annotated", "incident.responder.added", "pagey.ping"} {
			b := editJSON(t, body, func(doc map[string]any) { doc["event"].(map[string]any)["event_type"] = typ })
			code, a := e.post(t, "/hooks/pagerduty", b, "X-PagerDuty-Signature", "v1="+hmacHex("pd-secret", b))
			assert.Equal(t, http.StatusAccepted, code)
			assert.Equal(t, []string{"event type " + typ + " is not used"}, a.Ignored)
		}
		assert.Empty(t, e.incidents(t))
		assert.EqualValues(t, 3, e.stats(t).Ignored)
	})
	t.Run("malformed: 400, quarantined", func(t *testing.T) {
		e := newHookEnv(t, PagerDutySource(&config.Webhook{Secret: "pd-secret"}))
		noID := editJSON(t, body, func(doc map[string]any) { delete(doc["event"].(map[string]any)["data"].(map[string]any), "id") })
		for b, want := range map[string]string{
			`{"messages":[]}`: "malformed payload: not a PagerDuty v3 webhook: no event.event_type",
			string(noID):      "malformed payload: incident.triggered event without event.data.id",
			`{"event":`:       "malformed payload: not a PagerDuty v3 webhook: unexpected end of JSON input",
		} {
			code, a := e.post(t, "/hooks/pagerduty", []byte(b), "X-PagerDuty-Signature", "v1="+hmacHex("pd-secret", []byte(b)))
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Equal(t, want, a.Error)
		}
		q := e.quarantined(t)
		assert.Len(t, q, 3)
		for _, r := range q {
			assert.Equal(t, record.KindIncident, r.Kind)
			assert.Equal(t, "pagerduty", r.Source)
		}
		assert.Empty(t, e.incidents(t))
	})
}

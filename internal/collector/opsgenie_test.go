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

var ogNow = at("2026-05-01T12:00:00Z")

func TestDecodeOpsgenieCreate(t *testing.T) {
	d, err := DecodeOpsgenie(context.Background(), hookFixture(t, "opsgenie/create.json"), OpsgenieDefaults(), nil, ogNow)
	require.NoError(t, err)
	require.Len(t, d.Incidents, 1, "%v", d.Rejected)
	assert.Equal(t, record.Incident{
		ID: "ec03dad6-62c8-4c94-b38b-d88f398e900f", Source: "opsgenie", System: "Server", Title: "another alert",
		Severity: 3, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2017-08-14T11:25:56.288Z"),
		Labels: map[string]string{
			"last_event_at": "2017-08-14T11:25:56.28800011Z", "tiny_id": "2", "alias": "alert-alias", "opsgenie_source": "test@example.com",
		},
	}, d.Incidents[0])
}

func TestDecodeOpsgenieMapping(t *testing.T) {
	body := editJSON(t, hookFixture(t, "opsgenie/create.json"), func(doc map[string]any) {
		alert := doc["alert"].(map[string]any)
		alert["tags"] = []any{"vip", "system:payments-api", "team=sre", "impact:outage", "category:Security"}
		alert["priority"] = "P1"
	})
	d, err := DecodeOpsgenie(context.Background(), body, OpsgenieDefaults(), nil, ogNow)
	require.NoError(t, err)
	require.Len(t, d.Incidents, 1)
	in := d.Incidents[0]
	assert.Equal(t, "payments-api", in.System, "a system: tag wins over the entity")
	assert.Equal(t, "sre", in.Team)
	assert.Equal(t, record.ImpactOutage, in.Impact)
	assert.Equal(t, 1, in.Severity)
	assert.Equal(t, "security", in.Category, "a category: tag, lower-cased")

	withDetails := editJSON(t, body, func(doc map[string]any) {
		doc["alert"].(map[string]any)["details"] = map[string]any{"system": "ledger", "team": "finance", "impact": "degraded"}
	})
	d, err = DecodeOpsgenie(context.Background(), withDetails, OpsgenieDefaults(), nil, ogNow)
	require.NoError(t, err)
	require.Len(t, d.Incidents, 1)
	in = d.Incidents[0]
	assert.Equal(t, "ledger", in.System, "extra properties win over tags")
	assert.Equal(t, "finance", in.Team)
	assert.Equal(t, record.ImpactDegraded, in.Impact)

	d, err = DecodeOpsgenie(context.Background(), hookFixture(t, "opsgenie/acknowledge.json"), OpsgenieDefaults(), nil, ogNow)
	require.NoError(t, err)
	require.Len(t, d.Rejected, 1, "an alert with no system anywhere is quarantined")
	assert.Equal(t, `Acknowledge (incident id "052652ac-5d1c-464a-812a-7dd18bbfba8c"): field "system": is required; no value in any of the mapping's system fields `+
		`["alert.details.system" "alert.details.service" "tag:system" "tag:service" "alert.entity"]`, d.Rejected[0].Error)
}

func TestOpsgenieWebhookLifecycle(t *testing.T) {
	e := newHookEnv(t, OpsgenieSource(&config.Webhook{Token: "og-token", Mapping: config.Mapping{System: []string{"alert.alias"}}}))
	steps := []struct {
		fixture    string
		wantStatus int
	}{
		{"acknowledge.json", http.StatusOK},
		{"unacknowledge.json", http.StatusOK},
		{"addnote.json", http.StatusAccepted},
		{"assignownership.json", http.StatusAccepted},
		{"escalate.json", http.StatusAccepted},
		{"close.json", http.StatusOK},
		{"acknowledge.json", http.StatusAccepted}, // a late redelivery
	}
	for i, s := range steps {
		code, a := e.post(t, "/hooks/opsgenie?token=og-token", hookFixture(t, "opsgenie/"+s.fixture))
		require.Equal(t, s.wantStatus, code, "step %d %s: %+v", i, s.fixture, a)
	}
	assert.Equal(t, map[string]record.Incident{"052652ac-5d1c-464a-812a-7dd18bbfba8c": {
		ID: "052652ac-5d1c-464a-812a-7dd18bbfba8c", Source: "opsgenie", System: "aliastest", Title: "test alert",
		Severity: 3, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: at("2015-01-05T10:03:11.104Z"),
		AcknowledgedAt: atp("2015-01-05T10:03:44.764002Z"), ResolvedAt: atp("2015-01-05T10:06:14.669001Z"),
		Labels: map[string]string{
			"last_event_at": "2015-01-05T10:06:14.669001603Z", "tiny_id": "23", "alias": "aliastest", "opsgenie_source": "fili@ifountain.com",
		},
	}}, e.incidents(t))
	assert.EqualValues(t, 4, e.stats(t).Ignored)
}

func TestOpsgenieWebhookKeepsWhatLaterActionsLack(t *testing.T) {
	e := newHookEnv(t, OpsgenieSource(&config.Webhook{Token: "og-token"}))
	create := editJSON(t, hookFixture(t, "opsgenie/create.json"), func(doc map[string]any) {
		doc["alert"].(map[string]any)["priority"] = "P1"
	})
	// The older Acknowledge shape has no priority and no entity; this one
	// has no createdAt either.
	ack := editJSON(t, hookFixture(t, "opsgenie/acknowledge.json"), func(doc map[string]any) {
		alert := doc["alert"].(map[string]any)
		alert["alertId"] = "ec03dad6-62c8-4c94-b38b-d88f398e900f"
		alert["updatedAt"] = 1502710000000000000
		delete(alert, "createdAt")
	})
	for _, b := range [][]byte{create, ack} {
		code, a := e.post(t, "/hooks/opsgenie", b, "Authorization", "Bearer og-token")
		require.Equal(t, http.StatusOK, code, "%+v", a)
	}
	got := e.incidents(t)["ec03dad6-62c8-4c94-b38b-d88f398e900f"]
	assert.Equal(t, "Server", got.System)
	assert.Equal(t, 1, got.Severity)
	assert.Equal(t, at("2017-08-14T11:25:56.288Z"), got.OpenedAt)
	assert.Equal(t, atp("2017-08-14T11:26:40Z"), got.AcknowledgedAt)
	assert.Equal(t, "test alert", got.Title, "a field the action carries is updated")
}

func TestOpsgenieWebhookRefusals(t *testing.T) {
	body := hookFixture(t, "opsgenie/create.json")
	e := newHookEnv(t, OpsgenieSource(&config.Webhook{Token: "og-token"}))
	for _, tt := range []struct{ path, auth string }{
		{"/hooks/opsgenie", ""},
		{"/hooks/opsgenie?token=wrong", ""},
		{"/hooks/opsgenie?token=", ""},
		{"/hooks/opsgenie", "Bearer wrong"},
		{"/hooks/opsgenie?token=og-token", "Bearer wrong"}, // a header, when given, decides
	} {
		code, _ := e.post(t, tt.path, body, "Authorization", tt.auth)
		assert.Equal(t, http.StatusUnauthorized, code, "%+v", tt)
	}
	assert.Empty(t, e.incidents(t))
	assert.EqualValues(t, 5, e.stats(t).Unauthorized)

	for b, want := range map[string]string{
		`{"alert":{"alertId":"x"}}`:  "malformed payload: not an Opsgenie webhook: no action",
		`{"action":"Create"}`:        "malformed payload: Create webhook without alert.alertId",
		`{"action":"Close","alert":`: "malformed payload: not an Opsgenie webhook: unexpected end of JSON input",
	} {
		code, a := e.post(t, "/hooks/opsgenie?token=og-token", []byte(b))
		assert.Equal(t, http.StatusBadRequest, code, b)
		assert.Equal(t, want, a.Error)
	}
	q := e.quarantined(t)
	require.Len(t, q, 3)
	assert.Equal(t, "opsgenie", q[0].Source)
	assert.Equal(t, record.KindIncident, q[0].Kind)
}

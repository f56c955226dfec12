package collector

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

var glNow = at("2026-05-01T12:00:00Z")

func TestDecodeGitLabFixtures(t *testing.T) {
	want := record.Change{
		ID: "15", Source: "gitlab", System: "test-deployment-webhooks", Type: record.TypeNormal, Environment: "staging",
		FinishedAt: atp("2021-04-28T19:50:00Z"), Outcome: record.OutcomeSuccess, Authorized: true,
		Labels: map[string]string{
			"last_event_at": "2021-04-28T19:50:00Z", "project": "root/test-deployment-webhooks", "sha": "279484c0", "ref": "1.0.0",
			"gitlab_environment": "staging", "url": "http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796",
		},
	}
	playground := want
	playground.Labels = map[string]string{}
	for k, v := range want.Labels {
		if k != "ref" {
			playground.Labels[k] = v
		}
	}
	for fixture, want := range map[string]record.Change{
		"gitlab/go-gitlab/deployment.json":           want,
		"gitlab/go-playground/deployment-event.json": playground,
	} {
		t.Run(fixture, func(t *testing.T) {
			d, err := DecodeGitLab(context.Background(), hookFixture(t, fixture), GitLabDefaults(), nil, glNow)
			require.NoError(t, err)
			require.Empty(t, d.Rejected)
			require.Len(t, d.Changes, 1)
			assert.Equal(t, want, d.Changes[0])
		})
	}
}

func TestDecodeGitLabStatuses(t *testing.T) {
	body := hookFixture(t, "gitlab/go-gitlab/deployment.json")
	tests := []struct {
		status, changedAt, env string
		mapping                Mapping
		wantOutcome            record.Outcome
		wantEnv                string
		wantStarted            *time.Time
		wantFinished           *time.Time
	}{
		{"running", "2021-04-28 21:45:00 +0200", "production", GitLabDefaults(), record.OutcomeInProgress, "production", atp("2021-04-28T19:45:00Z"), nil},
		{"failed", "2016-08-12 15:26:29 UTC", "Prod", GitLabDefaults(), record.OutcomeFailed, "production", nil, atp("2016-08-12T15:26:29Z")},
		{"canceled", "2021-04-28T19:50:00Z", "staging", GitLabDefaults(), record.OutcomeCancelled, "staging", nil, atp("2021-04-28T19:50:00Z")},
		{"created", "2021-04-28 21:45:00 +0200", "staging", GitLabDefaults(), record.OutcomeInProgress, "staging", nil, nil},
		{"blocked", "2021-04-28 21:45:00 +0200", "staging", GitLabDefaults().With(config.Mapping{EnvironmentMap: map[string]string{"Staging": "production"}}),
			record.OutcomeInProgress, "production", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			b := editJSON(t, body, func(doc map[string]any) {
				doc["status"], doc["status_changed_at"], doc["environment"] = tt.status, tt.changedAt, tt.env
			})
			d, err := DecodeGitLab(context.Background(), b, tt.mapping, nil, glNow)
			require.NoError(t, err)
			require.Len(t, d.Changes, 1, "%v", d.Rejected)
			c := d.Changes[0]
			assert.Equal(t, tt.wantOutcome, c.Outcome)
			assert.Equal(t, tt.wantEnv, c.Environment)
			assert.Equal(t, tt.wantStarted, c.StartedAt)
			assert.Equal(t, tt.wantFinished, c.FinishedAt)
		})
	}
	for _, tt := range []struct{ field, value, want string }{
		{"status", "exploded", `deployment (change id "15"): unknown deployment status "exploded"`},
		{"status_changed_at", "yesterday", `deployment (change id "15"): status_changed_at: unrecognised time "yesterday"`},
		{"status_changed_at", "", `deployment (change id "15"): status_changed_at: missing`},
	} {
		b := editJSON(t, body, func(doc map[string]any) { doc[tt.field] = tt.value })
		d, err := DecodeGitLab(context.Background(), b, GitLabDefaults(), nil, glNow)
		require.NoError(t, err)
		require.Len(t, d.Rejected, 1)
		assert.Equal(t, tt.want, d.Rejected[0].Error)
	}
}

func TestGitLabWebhook(t *testing.T) {
	body := hookFixture(t, "gitlab/go-gitlab/deployment.json")
	status := func(s, changed string) []byte {
		return editJSON(t, body, func(doc map[string]any) { doc["status"], doc["status_changed_at"] = s, changed })
	}
	t.Run("running, then success, then a late running", func(t *testing.T) {
		e := newHookEnv(t, GitLabSource(&config.Webhook{Token: "gl-token"}))
		for i, s := range []struct {
			body       []byte
			wantStatus int
		}{
			{status("running", "2021-04-28 21:45:00 +0200"), http.StatusOK},
			{body, http.StatusOK},
			{status("running", "2021-04-28 21:45:00 +0200"), http.StatusAccepted},
		} {
			code, a := e.post(t, "/hooks/gitlab", s.body, "X-Gitlab-Token", "gl-token", "X-Gitlab-Event", "Deployment Hook")
			require.Equal(t, s.wantStatus, code, "step %d: %+v", i, a)
		}
		got := e.changes(t)["15"]
		assert.Equal(t, record.OutcomeSuccess, got.Outcome)
		assert.Equal(t, atp("2021-04-28T19:45:00Z"), got.StartedAt)
		assert.Equal(t, atp("2021-04-28T19:50:00Z"), got.FinishedAt)
	})
	t.Run("token", func(t *testing.T) {
		e := newHookEnv(t, GitLabSource(&config.Webhook{Token: "gl-token"}))
		for _, tok := range []string{"", "wrong", "GL-TOKEN"} {
			code, _ := e.post(t, "/hooks/gitlab", body, "X-Gitlab-Token", tok)
			assert.Equal(t, http.StatusUnauthorized, code, tok)
		}
		assert.Empty(t, e.changes(t))
		assert.EqualValues(t, 3, e.stats(t).Unauthorized)
	})
	t.Run("other events: 202", func(t *testing.T) {
		if _, err := os.Stat(hookFixtures); err != nil {
			t.Skipf("vendor payloads not found at %s: %v", hookFixtures, err)
		}
		e := newHookEnv(t, GitLabSource(&config.Webhook{Token: "gl-token"}))
		files, err := filepath.Glob(filepath.Join(hookFixtures, "gitlab/*/*.json"))
		require.NoError(t, err)
		n := 0
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			code, a := e.post(t, "/hooks/gitlab", b, "X-Gitlab-Token", "gl-token")
			if filepath.Base(f) == "deployment.json" || filepath.Base(f) == "deployment-event.json" {
				assert.Equal(t, http.StatusOK, code, f)
				continue
			}
			n++
			assert.Equal(t, http.StatusAccepted, code, f)
			assert.Len(t, a.Ignored, 1, f)
		}
		assert.Equal(t, 12, n)
		assert.EqualValues(t, n, e.stats(t).Ignored)
	})
	t.Run("malformed: 400, quarantined", func(t *testing.T) {
		e := newHookEnv(t, GitLabSource(&config.Webhook{Token: "gl-token"}))
		for b, want := range map[string]string{
			`{"status":"success"}`:          "malformed payload: not a GitLab webhook event: no object_kind",
			`{"object_kind":"deployment"}`:  "malformed payload: deployment event without deployment_id",
			`{"object_kind":"deployment",}`: "malformed payload: not a GitLab webhook event: invalid character '}' looking for beginning of object key string",
		} {
			code, a := e.post(t, "/hooks/gitlab", []byte(b), "X-Gitlab-Token", "gl-token")
			assert.Equal(t, http.StatusBadRequest, code, b)
			assert.Equal(t, want, a.Error)
		}
		q := e.quarantined(t)
		require.Len(t, q, 3)
		assert.Equal(t, record.KindChange, q[0].Kind)
	})
}

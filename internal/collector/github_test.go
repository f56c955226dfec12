package collector

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

var ghNow = at("2026-05-01T12:00:00Z")

func TestDecodeGitHubFixtures(t *testing.T) {
	hello := func(env, url, last string) map[string]string {
		return map[string]string{
			"repository": "Codertocat/Hello-World", "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "ref": "master", "task": "deploy",
			"github_environment": env, "url": url, "last_event_at": last,
		}
	}
	const helloURL = "https://api.github.com/repos/Codertocat/Hello-World/deployments/145988746"
	production := record.Change{
		ID: "145988746", Source: "github", System: "Hello-World", Type: record.TypeNormal, Environment: "production",
		CreatedAt: atp("2019-05-15T15:20:53Z"), StartedAt: atp("2019-05-15T15:20:53Z"), FinishedAt: atp("2019-05-15T15:20:55Z"),
		Outcome: record.OutcomeSuccess, Authorized: true, Labels: hello("production", helloURL, "2019-05-15T15:20:55Z"),
		Estimated: []string{"started_at"}, // no in_progress status: the creation stands in
	}
	pagesLabels := hello("github-pages", "https://github.com/Codertocat/Hello-World/runs/145988746?check_suite_focus=true", "2022-01-03T01:28:40Z")
	tests := []struct {
		event, fixture string
		want           record.Change
	}{
		{"deployment_status", "github/deployment_status/payload.json", production},
		{"deployment_status", "github/deployment_status/with-installation.payload.json", production},
		{"deployment_status", "github/deployment_status/gh-pages.payload.json", record.Change{
			ID: "145988746", Source: "github", System: "Hello-World", Type: record.TypeNormal, Environment: "github-pages",
			CreatedAt: atp("2022-01-03T01:28:30Z"), StartedAt: atp("2022-01-03T01:28:40Z"),
			Outcome: record.OutcomeInProgress, Authorized: true, Labels: pagesLabels,
		}},
		{"deployment_status", "github/go-playground/deployment-status.json", record.Change{
			ID: "710692", Source: "github", System: "public-repo", Type: record.TypeNormal, Environment: "production",
			CreatedAt: atp("2015-05-05T23:40:38Z"), StartedAt: atp("2015-05-05T23:40:38Z"), FinishedAt: atp("2015-05-05T23:40:39Z"),
			Outcome: record.OutcomeSuccess, Authorized: true, Estimated: []string{"started_at"}, Labels: map[string]string{
				"repository": "baxterthehacker/public-repo", "sha": "9049f1265b7d61be4a8904a9a27120d2064dab3b", "ref": "master", "task": "deploy",
				"github_environment": "production", "url": "https://api.github.com/repos/baxterthehacker/public-repo/deployments/710692",
				"last_event_at": "2015-05-05T23:40:39Z",
			},
		}},
		{"deployment", "github/deployment/payload.json", record.Change{
			ID: "145988746", Source: "github", System: "Hello-World", Type: record.TypeNormal, Environment: "production",
			CreatedAt: atp("2019-05-15T15:20:53Z"), Outcome: record.OutcomeInProgress, Authorized: true,
			Labels: hello("production", helloURL, "2019-05-15T15:20:53Z"),
		}},
		{"deployment", "github/deployment/gh-pages.payload.json", record.Change{
			ID: "145988746", Source: "github", System: "Hello-World", Type: record.TypeNormal, Environment: "github-pages",
			CreatedAt: atp("2022-01-03T01:28:30Z"), Outcome: record.OutcomeInProgress, Authorized: true,
			Labels: func() map[string]string {
				l := hello("github-pages", helloURL, "2022-01-03T01:28:30Z")
				l["ref"] = "gh-pages"
				return l
			}(),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			d, err := DecodeGitHub(context.Background(), tt.event, hookFixture(t, tt.fixture), GitHubDefaults(), nil, ghNow)
			require.NoError(t, err)
			require.Empty(t, d.Rejected)
			require.Len(t, d.Changes, 1)
			assert.Equal(t, tt.want, d.Changes[0])
		})
	}
}

func TestDecodeGitHubStatesAndMapping(t *testing.T) {
	body := hookFixture(t, "github/deployment_status/payload.json")
	withState := func(state, env string) []byte {
		return editJSON(t, body, func(doc map[string]any) {
			doc["deployment_status"].(map[string]any)["state"] = state
			doc["deployment"].(map[string]any)["environment"] = env
		})
	}
	tests := []struct {
		state, env   string
		mapping      Mapping
		wantOutcome  record.Outcome
		wantEnv      string
		wantStarted  bool
		wantFinished bool
	}{
		{"success", "production", GitHubDefaults(), record.OutcomeSuccess, "production", true, true},
		{"failure", "Production", GitHubDefaults(), record.OutcomeFailed, "production", true, true},
		{"error", "prod", GitHubDefaults(), record.OutcomeFailed, "production", true, true},
		{"in_progress", "staging", GitHubDefaults(), record.OutcomeInProgress, "staging", true, false},
		{"queued", "production", GitHubDefaults(), record.OutcomeInProgress, "production", false, false},
		{"pending", "production", GitHubDefaults(), record.OutcomeInProgress, "production", false, false},
		{"success", "github-pages", GitHubDefaults().With(config.Mapping{EnvironmentMap: map[string]string{"github-pages": "production"}}),
			record.OutcomeSuccess, "production", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.state+" "+tt.env, func(t *testing.T) {
			d, err := DecodeGitHub(context.Background(), "deployment_status", withState(tt.state, tt.env), tt.mapping, nil, ghNow)
			require.NoError(t, err)
			require.Len(t, d.Changes, 1)
			c := d.Changes[0]
			assert.Equal(t, tt.wantOutcome, c.Outcome)
			assert.Equal(t, tt.wantEnv, c.Environment)
			assert.Equal(t, tt.wantStarted, c.StartedAt != nil)
			assert.Equal(t, tt.wantFinished, c.FinishedAt != nil)
		})
	}

	d, err := DecodeGitHub(context.Background(), "deployment_status", withState("inactive", "production"), GitHubDefaults(), nil, ghNow)
	require.NoError(t, err)
	assert.Empty(t, d.Changes)
	assert.Equal(t, []string{"deployment 145988746: state inactive is not used"}, d.Ignored)

	d, err = DecodeGitHub(context.Background(), "deployment_status", withState("exploded", "production"), GitHubDefaults(), nil, ghNow)
	require.NoError(t, err)
	require.Len(t, d.Rejected, 1)
	assert.Equal(t, `deployment_status (change id "145988746"): unknown deployment state "exploded"`, d.Rejected[0].Error)

	d, err = DecodeGitHub(context.Background(), "deployment_status", body,
		GitHubDefaults().With(config.Mapping{System: []string{"deployment.payload.system"}}), nil, ghNow)
	require.NoError(t, err)
	require.Len(t, d.Rejected, 1, "no system: quarantined")
	assert.Contains(t, d.Rejected[0].Error, `field "system": is required; no value in any of the mapping's system fields ["deployment.payload.system"]`)
}

func TestGitHubWebhook(t *testing.T) {
	status := hookFixture(t, "github/deployment_status/payload.json")
	at := func(state, created string) []byte {
		return editJSON(t, status, func(doc map[string]any) {
			st := doc["deployment_status"].(map[string]any)
			st["state"], st["created_at"] = state, created
		})
	}
	deployment := hookFixture(t, "github/deployment/payload.json")

	t.Run("deployment, then its statuses, then late deliveries", func(t *testing.T) {
		e := newHookEnv(t, GitHubSource(&config.Webhook{Secret: "gh-secret"}))
		steps := []struct {
			event      string
			body       []byte
			wantStatus int
			want       record.Outcome
		}{
			{"deployment", deployment, http.StatusOK, record.OutcomeInProgress},
			{"deployment_status", at("queued", "2019-05-15T15:20:53Z"), http.StatusOK, record.OutcomeInProgress},
			{"deployment_status", at("in_progress", "2019-05-15T15:20:54Z"), http.StatusOK, record.OutcomeInProgress},
			{"deployment_status", status, http.StatusOK, record.OutcomeSuccess},
			{"deployment", deployment, http.StatusAccepted, record.OutcomeSuccess},
			{"deployment_status", at("in_progress", "2019-05-15T15:20:54Z"), http.StatusAccepted, record.OutcomeSuccess},
			{"deployment_status", at("in_progress", "2019-05-15T15:20:55Z"), http.StatusAccepted, record.OutcomeSuccess},
			{"deployment_status", at("inactive", "2019-05-16T00:00:00Z"), http.StatusAccepted, record.OutcomeSuccess},
		}
		for i, s := range steps {
			code, a := e.post(t, "/hooks/github", s.body, "X-GitHub-Event", s.event, "X-Hub-Signature-256", "sha256="+hmacHex("gh-secret", s.body))
			require.Equal(t, s.wantStatus, code, "step %d: %+v", i, a)
			assert.Equal(t, s.want, e.changes(t)["145988746"].Outcome, "step %d", i)
		}
		got := e.changes(t)["145988746"]
		assert.Equal(t, atp("2019-05-15T15:20:53Z"), got.CreatedAt)
		assert.Equal(t, atp("2019-05-15T15:20:54Z"), got.StartedAt, "started when it went in progress")
		assert.Equal(t, atp("2019-05-15T15:20:55Z"), got.FinishedAt)
		assert.EqualValues(t, 4, e.stats(t).Ignored)
	})
	t.Run("form-encoded deliveries (the UI's default content type)", func(t *testing.T) {
		e := newHookEnv(t, GitHubSource(&config.Webhook{Secret: "gh-secret"}))
		form := []byte(url.Values{"payload": {string(status)}}.Encode())
		code, a := e.post(t, "/hooks/github", form, "Content-Type", "application/x-www-form-urlencoded",
			"X-GitHub-Event", "deployment_status", "X-Hub-Signature-256", "sha256="+hmacHex("gh-secret", form))
		require.Equal(t, http.StatusOK, code, "%+v", a)
		assert.Equal(t, record.OutcomeSuccess, e.changes(t)["145988746"].Outcome)

		noPayload := []byte("foo=bar")
		code, a = e.post(t, "/hooks/github", noPayload, "Content-Type", "application/x-www-form-urlencoded",
			"X-GitHub-Event", "deployment_status", "X-Hub-Signature-256", "sha256="+hmacHex("gh-secret", noPayload))
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, "malformed payload: form-encoded delivery without a payload field", a.Error)
	})
	t.Run("signatures", func(t *testing.T) {
		e := newHookEnv(t, GitHubSource(&config.Webhook{Secret: "gh-secret"}))
		for _, sig := range []string{"", "sha256=" + hmacHex("other", status), hmacHex("gh-secret", status), "sha1=" + hmacHex("gh-secret", status)} {
			code, _ := e.post(t, "/hooks/github", status, "X-GitHub-Event", "deployment_status", "X-Hub-Signature-256", sig)
			assert.Equal(t, http.StatusUnauthorized, code, sig)
		}
		assert.Empty(t, e.changes(t))
		assert.EqualValues(t, 4, e.stats(t).Unauthorized)
	})
	t.Run("events Steward does not use: 202", func(t *testing.T) {
		e := newHookEnv(t, GitHubSource(&config.Webhook{Secret: "gh-secret"}))
		for event, f := range map[string]string{
			"workflow_run": "github/workflow_run/completed.payload.json", "release": "github/release/published.payload.json",
			"deployment_review": "github/deployment_review/requested.payload.json", "workflow_job": "github/workflow_job/queued.with-deployment.payload.json",
			"ping": "github/release/published.payload.json",
		} {
			body := hookFixture(t, f)
			code, a := e.post(t, "/hooks/github", body, "X-GitHub-Event", event, "X-Hub-Signature-256", "sha256="+hmacHex("gh-secret", body))
			assert.Equal(t, http.StatusAccepted, code, event)
			assert.Equal(t, []string{"event " + event + " is not used"}, a.Ignored)
		}
		assert.Empty(t, e.changes(t))
		assert.EqualValues(t, 5, e.stats(t).Ignored)
	})
	t.Run("malformed: 400, quarantined as a change", func(t *testing.T) {
		e := newHookEnv(t, GitHubSource(&config.Webhook{Secret: "gh-secret"}))
		noState := editJSON(t, status, func(doc map[string]any) { delete(doc, "deployment_status") })
		for _, tt := range []struct{ event, body, want string }{
			{"", string(status), "malformed payload: no X-GitHub-Event header"},
			{"deployment_status", string(noState), "malformed payload: deployment_status event without deployment_status.state"},
			{"deployment", `{"deployment":{}}`, "malformed payload: deployment event without deployment.id"},
		} {
			code, a := e.post(t, "/hooks/github", []byte(tt.body), "X-GitHub-Event", tt.event, "X-Hub-Signature-256", "sha256="+hmacHex("gh-secret", []byte(tt.body)))
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Equal(t, tt.want, a.Error)
		}
		q := e.quarantined(t)
		require.Len(t, q, 3)
		for _, r := range q {
			assert.Equal(t, record.KindChange, r.Kind)
			assert.Equal(t, "github", r.Source)
		}
	})
}

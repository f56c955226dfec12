package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// GitLabDefaults is how GitLab deployments map to changes unless the config
// says otherwise: the project's name is the system and the deployment's
// environment the environment ("production"/"prod", any case, become
// production; others are kept as named). GitLab's tier (environment_tier in
// newer payloads) can be used instead with environment: [environment_tier].
func GitLabDefaults() Mapping {
	return Mapping{
		System:         []string{"project.name"},
		Environment:    []string{"environment"},
		EnvironmentMap: map[string]string{"production": "production", "prod": "production"},
	}
}

// GitLabSource is a GitLab project or group webhook with deployment events
// (POST /hooks/gitlab), authenticated by its secret token (X-Gitlab-Token).
func GitLabSource(cfg *config.Webhook) Source {
	m := GitLabDefaults().With(cfg.Mapping)
	token := cfg.Token.Reveal()
	return Source{
		Name: "gitlab",
		Kind: record.KindChange,
		Admit: func(r *http.Request) error {
			if got := r.Header.Get("X-Gitlab-Token"); got == "" || !equal(got, token) {
				return errUnauthorized
			}
			return nil
		},
		Decode: func(ctx context.Context, req Request) (Decoded, error) {
			return DecodeGitLab(ctx, req.Body, m, req.Prior, req.Now)
		},
		Merges: true,
	}
}

type glDeployment struct {
	Status          string      `json:"status"`
	StatusChangedAt string      `json:"status_changed_at"`
	DeploymentID    json.Number `json:"deployment_id"`
	DeployableURL   string      `json:"deployable_url"`
	Environment     string      `json:"environment"`
	ShortSHA        string      `json:"short_sha"`
	Ref             string      `json:"ref"`
	Project         *struct {
		PathWithNamespace string `json:"path_with_namespace"`
	} `json:"project"`
}

// glOutcomes maps deployment statuses. created and blocked (waiting for a
// manual approval) are not running yet but not finished either.
var glOutcomes = map[string]record.Outcome{
	"success": record.OutcomeSuccess, "failed": record.OutcomeFailed, "canceled": record.OutcomeCancelled,
	"running": record.OutcomeInProgress, "created": record.OutcomeInProgress, "blocked": record.OutcomeInProgress,
}

// DecodeGitLab turns a deployment event into a change keyed by the
// deployment id: started_at is when it started running, finished_at when
// it reached success, failed or canceled (status_changed_at). Other event
// kinds are ignored, as are events older than the stored state.
func DecodeGitLab(ctx context.Context, body []byte, m Mapping, prior record.Getter, now time.Time) (Decoded, error) {
	// Only the kind first: other kinds give shared names other shapes
	// (environment is an object in job events).
	var kind struct {
		ObjectKind string `json:"object_kind"`
	}
	if err := json.Unmarshal(body, &kind); err != nil {
		return Decoded{}, malformed("not a GitLab webhook event: %v", err)
	}
	var d Decoded
	switch kind.ObjectKind {
	case "":
		return Decoded{}, malformed("not a GitLab webhook event: no object_kind")
	case "deployment":
	default:
		d.Ignored = append(d.Ignored, fmt.Sprintf("event %s is not used", kind.ObjectKind))
		return d, nil
	}
	var e glDeployment
	if err := json.Unmarshal(body, &e); err != nil {
		return Decoded{}, malformed("not a GitLab deployment event: %v", err)
	}
	if e.DeploymentID == "" {
		return Decoded{}, malformed("deployment event without deployment_id")
	}
	id := e.DeploymentID.String()
	outcome, known := glOutcomes[e.Status]
	at, err := gitlabTime(e.StatusChangedAt)
	switch {
	case !known:
		d.reject(record.KindChange, "gitlab", id, 0, body, "deployment", fmt.Sprintf("unknown deployment status %q", e.Status), now)
		return d, nil
	case err != nil:
		d.reject(record.KindChange, "gitlab", id, 0, body, "deployment", fmt.Sprintf("status_changed_at: %v", err), now)
		return d, nil
	}
	doc, err := parseDoc(body)
	if err != nil {
		return Decoded{}, err
	}
	var old *record.Change
	if prior != nil {
		if old, err = prior.Change(ctx, "gitlab", id); err != nil {
			return Decoded{}, fmt.Errorf("gitlab: %w", err)
		}
	}
	if old != nil && (stale(old.Labels, at) || regresses(old, outcome, at)) {
		d.Ignored = append(d.Ignored, fmt.Sprintf("deployment %s: status %s is older than the stored state", id, e.Status))
		return d, nil
	}
	c := record.Change{ID: id, Source: "gitlab", Type: record.TypeNormal, Authorized: true, Outcome: outcome}
	m.fillChange(&c, jsonFields(doc), old)
	var project string
	if e.Project != nil {
		project = e.Project.PathWithNamespace
	}
	c.Labels = labels(labelLastEvent, stamp(at), "project", project, "sha", e.ShortSHA, "ref", e.Ref,
		"gitlab_environment", e.Environment, "url", e.DeployableURL)
	if old != nil {
		c.CreatedAt, c.StartedAt = old.CreatedAt, old.StartedAt
	}
	switch {
	case e.Status == "running" && c.StartedAt == nil:
		c.StartedAt = ptr(at)
	case outcome != record.OutcomeInProgress:
		c.FinishedAt = ptr(at)
	}
	d.addChange(c, body, "deployment "+strconv.Quote(e.Status), m, now)
	return d, nil
}

// gitlabTime parses GitLab's webhook times ("2021-04-28 21:50:00 +0200",
// "2016-08-12 15:23:28 UTC"), and RFC 3339 in case a version switches.
func gitlabTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("missing")
	}
	for _, layout := range []string{"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 MST", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", s)
}

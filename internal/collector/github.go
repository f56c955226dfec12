package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// GitHubDefaults is how GitHub deployments map to changes unless the config
// says otherwise: the repository's name is the system and the deployment's
// environment the environment. "production" and "prod" (any case) become
// production; other environments, github-pages included (GitHub itself
// marks Pages deployments as not production), are kept as named, so they
// are stored but count only if policy.change_environments lists them or the
// mapping renames them.
func GitHubDefaults() Mapping {
	return Mapping{
		System:         []string{"repository.name"},
		Environment:    []string{"deployment.environment"},
		EnvironmentMap: map[string]string{"production": "production", "prod": "production"},
	}
}

// GitHubSource is a GitHub repository or organisation webhook
// (POST /hooks/github) sending deployment and deployment_status events,
// verified by X-Hub-Signature-256.
func GitHubSource(cfg *config.Webhook) Source {
	m := GitHubDefaults().With(cfg.Mapping)
	secret := cfg.Secret.Reveal()
	return Source{
		Name: "github",
		Kind: record.KindChange,
		Admit: func(r *http.Request) error {
			if sig, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256="); !ok || !hmacForm(sig) {
				return errUnauthorized
			}
			return nil
		},
		Verify: func(r *http.Request, body []byte) error {
			sig, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
			if !ok || !validHMAC(sig, body, secret) {
				return errUnauthorized
			}
			return nil
		},
		Decode: func(ctx context.Context, req Request) (Decoded, error) {
			body, err := githubJSON(req.Header.Get("Content-Type"), req.Body)
			if err != nil {
				return Decoded{}, err
			}
			return DecodeGitHub(ctx, req.Header.Get("X-GitHub-Event"), body, m, req.Prior, req.Now)
		},
		Merges:  true,
		Headers: []string{"Content-Type", "X-GitHub-Event"},
	}
}

// githubJSON returns the JSON of a delivery. GitHub's form content type
// (application/x-www-form-urlencoded, the default when a webhook is created
// in the UI) sends it as the form field payload; the signature covers the
// body as sent, so this runs after verification.
func githubJSON(contentType string, body []byte) ([]byte, error) {
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/x-www-form-urlencoded" {
		return body, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || !form.Has("payload") {
		return nil, malformed("form-encoded delivery without a payload field")
	}
	return []byte(form.Get("payload")), nil
}

type ghWebhook struct {
	Deployment *struct {
		ID          json.Number `json:"id"`
		SHA         string      `json:"sha"`
		Ref         string      `json:"ref"`
		Task        string      `json:"task"`
		Environment string      `json:"environment"`
		CreatedAt   time.Time   `json:"created_at"`
		URL         string      `json:"url"`
	} `json:"deployment"`
	DeploymentStatus *struct {
		State     string    `json:"state"`
		CreatedAt time.Time `json:"created_at"`
		TargetURL string    `json:"target_url"`
	} `json:"deployment_status"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// ghOutcomes maps deployment_status states; inactive (a later deployment
// superseded this one) changes nothing and is ignored.
var ghOutcomes = map[string]record.Outcome{
	"success": record.OutcomeSuccess, "failure": record.OutcomeFailed, "error": record.OutcomeFailed,
	"in_progress": record.OutcomeInProgress, "queued": record.OutcomeInProgress, "pending": record.OutcomeInProgress,
}

// DecodeGitHub turns a deployment_status event (or a deployment event, for
// deployments GitHub has not reported a status of yet) into a change keyed
// by the deployment id. created_at is the deployment's creation;
// started_at the first in_progress status (else, once finished, the
// deployment's creation); finished_at the terminal status's time. Events
// older than the stored state, and in-progress statuses arriving after a
// terminal one of the same second, are ignored.
func DecodeGitHub(ctx context.Context, event string, body []byte, m Mapping, prior record.Getter, now time.Time) (Decoded, error) {
	var d Decoded
	if event != "deployment" && event != "deployment_status" {
		if event == "" {
			return Decoded{}, malformed("no X-GitHub-Event header")
		}
		d.Ignored = append(d.Ignored, fmt.Sprintf("event %s is not used", event))
		return d, nil
	}
	var w ghWebhook
	if err := json.Unmarshal(body, &w); err != nil {
		return Decoded{}, malformed("not a GitHub %s event: %v", event, err)
	}
	dep := w.Deployment
	if dep == nil || dep.ID == "" {
		return Decoded{}, malformed("%s event without deployment.id", event)
	}
	if event == "deployment_status" && (w.DeploymentStatus == nil || w.DeploymentStatus.State == "") {
		return Decoded{}, malformed("deployment_status event without deployment_status.state")
	}
	doc, err := parseDoc(body)
	if err != nil {
		return Decoded{}, err
	}
	id := dep.ID.String()
	var old *record.Change
	if prior != nil {
		if old, err = prior.Change(ctx, "github", id); err != nil {
			return Decoded{}, fmt.Errorf("github: %w", err)
		}
	}
	c := record.Change{ID: id, Source: "github", Type: record.TypeNormal, Authorized: true}
	m.fillChange(&c, jsonFields(doc), old)
	var repo string
	if w.Repository != nil {
		repo = w.Repository.FullName
	}
	c.Labels = labels("repository", repo, "sha", dep.SHA, "ref", dep.Ref, "task", dep.Task, "github_environment", dep.Environment, "url", dep.URL)
	if !dep.CreatedAt.IsZero() {
		c.CreatedAt = ptr(dep.CreatedAt)
	}

	if event == "deployment" {
		if old != nil {
			d.Ignored = append(d.Ignored, fmt.Sprintf("deployment %s is already known; its statuses carry its state", id))
			return d, nil
		}
		c.Outcome = record.OutcomeInProgress
		c.Labels[labelLastEvent] = stamp(dep.CreatedAt)
		d.addChange(c, body, "deployment "+id, m, now)
		return d, nil
	}

	st := w.DeploymentStatus
	outcome, known := ghOutcomes[st.State]
	switch {
	case st.State == "inactive":
		d.Ignored = append(d.Ignored, fmt.Sprintf("deployment %s: state inactive is not used", id))
		return d, nil
	case !known:
		d.reject(record.KindChange, "github", id, 0, body, "deployment_status", fmt.Sprintf("unknown deployment state %q", st.State), now)
		return d, nil
	case old != nil && (stale(old.Labels, st.CreatedAt) || regresses(old, outcome, st.CreatedAt)):
		d.Ignored = append(d.Ignored, fmt.Sprintf("deployment %s: status %s is older than the stored state", id, st.State))
		return d, nil
	}
	c.Outcome = outcome
	c.Labels[labelLastEvent] = stamp(st.CreatedAt)
	if st.TargetURL != "" {
		c.Labels["url"] = st.TargetURL
	}
	if old != nil {
		c.StartedAt = old.StartedAt
		if slices.Contains(old.Estimated, "started_at") {
			c.Estimated = []string{"started_at"}
		}
	}
	switch {
	case st.State == "in_progress" && c.StartedAt == nil:
		c.StartedAt = ptr(st.CreatedAt)
	case outcome != record.OutcomeInProgress:
		if c.StartedAt == nil && c.CreatedAt != nil {
			// No in_progress status was seen: the deployment's creation
			// stands in for its start.
			c.StartedAt = c.CreatedAt
			c.Estimated = []string{"started_at"}
		}
		c.FinishedAt = ptr(st.CreatedAt)
	}
	d.addChange(c, body, "deployment_status "+strconv.Quote(st.State), m, now)
	return d, nil
}

// regresses reports an in-progress status arriving after the stored change
// finished within the same instant: time alone cannot order them, and a
// finished deployment does not start again.
func regresses(old *record.Change, outcome record.Outcome, at time.Time) bool {
	return old.Outcome != record.OutcomeInProgress && outcome == record.OutcomeInProgress &&
		old.FinishedAt != nil && !at.After(*old.FinishedAt)
}

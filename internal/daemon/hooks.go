package daemon

import (
	"context"
	"log/slog"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/api"
	"github.com/steward-sh/steward/internal/collector"
	"github.com/steward-sh/steward/internal/limit"
	"github.com/steward-sh/steward/internal/telemetry"
	"github.com/steward-sh/steward/record"
)

// hookSources are the vendor webhooks, each served at POST /hooks/<name>
// when its collectors section is present in the config in force.
var hookSources = []struct {
	name    string
	section func(*config.Collectors) *config.Webhook
	source  func(*config.Webhook) collector.Source
}{
	{"alertmanager", func(c *config.Collectors) *config.Webhook { return c.Alertmanager }, collector.AlertmanagerSource},
	{"pagerduty", func(c *config.Collectors) *config.Webhook { return c.PagerDuty }, collector.PagerDutySource},
	{"github", func(c *config.Collectors) *config.Webhook { return c.GitHub }, collector.GitHubSource},
	{"gitlab", func(c *config.Collectors) *config.Webhook { return c.GitLab }, collector.GitLabSource},
	{"opsgenie", func(c *config.Collectors) *config.Webhook { return c.Opsgenie }, collector.OpsgenieSource},
}

// hookOptions is what mountHooks needs from the daemon. Store is what
// writes (possibly wrapped for metrics); Prior reads records back by key.
type hookOptions struct {
	config  func() *config.Config
	store   record.Store
	prior   record.Getter
	notify  func()
	observe func(collector.Event)
	logger  *slog.Logger
	maxBody int64
	bodies  *limit.Bodies      // shared with the ingest API
	spooler *collector.Spooler // nil: no spool
	// turns, if set, makes merging deliveries take turns across replicas
	// (see replicas.go).
	turns func(ctx context.Context, source string, fn func()) error
}

// mountHooks serves the vendor webhooks. Every route is mounted, and each
// request looks up its vendor's section in the config in force, so a
// reload that adds, removes or re-keys a webhook applies at once; a vendor
// without a section answers 404. Each answered request is told to
// o.observe, for the self-metrics.
func mountHooks(srv *api.Server, o hookOptions) {
	opts := collector.Options{
		Store: o.store, Prior: o.prior, Logger: o.logger, Notify: o.notify,
		Observe: o.observe, MaxBodyBytes: o.maxBody, Spooler: o.spooler, Bodies: o.bodies, Turns: o.turns,
	}
	for _, h := range hookSources {
		current := func() (collector.Source, bool) {
			w := h.section(&o.config().Collectors)
			if w == nil {
				return collector.Source{}, false
			}
			return h.source(w), true
		}
		srv.Handle("POST /hooks/"+h.name, collector.Handler(current, opts))
	}
}

// observeHook counts webhook requests in the self-metrics, as the ingest
// API's are counted.
func observeHook(tel *telemetry.Telemetry) func(collector.Event) {
	return func(ev collector.Event) {
		tel.Ingested(ev.Kind, ev.Source, ev.Status, ev.Batch, ev.StoreErr, ev.Took)
	}
}

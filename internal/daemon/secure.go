package daemon

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/api"
	"github.com/steward-sh/steward/internal/audit"
	"github.com/steward-sh/steward/internal/auth"
	"github.com/steward-sh/steward/internal/limit"
	"github.com/steward-sh/steward/internal/webconfig"
)

// secured wraps the daemon's whole mux, so that every route, whoever
// mounts it, passes the same checks, outermost first: the web config
// file's headers and rate limit, authentication and scopes (package auth's
// route table), then the bounds on expensive requests and on ingest bodies
// in flight, which only authenticated requests can take up. (Webhooks take
// their share of the bodies' bound themselves, after checking the vendor's
// credentials.)
func secured(srv *api.Server, cfg func() *config.Config, web *webconfig.File, auditLog *audit.Log, maxConcurrent int, bodies *limit.Bodies,
	crossOrigin *http.CrossOriginProtection, logger *slog.Logger) (http.Handler, *auth.Guard) {
	if unlisted := auth.Unlisted(srv.Routes()); len(unlisted) > 0 {
		logger.Warn("routes missing from the authentication table are admin-only", "routes", strings.Join(unlisted, ", "))
	}
	guard := auth.New(auth.Options{Config: cfg, Users: web.Users, Pattern: srv.Pattern, Audit: auditLog, Logger: logger})
	var h http.Handler = srv
	h = limit.NewConcurrency(maxConcurrent, srv.Pattern, "--web.max-concurrent-reads").Wrap(h)
	h = bodies.Wrap(h, srv.Pattern, ingestRoute)
	// Behind authentication, so that a refused cross-site request to an
	// admin route is audited as denied, naming whose browser sent it.
	h = crossOrigin.Handler(h)
	h = guard.Wrap(h)
	return web.Wrap(h), guard
}

// crossOriginProtection refuses state-changing requests (every method but
// GET, HEAD and OPTIONS) that a browser sends from another origin, by its
// Sec-Fetch-Site header, or else by comparing Origin with Host: a page on
// another site must not make a logged-in user's browser store records,
// freeze reviews or reload the config. Requests without these headers
// (curl, collectors, vendors' webhooks) are not browsers' and pass, as do
// browser requests from the trusted origins (--web.trusted-origins).
func crossOriginProtection(trusted []string) (*http.CrossOriginProtection, error) {
	c := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := c.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("--web.trusted-origins: %w", err)
		}
	}
	c.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf(
			"cross-site request refused: a browser sent %s %s from another origin (Origin %q, Sec-Fetch-Site %q); "+
				"add the page's origin to --web.trusted-origins if it may change Steward's state",
			r.Method, r.URL.Path, r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"))})
	}))
	return c, nil
}

// keepCredentials refuses a change of the config or of the web config
// file that would remove the last credential in force (a config truncated
// after storage:, a web config emptied by mistake) unless the new config
// says auth: {allow_none: true}: switching authentication off must be
// meant, not a side effect of a bad edit.
func keepCredentials(live *Coordinator, web *webconfig.File) {
	users := func() int {
		u, _ := web.Users()
		return len(u)
	}
	live.Check(func(old, new *config.Config) error {
		n := users()
		if len(old.Auth.Tokens)+n > 0 && len(new.Auth.Tokens)+n == 0 && !new.Auth.AllowNone {
			return fmt.Errorf("the new config removes every credential (%d tokens in force, no basic auth users), "+
				"which would open every endpoint to anyone; to mean that, say auth: {allow_none: true}", len(old.Auth.Tokens))
		}
		return nil
	})
	web.SetCheck(func(old, new *webconfig.Config) error {
		cfg := live.Config()
		if len(old.Users) > 0 && len(new.Users) == 0 && len(cfg.Auth.Tokens) == 0 && !cfg.Auth.AllowNone {
			return fmt.Errorf("the change removes every basic auth user while the config has no auth.tokens, "+
				"which would open every endpoint to anyone; to mean that, say auth: {allow_none: true} in %s and reload first", live.Path())
		}
		return nil
	})
}

// ingestRoute reports whether a route reads a batch of records into memory.
func ingestRoute(pattern string) bool {
	return pattern == "POST /api/v1/incidents" || pattern == "POST /api/v1/changes"
}

// logAuthState says at start and after each reload whether anything is
// protected; an open daemon says so loudly.
func logAuthState(guard *auth.Guard, cfg *config.Config, web *webconfig.File, logger *slog.Logger) {
	if !guard.Enabled() {
		logger.Warn("AUTHENTICATION IS OFF: no auth.tokens in the config and no basic_auth_users in a --web.config.file, " +
			"so every endpoint, including POST /-/reload and the quarantine, is open to anyone who can reach the port")
		return
	}
	metrics := "open"
	if cfg.Auth.Metrics != "" {
		metrics = string(cfg.Auth.Metrics)
	}
	users, _ := web.Users()
	logger.Info("authentication is on", "tokens", len(cfg.Auth.Tokens), "basic_auth_users", len(users), "metrics", metrics)
}

package main

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/steward-sh/steward/api"
	"github.com/steward-sh/steward/audit"
	"github.com/steward-sh/steward/auth"
	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/limit"
	"github.com/steward-sh/steward/webconfig"
)

// secured wraps the daemon's whole mux, so that every route, whoever
// mounts it, passes the same checks, outermost first: the web config
// file's headers and rate limit, authentication and scopes (package auth's
// route table), then the bound on expensive requests, which only
// authenticated requests can take up.
func secured(srv *api.Server, cfg func() *config.Config, web *webconfig.File, auditLog *audit.Log, maxConcurrent int, logger *slog.Logger) (http.Handler, *auth.Guard) {
	if unlisted := auth.Unlisted(srv.Routes()); len(unlisted) > 0 {
		logger.Warn("routes missing from the authentication table are admin-only", "routes", strings.Join(unlisted, ", "))
	}
	guard := auth.New(auth.Options{Config: cfg, Users: web.Users, Pattern: srv.Pattern, Audit: auditLog, Logger: logger})
	var h http.Handler = srv
	h = limit.NewConcurrency(maxConcurrent, srv.Pattern, "--web.max-concurrent-reads").Wrap(h)
	h = guard.Wrap(h)
	return web.Wrap(h), guard
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

package auth

import (
	"slices"
	"strings"

	"github.com/steward-sh/steward/config"
)

// Rule is what a route demands of a request.
type Rule struct {
	// Scope is what the credential must hold (admin holds every scope).
	// Empty on a Public route, and for a request no route matches (any
	// valid credential then gets its 404 or 405).
	Scope config.Scope
	// Public routes take no Steward credential: health checks, and the
	// vendor webhooks, which check their vendor's own scheme.
	Public bool
	// Metrics marks GET /metrics: open unless auth.metrics is read.
	Metrics bool
	// Action names the route in the audit log. Every admin route has one,
	// and every call to it is audited, allowed or not.
	Action string
}

// routes gives every route the daemon serves its rule, by the exact
// pattern it is registered with on the daemon's ServeMux. It is the one
// place that says who may call what: a route missing here is admin-only
// (and TestEveryRouteHasAScope in internal/integration fails), so a new route is
// never open by accident.
var routes = map[string]Rule{
	"POST /api/v1/incidents": {Scope: config.ScopeIngest},
	"POST /api/v1/changes":   {Scope: config.ScopeIngest},
	"POST /api/v1/feedback":  {Scope: config.ScopeIngest},

	"GET /api/v1/scorecards": {Scope: config.ScopeRead},
	"GET /api/v1/trends":     {Scope: config.ScopeRead},
	"GET /api/v1/reviews":    {Scope: config.ScopeRead},
	"GET /metrics":           {Scope: config.ScopeRead, Metrics: true},
	"GET /{$}":               {Scope: config.ScopeRead}, // the UI's overview
	"/ui/":                   {Scope: config.ScopeRead}, // the UI's pages and period reviews (reports)

	"POST /-/reload":         {Scope: config.ScopeAdmin, Action: "config.reload"},
	"GET /api/v1/quarantine": {Scope: config.ScopeAdmin, Action: "quarantine.read"},
	"POST /api/v1/reviews":   {Scope: config.ScopeAdmin, Action: "reviews.freeze"},

	"GET /healthz": {Public: true},
	"GET /readyz":  {Public: true},
}

// publicPrefixes are families of public routes: every vendor webhook
// authenticates with its vendor's scheme (and the config refuses a webhook
// section without credentials).
var publicPrefixes = []string{"POST /hooks/"}

// unknown is the rule of a registered pattern missing from the table:
// admin-only, audited.
var unknown = Rule{Scope: config.ScopeAdmin, Action: "unlisted.route"}

// Lookup returns the rule of a route pattern; ok is false when the table
// does not know it.
func Lookup(pattern string) (r Rule, ok bool) {
	if r, ok := routes[pattern]; ok {
		return r, true
	}
	for _, p := range publicPrefixes {
		if strings.HasPrefix(pattern, p) {
			return Rule{Public: true}, true
		}
	}
	return Rule{}, false
}

// Unlisted returns the patterns the table does not know, sorted.
func Unlisted(patterns []string) []string {
	var out []string
	for _, p := range patterns {
		if _, ok := Lookup(p); !ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// rule is the rule for a request matching pattern ("" when no route
// matches).
func rule(pattern string) Rule {
	if pattern == "" {
		return Rule{}
	}
	if r, ok := Lookup(pattern); ok {
		return r
	}
	return unknown
}

// Package limit bounds how much expensive work the daemon takes on at
// once. KPIs as of a past time, period reviews and the UI pages built from
// them each compute scorecards over the whole store; past a bound, further
// such requests are answered 503 with Retry-After at once rather than
// queued, so a burst of them cannot pile up goroutines and memory behind
// the engine. Answers of every subject (every team of a large
// organisation) are bounded the same way. Cheap requests (ingest, one subject's current scorecard,
// the UI's overview of a configured role, /metrics, health) are never held
// back by it.
//
// It knows which routes are expensive by their ServeMux patterns and must
// not reach into what they do.
package limit

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/steward-sh/steward/fault"
)

// DefaultMaxConcurrent is the default bound on expensive requests in
// progress.
const DefaultMaxConcurrent = 8

// Expensive reports whether a request to the route pattern computes
// scorecards beyond the latest snapshot, or answers every subject at once
// (the scorecards of every team of a large organisation are hundreds of
// megabytes to encode and send).
func Expensive(pattern string, r *http.Request) bool {
	q := r.URL.Query()
	at := q.Has("at")
	switch pattern {
	case "GET /api/v1/scorecards":
		return at || q.Get("subject") == ""
	case "GET /{$}":
		return at || everyTeam(q)
	case "GET /api/v1/trends":
		return true // evaluates past times, of every subject of a role at once
	case "POST /api/v1/reviews":
		return true // builds every review it freezes
	case "/ui/":
		p := r.URL.Path
		return at || p == "/ui/" && everyTeam(q) || strings.HasPrefix(p, "/ui/report") || strings.HasPrefix(p, "/ui/subject/")
	}
	return false
}

// everyTeam reports whether a UI overview shows the teams: they are
// discovered from records, not configured, so there may be any number.
func everyTeam(q url.Values) bool {
	role := q.Get("role")
	return role == "" || role == "team"
}

// Concurrency admits at most max expensive requests at a time.
type Concurrency struct {
	slots   chan struct{}
	pattern func(*http.Request) string
	// flag names the setting in the answer, so the reader knows what to
	// raise.
	flag string
}

// NewConcurrency bounds expensive requests to max (DefaultMaxConcurrent
// when max <= 0). pattern returns the route pattern a request matches;
// flag names the setting for the 503's message.
func NewConcurrency(max int, pattern func(*http.Request) string, flag string) *Concurrency {
	if max <= 0 {
		max = DefaultMaxConcurrent
	}
	return &Concurrency{slots: make(chan struct{}, max), pattern: pattern, flag: flag}
}

// Wrap puts the bound in front of next.
func (c *Concurrency) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Expensive(c.pattern(r), r) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case c.slots <- struct{}{}:
		default:
			msg := fmt.Sprintf("%d expensive requests (answers of every subject, scorecards at a past time, reviews, report pages) are in progress, "+
				"the limit set by %s; retry later", cap(c.slots), c.flag)
			w.Header().Set("Retry-After", "5")
			if !strings.HasPrefix(r.URL.Path, "/api/") {
				http.Error(w, msg, http.StatusServiceUnavailable)
				return
			}
			fault.Write(w, fault.Errorf(fault.Unavailable, "%s", msg))
			return
		}
		defer func() { <-c.slots }()
		next.ServeHTTP(w, r)
	})
}

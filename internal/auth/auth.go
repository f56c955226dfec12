// Package auth decides who a request comes from and whether it may do what
// it asks: bearer tokens of the Steward config (known by their SHA-256,
// each with scopes), basic auth users of the web config file (bcrypt), and
// the table that gives every route of the daemon its scope. It answers 401
// and 403 itself and writes an audit line for every call to an admin route.
//
// With no token and no basic auth user configured, every route is open, as
// SPEC section 6 has it. It knows routes only by their ServeMux patterns
// and must not reach into what they do.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/fault"
	"github.com/steward-sh/steward/internal/audit"
)

// Options configure a Guard. Config, Pattern, Audit and Logger are
// required.
type Options struct {
	// Config is the config in force: its tokens, user scopes and metrics
	// setting are read on every request, so a reload applies at once.
	Config func() *config.Config
	// Users returns the basic auth users of the web config file (name →
	// bcrypt hash), read on every request; nil for none.
	Users func() (map[string]string, error)
	// Pattern returns the pattern of the route a request matches, "" for
	// none (http.ServeMux.Handler).
	Pattern func(*http.Request) string
	Audit   *audit.Log
	Logger  *slog.Logger
	// Now is the clock tokens expire by; nil is time.Now.
	Now func() time.Time
	// MaxBcrypt bounds the bcrypt comparisons run at once; 0 is half the
	// CPUs, at least one.
	MaxBcrypt int
}

// Guard is the authentication and authorization middleware.
type Guard struct {
	opts      Options
	passwords *passwords
}

// New builds a Guard.
func New(opts Options) *Guard {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Users == nil {
		opts.Users = func() (map[string]string, error) { return nil, nil }
	}
	return &Guard{opts: opts, passwords: newPasswords(opts.MaxBcrypt, bcrypt.CompareHashAndPassword)}
}

// principal is who a request comes from.
type principal struct {
	Name   string // token or user name; "anonymous" without a credential
	Kind   string // audit.KindToken, audit.KindUser or audit.KindAnonymous
	Scopes []config.Scope
}

var anonymous = principal{Name: "anonymous", Kind: audit.KindAnonymous}

// Enabled reports whether any credential is configured, that is whether
// anything is protected. With users unreadable (an invalid web config
// file) it reports true: the guard then refuses rather than opens.
func (g *Guard) Enabled() bool {
	users, err := g.opts.Users()
	return err != nil || len(users) > 0 || len(g.opts.Config().Auth.Tokens) > 0
}

// Wrap puts the guard in front of next, the daemon's whole mux.
func (g *Guard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pattern := g.opts.Pattern(r)
		rl := rule(pattern)
		cfg := g.opts.Config()
		if rl.Public || rl.Metrics && cfg.Auth.Metrics == "" {
			next.ServeHTTP(w, r)
			return
		}
		var rec *recorder
		if rl.Action != "" {
			rec = newRecorder(w, r)
			w, r = rec, rec.request
			defer func() { g.audit(r, pattern, rl, rec) }()
		}
		users, err := g.opts.Users()
		if err != nil {
			fault.Write(w, fault.Errorf(fault.Internal, "the server's web config file is invalid; see its log"))
			return
		}
		// With no credential configured everything is open (SPEC section 6):
		// the request acts as an anonymous admin, and is still audited.
		p := principal{Name: anonymous.Name, Kind: anonymous.Kind, Scopes: []config.Scope{config.ScopeAdmin}}
		if len(users) > 0 || len(cfg.Auth.Tokens) > 0 {
			var why string
			var invalid bool
			if p, why, invalid = g.authenticate(r, cfg, users); why != "" {
				g.unauthorized(w, r, users, why, invalid)
				if rec != nil {
					rec.who, rec.why = p, why
				}
				return
			}
		}
		if rec != nil {
			rec.who = p
		}
		if rl.Scope != "" && !config.Allows(p.Scopes, rl.Scope) {
			why := fmt.Sprintf("%s %q has scopes %v; %s needs %s", p.Kind, p.Name, p.Scopes, pattern, rl.Scope)
			if rec != nil {
				rec.why = why
			}
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="steward", error="insufficient_scope", scope=%q`, rl.Scope))
			fault.Write(w, fault.Errorf(fault.Forbidden, "%s", why))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate finds who presents r's credential. why is non-empty when
// they are nobody; invalid says a credential was given and is wrong.
func (g *Guard) authenticate(r *http.Request, cfg *config.Config, users map[string]string) (p principal, why string, invalid bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return anonymous, "no credentials: send Authorization: Bearer <token>", false
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		if len(cfg.Auth.Tokens) == 0 {
			return anonymous, "bearer tokens are not enabled (no auth.tokens in the config)", true
		}
		t, ok := match(cfg.Auth.Tokens, cred)
		if !ok {
			return anonymous, "invalid token", true
		}
		p := principal{Name: t.Name, Kind: audit.KindToken, Scopes: t.Scopes}
		if !t.Expires.IsZero() && !g.opts.Now().Before(t.Expires) {
			return p, fmt.Sprintf("token %q expired at %s", t.Name, t.Expires.Format(time.RFC3339)), true
		}
		return p, "", false
	case "basic":
		if len(users) == 0 {
			return anonymous, "basic auth is not enabled (no basic_auth_users in the web config file); send Authorization: Bearer <token>", true
		}
		name, pass, ok := r.BasicAuth()
		if !ok || !g.passwords.check(r.Context(), users, name, pass) {
			return anonymous, "invalid user name or password", true
		}
		return principal{Name: name, Kind: audit.KindUser, Scopes: userScopes(cfg, name)}, "", false
	}
	return anonymous, fmt.Sprintf("unsupported authorization scheme %s: send Authorization: Bearer <token>", schemeName(scheme)), true
}

// schemeName quotes an unsupported scheme when it looks like one (Token,
// Digest); anything else may be a credential sent without a scheme, which
// must not reach the answer, the log or the audit log.
func schemeName(s string) string {
	if len(s) == 0 || len(s) > 16 {
		return "(not shown)"
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return "(not shown)"
		}
	}
	return strconv.Quote(s)
}

// match finds the token whose hash is the hash of cred, comparing with
// every configured hash in constant time.
func match(tokens []config.Token, cred string) (config.Token, bool) {
	if cred == "" {
		return config.Token{}, false
	}
	sum := sha256.Sum256([]byte(cred))
	presented := []byte(hex.EncodeToString(sum[:]))
	found := -1
	for i, t := range tokens {
		if subtle.ConstantTimeCompare(presented, []byte(t.SHA256.Reveal())) == 1 {
			found = i
		}
	}
	if found < 0 {
		return config.Token{}, false
	}
	return tokens[found], true
}

// userScopes are a basic auth user's scopes: as listed under auth.users,
// else admin, as every basic auth user is in Prometheus.
func userScopes(cfg *config.Config, name string) []config.Scope {
	for _, u := range cfg.Auth.Users {
		if u.Name == name {
			return u.Scopes
		}
	}
	return []config.Scope{config.ScopeAdmin}
}

// unauthorized answers 401 with the challenges a client can meet: Bearer
// always, Basic when the web config has users (so a browser asks for them).
func (g *Guard) unauthorized(w http.ResponseWriter, r *http.Request, users map[string]string, why string, invalid bool) {
	challenge := `Bearer realm="steward"`
	if invalid {
		challenge += `, error="invalid_token"`
	}
	w.Header().Add("WWW-Authenticate", challenge)
	if len(users) > 0 {
		w.Header().Add("WWW-Authenticate", `Basic realm="steward", charset="UTF-8"`)
	}
	g.opts.Logger.Debug("request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "reason", why)
	fault.Write(w, fault.Errorf(fault.Unauthorized, "%s", why))
}

// audit writes the audit line of a call to an admin route.
func (g *Guard) audit(r *http.Request, pattern string, rl Rule, rec *recorder) {
	e := audit.Entry{Actor: rec.who.Name, ActorKind: rec.who.Kind, Action: rl.Action, Reason: rec.why}
	if e.Actor == "" {
		e.Actor, e.ActorKind = anonymous.Name, anonymous.Kind
	}
	switch status := rec.status(); {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Outcome = audit.Denied
		if e.Reason == "" { // refused behind the guard: a cross-site request
			e.Reason = rec.reason()
		}
	case status >= 400:
		e.Outcome, e.Reason = audit.Failure, rec.reason()
	default:
		e.Outcome = audit.Success
	}
	e.Attrs = []slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", pattern),
		slog.String("remote", r.RemoteAddr), slog.Int("status", rec.status()),
	}
	if q := r.URL.RawQuery; q != "" {
		e.Attrs = append(e.Attrs, slog.String("query", redactQuery(q, g.opts.Config().Auth.Tokens)))
	}
	if b := rec.body.String(); b != "" {
		e.Attrs = append(e.Attrs, slog.String("request", b))
	}
	g.opts.Audit.Record(context.WithoutCancel(r.Context()), e)
}

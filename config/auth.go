package config

import (
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Scope is what a credential may do with Steward's HTTP API. Admin implies
// read and ingest.
type Scope string

// The scopes a token or a user can hold.
const (
	ScopeIngest Scope = "ingest" // post records
	ScopeRead   Scope = "read"   // scorecards, reviews, reports, the UI (and /metrics when protected)
	ScopeAdmin  Scope = "admin"  // reload, quarantine, freezing reviews; everything else too
)

var scopes = []Scope{ScopeIngest, ScopeRead, ScopeAdmin}

// Auth configures who may use the API. Without tokens (and without basic
// auth users in the --web.config.file) the API is open, as it has always
// been; the daemon says so loudly when it starts.
type Auth struct {
	// Metrics is the scope GET /metrics needs: "" (open, the default) or
	// ScopeRead.
	Metrics Scope
	Tokens  []Token
	// Users scopes the basic auth users of the web config file; a user not
	// listed is an admin, as every user is in Prometheus.
	Users []User
	// AllowNone says, explicitly, that running with no credential at all
	// (every endpoint open) is meant: without it, a reload or a web config
	// change that would remove the last credential in force is refused.
	AllowNone bool
}

// Token is a bearer token, known only by the SHA-256 of its value, so that
// the config file does not hold what a client presents.
type Token struct {
	Name   string
	Scopes []Scope
	// SHA256 is the lower-case hex SHA-256 of the token (64 digits).
	SHA256 Secret
	// Expires, if not zero, is when the token stops working.
	Expires time.Time
}

// User gives a basic auth user of the web config file its scopes.
type User struct {
	Name   string
	Scopes []Scope
}

// Allows reports whether holding scopes grants need.
func Allows(held []Scope, need Scope) bool {
	return slices.Contains(held, need) || slices.Contains(held, ScopeAdmin)
}

func (d *decoder) auth(n *yaml.Node, a *Auth) {
	const where = "auth"
	d.fields(n, where, map[string]func(*yaml.Node){
		"metrics": func(v *yaml.Node) {
			switch s, _ := d.str(v, at(where, "metrics")); s {
			case "", "open":
				a.Metrics = ""
			case "read":
				a.Metrics = ScopeRead
			default:
				d.errorf(deref(v), where, "metrics %q: want open or read", s)
			}
		},
		"tokens": func(v *yaml.Node) { a.Tokens = d.tokens(v) },
		"users":  func(v *yaml.Node) { a.Users = d.users(v) },
		"allow_none": func(v *yaml.Node) {
			a.AllowNone, _ = d.boolean(v, at(where, "allow_none"))
		},
	})
}

func (d *decoder) tokens(n *yaml.Node) []Token {
	const list = "auth: tokens"
	items, _ := d.seq(n, list)
	out := make([]Token, 0, len(items))
	names, hashes := map[string]int{}, map[Secret]string{}
	for i, it := range items {
		where := at("auth", entryName(it, "token", "tokens", i, "name"))
		var t Token
		set := map[string]func(*yaml.Node){
			"name":   func(v *yaml.Node) { t.Name, _ = d.str(v, at(where, "name")) },
			"scopes": func(v *yaml.Node) { t.Scopes = d.scopes(v, where) },
			"expires": func(v *yaml.Node) {
				t.Expires, _ = d.instant(v, at(where, "expires"))
			},
		}
		hash := d.secretField(set, where, "sha256", &t.SHA256)
		if !d.fields(it, where, set) {
			continue
		}
		hash.check(d)
		line := deref(it).Line
		if t.Name == "" {
			d.errs.add(line, "%s: name is required: it says who made a call in the audit log", where)
		} else if first, dup := names[t.Name]; dup {
			d.errs.add(line, "%s: name is used by another token (line %d)", where, first)
		} else {
			names[t.Name] = line
		}
		if len(t.Scopes) == 0 && missing(it, "scopes") {
			d.errs.add(line, "%s: scopes is required (any of ingest, read, admin)", where)
		}
		switch h := strings.ToLower(t.SHA256.Reveal()); {
		case h == "":
			d.errs.add(line, "%s: sha256 or sha256_file is required: the SHA-256 of the token (steward token hash)", where)
		case len(h) != 64 || !isHex(h):
			d.errs.add(line, "%s: sha256 must be 64 hex digits, the SHA-256 of the token (steward token hash prints it), not the token itself", where)
		default:
			t.SHA256 = Secret(h)
			if other, dup := hashes[t.SHA256]; dup {
				d.errs.add(line, "%s: has the same hash as token %q: one token cannot have two names", where, other)
			}
			hashes[t.SHA256] = t.Name
		}
		out = append(out, t)
	}
	return out
}

func (d *decoder) users(n *yaml.Node) []User {
	items, _ := d.seq(n, "auth: users")
	out := make([]User, 0, len(items))
	seen := map[string]int{}
	for i, it := range items {
		where := at("auth", entryName(it, "user", "users", i, "name"))
		var u User
		if !d.fields(it, where, map[string]func(*yaml.Node){
			"name":   func(v *yaml.Node) { u.Name, _ = d.str(v, at(where, "name")) },
			"scopes": func(v *yaml.Node) { u.Scopes = d.scopes(v, where) },
		}) {
			continue
		}
		line := deref(it).Line
		switch first, dup := seen[u.Name]; {
		case u.Name == "":
			d.errs.add(line, "%s: name is required: a user of the web config file's basic_auth_users", where)
		case dup:
			d.errs.add(line, "%s: listed twice (first on line %d)", where, first)
		default:
			seen[u.Name] = line
		}
		if len(u.Scopes) == 0 && missing(it, "scopes") {
			d.errs.add(line, "%s: scopes is required (any of ingest, read, admin)", where)
		}
		out = append(out, u)
	}
	return out
}

func (d *decoder) scopes(n *yaml.Node, where string) []Scope {
	names, ok := d.strs(n, at(where, "scopes"))
	if !ok {
		return nil
	}
	if len(names) == 0 {
		d.errorf(deref(n), where, "scopes is empty: give any of ingest, read, admin")
	}
	var out []Scope
	for _, s := range names {
		switch sc := Scope(s); {
		case !slices.Contains(scopes, sc):
			d.errorf(deref(n), where, "unknown scope %q (want ingest, read or admin)", s)
		case slices.Contains(out, sc):
			d.errorf(deref(n), where, "scope %q is listed twice", s)
		default:
			out = append(out, sc)
		}
	}
	return out
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

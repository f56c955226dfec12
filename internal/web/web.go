// Package web serves Steward's built-in UI: an overview of every subject's
// score and status per role and window, a page per subject with KPI tiles,
// trend lines and the evidence behind them, a page per system with its
// owner history, and period reviews. Pages are rendered on the server with
// html/template from embedded templates and CSS: no JavaScript, no build
// step, every control a link or a GET form.
//
// It also serves the reviews API (freeze a period's reviews, list their
// versions). It reads KPIs only through the Engine interface, frozen
// reviews only through report.Builder, and has no authentication of its
// own: whatever mounts Handler wraps it (cmd/steward mounts it in one
// place for that).
package web

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

// Engine is what the UI needs from the KPI engine (*scorecard.Engine).
type Engine interface {
	Current(ctx context.Context) (*scorecard.Snapshot, error)
	At(ctx context.Context, at time.Time) (*scorecard.Snapshot, error)
	Evaluate(ctx context.Context, q scorecard.Query) (*scorecard.Snapshot, error)
	Trend(ctx context.Context, subjects []scorecard.Subject, length time.Duration, ats []time.Time) (map[scorecard.Subject][]scorecard.Values, error)
	Evidence(ctx context.Context, subjects []scorecard.Subject, from, to time.Time) (map[scorecard.Subject]*scorecard.Evidence, error)
	EvidenceTables(ctx context.Context, subjects []scorecard.Subject, from, to time.Time, limit int) (map[scorecard.Subject]*scorecard.Evidence, error)
}

// Options configure the UI. Engine, Reports, Config and Logger are required.
type Options struct {
	Engine  Engine
	Reports *report.Builder
	Config  func() *config.Config
	Logger  *slog.Logger
	// Titles, if set, supplies the incident titles of evidence.
	Titles scorecard.RecordFinder
	// GrafanaURL, if set, makes subject pages link to the matching Steward
	// dashboard in that Grafana.
	GrafanaURL string
}

// UI is the web UI.
type UI struct {
	opts  Options
	mux   *http.ServeMux
	pages map[string]*template.Template
}

//go:embed templates
var templateFiles embed.FS

//go:embed style.css
var extraCSS string

// New builds the UI and its routes.
func New(opts Options) *UI {
	u := &UI{opts: opts, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	funcs := report.Funcs()
	funcs["roleTitle"] = roleTitle
	funcs["query"] = query
	funcs["segment"] = segment
	funcs["uiPath"] = uiPath
	funcs["scoreBox"] = report.ScoreHTML
	for _, page := range []string{"overview", "subject", "system", "raci", "reviews", "reportform", "report", "frozen", "error"} {
		u.pages[page] = template.Must(template.New("layout.html").Funcs(funcs).
			ParseFS(templateFiles, "templates/layout.html", "templates/parts.html", "templates/"+page+".html"))
	}
	u.mux.HandleFunc("GET /{$}", u.overview)
	u.mux.HandleFunc("GET /ui/{$}", u.overview)
	u.mux.HandleFunc("GET /ui/subject/{role}/{id}", u.subject)
	u.mux.HandleFunc("GET /ui/system/{id}", u.system)
	u.mux.HandleFunc("GET /ui/raci", u.raciPage)
	u.mux.HandleFunc("GET /ui/report", u.report)
	u.mux.HandleFunc("GET /ui/reviews", u.reviews)
	u.mux.HandleFunc("GET /ui/review", u.frozenVersion)
	u.mux.HandleFunc("GET /ui/style.css", u.style)
	u.mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, http.StatusNotFound, "There is no such page.")
	})
	return u
}

// ServeHTTP serves the UI's pages (/, /ui/...).
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) { u.mux.ServeHTTP(w, r) }

// page is what every page template gets.
type page struct {
	Title string
	At    time.Time
	Data  any
}

func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var b strings.Builder
	if err := u.pages[name].Execute(&b, p); err != nil {
		u.opts.Logger.Error("render page", "page", name, "err", err)
		http.Error(w, "could not render the page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func (u *UI) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	u.render(w, r, status, "error", page{Title: http.StatusText(status), Data: msg})
}

func (u *UI) style(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write([]byte(report.Stylesheet() + extraCSS))
}

// snapshotOf evaluates the scorecards of one role or subject (every one
// when both are empty) at ?at=, or now.
func (u *UI) snapshotOf(r *http.Request, role scorecard.Role, id string) (*scorecard.Snapshot, error) {
	var at time.Time
	if v := r.URL.Query().Get("at"); v != "" {
		var err error
		if at, err = report.ParseTime(v); err != nil {
			return nil, errBadRequest{"at: " + err.Error()}
		}
	}
	switch {
	case role != "" || id != "":
		return u.opts.Engine.Evaluate(r.Context(), scorecard.Query{At: at, Role: role, Subject: id})
	case !at.IsZero():
		return u.opts.Engine.At(r.Context(), at)
	}
	return u.opts.Engine.Current(r.Context())
}

type errBadRequest struct{ msg string }

func (e errBadRequest) Error() string { return e.msg }

func (u *UI) snapshotOrFail(w http.ResponseWriter, r *http.Request) *scorecard.Snapshot {
	return u.snapshotOfOrFail(w, r, "", "")
}

func (u *UI) snapshotOfOrFail(w http.ResponseWriter, r *http.Request, role scorecard.Role, id string) *scorecard.Snapshot {
	snap, err := u.snapshotOf(r, role, id)
	if err != nil {
		if bad, ok := err.(errBadRequest); ok {
			u.fail(w, r, http.StatusBadRequest, bad.msg)
			return nil
		}
		u.opts.Logger.Error("ui: scorecards", "err", err)
		u.fail(w, r, http.StatusServiceUnavailable, "Scorecards are unavailable: "+err.Error())
	}
	return snap
}

func roleTitle(r scorecard.Role) string {
	return map[scorecard.Role]string{
		scorecard.RoleSystem: "Systems", scorecard.RoleSystemOwner: "System owners", scorecard.RoleProgram: "Programs",
		scorecard.RoleProgramManager: "Program managers", scorecard.RoleProcessOwner: "Process owners",
		scorecard.RoleProcessManager: "Process managers", scorecard.RoleTeam: "Teams", scorecard.RoleGlobal: "Global",
	}[r]
}

// segment escapes a name or id as one segment of a link's path: a team
// called "a/b", "x?y" or "#1" must link to its own page, not to another
// path, a query or a fragment. "." and ".." are escaped too, though a
// browser may still resolve them.
func segment(s string) string {
	switch s {
	case ".", "..":
		return strings.ReplaceAll(s, ".", "%2E")
	}
	return url.PathEscape(s)
}

// query builds a query string from key, value pairs, leaving out empty values.
func query(kv ...string) template.URL {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return template.URL("?" + v.Encode())
}

// uiPath is the path of a UI page from its segments, each escaped:
// uiPath("subject", "system", "a/b") is /ui/subject/system/a%2Fb. Every
// link to a page of the UI is built here.
func uiPath(segments ...any) template.URL {
	var b strings.Builder
	b.WriteString("/ui")
	for _, s := range segments {
		b.WriteString("/")
		b.WriteString(segment(fmt.Sprint(s)))
	}
	return template.URL(b.String()) // every segment is escaped
}

package web

import (
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/steward-sh/steward/fault"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

// report serves a period review as a page (or, with ?format=, a download).
func (u *UI) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("role") == "" && q.Get("subject") == "" && q.Get("period") == "" && q.Get("from") == "" && q.Get("to") == "" {
		u.reportForm(w, r)
		return
	}
	req, err := u.reviewRequest(q.Get("role"), q.Get("subject"), q.Get("period"), q.Get("from"), q.Get("to"))
	if err == nil {
		var rep *report.Report
		if rep, err = u.opts.Reports.Build(r.Context(), req); err == nil {
			u.writeReport(w, r, rep, q.Get("format"))
			return
		}
	}
	u.fail(w, r, fault.Status(err), err.Error())
}

// reportData is a review shown in the UI's layout, with links to its
// downloads.
type reportData struct {
	Body  template.HTML
	Query url.Values
}

// Download is the link to the review in another format.
func (d reportData) Download(format string) template.URL {
	q := url.Values{}
	for k, v := range d.Query {
		q[k] = v
	}
	q.Set("format", format)
	return template.URL("/ui/report?" + q.Encode())
}

// writeReport writes a review as a page of the UI or, with a format, as
// that format (html: the self-contained document of steward report).
func (u *UI) writeReport(w http.ResponseWriter, r *http.Request, rep *report.Report, format string) {
	if format == "" {
		body, err := report.ReviewHTML(rep)
		if err != nil {
			u.unavailable(w, r, err)
			return
		}
		title := "Performance review " + rep.Period.Name
		u.render(w, r, http.StatusOK, "report", page{Title: title, Data: reportData{Body: body, Query: r.URL.Query()}})
		return
	}
	types := map[string]string{"html": "text/html; charset=utf-8", "markdown": "text/markdown; charset=utf-8",
		"csv": "text/csv; charset=utf-8", "json": "application/json"}
	ct, ok := types[format]
	if !ok {
		u.fail(w, r, http.StatusBadRequest, "format must be html, markdown, csv or json")
		return
	}
	w.Header().Set("Content-Type", ct)
	if format != "html" { // the self-contained document opens in the browser; save it from there
		w.Header().Set("Content-Disposition", `attachment; filename="review-`+strings.ReplaceAll(rep.Period.Name, "/", "_")+`.`+map[string]string{"markdown": "md", "csv": "csv", "json": "json"}[format]+`"`)
	}
	if err := report.Write(w, rep, format); err != nil {
		u.opts.Logger.Error("ui: report", "err", err)
	}
}

// reviewRequest reads a review's parameters; its errors are Invalid. A
// system may be named by an alias.
func (u *UI) reviewRequest(role, subject, period, from, to string) (report.Request, error) {
	req, err := parseReviewRequest(role, subject, period, from, to)
	if err != nil {
		return req, fault.Wrap(fault.Invalid, err)
	}
	req.Subject = u.subjectID(req.Role, req.Subject)
	return req, nil
}

func parseReviewRequest(role, subject, period, from, to string) (report.Request, error) {
	rl, err := scorecard.ParseRole(role)
	if err != nil {
		return report.Request{}, err
	}
	req := report.Request{Role: rl, Subject: subject}
	if f, t, ok := strings.Cut(period, "/"); ok { // a range's name, as frozen reviews carry it
		period, from, to = "", f, t
	}
	switch {
	case period != "":
		req.Period, err = report.ParsePeriod(period)
		return req, err
	case from != "" && to != "":
		f, err := report.ParseTime(from)
		if err != nil {
			return req, errors.New("from: " + err.Error())
		}
		t, err := report.ParseTime(to)
		if err != nil {
			return req, errors.New("to: " + err.Error())
		}
		req.Period, err = report.RangePeriod(f, t)
		return req, err
	}
	return req, errors.New("give a period (2026, 2026-07, 2026-Q3) or from and to")
}

func parseAt(s string) (time.Time, error) { return report.ParseTime(s) }

// reviewBody is what POST /api/v1/reviews takes.
type reviewBody struct {
	Role    string `json:"role"`
	Subject string `json:"subject"`
	Period  string `json:"period"`
	From    string `json:"from"`
	To      string `json:"to"`
	// Force freezes a period that has not ended (SPEC 8).
	Force bool `json:"force"`
}

// frozenView is one frozen version as the reviews API shows it.
type frozenView struct {
	report.Frozen
	Content json.RawMessage `json:"content,omitempty"`
}

// Reviews serves the reviews API: POST /api/v1/reviews freezes a period's
// reviews (of one subject, or of every subject of a role) and answers with
// the versions now frozen; GET /api/v1/reviews?role=&subject=&period=
// lists a subject's frozen versions of a period with their content.
func (u *UI) Reviews() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/reviews", u.freeze)
	mux.HandleFunc("GET /api/v1/reviews", u.versions)
	return mux
}

func (u *UI) freeze(w http.ResponseWriter, r *http.Request) {
	var body reviewBody
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		fault.Write(w, fault.Errorf(fault.Invalid, "body: %w", err))
		return
	}
	req, err := u.reviewRequest(body.Role, body.Subject, body.Period, body.From, body.To)
	var rep *report.Report
	if err == nil {
		rep, err = u.opts.Reports.Build(r.Context(), req)
	}
	if err == nil {
		err = u.opts.Reports.Freeze(r.Context(), rep, body.Force)
	}
	if err != nil {
		fault.Write(w, err)
		return
	}
	out := []report.Frozen{}
	for _, s := range rep.Subjects {
		out = append(out, *s.Frozen)
	}
	fault.WriteJSON(w, http.StatusOK, map[string]any{"period": rep.Period, "provisional": rep.Provisional, "reviews": out})
}

func (u *UI) versions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("role") == "" || q.Get("subject") == "" || q.Get("period") == "" {
		fault.Write(w, fault.Errorf(fault.Invalid, "role, subject and period are required"))
		return
	}
	if u.opts.Reports.Archive == nil {
		fault.Write(w, fault.Errorf(fault.Unavailable, "no archive of frozen reviews"))
		return
	}
	vs, err := u.opts.Reports.Archive.Versions(r.Context(), q.Get("role"), q.Get("subject"), q.Get("period"))
	if err != nil {
		fault.Write(w, fault.Default(fault.Unavailable, err))
		return
	}
	out := make([]frozenView, len(vs))
	for i, v := range vs {
		out[i] = frozenView{Frozen: v, Content: v.Content}
	}
	fault.WriteJSON(w, http.StatusOK, map[string]any{"versions": out})
}

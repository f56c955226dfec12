package api

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/csvsafe"
	"github.com/steward-sh/steward/fault"
	"github.com/steward-sh/steward/scorecard"
)

// trendSource is what Scorecards implement that answer GET
// /api/v1/trends: trend lines evaluated together, and the configured
// windows their length comes from.
type trendSource interface {
	Trends(ctx context.Context, q scorecard.TrendQuery) ([]scorecard.Series, error)
	Windows() []config.Window
}

// maxTrendPoints bounds the evaluation times of one trend request: a
// year of days, or thirty years of months.
const maxTrendPoints = 366

// maxTrendValues bounds the subjects times the evaluation times of one
// request: each point holds every KPI's value (about 600 bytes), so this
// is at most about 60 MB, every subject of the reference organisation
// (6,292) at 15 points, or every owner (1,000) at 100.
const maxTrendValues = 100_000

// trends answers GET /api/v1/trends?role=R[&subject=S][&window=30d][&kpi=…]&at=T1,T2,…:
// each subject's KPIs over the window ending at each evaluation time, the
// points of a trend line, evaluated together rather than one request a
// point.
func (s *Server) trends(w http.ResponseWriter, r *http.Request) {
	src := s.opts.Scorecards.(trendSource)
	q := r.URL.Query()
	role, sel, err := parseRoleKPIs(q)
	if err != nil {
		fault.Write(w, err)
		return
	}
	ats, err := parseAts(q["at"])
	if err != nil {
		fault.Write(w, err)
		return
	}
	win, ok := config.PickWindow(src.Windows(), q.Get("window"))
	if !ok {
		fault.Write(w, fault.Errorf(fault.Invalid, "unknown window %q (configured: %s)", q.Get("window"), config.WindowNames(src.Windows())))
		return
	}
	window, length := win.Name, win.Duration
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		fault.Write(w, fault.Errorf(fault.Invalid, "format must be json or csv"))
		return
	}
	subject := q.Get("subject")
	tq := scorecard.TrendQuery{Role: role, Subject: subject, Length: length, Ats: ats, KPIs: sel, MaxPoints: maxTrendValues}
	series, err := src.Trends(r.Context(), tq)
	if err == nil && len(series) == 0 && subject != "" {
		if id := s.systemID(role, subject); id != subject {
			tq.Subject = id // a system's alias
			series, err = src.Trends(r.Context(), tq)
		}
	}
	if tooMany := (*scorecard.TooManyPoints)(nil); errors.As(err, &tooMany) {
		fault.Write(w, fault.Errorf(fault.Invalid, "%d subjects at %d times is more than %d points in one request: ask for a role, a subject or fewer times",
			tooMany.Subjects, tooMany.Ats, tooMany.Max))
		return
	}
	if err != nil {
		s.opts.Logger.Error("trends", "err", err)
		fault.Write(w, fault.Errorf(fault.Unavailable, "trends unavailable: %w", err))
		return
	}
	if subject != "" && len(series) == 0 {
		fault.Write(w, fault.Errorf(fault.NotFound, "no subject %q with role %q", subject, role))
		return
	}
	out := &spill{w: w, format: format, max: maxStreamedBuffer, pool: &s.buffers}
	if format == "csv" {
		writeTrendsCSV(out, window, ats, series, sel)
	} else {
		writeTrendsJSON(out, window, ats, series, sel)
	}
	out.finish(false)
}

// parseAts reads the evaluation times: RFC 3339, comma-separated and/or
// repeated, in the order given.
func parseAts(values []string) ([]time.Time, error) {
	var out []time.Time
	for _, v := range values {
		for a := range strings.SplitSeq(v, ",") {
			if a = strings.TrimSpace(a); a == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, a)
			if err != nil {
				return nil, fault.Errorf(fault.Invalid, "at: not an RFC 3339 time: %q", a)
			}
			out = append(out, t.UTC())
		}
	}
	switch {
	case len(out) == 0:
		return nil, fault.Errorf(fault.Invalid, "at: give the evaluation times of the trend, e.g. at=2026-01-01T00:00:00Z,2026-02-01T00:00:00Z")
	case len(out) > maxTrendPoints:
		return nil, fault.Errorf(fault.Invalid, "at: %d evaluation times, at most %d in one request", len(out), maxTrendPoints)
	}
	return out, nil
}

// writeTrendsJSON writes the answer, a subject at a time:
// {"window":…,"at":[…],"trends":[{"role":…,"subject":…,"kpis":{"<kpi>":[v…]}}]},
// the KPIs of each subject that are defined for it (and selected), in the
// order of their names, a value per evaluation time (null: no value).
func writeTrendsJSON(w *spill, window string, ats []time.Time, series []scorecard.Series, sel kpiSelection) {
	b := append([]byte(nil), `{"window":`...)
	b = appendJSONString(b, window)
	b = append(b, `,"at":[`...)
	for i, t := range ats {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, t.Format(time.RFC3339Nano))
	}
	b = append(b, `],"trends":[`...)
	for i := range series {
		sr := &series[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"role":`...)
		b = appendJSONString(b, string(sr.Role))
		b = append(b, `,"subject":`...)
		b = appendJSONString(b, sr.ID)
		b = append(b, `,"kpis":{`...)
		first := true
		for _, k := range kpisByName {
			if !sel.has(k) || !slices.Contains(sr.Defined, k) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, k.Name())
			b = append(b, ":["...)
			for j := range sr.Points {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONNum(b, sr.Points[j][k])
			}
			b = append(b, ']')
		}
		b = append(b, "}}"...)
		_, _ = w.Write(b)
		b = b[:0]
	}
	_, _ = w.Write(append(b, "]}"...))
}

// writeTrendsCSV writes one row per subject, KPI and evaluation time:
// at,window,role,subject,kpi,value.
func writeTrendsCSV(w *spill, window string, ats []time.Time, series []scorecard.Series, sel kpiSelection) {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"at", "window", "role", "subject", "kpi", "value"})
	for i := range series {
		sr := &series[i]
		for _, k := range sr.Defined {
			if !sel.has(k) {
				continue
			}
			for j, t := range ats {
				v := sr.Points[j][k]
				var p *float64
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					p = &v
				}
				_ = cw.Write([]string{t.Format(time.RFC3339), csvsafe.Text(window), string(sr.Role), csvsafe.Text(sr.ID), k.Name(), fmtNum(p)})
			}
		}
	}
	cw.Flush()
}

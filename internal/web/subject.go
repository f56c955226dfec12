package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

type subjectData struct {
	Role          scorecard.Role
	ID            string
	Window        string
	Windows       []string
	AtParam       string
	From, To      time.Time
	Score         report.Explanation
	PreviousScore *float64
	Scored        []tile // KPIs with an objective, first
	Unscored      []tile // KPIs without one, apart
	Evidence      template.HTML
	Grafana       string
	Periods       []string // recent calendar periods to review
	Systems       []string // systems the subject answered for in the window
	// TrendAt are the ends of the trend's windows, oldest first: the
	// window and the ones before it, back to back
	TrendAt []time.Time
}

// trendPoints is how many windows a subject page's trend lines show.
const trendPoints = 12

// evidenceRows is the most rows a subject page's evidence tables show.
const evidenceRows = 100

type tile struct {
	report.KPI
	Trend   template.HTML
	TrendAt []time.Time // the ends of the trend's windows
	Values  []*float64  // the trend's values, for its table
}

func (u *UI) subject(w http.ResponseWriter, r *http.Request) {
	role, err := scorecard.ParseRole(r.PathValue("role"))
	if err != nil {
		u.fail(w, r, http.StatusNotFound, err.Error())
		return
	}
	id := r.PathValue("id")
	if canon := u.subjectID(role, id); canon != id { // a system's alias: one page per system
		target := "/ui/subject/" + string(role) + "/" + url.PathEscape(canon)
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	snap := u.snapshotOfOrFail(w, r, role, id)
	if snap == nil {
		return
	}
	q := r.URL.Query()
	win, ok := config.PickWindow(snap.Windows, q.Get("window"))
	if !ok {
		u.fail(w, r, http.StatusBadRequest, "Unknown window "+q.Get("window")+".")
		return
	}
	cards := snap.Find(win.Name, role, id)
	if len(cards) == 0 {
		u.fail(w, r, http.StatusNotFound, "There is no "+string(role)+" "+id+".")
		return
	}
	c := &cards[0]
	p := report.Period{Name: win.Name, From: snap.At.Add(-win.Duration), To: snap.At}
	ctx := r.Context()
	// a subject page lists at most evidenceRows of each table, the most
	// recent, read from the engine's time index: the global subject's
	// month holds tens of thousands of records
	evs, err := u.opts.Engine.EvidenceTables(ctx, []scorecard.Subject{c.Subject}, p.From, p.To, evidenceRows)
	if err != nil {
		u.unavailable(w, r, err)
		return
	}
	ats := make([]time.Time, trendPoints)
	for i := range ats {
		ats[i] = snap.At.Add(-time.Duration(trendPoints-1-i) * win.Duration)
	}
	trends, err := u.opts.Engine.Trend(ctx, []scorecard.Subject{c.Subject}, win.Duration, ats)
	if err != nil {
		u.unavailable(w, r, err)
		return
	}
	prev := c.PreviousCard(snap.Objectives)
	rev := report.Review{Role: role, Subject: id, Period: p, Evidence: evs[c.Subject], RowLimit: evidenceRows}
	if err := u.fillTitles(ctx, evs); err != nil {
		u.unavailable(w, r, err)
		return
	}
	d := subjectData{Role: role, ID: id, Window: win.Name, AtParam: q.Get("at"), From: p.From, To: p.To,
		PreviousScore: num(prev.Score), Grafana: u.grafanaLink(role, id, win.Name), TrendAt: ats}
	var kpis []report.KPI
	for _, x := range snap.Windows {
		d.Windows = append(d.Windows, x.Name)
	}
	for _, k := range c.Defined {
		t := tile{KPI: report.KPI{Name: k.Name(), Value: num(c.Value[k]), Previous: num(c.Previous[k]), Delta: num(c.Delta(k)), HigherIsBetter: k.HigherIsBetter()}}
		if o, ok := snap.Objectives[k.Name()]; ok {
			t.Objective = num(o.Objective)
			if o.Warning != nil {
				t.Warning = num(*o.Warning)
			}
			t.Status = c.Status[k].String()
		}
		values := make([]*float64, 0, len(ats))
		for _, v := range trends[c.Subject] {
			values = append(values, num(v[k]))
		}
		// the trend's windows are back to back, the first ending a window
		// after its start
		t.Trend = report.Trend(k.Name(), ats[0].Add(-win.Duration), ats, values)
		t.TrendAt, t.Values = ats, values
		kpis = append(kpis, t.KPI)
		if t.Status != "" {
			d.Scored = append(d.Scored, t)
		} else {
			d.Unscored = append(d.Unscored, t)
		}
	}
	d.Score = report.Explain(num(c.Score), kpis)
	d.Score.NotAccountable = c.NotAccountable
	if d.Evidence, err = report.EvidenceHTML(&rev); err != nil {
		u.unavailable(w, r, err)
		return
	}
	d.Periods = recentPeriods(snap.At)
	for _, s := range rev.Systems() {
		d.Systems = append(d.Systems, s.ID)
	}
	u.render(w, r, http.StatusOK, "subject", page{Title: string(role) + " " + id, At: snap.At, Data: d})
}

// fillTitles fills, from the Titles store, the titles of the incidents
// the page's evidence tables show (at most evidenceRows each).
func (u *UI) fillTitles(ctx context.Context, evs map[scorecard.Subject]*scorecard.Evidence) error {
	if u.opts.Titles == nil {
		return nil
	}
	return scorecard.FillTableTitles(ctx, u.opts.Titles, evs)
}

func (u *UI) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	u.opts.Logger.Error("ui", "path", r.URL.Path, "err", err)
	u.fail(w, r, http.StatusServiceUnavailable, "Scorecards are unavailable: "+err.Error())
}

// dashboards maps a role to the UID of its Steward Grafana dashboard.
var dashboards = map[scorecard.Role]string{
	scorecard.RoleSystem: "steward-system", scorecard.RoleSystemOwner: "steward-owner",
	scorecard.RoleProgram: "steward-program", scorecard.RoleProgramManager: "steward-program",
	scorecard.RoleProcessOwner: "steward-process", scorecard.RoleProcessManager: "steward-process",
	scorecard.RoleTeam: "steward-team", scorecard.RoleGlobal: "steward-global",
}

func (u *UI) grafanaLink(role scorecard.Role, id, window string) string {
	if u.opts.GrafanaURL == "" {
		return ""
	}
	v := url.Values{"var-role": {string(role)}, "var-subject": {id}, "var-window": {window}}
	return strings.TrimRight(u.opts.GrafanaURL, "/") + "/d/" + dashboards[role] + "?" + v.Encode()
}

// recentPeriods offers the last complete month, quarter and year.
func recentPeriods(at time.Time) []string {
	at = at.UTC()
	month := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	q := (int(at.Month())-1)/3 + 1
	qy := at.Year()
	if q--; q == 0 {
		q, qy = 4, qy-1
	}
	return []string{month.Format("2006-01"), fmt.Sprintf("%d-Q%d", qy, q), strconv.Itoa(at.Year() - 1)}
}

// subjectID is the id of a subject named by id: a system's alias names the
// system, as it does in records; every other name is the id itself.
func (u *UI) subjectID(role scorecard.Role, id string) string {
	if role != scorecard.RoleSystem {
		return id
	}
	if s, ok := u.opts.Config().System(id); ok {
		return s.ID
	}
	return id
}

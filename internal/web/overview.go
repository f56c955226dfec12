package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

type overviewData struct {
	Window  string
	Windows []string
	AtParam string
	Role    string // ?role=: show one role only
	Sort    string
	Dir     string
	Tables  []roleTable
	// NoObjectives: the config has none, so nothing is scored yet.
	NoObjectives bool
}

// header is a sortable column: its link sorts by it, flipping the
// direction when it already is the sort key.
type header struct {
	Key, Label string
	Dir        string // the direction its link asks for
	AriaSort   string // ascending, descending or none
	Unscored   bool   // a KPI without an objective
}

// roleTable is one role's subjects: scored KPIs (with an objective) as
// columns first, then a few headline KPIs without one, grouped apart.
type roleTable struct {
	Role             scorecard.Role
	Headers          []header
	Scored, Unscored int           // how many KPI columns of each kind
	Rows             []overviewRow // the page shown
	// Total rows; Page (from 1) of Pages of overviewRows each
	Total, Page, Pages int
	PrevPage, NextPage int // 0: none
}

// overviewRows is the most rows a role's table shows at once: the
// reference organisation has 5,000 systems and 1,000 owners, and the page
// stays light (a role's table pages through the rest).
const overviewRows = 100

type overviewRow struct {
	Subject                          string
	Role                             scorecard.Role
	Score                            report.Explanation
	Meets, Warnings, Breaches, NoDat int
	Cells                            []cell
}

type cell struct {
	KPI     string
	Defined bool
	Value   *float64
	Status  string
}

// headline are the KPIs the overview shows even without an objective, so
// that it says something before any objective is configured; the volumes
// first, since a table with many scored columns keeps only the first few.
var headline = []string{"incidents_opened", "incidents_open", "changes_completed", "mttr_seconds",
	"change_success_ratio", "deployments_per_day", "availability_ratio", "review_compliance_ratio"}

// maxColumns is how many KPI columns a table shows before it keeps only
// minUnscored headline KPIs after the scored ones: a table wider than a
// laptop's screen is not read.
const maxColumns, minUnscored = 9, 3

func (u *UI) overview(w http.ResponseWriter, r *http.Request) {
	snap := u.snapshotOrFail(w, r)
	if snap == nil {
		return
	}
	q := r.URL.Query()
	win, ok := config.PickWindow(snap.Windows, q.Get("window"))
	if !ok {
		u.fail(w, r, http.StatusBadRequest, "Unknown window "+q.Get("window")+".")
		return
	}
	d := overviewData{Window: win.Name, AtParam: q.Get("at"), Sort: q.Get("sort"), Dir: q.Get("dir"), Role: q.Get("role"),
		NoObjectives: len(snap.Objectives) == 0}
	for _, w := range snap.Windows {
		d.Windows = append(d.Windows, w.Name)
	}
	keys := []string{"subject", "score", "breaches"}
	for _, k := range scorecard.AllKPIs() {
		keys = append(keys, k.Name())
	}
	if !slices.Contains(keys, d.Sort) {
		d.Sort = "subject"
	}
	if d.Dir != "asc" && d.Dir != "desc" {
		d.Dir = defaultDir(d.Sort)
	}
	for _, rl := range scorecard.Roles {
		if d.Role != "" && string(rl) != d.Role {
			continue
		}
		cards := snap.Find(win.Name, rl, "")
		if len(cards) == 0 {
			continue
		}
		t := roleTable{Role: rl}
		scored, unscored := columns(cards, snap.Objectives)
		t.Scored, t.Unscored = len(scored), len(unscored)
		for _, key := range []string{"subject", "score", "breaches"} {
			t.Headers = append(t.Headers, d.header(key, false))
		}
		for _, k := range scored {
			t.Headers = append(t.Headers, d.header(k.Name(), false))
		}
		for _, k := range unscored {
			t.Headers = append(t.Headers, d.header(k.Name(), true))
		}
		for _, c := range cards {
			t.Rows = append(t.Rows, row(&c, append(scored, unscored...)))
		}
		sortRows(t.Rows, d.Sort, d.Dir)
		t.paginate(q.Get("page"))
		d.Tables = append(d.Tables, t)
	}
	u.render(w, r, http.StatusOK, "overview", page{Title: "Scorecards", At: snap.At, Data: d})
}

func (d *overviewData) header(key string, unscored bool) header {
	h := header{Key: key, Label: headerLabel(key), Dir: defaultDir(key), AriaSort: "none", Unscored: unscored}
	if key == d.Sort {
		h.AriaSort = map[string]string{"asc": "ascending", "desc": "descending"}[d.Dir]
		h.Dir = map[string]string{"asc": "desc", "desc": "asc"}[d.Dir]
	}
	return h
}

// columns are the KPI columns of a role's table: every KPI of the role
// with an objective, then the headline KPIs of the role without one.
func columns(cards []scorecard.Card, objectives map[string]config.Objective) (scored, unscored []scorecard.KPI) {
	defined := func(k scorecard.KPI) bool {
		for i := range cards {
			if slices.Contains(cards[i].Defined, k) {
				return true
			}
		}
		return false
	}
	for _, k := range scorecard.AllKPIs() {
		if _, ok := objectives[k.Name()]; ok && defined(k) {
			scored = append(scored, k)
		}
	}
	room := max(minUnscored, maxColumns-len(scored))
	for _, name := range headline {
		k, ok := scorecard.KPIByName(name)
		if _, has := objectives[name]; ok && !has && defined(k) && len(unscored) < room {
			unscored = append(unscored, k)
		}
	}
	return scored, unscored
}

// paginate keeps the rows of the page asked for (the first when absent
// or out of range).
func (t *roleTable) paginate(page string) {
	t.Total = len(t.Rows)
	t.Pages = max(1, (t.Total+overviewRows-1)/overviewRows)
	t.Page = 1
	if n, err := strconv.Atoi(page); err == nil && n >= 1 && n <= t.Pages {
		t.Page = n
	}
	lo := (t.Page - 1) * overviewRows
	t.Rows = t.Rows[lo:min(lo+overviewRows, t.Total)]
	if t.Page > 1 {
		t.PrevPage = t.Page - 1
	}
	if t.Page < t.Pages {
		t.NextPage = t.Page + 1
	}
}

func row(c *scorecard.Card, kpis []scorecard.KPI) overviewRow {
	out := overviewRow{Subject: c.ID, Role: c.Role}
	var scored []report.KPI
	for _, k := range kpis {
		cl := cell{KPI: k.Name()}
		if slices.Contains(c.Defined, k) {
			cl.Defined, cl.Value, cl.Status = true, num(c.Value[k]), c.Status[k].String()
			scored = append(scored, report.KPI{Name: k.Name(), Status: cl.Status})
			switch c.Status[k] {
			case scorecard.StatusMeets:
				out.Meets++
			case scorecard.StatusWarning:
				out.Warnings++
			case scorecard.StatusBreach:
				out.Breaches++
			case scorecard.StatusNoData:
				out.NoDat++
			}
		}
		out.Cells = append(out.Cells, cl)
	}
	out.Score = report.Explain(num(c.Score), scored)
	out.Score.NotAccountable = c.NotAccountable
	return out
}

func defaultDir(key string) string {
	switch key {
	case "subject":
		return "asc"
	case "score":
		return "asc" // worst first: the ones to talk about
	}
	if k, ok := scorecard.KPIByName(key); ok && k.HigherIsBetter() {
		return "asc"
	}
	return "desc"
}

func headerLabel(key string) string {
	switch key {
	case "subject":
		return "Subject"
	case "score":
		return "Score"
	case "breaches":
		return "Status"
	}
	return report.KPITitle(key)
}

// sortRows orders rows by a key; rows without a value go last either way,
// ties by subject.
func sortRows(rows []overviewRow, key, dir string) {
	value := func(r overviewRow) *float64 {
		switch key {
		case "score":
			return r.Score.Score
		case "breaches":
			v := float64(r.Breaches)*1000 + float64(r.Warnings)
			return &v
		}
		for _, c := range r.Cells {
			if c.KPI == key {
				return c.Value
			}
		}
		return nil
	}
	slices.SortStableFunc(rows, func(a, b overviewRow) int {
		if key != "subject" {
			va, vb := value(a), value(b)
			switch {
			case va == nil && vb != nil:
				return 1
			case va != nil && vb == nil:
				return -1
			case va != nil && vb != nil && *va != *vb:
				if dir == "desc" {
					return cmp.Compare(*vb, *va)
				}
				return cmp.Compare(*va, *vb)
			}
		}
		c := cmp.Compare(a.Subject, b.Subject)
		if key == "subject" && dir == "desc" {
			return -c
		}
		return c
	})
}

func num(v float64) *float64 {
	if v != v { // NaN: no value
		return nil
	}
	return &v
}

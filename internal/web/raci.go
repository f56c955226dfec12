package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/steward-sh/steward/raci"
)

type raciData struct {
	Matrices   []raciMatrix
	Violations []raci.Finding
	Warnings   []raci.Finding
	Party      string
}

// raciMatrix is one kind of scope (systems, processes) by activities.
type raciMatrix struct {
	Kind       string // "system" or "process"
	Activities []string
	Rows       []matrixRow
}

type matrixRow struct {
	Scope string
	Cells []matrixCell // one per activity
}

type matrixCell struct {
	Row     *raci.Row // nil: the activity does not apply to the scope
	Letters string    // the party's letters, in a party's view
}

// Violation is nobody Accountable; Warning is nobody Responsible (the
// rules of raci.Check that a single cell breaks).
func (c matrixCell) Violation() bool { return c.Row != nil && c.Row.Accountable == "" }
func (c matrixCell) Warning() bool   { return c.Row != nil && len(c.Row.Responsible) == 0 }

// raciPage shows the accountability matrix as of ?at= (default now):
// systems and processes by activities, R, A, C and I in the cells, and
// the rules it breaks, violations apart from warnings. ?person= shows the
// letters one person or team holds.
func (u *UI) raciPage(w http.ResponseWriter, r *http.Request) {
	cfg := u.opts.Config()
	at := time.Now().UTC()
	if v := r.URL.Query().Get("at"); v != "" {
		var err error
		if at, err = parseAt(v); err != nil {
			u.fail(w, r, http.StatusBadRequest, "at: "+err.Error())
			return
		}
	}
	rows := raci.Matrix(cfg, at)
	d := raciData{Party: r.URL.Query().Get("person")}
	for _, f := range raci.Check(cfg, rows) {
		if f.Severity == "violation" {
			d.Violations = append(d.Violations, f)
		} else {
			d.Warnings = append(d.Warnings, f)
		}
	}
	shown := raci.Filter{Party: d.Party}.Select(rows)
	for _, kind := range []string{"system", "process"} {
		if m := matrix(kind, shown, d.Party); len(m.Rows) > 0 {
			d.Matrices = append(d.Matrices, m)
		}
	}
	title := "Accountability matrix"
	if d.Party != "" {
		title += " of " + d.Party
	}
	u.render(w, r, http.StatusOK, "raci", page{Title: title, At: at, Data: d})
}

// matrix lays out the rows of one kind of scope: scopes and activities in
// the order the matrix lists them.
func matrix(kind string, rows []raci.Row, party string) raciMatrix {
	m := raciMatrix{Kind: kind}
	for _, r := range rows {
		if r.ScopeKind == kind && !slices.Contains(m.Activities, r.Activity) {
			m.Activities = append(m.Activities, r.Activity)
		}
	}
	index := map[string]int{}
	for i := range rows {
		r := &rows[i]
		if r.ScopeKind != kind {
			continue
		}
		n, ok := index[r.Scope]
		if !ok {
			n = len(m.Rows)
			index[r.Scope] = n
			m.Rows = append(m.Rows, matrixRow{Scope: r.Scope, Cells: make([]matrixCell, len(m.Activities))})
		}
		c := matrixCell{Row: r}
		if party != "" {
			c.Letters = r.Letters(party)
		}
		m.Rows[n].Cells[slices.Index(m.Activities, r.Activity)] = c
	}
	return m
}

package web

import (
	"net/http"
	"time"

	"github.com/steward-sh/steward/raci"
)

type raciData struct {
	Rows     []raci.Row
	Findings []raci.Finding
	Party    string
	Letters  []string // the party's letters, row by row, in the party's view
}

// raciPage shows the accountability matrix as of ?at= (default now),
// optionally one person's or team's view (?person=).
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
	d := raciData{Findings: raci.Check(cfg, rows), Party: r.URL.Query().Get("person")}
	d.Rows = raci.Filter{Party: d.Party}.Select(rows)
	if d.Party != "" {
		for i := range d.Rows {
			d.Letters = append(d.Letters, d.Rows[i].Letters(d.Party))
		}
	}
	title := "Accountability matrix"
	if d.Party != "" {
		title += " of " + d.Party
	}
	u.render(w, r, http.StatusOK, "raci", page{Title: title, At: at, Data: d})
}

package web

import (
	"net/http"
	"time"

	"github.com/steward-sh/steward/config"
)

type systemData struct {
	System  *config.System
	Manager string
	Owners  []ownerRow
	Current string
}

type ownerRow struct {
	Owner   string
	Name    string
	Since   time.Time
	Until   *time.Time
	Current bool
}

func (u *UI) system(w http.ResponseWriter, r *http.Request) {
	cfg := u.opts.Config()
	sys, ok := cfg.System(r.PathValue("id"))
	if !ok {
		u.fail(w, r, http.StatusNotFound, "There is no system "+r.PathValue("id")+".")
		return
	}
	now := time.Now().UTC()
	if v := r.URL.Query().Get("at"); v != "" {
		var err error
		if now, err = parseAt(v); err != nil {
			u.fail(w, r, http.StatusBadRequest, "at: "+err.Error())
			return
		}
	}
	d := systemData{System: sys, Current: sys.OwnerAt(now)}
	if p, ok := cfg.Program(sys.Program); ok {
		d.Manager = p.Manager
	}
	for i, o := range sys.Owners {
		row := ownerRow{Owner: o.Owner, Since: o.Since}
		if p, ok := cfg.Person(o.Owner); ok {
			row.Name = p.Name
		}
		if i+1 < len(sys.Owners) {
			until := sys.Owners[i+1].Since
			row.Until = &until
		}
		row.Current = !o.Since.After(now) && (row.Until == nil || row.Until.After(now))
		d.Owners = append(d.Owners, row)
	}
	u.render(w, r, http.StatusOK, "system", page{Title: "System " + sys.ID, At: now, Data: d})
}

package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/steward-sh/steward/scorecard"
)

type reportFormData struct {
	Roles   []roleSubjects
	Periods []periodChoice
	Period  string // the one chosen by default: the last quarter
}

type roleSubjects struct {
	Role     scorecard.Role
	Subjects []string
}

type periodChoice struct{ Name, Label string }

// reportForm asks what to review: a role, a subject (or every subject of
// the role) and a period, submitted back to /ui/report by GET.
func (u *UI) reportForm(w http.ResponseWriter, r *http.Request) {
	snap := u.snapshotOrFail(w, r)
	if snap == nil {
		return
	}
	now := time.Now()
	if u.opts.Reports.Now != nil {
		now = u.opts.Reports.Now()
	}
	d := reportFormData{Periods: periodChoices(now)}
	d.Period = d.Periods[1].Name
	var window string
	if len(snap.Windows) > 0 {
		window = snap.Windows[0].Name
	}
	for _, rl := range scorecard.Roles {
		rs := roleSubjects{Role: rl}
		for _, c := range snap.Find(window, rl, "") {
			rs.Subjects = append(rs.Subjects, c.ID)
		}
		d.Roles = append(d.Roles, rs)
	}
	u.render(w, r, http.StatusOK, "reportform", page{Title: "Period review", At: snap.At, Data: d})
}

// periodChoices are the periods a review is usually asked for, finished
// ones first: last month, last quarter, last year, then the current
// (provisional) month, quarter and year.
func periodChoices(at time.Time) []periodChoice {
	at = at.UTC()
	month := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	prevMonth := month.AddDate(0, -1, 0)
	q := (int(at.Month())-1)/3 + 1
	pq, pqy := q-1, at.Year()
	if pq == 0 {
		pq, pqy = 4, pqy-1
	}
	quarter := func(y, q int) string { return fmt.Sprintf("%d-Q%d", y, q) }
	return []periodChoice{
		{prevMonth.Format("2006-01"), "last month"},
		{quarter(pqy, pq), "last quarter"},
		{strconv.Itoa(at.Year() - 1), "last year"},
		{month.Format("2006-01"), "this month, provisional"},
		{quarter(at.Year(), q), "this quarter, provisional"},
		{strconv.Itoa(at.Year()), "this year, provisional"},
	}
}

package web

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/steward-sh/steward/fault"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

// frozenIndex is an archive that can list every frozen version (without
// content); the list of reviews needs it.
type frozenIndex interface {
	All(ctx context.Context) ([]report.Frozen, error)
}

// frozenReview is one subject's frozen review of a period, every version.
type frozenReview struct {
	Role     string
	Subject  string
	Period   string
	Versions []report.Frozen
	// Restated: today's data gives a different review than the latest
	// version; Checked is false when that could not be worked out.
	Restated, Checked bool
}

type reviewsData struct {
	Reviews []frozenReview
}

// reviews lists the frozen reviews, each with its versions and whether
// later data restated it.
func (u *UI) reviews(w http.ResponseWriter, r *http.Request) {
	idx, ok := u.opts.Reports.Archive.(frozenIndex)
	if !ok {
		u.fail(w, r, http.StatusServiceUnavailable, "There is no archive of frozen reviews.")
		return
	}
	all, err := idx.All(r.Context())
	if err != nil {
		u.unavailable(w, r, err)
		return
	}
	var d reviewsData
	for _, f := range all {
		n := len(d.Reviews)
		if n == 0 || d.Reviews[n-1].Role != f.Role || d.Reviews[n-1].Subject != f.Subject || d.Reviews[n-1].Period != f.Period {
			d.Reviews = append(d.Reviews, frozenReview{Role: f.Role, Subject: f.Subject, Period: f.Period})
			n++
		}
		d.Reviews[n-1].Versions = append(d.Reviews[n-1].Versions, f)
	}
	slices.SortStableFunc(d.Reviews, func(a, b frozenReview) int { // latest period first
		return periodEnd(b.Period).Compare(periodEnd(a.Period))
	})
	u.markRestated(r.Context(), d.Reviews)
	u.render(w, r, http.StatusOK, "reviews", page{Title: "Frozen reviews", Data: d})
}

// maxRebuilds bounds the reviews the list rebuilds to tell which frozen
// ones are restated: each is a whole role's review of a period, and the
// list must stay quick with years of frozen reviews. The latest periods
// come first, so they are the ones checked.
const maxRebuilds = 24

// markRestated rebuilds each role's review of each period once, from
// today's data, and notes which frozen reviews it restates.
func (u *UI) markRestated(ctx context.Context, rs []frozenReview) {
	type key struct{ role, period string }
	built := map[key]map[string]bool{} // subject → restated; nil: could not build
	for i := range rs {
		k := key{rs[i].Role, rs[i].Period}
		restated, done := built[k]
		if !done && len(built) < maxRebuilds {
			restated = u.restatedSubjects(ctx, k.role, k.period)
			built[k] = restated
		}
		if restated != nil {
			rs[i].Restated, rs[i].Checked = restated[rs[i].Subject], true
		}
	}
}

func (u *UI) restatedSubjects(ctx context.Context, role, period string) map[string]bool {
	req, err := u.reviewRequest(role, "", period, "", "")
	if err != nil {
		return nil
	}
	rep, err := u.opts.Reports.Build(ctx, req)
	if err != nil {
		u.opts.Logger.Warn("ui: reviews: restatement", "role", role, "period", period, "err", err)
		return nil
	}
	out := map[string]bool{}
	for _, s := range rep.Subjects {
		out[s.Subject] = s.Restatement != nil
	}
	return out
}

// periodEnd is the end of a frozen review's period, zero if unreadable.
func periodEnd(name string) time.Time {
	req, err := parseReviewRequest(string(scorecard.RoleGlobal), "", name, "", "")
	if err != nil {
		return time.Time{}
	}
	return req.Period.To
}

type frozenData struct {
	Frozen   report.Frozen
	Latest   int
	Review   *report.Review
	Score    report.Explanation
	Evidence template.HTML
}

// frozenVersion shows one frozen version as it was frozen.
func (u *UI) frozenVersion(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	version, err := strconv.Atoi(q.Get("version"))
	if err != nil || q.Get("role") == "" || q.Get("subject") == "" || q.Get("period") == "" {
		u.fail(w, r, http.StatusBadRequest, "role, subject, period and version are required.")
		return
	}
	if u.opts.Reports.Archive == nil {
		u.fail(w, r, http.StatusServiceUnavailable, "There is no archive of frozen reviews.")
		return
	}
	vs, err := u.opts.Reports.Archive.Versions(r.Context(), q.Get("role"), q.Get("subject"), q.Get("period"))
	if err != nil {
		u.unavailable(w, r, err)
		return
	}
	for _, f := range vs {
		if f.Version != version {
			continue
		}
		d := frozenData{Frozen: f, Latest: len(vs), Review: &report.Review{}}
		if err := json.Unmarshal(f.Content, d.Review); err != nil {
			u.unavailable(w, r, fault.Errorf(fault.Internal, "frozen review %d: %w", f.ID, err))
			return
		}
		d.Score = d.Review.Explained()
		if d.Evidence, err = report.EvidenceHTML(d.Review); err != nil {
			u.unavailable(w, r, err)
			return
		}
		title := "Frozen review of " + f.Role + " " + f.Subject + ", " + f.Period + ", version " + strconv.Itoa(f.Version)
		u.render(w, r, http.StatusOK, "frozen", page{Title: title, Data: d})
		return
	}
	u.fail(w, r, http.StatusNotFound, "There is no version "+q.Get("version")+" of that review.")
}

package generate

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/steward-sh/steward/record"
)

// changeProfile is how changes of one type behave.
type changeProfile struct {
	typ                      record.ChangeType
	share                    float64 // of all changes
	offHours                 float64 // chance an off-hours start is kept
	lead, duration           time.Duration
	failed, rolledBack, cncl float64 // base probabilities, failures scaled by system risk
	unauthorized             float64
	staging                  float64
}

var changeProfiles = []changeProfile{
	{record.TypeStandard, 0.60, 0.25, 3 * time.Hour, 15 * time.Minute, 0.015, 0.01, 0.03, 0.005, 0.15},
	{record.TypeNormal, 0.33, 0.25, 48 * time.Hour, 45 * time.Minute, 0.035, 0.025, 0.07, 0.03, 0.15},
	{record.TypeEmergency, 0.07, 1, 30 * time.Minute, 30 * time.Minute, 0.08, 0.05, 0.05, 0.15, 0},
}

var changeTools = []string{"argo-cd", "jenkins", "github-actions", "terraform", "ansible"}

type changePlan struct {
	start   int64
	profile int
}

// changes draws start times first and sorts them, so ids follow time.
func (w *world) changes(r *rand.Rand) []record.Change {
	n := w.nChange
	if n == 0 {
		return nil
	}
	shares := make([]float64, len(changeProfiles))
	for i, p := range changeProfiles {
		shares[i] = p.share
	}
	types := newWeighted(shares)
	plans := make([]changePlan, n)
	for i := range plans {
		k := types.pick(r)
		plans[i] = changePlan{start: instant(r, w.from, w.to, changeProfiles[k].offHours), profile: k}
	}
	slices.SortFunc(plans, func(a, b changePlan) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.profile, b.profile))
	})
	ids := ids("CHG", n)
	tail := n - max(1, n/500) // the latest changes are still running at To
	out := make([]record.Change, n)
	w.changeSys = make([]int32, n)
	for i, p := range plans {
		w.changeSys[i] = int32(w.change(r, &out[i], ids[i], p, i >= tail))
	}
	return out
}

// change fills c and returns the index of its system.
func (w *world) change(r *rand.Rand, c *record.Change, id string, p changePlan, running bool) int {
	prof := &changeProfiles[p.profile]
	s := w.system(r, w.chgSys)
	*c = record.Change{
		ID:          id,
		Source:      w.source,
		System:      w.name(r, s),
		Team:        w.teamName(w.team(r, s, 0.9, 0)),
		Type:        prof.typ,
		Environment: "production",
		Authorized:  !chance(r, prof.unauthorized),
	}
	if chance(r, prof.staging) {
		c.Environment = "staging"
	}
	created := p.start - logNormal(r, prof.lead, 1.0)
	finished := p.start + logNormal(r, prof.duration, 0.8)
	if !chance(r, 0.05) {
		c.CreatedAt = w.at(created)
	}
	c.Outcome = w.outcome(r, prof, s)
	switch {
	case running || finished >= w.to:
		c.Outcome = record.OutcomeInProgress
		c.StartedAt = w.at(p.start)
	case c.Outcome == record.OutcomeCancelled && chance(r, 0.7):
		// Called off before it started: the planned start is when.
		c.FinishedAt = w.at(p.start)
	case c.Outcome == record.OutcomeCancelled:
		c.StartedAt = w.at(p.start)
		c.FinishedAt = w.at(p.start + (finished-p.start)/3)
	default:
		c.StartedAt = w.at(p.start)
		c.FinishedAt = w.at(finished)
	}
	if chance(r, 0.05) {
		c.Labels = map[string]string{"tool": changeTools[r.IntN(len(changeTools))]}
	}
	return s
}

func (w *world) outcome(r *rand.Rand, prof *changeProfile, s int) record.Outcome {
	failed, rolledBack := prof.failed*w.risk[s], prof.rolledBack*w.risk[s]
	if f := failed + rolledBack; f > 0.5 {
		failed, rolledBack = failed*0.5/f, rolledBack*0.5/f
	}
	switch u := r.Float64(); {
	case u < failed:
		return record.OutcomeFailed
	case u < failed+rolledBack:
		return record.OutcomeRolledBack
	case u < failed+rolledBack+prof.cncl:
		return record.OutcomeCancelled
	}
	return record.OutcomeSuccess
}

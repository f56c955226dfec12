package generate

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/steward-sh/steward/record"
)

// severities is the share of incidents by severity 1..5.
var severities = newWeighted([]float64{0.03, 0.10, 0.37, 0.42, 0.08})

// impacts gives, by severity, the chance of an outage and of degradation.
var impacts = [6][2]float64{{}, {0.70, 0.30}, {0.35, 0.50}, {0.04, 0.12}, {0, 0.04}, {0, 0}}

// Medians by severity. Restore times are scaled by impact (service is
// restored long before the ticket is done with) and by team slowness.
var (
	ackMedian     = [6]time.Duration{0, 3 * time.Minute, 6 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}
	restoreMedian = [6]time.Duration{0, 2 * time.Hour, 4 * time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour}
	restoreScale  = map[record.Impact]float64{record.ImpactOutage: 0.25, record.ImpactDegraded: 0.35, record.ImpactNone: 1}
	restoreSpread = map[record.Impact]float64{record.ImpactOutage: 0.9, record.ImpactDegraded: 1.0, record.ImpactNone: 1.3}
)

var regions = []string{"eu-west-1", "eu-central-1", "us-east-1", "ap-southeast-2"}

// incidentPlan is an incident's opening time and, for about 10%, the
// index of the change that caused it (-1 for none).
type incidentPlan struct {
	at     int64
	change int32
}

func (w *world) incidents(r *rand.Rand, changes []record.Change) []record.Incident {
	n := w.nIncid
	if n == 0 {
		return nil
	}
	failed, succeeded := w.causes(changes)
	plans := make([]incidentPlan, 0, n)
	for range n {
		if chance(r, 0.10) && len(failed)+len(succeeded) > 0 {
			// Half the culprits failed visibly; the rest looked successful.
			pool := failed
			if len(pool) == 0 || (len(succeeded) > 0 && chance(r, 0.5)) {
				pool = succeeded
			}
			c := pool[r.IntN(len(pool))]
			at := changes[c].FinishedAt.UnixMicro() + logNormal(r, 45*time.Minute, 1.0)
			if at < w.to {
				plans = append(plans, incidentPlan{at: at, change: c})
				continue
			}
		}
		plans = append(plans, incidentPlan{at: instant(r, w.from, w.to, 0.6), change: -1})
	}
	slices.SortFunc(plans, func(a, b incidentPlan) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.change, b.change))
	})
	ids := ids("INC", n)
	out := make([]record.Incident, n)
	for i, p := range plans {
		w.incident(r, &out[i], ids[i], p, changes)
	}
	return out
}

// causes lists the completed production changes of configured systems that
// finished in the period: the changes an incident may blame.
func (w *world) causes(changes []record.Change) (failed, succeeded []int32) {
	for i := range changes {
		c := &changes[i]
		if c.Environment != "production" || c.FinishedAt == nil || int(w.changeSys[i]) >= w.known ||
			c.FinishedAt.UnixMicro() < w.from {
			continue
		}
		switch c.Outcome {
		case record.OutcomeFailed, record.OutcomeRolledBack:
			failed = append(failed, int32(i))
		case record.OutcomeSuccess:
			succeeded = append(succeeded, int32(i))
		}
	}
	return failed, succeeded
}

func (w *world) incident(r *rand.Rand, in *record.Incident, id string, p incidentPlan, changes []record.Change) {
	sev := severities.pick(r) + 1
	var s int
	if p.change >= 0 {
		s = int(w.changeSys[p.change])
	} else {
		s = w.system(r, w.incSys)
	}
	*in = record.Incident{
		ID:       id,
		Source:   record.DefaultSource,
		System:   w.name(r, s),
		Severity: sev,
		Impact:   record.ImpactNone,
		Category: record.CategoryNone,
		OpenedAt: time.UnixMicro(p.at).UTC(),
	}
	team := w.team(r, s, 0.6, 0.2)
	in.Team = w.teamName(team)
	impact := 2
	switch u := r.Float64(); {
	case u < impacts[sev][0]:
		in.Impact, impact = record.ImpactOutage, 0
	case u < impacts[sev][0]+impacts[sev][1]:
		in.Impact, impact = record.ImpactDegraded, 1
	}
	titles := w.titles[s][impact]
	in.Title = titles[r.IntN(len(titles))]
	if p.change >= 0 {
		in.CausedByChange = &record.Ref{Source: changes[p.change].Source, ID: changes[p.change].ID}
	}

	scale := restoreScale[in.Impact]
	if team >= 0 {
		scale *= w.slowness[team]
	}
	if in.Impact != record.ImpactNone && sev <= 3 && chance(r, 0.1) {
		scale *= 4 // the fix is hard to find
	}
	resolved := p.at + int64(scale*float64(logNormal(r, restoreMedian[sev], restoreSpread[in.Impact])))
	stale := in.Impact == record.ImpactNone && chance(r, 0.01) // forgotten, never resolved
	open := stale || resolved >= w.to
	if !chance(r, 0.03) {
		ack := p.at + logNormal(r, ackMedian[sev], 0.9)
		if !open {
			ack = min(ack, resolved)
		}
		if ack < w.to {
			in.AcknowledgedAt = w.at(ack)
		}
	}
	if !open {
		in.ResolvedAt = w.at(resolved)
		if chance(r, 0.85) {
			if closed := resolved + logNormal(r, 20*time.Hour, 1.0); closed < w.to {
				in.ClosedAt = w.at(closed)
			}
		}
	}
	in.Review = w.review(r, sev, in.Impact, resolved, !open)
	if chance(r, 0.03) {
		in.Labels = map[string]string{"region": regions[r.IntN(len(regions))]}
	}
}

// review decides whether a review is required (by policy, sometimes
// overridden) and whether and when it was done: most on time, some late,
// some never.
func (w *world) review(r *rand.Rand, sev int, impact record.Impact, resolved int64, isResolved bool) *record.Review {
	required := sev <= w.thresh
	var explicit *bool
	switch {
	case required && chance(r, 0.05):
		explicit, required = new(false), false // waived
	case !required && ((impact == record.ImpactOutage && chance(r, 0.3)) || chance(r, 0.02)):
		explicit, required = new(true), true
	}
	done := int64(-1)
	if isResolved {
		switch u := r.Float64(); {
		case required && u < 0.70, !required && u < 0.03:
			done = resolved + int64((0.1+0.85*r.Float64())*float64(w.dueUS))
		case required && u < 0.85:
			done = resolved + w.dueUS + logNormal(r, 72*time.Hour, 0.7)
		}
	}
	if done >= w.to {
		done = -1
	}
	if explicit == nil && done < 0 {
		return nil
	}
	rv := &record.Review{Required: explicit}
	if done >= 0 {
		rv.CompletedAt = w.at(done)
	}
	return rv
}

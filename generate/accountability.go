package generate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// streamDetail draws the fields SPEC 2 added after the first records
// (categories, detection and mitigation, sign-offs, action items, approval
// and schedule, rework, estimates) and feedback. It is a stream of its own
// so that adding them left every earlier field of a seed's records as it
// was.
const streamDetail = 0x64657461696c

// detail adds the accountability fields to generated incidents and
// changes.
func detail(cfg *config.Config, o Options, incidents []record.Incident, changes []record.Change) {
	r := newRand(o.Seed, streamDetail)
	systems := systemIndex(cfg)
	to := o.To
	at := func(t time.Time) *time.Time {
		if !t.Before(to) {
			return nil
		}
		return &t
	}
	for i := range incidents {
		incidentDetail(r, cfg, systems, &incidents[i], at)
	}
	for i := range changes {
		changeDetail(r, &changes[i], at)
	}
}

// systemIndex maps each system id and alias to its configured system.
func systemIndex(cfg *config.Config) map[string]*config.System {
	m := map[string]*config.System{}
	for i := range cfg.Systems {
		s := &cfg.Systems[i]
		m[s.ID] = s
		for _, a := range s.Aliases {
			m[a] = s
		}
	}
	return m
}

func incidentDetail(r *rand.Rand, cfg *config.Config, systems map[string]*config.System, in *record.Incident, at func(time.Time) *time.Time) {
	switch u := r.Float64(); {
	case u < 0.05:
		in.Category = "security"
	case in.Impact == record.ImpactOutage && u < 0.85:
		in.Category = "availability"
	case in.Impact == record.ImpactDegraded && u < 0.65:
		in.Category = "performance"
	case u < 0.10:
		in.Category = "data"
	}
	if in.Impact != record.ImpactNone && chance(r, 0.6) {
		// Monitoring lags the impact: time to detect.
		in.ImpactStartedAt = ptrTime(in.OpenedAt.Add(-micros(logNormal(r, 8*time.Minute, 1.0))))
	}
	if in.Impact != record.ImpactNone && in.ResolvedAt != nil && chance(r, 0.5) {
		// A workaround or failover stopped the impact before the fix.
		span := in.ResolvedAt.Sub(in.OpenedAt)
		in.MitigatedAt = ptrTime(in.OpenedAt.Add(time.Duration((0.2 + 0.6*r.Float64()) * float64(span))).Truncate(time.Microsecond))
	}
	if chance(r, 0.02) {
		in.Estimated = []string{"opened_at"} // first seen late: its opening was estimated
	}
	if in.Review == nil || in.Review.CompletedAt == nil {
		return
	}
	done := *in.Review.CompletedAt
	sys := systems[in.System]
	var roles [][2]string // role, person
	if sys != nil {
		if owner := ownerAt(sys, in.OpenedAt); owner != "" {
			roles = append(roles, [2]string{record.RoleSystemOwner, owner})
		}
		for _, p := range cfg.Programs {
			if p.ID == sys.Program && p.Manager != "" {
				roles = append(roles, [2]string{record.RoleProgramManager, p.Manager})
			}
		}
	}
	for _, rp := range roles {
		if chance(r, 0.12) {
			continue // this sign-off is missing
		}
		signed := done.Add(micros(logNormal(r, 6*time.Hour, 1.2)))
		if t := at(signed); t != nil {
			in.Review.Signoffs = append(in.Review.Signoffs, record.Signoff{Role: rp[0], Person: rp[1], At: *t})
		}
	}
	for k := range r.IntN(4) {
		a := record.Action{ID: fmt.Sprintf("%s-A%d", in.ID, k+1)}
		due := done.Add(30 * 24 * time.Hour)
		if chance(r, 0.7) {
			a.Due = ptrTime(done.Add(time.Duration(7+r.IntN(45)) * 24 * time.Hour))
			due = *a.Due
		}
		switch u := r.Float64(); {
		case u < 0.65: // on time
			a.DoneAt = at(done.Add(time.Duration(r.Float64() * float64(due.Sub(done)))).Truncate(time.Microsecond))
		case u < 0.85: // late
			a.DoneAt = at(due.Add(micros(logNormal(r, 5*24*time.Hour, 1.0))))
		}
		in.Review.Actions = append(in.Review.Actions, a)
	}
}

// ownerAt is the system's owner at t, "" when it had none.
func ownerAt(s *config.System, t time.Time) string {
	owner := ""
	for _, o := range s.Owners {
		if !o.Since.After(t) {
			owner = o.Owner
		}
	}
	return owner
}

func changeDetail(r *rand.Rand, c *record.Change, at func(time.Time) *time.Time) {
	if c.CreatedAt != nil && c.Authorized && c.Type != record.TypeStandard {
		approved := c.CreatedAt.Add(micros(logNormal(r, 20*time.Hour, 1.0)))
		if c.Type == record.TypeEmergency && c.StartedAt != nil && chance(r, 0.5) {
			// emergency changes are often approved after the work began
			approved = c.StartedAt.Add(micros(logNormal(r, 2*time.Hour, 0.8)))
		}
		c.ApprovedAt = at(approved)
	}
	if c.StartedAt != nil && c.Type != record.TypeEmergency && chance(r, 0.8) {
		// Most start within an hour of plan; some slip by days.
		offset := micros(logNormal(r, 20*time.Minute, 1.0))
		if chance(r, 0.12) {
			offset = micros(logNormal(r, 36*time.Hour, 0.8))
		}
		start := c.StartedAt.Add(-offset)
		window := time.Hour
		if c.FinishedAt != nil {
			window = c.FinishedAt.Sub(*c.StartedAt)
		}
		c.PlannedStart = ptrTime(start)
		c.PlannedEnd = ptrTime(start.Add(time.Duration((0.8 + 0.6*r.Float64()) * float64(window))).Truncate(time.Microsecond))
	}
	if c.Outcome == record.OutcomeSuccess && c.Type != record.TypeStandard && chance(r, 0.06) {
		c.Rework = true
	}
	if c.StartedAt != nil && chance(r, 0.01) {
		c.Estimated = []string{"started_at"}
	}
}

func micros(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

func ptrTime(t time.Time) *time.Time { return &t }

// Feedback generates survey answers about the systems, programs and teams
// of cfg in [o.From, o.To): stakeholders rate systems and programs on a 1
// to 5 scale; employees answer pulse surveys about their team, some on 0 to
// 10. About one answer for every four incidents; ordered by id, which
// follows submitted_at.
func Feedback(cfg *config.Config, o Options) []record.Feedback {
	o = o.normalized()
	r := newRand(o.Seed, streamDetail+1)
	n := o.Incidents / 4
	if n == 0 || len(cfg.Systems) == 0 {
		return nil
	}
	w := newWorld(cfg, o)
	times := make([]int64, n)
	for i := range times {
		times[i] = instant(r, w.from, w.to, 0.3)
	}
	slices.Sort(times)
	ids := ids("FB", n)
	out := make([]record.Feedback, n)
	for i := range out {
		f := &out[i]
		*f = record.Feedback{ID: ids[i], Source: o.source(), Audience: record.AudienceStakeholder,
			ScaleMin: 1, ScaleMax: 5, SubmittedAt: time.UnixMicro(times[i]).UTC()}
		mood := 0.0 // how content the answerer is, about -1..1
		switch u := r.Float64(); {
		case u < 0.45:
			s := r.IntN(w.known)
			f.System = w.names[s][0]
			mood = 0.6 - 0.5*w.risk[s] // risk is lognormal around 1
		case u < 0.65:
			f.Program = cfg.Programs[r.IntN(len(cfg.Programs))].ID
			mood = 0.2
		default:
			t := r.IntN(len(w.teams))
			f.Team = w.teams[t]
			f.Audience = record.AudienceEmployee
			mood = 0.5 - (w.slowness[t]-1)*0.5
			if chance(r, 0.5) {
				f.ScaleMin, f.ScaleMax = 0, 10
			}
		}
		x := 0.55 + 0.25*mood + 0.22*r.NormFloat64()
		x = min(max(x, 0), 1)
		f.Score = f.ScaleMin + float64(int(x*(f.ScaleMax-f.ScaleMin)+0.5))
		if chance(r, 0.1) {
			f.Labels = map[string]string{"survey": f.SubmittedAt.Format("2006-01") + " pulse"}
		}
	}
	return out
}

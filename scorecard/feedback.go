package scorecard

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/steward-sh/steward/record"
)

// feedbacks holds every feedback record read from the store (SPEC 2,
// Feedback) and, per subject and audience, their scaled scores by time,
// built for the state in force when it or the feedback changes. A response
// about a system counts for the system, its owner when submitted, its
// program and program manager and the global subject, like an incident; one
// about a program for the program, its manager and global; one about a team
// for that team, when records made it a subject, and global.
type feedbacks struct {
	mu    sync.Mutex
	seq   int64
	byKey map[record.Ref]int
	list  []response
	gen   uint64
	view  *feedbackView
}

type response struct {
	key                   record.Ref
	system, program, team string
	employee              bool
	at                    int64
	scaled                float64 // (score - min) / (max - min)
}

type feedbackView struct {
	st  *state
	gen uint64
	// by subject, then audience (0 stakeholder, 1 employee)
	subjects [][2]series
}

// syncFeedback takes in the feedback written since the last sync; new
// responses make a new generation, as new records do.
func (e *Engine) syncFeedback(ctx context.Context) error {
	if e.opts.Store == nil {
		return nil
	}
	fb := &e.fb
	fb.mu.Lock()
	took := false
	for {
		page, err := e.opts.Store.Feedback(ctx, fb.seq, syncPage)
		if err != nil {
			fb.mu.Unlock()
			return fmt.Errorf("scorecard: read feedback: %w", err)
		}
		for i := range page {
			fb.put(&page[i])
		}
		took = took || len(page) > 0
		if len(page) < syncPage {
			break
		}
	}
	if took {
		fb.gen++
	}
	fb.mu.Unlock()
	if took {
		e.mu.Lock()
		e.gen++
		e.mu.Unlock()
	}
	return nil
}

func (fb *feedbacks) put(f *record.Feedback) {
	if fb.byKey == nil {
		fb.byKey = map[record.Ref]int{}
	}
	fb.seq = max(fb.seq, f.Seq)
	r := response{key: f.Key(), system: f.System, program: f.Program, team: f.Team, employee: f.Audience == record.AudienceEmployee,
		at: micros(f.SubmittedAt), scaled: (f.Score - f.ScaleMin) / (f.ScaleMax - f.ScaleMin)}
	if i, ok := fb.byKey[f.Key()]; ok {
		fb.list[i] = r // a new version replaces the old
		return
	}
	fb.byKey[f.Key()] = len(fb.list)
	fb.list = append(fb.list, r)
}

// viewFor returns the responses by subject for st, building them when st
// or the feedback changed.
func (fb *feedbacks) viewFor(st *state) *feedbackView {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if len(fb.list) == 0 {
		return nil
	}
	if v := fb.view; v != nil && v.st == st && v.gen == fb.gen && len(v.subjects) == len(st.m.subj.list) {
		return v
	}
	m := st.m
	per := make([][2][]point, len(m.subj.list))
	at := newFeedbackAttribution(m)
	var to []int32
	for _, r := range fb.list {
		to = at.subjects(to[:0], &r)
		a := 0
		if r.employee {
			a = 1
		}
		for _, s := range to {
			per[s][a] = append(per[s][a], point{r.at, r.scaled})
		}
	}
	v := &feedbackView{st: st, gen: fb.gen, subjects: make([][2]series, len(per))}
	for s := range per {
		for a := range 2 {
			if len(per[s][a]) > 0 {
				v.subjects[s][a] = newResponses(per[s][a])
			}
		}
	}
	fb.view = v
	return v
}

// feedbackAttribution says which subjects a response counts for.
type feedbackAttribution struct {
	m        *model
	sysIndex map[string]int
}

func newFeedbackAttribution(m *model) *feedbackAttribution {
	sysIndex := make(map[string]int, len(m.systems))
	for i := range m.cfg.Systems {
		sysIndex[m.cfg.Systems[i].ID] = i
	}
	return &feedbackAttribution{m: m, sysIndex: sysIndex}
}

// subjects appends the subjects response r counts for to `to`: global, and
// those of its system (like an incident's), program or team.
func (fa *feedbackAttribution) subjects(to []int32, r *response) []int32 {
	m := fa.m
	to = append(to, m.global)
	add := func(s int32) {
		if s >= 0 && !slices.Contains(to, s) {
			to = append(to, s)
		}
	}
	switch {
	case r.system != "":
		if s, ok := m.cfg.System(r.system); ok {
			sys := &m.systems[fa.sysIndex[s.ID]]
			add(sys.subject)
			if t := sys.tenureAt(r.at); t >= 0 {
				add(sys.tenures[t].owner)
			}
			add(sys.program)
			add(sys.manager)
		}
	case r.program != "":
		if p, ok := m.cfg.Program(r.program); ok {
			add(m.subj.lookup(Subject{RoleProgram, p.ID}))
			add(m.subj.lookup(Subject{RoleProgramManager, p.Manager}))
		}
	case r.team != "":
		add(m.subj.lookup(Subject{RoleTeam, r.team}))
	}
	return to
}

// evidence adds to each subject's evidence the responses submitted in w
// that count for it, as fill counts them.
func (fb *feedbacks) evidence(st *state, out map[Subject]*Evidence, w window) {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if len(fb.list) == 0 || len(out) == 0 {
		return
	}
	bySubject := map[int32]*Evidence{}
	for s, ev := range out {
		if si := st.m.subj.lookup(s); si >= 0 {
			bySubject[si] = ev
		}
	}
	at := newFeedbackAttribution(st.m)
	var to []int32
	for i := range fb.list {
		r := &fb.list[i]
		if !w.in(r.at) {
			continue
		}
		audience := record.AudienceStakeholder
		if r.employee {
			audience = record.AudienceEmployee
		}
		for _, s := range at.subjects(to[:0], r) {
			if ev := bySubject[s]; ev != nil {
				ev.Feedback = append(ev.Feedback, FeedbackEvidence{Source: r.key.Source, ID: r.key.ID, System: r.system, Program: r.program,
					Team: r.team, Audience: string(audience), Satisfaction: r.scaled, SubmittedAt: fromMicros(r.at)})
			}
		}
	}
	for _, ev := range out {
		slices.SortFunc(ev.Feedback, func(a, b FeedbackEvidence) int {
			if c := a.SubmittedAt.Compare(b.SubmittedAt); c != 0 {
				return c
			}
			return compareKeys(a.Source, a.ID, b.Source, b.ID)
		})
	}
}

// newResponses sorts one subject's responses of one audience by time, with
// prefix sums of their scaled scores (several at one time all count).
func newResponses(ps []point) series {
	slices.SortFunc(ps, func(a, b point) int { return cmp.Compare(a.at, b.at) })
	s := series{at: make([]int64, len(ps)), pre: make([]float64, len(ps)+1)}
	for i, p := range ps {
		s.at[i] = p.at
		s.pre[i+1] = s.pre[i] + p.v
	}
	return s
}

// fill sets subject si's feedback KPIs over [from, at) (SPEC 4,
// Satisfaction).
func (v *feedbackView) fill(out *Values, si int32, from, at int64) {
	if v == nil || int(si) >= len(v.subjects) {
		for _, k := range []KPI{FeedbackResponses, FeedbackStakeholder, FeedbackEmployee} {
			out[k] = 0
		}
		return
	}
	var n [2]int
	for a, k := range [2]KPI{SatisfactionStakeholder, SatisfactionEmployee} {
		s := &v.subjects[si][a]
		lo, _ := slices.BinarySearch(s.at, from)
		hi, _ := slices.BinarySearch(s.at, at)
		n[a] = hi - lo
		if n[a] > 0 {
			out[k] = (s.pre[hi] - s.pre[lo]) / float64(n[a])
		}
	}
	out[FeedbackStakeholder], out[FeedbackEmployee] = float64(n[0]), float64(n[1])
	out[FeedbackResponses] = float64(n[0] + n[1])
}

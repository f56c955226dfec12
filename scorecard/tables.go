package scorecard

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math/bits"
	"slices"
	"time"

	"github.com/steward-sh/steward/record"
)

// Tables are the lists of records a subject's evidence is read as: the
// failed changes, the incidents, the reviews missing or late, the failed
// changes recovered, the overdue review action items and the SLA breaches
// of a window. Each has its whole count, which is what the KPIs of the
// window count, and rows.
//
// TablesOf reads them from a whole Evidence (reports list every row, in
// time order). Engine.EvidenceTables reads at most a limit of rows of each
// from the time index, the most recent first: the cost of a window is then
// the rows shown, not the subject's records.
type Tables struct {
	// Limit is the most rows a table holds (0: every row).
	Limit int `json:"limit,omitempty"`
	// CompletedChanges counts the completed changes of the window
	// (changes_completed), which FailedChanges are a share of.
	CompletedChanges int `json:"completed_changes"`
	// FailedChanges are the completed changes that count as failed
	// (changes_failed), by finished_at.
	FailedChanges ChangeTable `json:"failed_changes"`
	// Incidents are the incidents opened in the window (incidents_opened)
	// and those opened before it and still open at its start (the
	// incidents_open of the window before): opened, resolved in the window
	// or open at its end. By opened_at.
	Incidents IncidentTable `json:"incidents"`
	// ReviewsMissingOrLate are the required reviews due in the window
	// that were not complete by their due (review_compliance_ratio's
	// misses), and those due before it still overdue at its end
	// (reviews_overdue). By their due time.
	ReviewsMissingOrLate IncidentTable `json:"reviews_missing_or_late"`
	// RecoveredChanges are the failed changes recovered in the window
	// (failed_deployment_recovery_seconds), by their recovery.
	RecoveredChanges ChangeTable `json:"recovered_changes"`
	// OverdueActions are the review action items past due and not done at
	// the window's end (review_actions_overdue), by their due time.
	OverdueActions ActionTable `json:"overdue_actions"`
	// SLABreaches are the incidents resolved in the window later than
	// their severity's target (sla_breach_ratio's breaches), by
	// resolved_at.
	SLABreaches IncidentTable `json:"sla_breaches"`
}

// IncidentTable is one table of incidents: Total rows, of which Rows are
// held.
type IncidentTable struct {
	Total int                `json:"total"`
	Rows  []IncidentEvidence `json:"rows"`
}

// ChangeTable is one table of changes.
type ChangeTable struct {
	Total int              `json:"total"`
	Rows  []ChangeEvidence `json:"rows"`
}

// ActionTable is the table of overdue review action items.
type ActionTable struct {
	Total int             `json:"total"`
	Rows  []OverdueAction `json:"rows"`
}

// OverdueAction is a review action item past due and not done at the
// window's end, with its incident.
type OverdueAction struct {
	Incident IncidentEvidence `json:"incident"`
	Action   ActionEvidence   `json:"action"`
}

// The rules of the tables: which of a whole evidence's records each lists
// and by which time. Engine.EvidenceTables reads the same rows from the
// populations these times place records in; the tests hold the two to
// the same rows.
func failedRow(c *ChangeEvidence) bool    { return c.Failed }
func recoveredRow(c *ChangeEvidence) bool { return c.RecoveredInPeriod }
func incidentRow(in *IncidentEvidence) bool {
	return in.OpenedInPeriod || in.ResolvedInPeriod || in.OpenAtEnd
}
func reviewRow(in *IncidentEvidence) bool {
	bad := in.ReviewStatus == ReviewLate || in.ReviewStatus == ReviewMissing
	return bad && (in.ReviewDueInPeriod || in.ReviewOverdueAtEnd)
}
func breachRow(in *IncidentEvidence) bool { return in.ResolvedInPeriod && in.SLABreached }

func failedKey(c *ChangeEvidence) time.Time      { return c.FinishedAt }
func recoveredKey(c *ChangeEvidence) time.Time   { return *c.RecoveredAt }
func incidentKey(in *IncidentEvidence) time.Time { return in.OpenedAt }
func reviewKey(in *IncidentEvidence) time.Time   { return *in.ReviewDue }
func breachKey(in *IncidentEvidence) time.Time   { return *in.ResolvedAt }

func actionKey(a *OverdueAction) time.Time { return *a.Action.Due }

// TablesOf reads the tables of a whole evidence (not one of
// EvidenceTables). With limit ≤ 0 every row is kept, in the evidence's
// time order (oldest first); otherwise each table keeps its limit of rows,
// the most recent first, as EvidenceTables does.
func TablesOf(ev *Evidence, limit int) *Tables {
	t := &Tables{Limit: max(limit, 0)}
	if ev == nil {
		return t
	}
	for i := range ev.Changes {
		if ev.Changes[i].Completed {
			t.CompletedChanges++
		}
	}
	t.FailedChanges = ChangeTable(table(ev.Changes, failedRow, failedKey, limit, changeRef))
	t.RecoveredChanges = ChangeTable(table(ev.Changes, recoveredRow, recoveredKey, limit, changeRef))
	t.Incidents = IncidentTable(table(ev.Incidents, incidentRow, incidentKey, limit, incidentRef))
	t.ReviewsMissingOrLate = IncidentTable(table(ev.Incidents, reviewRow, reviewKey, limit, incidentRef))
	t.SLABreaches = IncidentTable(table(ev.Incidents, breachRow, breachKey, limit, incidentRef))
	var actions []OverdueAction
	for _, in := range ev.Incidents {
		for _, a := range in.Actions {
			if a.OverdueAtEnd {
				actions = append(actions, OverdueAction{Incident: in, Action: a})
			}
		}
	}
	t.OverdueActions = ActionTable(table(actions, func(*OverdueAction) bool { return true }, actionKey, limit,
		func(a *OverdueAction) [3]string { return [3]string{a.Incident.Source, a.Incident.ID, a.Action.ID} }))
	return t
}

type rows[T any] struct {
	Total int
	Rows  []T
}

func changeRef(c *ChangeEvidence) [3]string      { return [3]string{c.Source, c.ID} }
func incidentRef(in *IncidentEvidence) [3]string { return [3]string{in.Source, in.ID} }

// table keeps the rows of list that ok lists: all, or with limit > 0 the
// limit most recent by key (ties by ref).
func table[T any](list []T, ok func(*T) bool, key func(*T) time.Time, limit int, ref func(*T) [3]string) rows[T] {
	var out []T
	for i := range list {
		if ok(&list[i]) {
			out = append(out, list[i])
		}
	}
	r := rows[T]{Total: len(out), Rows: out}
	if limit > 0 {
		slices.SortStableFunc(r.Rows, func(a, b T) int { return recentFirst(key(&a), key(&b), ref(&a), ref(&b)) })
		r.Rows = r.Rows[:min(limit, len(r.Rows))]
	}
	if r.Rows == nil {
		r.Rows = []T{}
	}
	return r
}

// recentFirst orders rows the most recent first, rows of the same time by
// their keys (source, id, and an action's id).
func recentFirst(a, b time.Time, ra, rb [3]string) int {
	if c := b.Compare(a); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(ra[0], rb[0]), cmp.Compare(ra[1], rb[1]), cmp.Compare(ra[2], rb[2]))
}

// EvidenceTables is Evidence for a page that shows at most limit rows of
// each table: each subject's Evidence has its Systems and Feedback whole,
// no Incidents or Changes, and its Tables. Their whole counts come from
// the time index as the KPIs' values do (the same populations and
// records changed since the index was built), and their rows are the most
// recent of each table, read from those populations' members, whose record
// slots the index keeps. A window costs the rows shown and a few binary
// searches per pool, not the subject's records.
func (e *Engine) EvidenceTables(ctx context.Context, subjects []Subject, from, to time.Time, limit int) (map[Subject]*Evidence, error) {
	if !from.Before(to) {
		return nil, fmt.Errorf("scorecard: evidence: start %s is not before end %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if limit <= 0 {
		return nil, fmt.Errorf("scorecard: evidence tables: the row limit %d is not positive", limit)
	}
	st, _, done, err := e.read(ctx)
	if err != nil {
		return nil, err
	}
	w := window{micros(from.UTC()), micros(to.UTC())}
	meas := e.meas.viewFor(st.m.cfg)
	ev := e.newEvaluator(st, allKPIs)
	out := make(map[Subject]*Evidence, len(subjects))
	for _, s := range subjects {
		si := st.m.subj.lookup(s)
		if si < 0 {
			continue
		}
		evd := &Evidence{Subject: s, From: fromMicros(w.from), To: fromMicros(w.at), Incidents: []IncidentEvidence{},
			Changes: []ChangeEvidence{}, Feedback: []FeedbackEvidence{}}
		var measured map[int32]*MeasurementEvidence
		if slices.Contains(st.m.subj.definedKPIs(si), MeasurementCoverageRatio) {
			measured = meas.evidence(st, si, w.from, w.at)
		}
		evd.Systems = st.systemEvidence(si, w, measured)
		sortEvidence(evd)
		evd.Tables = ev.tables(si, w, limit)
		out[s] = evd
	}
	e.fb.evidence(st, out, w)
	done()
	if finder, ok := e.opts.Store.(RecordFinder); ok {
		if err := FillTableTitles(ctx, finder, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FillTableTitles sets the titles of the incidents the tables of evidence
// hold, from a store that finds records by key.
func FillTableTitles(ctx context.Context, finder RecordFinder, out map[Subject]*Evidence) error {
	return fillTitles(ctx, finder, func(fn func(*IncidentEvidence)) {
		for _, ev := range out {
			if t := ev.Tables; t != nil {
				for _, list := range [][]IncidentEvidence{t.Incidents.Rows, t.ReviewsMissingOrLate.Rows, t.SLABreaches.Rows} {
					for i := range list {
						fn(&list[i])
					}
				}
				for i := range t.OverdueActions.Rows {
					fn(&t.OverdueActions.Rows[i].Incident)
				}
			}
		}
	})
}

// tables reads subject si's tables of window w, at most limit rows each.
func (ev *evaluator) tables(si int32, w window, limit int) *Tables {
	st, x := ev.st, ev.x
	// the window, and what was placed before it: the pools, then the
	// delta on top, as the KPIs count
	ts := ev.tallyPlan(si, newPlan([]int64{w.at, w.from}, []int64{w.at - w.from, 1}))
	ev.addDelta(&ts[0], si, w.from, w.at)
	ev.addDelta(&ts[1], si, w.from-1, w.from)
	t, before := &ts[0], &ts[1]
	opened, openedBefore := 0, 0
	for p := popOpened1; p <= popOpened5; p++ {
		opened += t.n[p]
		openedBefore += before.below[p]
	}
	out := &Tables{Limit: limit, CompletedChanges: t.n[popCompleted]}
	out.FailedChanges.Total = t.n[popFailedOutcome] + t.n[popCauseLinked]
	// incidents opened in the window, and those open at its start
	out.Incidents.Total = opened + openedBefore - before.below[popResolved] - before.below[popResolvedEstimated]
	// reviews due in the window and not complete by their due, and those
	// due before it and not settled before its end
	out.ReviewsMissingOrLate.Total = t.n[popReviewDue] - t.n[popReviewOnTime] +
		before.below[popReviewDue] - before.below[popReviewSettled] - ev.settledInFromBefore(si, w)
	out.RecoveredChanges.Total = t.n[popRecovery]
	out.OverdueActions.Total = t.below[popActionDue] - t.below[popActionDueDone]
	out.SLABreaches.Total = t.n[popBreach]

	var ms []member
	// incident members of slot i as it is now
	members := func(i int32) []member {
		ms = st.r.incidentMembers(ms[:0], &x.incidents[i], st.m.incAttr[i])
		return ms
	}
	inWindow := func(mb member) bool { return mb.key >= w.from }

	failed := picker{limit: limit, total: out.FailedChanges.Total}
	ev.walk(si, 1<<popFailedOutcome|1<<popCauseLinked, w.at, func(mb member, slot int32) bool {
		if !inWindow(mb) || failed.full(mb.key) {
			return false
		}
		if mb.pop != popCauseLinked || counts(mb.key, mb.val, w.at) {
			failed.add(mb.key, slot, 0)
		}
		return true
	})
	incidents := picker{limit: limit, total: out.Incidents.Total}
	ev.walk(si, openedPops, w.at, func(mb member, slot int32) bool {
		if incidents.full(mb.key) {
			return false
		}
		if !inWindow(mb) { // opened before the window: listed if open at its start
			for _, r := range members(slot) {
				if (r.pop == popResolved || r.pop == popResolvedEstimated) && r.key < w.from {
					return true
				}
			}
		}
		incidents.add(mb.key, slot, 0)
		return true
	})
	reviews := picker{limit: limit, total: out.ReviewsMissingOrLate.Total}
	ev.walk(si, 1<<popReviewDue, w.at, func(mb member, slot int32) bool {
		if reviews.full(mb.key) {
			return false
		}
		for _, r := range members(slot) {
			if inWindow(mb) && r.pop == popReviewOnTime || !inWindow(mb) && r.pop == popReviewSettled && r.key < w.at {
				return true // on time; or due before the window and settled before its end
			}
		}
		reviews.add(mb.key, slot, 0)
		return true
	})
	recovered := picker{limit: limit, total: out.RecoveredChanges.Total}
	ev.walk(si, 1<<popRecovery, w.at, func(mb member, slot int32) bool {
		if !inWindow(mb) || recovered.full(mb.key) {
			return false
		}
		if w.at <= mb.until {
			recovered.add(mb.key, slot, 0)
		}
		return true
	})
	actions := picker{limit: limit, total: out.OverdueActions.Total}
	ev.walk(si, 1<<popActionDue, w.at, func(mb member, slot int32) bool {
		if actions.full(mb.key) {
			return false
		}
		// the items of the incident placed at this time (actionMembers'
		// rule) that are not done before the end
		in := &x.incidents[slot]
		c := max(in.reviewDone, in.opened)
		for k, a := range x.extra(in).actions {
			if due := st.r.actionDueAt(in, &a); due != absent && max(c, due) == mb.key && (a.done == absent || a.done >= w.at) {
				// the table's order is the due time, which is no later
				// than the member's: the walk stops once its members
				// come before the limit's due times
				actions.addAt(mb.key, due, slot, k)
			}
		}
		return true
	})
	breaches := picker{limit: limit, total: out.SLABreaches.Total}
	ev.walk(si, 1<<popBreach, w.at, func(mb member, slot int32) bool {
		if !inWindow(mb) || breaches.full(mb.key) {
			return false
		}
		breaches.add(mb.key, slot, 0)
		return true
	})

	described := map[int32]*IncidentEvidence{}
	incident := func(slot int32) *IncidentEvidence {
		if it, ok := described[slot]; ok {
			return it
		}
		var it *IncidentEvidence
		it, ms = st.incidentEvidence(x, int(slot), w, ms)
		described[slot] = it
		return it
	}
	incRows := func(p *picker) []IncidentEvidence {
		rows := make([]IncidentEvidence, 0, len(p.got))
		for _, g := range p.sorted(x.incKey, limit) {
			if it := incident(g.slot); it != nil {
				rows = append(rows, *it)
			}
		}
		return rows
	}
	chgRows := func(p *picker) []ChangeEvidence {
		rows := make([]ChangeEvidence, 0, len(p.got))
		for _, g := range p.sorted(x.chgKey, limit) {
			var it *ChangeEvidence
			if it, ms = st.changeEvidence(x, int(g.slot), w, ms); it != nil {
				rows = append(rows, *it)
			}
		}
		return rows
	}
	out.FailedChanges.Rows = chgRows(&failed)
	out.RecoveredChanges.Rows = chgRows(&recovered)
	out.Incidents.Rows = incRows(&incidents)
	out.ReviewsMissingOrLate.Rows = incRows(&reviews)
	out.SLABreaches.Rows = incRows(&breaches)
	out.OverdueActions.Rows = make([]OverdueAction, 0, len(actions.got))
	for _, g := range actions.sorted(x.incKey, limit) {
		if it := incident(g.slot); it != nil && g.aux < len(it.Actions) {
			out.OverdueActions.Rows = append(out.OverdueActions.Rows, OverdueAction{Incident: *it, Action: it.Actions[g.aux]})
		}
	}
	return out
}

// picker gathers the rows of a table as a walk visits them, the most
// recent first: up to limit, with every row of the same time as the last
// (the ties are ordered by key afterwards), and none once all the table's
// rows are found.
type picker struct {
	limit, total int
	got          []picked
	seen         map[picked]bool
	// kth is the limit-th latest order time of the first kthOf rows
	kth   int64
	kthOf int
}

// picked is a row: a record's slot, at the time the walk placed it, the
// time the table orders it by (no later), and for an action item its
// number.
type picked struct {
	key, ord int64
	slot     int32
	aux      int
}

// full reports whether the walk is done before a member placed at key:
// every row is found, or the limit's rows are ordered after key.
func (p *picker) full(key int64) bool {
	n := len(p.got)
	if n >= p.total {
		return true
	}
	if n < p.limit {
		return false
	}
	if p.kthOf != n {
		ords := make([]int64, n)
		for i, g := range p.got {
			ords[i] = g.ord
		}
		slices.Sort(ords)
		p.kth, p.kthOf = ords[n-p.limit], n
	}
	return key < p.kth
}

func (p *picker) add(key int64, slot int32, aux int) { p.addAt(key, key, slot, aux) }

// addAt adds a row placed at key, ordered by ord.
func (p *picker) addAt(key, ord int64, slot int32, aux int) {
	g := picked{key, ord, slot, aux}
	if p.seen == nil {
		p.seen = map[picked]bool{}
	}
	if !p.seen[g] { // a record the walk meets twice at one time
		p.seen[g] = true
		p.got = append(p.got, g)
	}
}

// sorted returns the rows, the most recent first and those of the same
// time by key (refOf gives a slot's), at most limit.
func (p *picker) sorted(refOf func(int) record.Ref, limit int) []picked {
	slices.SortStableFunc(p.got, func(a, b picked) int {
		if c := cmp.Compare(b.ord, a.ord); c != 0 {
			return c
		}
		ra, rb := refOf(int(a.slot)), refOf(int(b.slot))
		return cmp.Or(compareKeys(ra.Source, ra.ID, rb.Source, rb.ID), cmp.Compare(a.aux, b.aux))
	})
	return p.got[:min(limit, len(p.got))]
}

// settledInFromBefore counts subject si's reviews settled in w that were
// due before it: with those settled before w, the reviews due before w
// that are not overdue at its end.
func (ev *evaluator) settledInFromBefore(si int32, w window) int {
	st, ti := ev.st, ev.st.ti
	if k, _ := ev.kinds(si); !k.has(popReviewSettled) {
		return 0
	}
	n := 0
	counted := func(key, val int64) bool { return w.in(key) && key-val < w.from }
	if int(si) < len(ti.subjPools) {
		for _, q := range ti.subjPools[si] {
			sp := ti.spans[int(q)*int(numPop)+int(popReviewSettled)]
			if sp.lo == sp.hi {
				continue
			}
			keys, pre, _ := ti.part(sp, popReviewSettled)
			b := lowerBound(keys, 0, keys.n, w.at)
			for i := lowerBound(keys, 0, b, w.from); i < b; i++ {
				if counted(keys.at(i), pre[i+1]-pre[i]) {
					n++
				}
			}
		}
	}
	for _, ref := range st.delta[si] {
		ms, sign := ev.refMembers(ref, allPops)
		for _, mb := range ms {
			if mb.pop == popReviewSettled && counted(mb.key, mb.val) {
				n += sign
			}
		}
	}
	return n
}

// walk visits the members of the populations in ps that subject si
// counts, placed before at, the most recent first, with their records'
// slots, until fn returns false: its pools' members (but those of records
// changed since the index was built) and the delta's, as the records are
// now. ps holds listed populations only.
func (ev *evaluator) walk(si int32, ps popSet, at int64, fn func(mb member, slot int32) bool) {
	st, ti := ev.st, ev.st.ti
	k, global := ev.kinds(si)
	ps &= counted(k, global)
	var h cursors
	if int(si) < len(ti.subjPools) {
		for _, q := range ti.subjPools[si] {
			spans := ti.spans[int(q)*int(numPop):][:numPop]
			for qs := ps & ti.held[q]; qs != 0; qs &= qs - 1 {
				p := pop(bits.TrailingZeros64(uint64(qs)))
				keys, pre, until := ti.part(spans[p], p)
				if i := lowerBound(keys, 0, keys.n, at) - 1; i >= 0 {
					h = append(h, &cursor{keys: keys, pre: pre, until: until, ids: ti.partIDs(spans[p], p), i: i, p: p})
				}
			}
		}
	}
	h = append(h, ev.deltaCursors(si, ps, at)...)
	heap.Init(&h)
	for len(h) > 0 {
		c := h[0]
		i := c.i
		mb := member{pop: c.p, key: c.keys.at(i)}
		if c.pre != nil {
			mb.val = c.pre[i+1] - c.pre[i]
		}
		if c.until != nil {
			mb.until = c.until[i]
		}
		slot := c.ids[i]
		if c.i--; c.i < 0 {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
		if !c.fresh && st.changedSince(c.p, slot) {
			continue
		}
		if !fn(mb, slot) {
			return
		}
	}
}

// changedSince reports whether the record of a member of population p in
// slot was changed since the time index was built: the delta holds it.
func (st *state) changedSince(p pop, slot int32) bool {
	if pops[p].change {
		_, ok := st.chgPrior[int(slot)]
		return ok
	}
	_, ok := st.incPrior[int(slot)]
	return ok
}

// deltaCursors are cursors over the members of the populations in ps of
// the delta's records of subject si as they are now, placed before at.
func (ev *evaluator) deltaCursors(si int32, ps popSet, at int64) []*cursor {
	type fresh struct {
		mb   member
		slot int32
	}
	var byPop [numPop][]fresh
	for _, ref := range ev.st.delta[si] {
		if ref.old {
			continue
		}
		ms, _ := ev.refMembers(ref, allPops)
		for _, mb := range ms {
			if ps&(1<<mb.pop) != 0 && mb.key < at {
				byPop[mb.pop] = append(byPop[mb.pop], fresh{mb, ref.slot})
			}
		}
	}
	var out []*cursor
	for p, list := range byPop {
		if len(list) == 0 {
			continue
		}
		slices.SortFunc(list, func(a, b fresh) int { return cmp.Compare(a.mb.key, b.mb.key) })
		keys := make([]int64, len(list))
		c := &cursor{p: pop(p), fresh: true, i: len(list) - 1, ids: make([]int32, len(list)),
			pre: make([]int64, len(list)+1), until: make([]int64, len(list))}
		for i, f := range list {
			keys[i], c.ids[i], c.until[i] = f.mb.key, f.slot, f.mb.until
			c.pre[i+1] = c.pre[i] + f.mb.val
		}
		c.keys = stampsOf(keys)
		out = append(out, c)
	}
	return out
}

// cursor walks down one part's members (or the delta's of one
// population); i is the next one.
type cursor struct {
	keys       stamps
	pre, until []int64
	ids        []int32
	i          int
	p          pop
	fresh      bool // the delta's: records as they are now
}

// cursors is a heap of cursors, the one with the latest next member on
// top.
type cursors []*cursor

func (h cursors) Len() int           { return len(h) }
func (h cursors) Less(a, b int) bool { return h[a].keys.at(h[a].i) > h[b].keys.at(h[b].i) }
func (h cursors) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *cursors) Push(x any)        { *h = append(*h, x.(*cursor)) }
func (h *cursors) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

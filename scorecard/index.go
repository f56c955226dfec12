package scorecard

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/steward-sh/steward/record"
)

// absent marks a missing timestamp in the compact records.
const absent = math.MinInt64

// micros converts a time to unix microseconds, the index's clock.
func micros(t time.Time) int64 { return t.UnixMicro() }

func optMicros(t *time.Time) int64 {
	if t == nil {
		return absent
	}
	return t.UnixMicro()
}

// incident is the part of a record.Incident the KPIs need, kept compact so
// millions fit in memory: strings are symbols, the key is the slot's number
// in the index's incident keys, and nothing is a pointer.
type incident struct {
	opened         int64
	acked          int64
	resolved       int64
	reviewDone     int64
	impactStarted  int64
	mitigated      int64
	category       sym
	system, team   sym
	impact         sym
	cause          int32 // the number of the change key it names, -1 none
	severity       int8
	reviewRequired int8 // -1: by policy
	estimated      estimated
	// extra is the number of the review's sign-offs and action items in
	// the index's extras, -1 without any.
	extra int32
}

// incExtra is what an incident's review holds beyond its times: few
// incidents have any, so they are kept apart, immutable once stored (a
// new version of the record gets a new entry, for the delta to take the
// old one back).
type incExtra struct {
	signoffs []signoff
	actions  []action
}

// Sign-off roles, as bits of the policy's set (record.SignoffRoles order).
const (
	signSystemOwner uint8 = iota
	signProgramManager
	signProcessOwner
	numSignRoles
)

type signoff struct {
	role   uint8
	person sym
	at     int64
}

// action is a review's follow-up item: due absent when policy sets it,
// done absent while open.
type action struct {
	id        string
	due, done int64
}

// seg is one stretch of a failed change's recovery through the incidents
// naming it (SPEC 4, Recovery): while the incidents opened before `at` are
// those opened before until, and all of them are resolved, the change
// recovered at `at` (the latest resolution); est says that time was an
// estimate.
type seg struct {
	at, until int64
	est       bool
}

// estimated marks the times of a record a collector had to estimate (SPEC
// 2, estimated): a duration that starts or ends on one is left out of
// every mean, percentile and ratio of durations (SPEC 4, Times).
type estimated uint16

const (
	estOpened    estimated = 1 << iota // an incident's opened_at
	estAcked                           // acknowledged_at
	estRestored                        // resolved_at, or closed_at standing in for it
	estCreated                         // a change's created_at
	estFinished                        // finished_at
	estApproved                        // approved_at
	estImpact                          // an incident's impact_started_at
	estMitigated                       // mitigated_at
	estAny                             // any time at all, listed or not above
	// the fields as the record names them, for the evidence: estRestored
	// is whichever of resolved_at and closed_at stands for the restoration
	estResolvedAt
	estClosedAt
	estStarted // a change's started_at
	estPlannedStart
	estPlannedEnd
)

// estimatedField names a time field of a record and its bit.
type estimatedField struct {
	bit  estimated
	name string
}

// The time fields of each kind of record, in SPEC section 2's order.
var (
	incidentTimes = []estimatedField{{estImpact, "impact_started_at"}, {estOpened, "opened_at"}, {estAcked, "acknowledged_at"},
		{estMitigated, "mitigated_at"}, {estResolvedAt, "resolved_at"}, {estClosedAt, "closed_at"}}
	changeTimes = []estimatedField{{estCreated, "created_at"}, {estApproved, "approved_at"}, {estPlannedStart, "planned_start"},
		{estPlannedEnd, "planned_end"}, {estStarted, "started_at"}, {estFinished, "finished_at"}}
)

// names lists the fields of e among fields; nil when none.
func (e estimated) names(fields []estimatedField) []string {
	var out []string
	for _, f := range fields {
		if e&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

func incidentEstimated(r *record.Incident) estimated {
	var e estimated
	for _, f := range r.Estimated {
		e |= estAny
		switch {
		case f == "opened_at":
			e |= estOpened
		case f == "acknowledged_at":
			e |= estAcked
		case f == "impact_started_at":
			e |= estImpact
		case f == "mitigated_at":
			e |= estMitigated
		case f == "resolved_at" && r.ResolvedAt != nil, f == "closed_at" && r.ResolvedAt == nil:
			e |= estRestored
		}
		switch f {
		case "resolved_at":
			e |= estResolvedAt
		case "closed_at":
			e |= estClosedAt
		}
	}
	return e
}

func changeEstimated(r *record.Change) estimated {
	var e estimated
	for _, f := range r.Estimated {
		e |= estAny
		switch f {
		case "created_at":
			e |= estCreated
		case "finished_at":
			e |= estFinished
		case "approved_at":
			e |= estApproved
		case "started_at":
			e |= estStarted
		case "planned_start":
			e |= estPlannedStart
		case "planned_end":
			e |= estPlannedEnd
		}
	}
	return e
}

type change struct {
	created  int64
	started  int64
	finished int64
	// causeOpened is the earliest opened_at of the incidents naming this
	// change in caused_by_change (absent when none).
	causeOpened int64
	approved    int64
	plannedEnd  int64
	// next is the finished_at of the next success change of its system
	// after it (set by the state: which changes count depends on the
	// config), absent none.
	next         int64
	key          int32 // its number in the index's change keys
	system, team sym
	env          sym
	typ          sym
	outcome      sym
	// recs is the number of the recovery stretches through the incidents
	// naming it in the index's recs, -1 none.
	recs      int32
	estimated estimated
	flags     chgFlags
	// nextEst says next was an estimate.
	nextEst bool
}

// chgFlags holds a change's yes-or-no fields in one byte, which keeps a
// change at 88 bytes.
type chgFlags uint8

const (
	chgAuthorized chgFlags = 1 << iota
	chgRework
)

func (c *change) authorized() bool { return c.flags&chgAuthorized != 0 }

func (c *change) rework() bool { return c.flags&chgRework != 0 }

// retroactive reports whether a change's work started (else finished)
// before it was created. It is derived rather than stored: one more field
// would make a change 8 bytes larger (96 bytes rather than 88, 8 MB at a
// million changes).
func (c *change) retroactive() bool {
	start := c.started
	if start == absent {
		start = c.finished
	}
	return c.created != absent && start != absent && start < c.created
}

// attrTime is when a change is attributed (SPEC section 4).
func (c *change) attrTime() int64 {
	switch {
	case c.finished != absent:
		return c.finished
	case c.started != absent:
		return c.started
	}
	return c.created
}

// index holds every stored record in memory and follows the store's write
// sequence, so a sync reads only what changed.
type index struct {
	incidents []incident
	changes   []change
	syms      symbols
	// incKeys numbers incident keys by slot; chgKeys numbers change keys,
	// those of stored changes and those only named as a cause, and
	// chgLinks holds, by change key number, the stored change's slot and
	// the incidents naming it.
	incKeys, chgKeys keys
	chgLinks         []causeLinks
	// nextCiting chains, by incident slot, the incidents naming the same
	// change (-1 ends a chain).
	nextCiting     []int32
	incSeq, chgSeq int64
	// touched lists record slots replaced or added since the attribution
	// was last brought up to date; replaced keeps the first earlier version
	// of each replaced slot, for an incremental recompute to take back.
	touchedInc, touchedChg []int
	replacedInc            map[int]incident
	replacedChg            map[int]change
	// dirtyCauses are the change keys whose citing incidents changed.
	dirtyCauses map[int32]bool
	// extras and recs hold the variable parts of incidents and changes,
	// numbered by their extra and recs fields; entries no record version
	// uses any more are dropped by compact. live counts those in use.
	extras             []incExtra
	recs               [][]seg
	liveExtra, liveRec int
}

// causeLinks ties a change key to its stored change and the incidents that
// name it.
type causeLinks struct {
	slot   int32 // -1 while no change with the key is stored
	citing int32 // first incident naming it, -1 none; chained by nextCiting
}

func newIndex() *index {
	return &index{syms: newSymbols(), incKeys: newKeys(), chgKeys: newKeys(),
		replacedInc: map[int]incident{}, replacedChg: map[int]change{}, dirtyCauses: map[int32]bool{}}
}

// incKey and chgKey return the key of the incident or change in slot i.
func (x *index) incKey(i int) record.Ref { return x.ref(&x.incKeys, i) }

func (x *index) chgKey(i int) record.Ref { return x.ref(&x.chgKeys, int(x.changes[i].key)) }

// causeKey returns the key of the change an incident names.
func (x *index) causeKey(in *incident) record.Ref { return x.ref(&x.chgKeys, int(in.cause)) }

func (x *index) ref(ks *keys, k int) record.Ref {
	source, id := ks.key(k)
	return record.Ref{Source: x.syms.name(source), ID: id}
}

// reserve makes room for the records of a batch, so that a bulk load
// allocates each array once, at its size, rather than growing it by a
// quarter at a time and keeping the slack.
func (x *index) reserve(incidents []record.Incident, changes []record.Change) {
	x.incidents = slices.Grow(x.incidents, len(incidents))
	x.nextCiting = slices.Grow(x.nextCiting, len(incidents))
	x.changes = slices.Grow(x.changes, len(changes))
	x.chgLinks = slices.Grow(x.chgLinks, len(changes))
	size := 0
	for i := range incidents {
		size += len(incidents[i].ID) + 1
	}
	x.incKeys.reserve(len(incidents), size)
	size = 0
	for i := range changes {
		size += len(changes[i].ID) + 1
	}
	x.chgKeys.reserve(len(changes), size)
}

// syncPage is how many records a sync asks the store for at a time.
const syncPage = 50000

func (x *index) putIncident(r *record.Incident) {
	in := incident{
		system:         x.syms.id(r.System),
		team:           x.syms.id(r.Team),
		impact:         x.syms.id(string(r.Impact)),
		cause:          -1,
		severity:       int8(r.Severity),
		reviewRequired: -1,
		opened:         micros(r.OpenedAt),
		acked:          optMicros(r.AcknowledgedAt),
		resolved:       optMicros(r.Restored()),
		reviewDone:     absent,
		impactStarted:  optMicros(r.ImpactStartedAt),
		mitigated:      optMicros(r.MitigatedAt),
		category:       x.syms.id(r.Category),
		extra:          -1,
	}
	in.estimated = incidentEstimated(r)
	if r.Review != nil && len(r.Review.Signoffs)+len(r.Review.Actions) > 0 {
		var e incExtra
		for _, so := range r.Review.Signoffs {
			role := uint8(slices.Index(record.SignoffRoles, so.Role))
			e.signoffs = append(e.signoffs, signoff{role: role, person: x.syms.id(so.Person), at: micros(so.At)})
		}
		for _, a := range r.Review.Actions {
			e.actions = append(e.actions, action{id: a.ID, due: optMicros(a.Due), done: optMicros(a.DoneAt)})
		}
		in.extra = int32(len(x.extras))
		x.extras = append(x.extras, e)
		x.liveExtra++
	}
	if r.Review != nil {
		if r.Review.Required != nil {
			in.reviewRequired = 0
			if *r.Review.Required {
				in.reviewRequired = 1
			}
		}
		in.reviewDone = optMicros(r.Review.CompletedAt)
	}
	if r.CausedByChange != nil && r.CausedByChange.ID != "" {
		in.cause = x.changeKey(x.syms.id(r.CausedByChange.Source), r.CausedByChange.ID)
	}
	if r.Seq > x.incSeq {
		x.incSeq = r.Seq
	}
	i, added := x.incKeys.add(x.syms.id(r.Source), r.ID)
	if added {
		x.incidents = append(x.incidents, in)
		x.nextCiting = append(x.nextCiting, -1)
	} else {
		old := x.incidents[i]
		if _, seen := x.replacedInc[i]; !seen {
			x.replacedInc[i] = old
		}
		if old.extra >= 0 {
			x.liveExtra--
		}
		x.uncite(old.cause, int32(i))
		x.incidents[i] = in
	}
	x.touchedInc = append(x.touchedInc, i)
	if in.cause >= 0 {
		l := &x.chgLinks[in.cause]
		x.nextCiting[i], l.citing = l.citing, int32(i)
		x.dirtyCauses[in.cause] = true
	}
}

// changeKey numbers a change key, adding it if new.
func (x *index) changeKey(source sym, id string) int32 {
	k, added := x.chgKeys.add(source, id)
	if added {
		x.chgLinks = append(x.chgLinks, causeLinks{slot: -1, citing: -1})
	}
	return int32(k)
}

// uncite takes incident i off the chain of the change it named.
func (x *index) uncite(cause, i int32) {
	if cause < 0 {
		return
	}
	for p := &x.chgLinks[cause].citing; *p >= 0; p = &x.nextCiting[*p] {
		if *p == i {
			*p = x.nextCiting[i]
			x.nextCiting[i] = -1
			break
		}
	}
	x.dirtyCauses[cause] = true
}

func (x *index) putChange(r *record.Change) {
	c := change{
		key:         x.changeKey(x.syms.id(r.Source), r.ID),
		system:      x.syms.id(r.System),
		team:        x.syms.id(r.Team),
		env:         x.syms.id(r.Environment),
		typ:         x.syms.id(string(r.Type)),
		outcome:     x.syms.id(string(r.Outcome)),
		created:     optMicros(r.CreatedAt),
		started:     optMicros(r.StartedAt),
		finished:    optMicros(r.FinishedAt),
		causeOpened: absent,
		recs:        -1,
		next:        absent,
		estimated:   changeEstimated(r),
		approved:    optMicros(r.ApprovedAt),
		plannedEnd:  optMicros(r.PlannedEnd),
	}
	if r.Authorized {
		c.flags |= chgAuthorized
	}
	if r.Rework {
		c.flags |= chgRework
	}
	if r.Seq > x.chgSeq {
		x.chgSeq = r.Seq
	}
	l := &x.chgLinks[c.key]
	i := int(l.slot)
	if i >= 0 {
		if _, seen := x.replacedChg[i]; !seen {
			x.replacedChg[i] = x.changes[i]
		}
		c.causeOpened, c.recs = x.changes[i].causeOpened, x.changes[i].recs
		x.changes[i] = c
	} else {
		i = len(x.changes)
		l.slot = int32(i)
		x.changes = append(x.changes, c)
		// only a change some incident already names needs its link set
		if l.citing >= 0 {
			x.dirtyCauses[c.key] = true
		}
	}
	x.touchedChg = append(x.touchedChg, i)
}

// linkCauses sets causeOpened, the earliest opened_at of the incidents
// naming a change, and its recovery stretches through them, for the
// changes whose citing incidents changed since it last ran. It returns
// those that changed, as they were before.
func (x *index) linkCauses() map[int]change {
	changed := map[int]change{}
	var cites []cite
	for key := range x.dirtyCauses {
		l := x.chgLinks[key]
		if l.slot < 0 {
			continue
		}
		cites = cites[:0]
		for i := l.citing; i >= 0; i = x.nextCiting[i] {
			in := &x.incidents[i]
			cites = append(cites, cite{opened: in.opened, restored: in.resolved, est: in.estimated&estRestored != 0})
		}
		first, segs := recoveries(cites)
		c := &x.changes[l.slot]
		if c.causeOpened == first && slices.Equal(x.segs(c.recs), segs) {
			continue
		}
		if _, seen := changed[int(l.slot)]; !seen {
			changed[int(l.slot)] = *c
		}
		c.causeOpened = first
		if c.recs >= 0 {
			x.liveRec--
		}
		c.recs = -1
		if len(segs) > 0 {
			c.recs = int32(len(x.recs))
			x.recs = append(x.recs, segs)
			x.liveRec++
		}
	}
	x.dirtyCauses = reset(x.dirtyCauses)
	return changed
}

// cite is an incident naming a change as its cause.
type cite struct {
	opened, restored int64
	est              bool
}

// recoveries returns the earliest opening of the incidents naming a
// change, and the stretches of time in which they make its recovery (SPEC
// 4, Recovery): as of `at`, the incidents opened before `at` count, and
// once all of them are resolved the change recovered at the latest
// resolution. Between two openings that set is fixed; a stretch whose
// recovery is not before the next opening never counts and is left out.
func recoveries(cites []cite) (first int64, out []seg) {
	if len(cites) == 0 {
		return absent, nil
	}
	slices.SortFunc(cites, func(a, b cite) int { return cmp.Compare(a.opened, b.opened) })
	latest, known := int64(absent), false
	for g := 0; g < len(cites); {
		h := g
		for ; h < len(cites) && cites[h].opened == cites[g].opened; h++ {
			switch r := cites[h].restored; {
			case r == absent:
				return cites[0].opened, out // unresolved: no recovery from here on
			case r > latest:
				latest, known = r, !cites[h].est
			case r == latest:
				known = known || !cites[h].est
			}
		}
		until := math64Max
		if h < len(cites) {
			until = cites[h].opened
		}
		if latest < until {
			out = append(out, seg{at: latest, until: until, est: !known})
		}
		g = h
	}
	return cites[0].opened, out
}

// segs returns the recovery stretches numbered n (none for -1).
func (x *index) segs(n int32) []seg {
	if n < 0 {
		return nil
	}
	return x.recs[n]
}

// extra returns an incident's sign-offs and action items.
func (x *index) extra(in *incident) *incExtra {
	if in.extra < 0 {
		return &incExtra{}
	}
	return &x.extras[in.extra]
}

// compact drops the extras and recovery stretches no stored record uses
// once they outnumber those in use. Only when nothing else holds an
// earlier version of a record (the state's delta is empty).
func (x *index) compact() {
	if len(x.extras) > 2*x.liveExtra+1024 {
		extras := make([]incExtra, 0, x.liveExtra)
		for i := range x.incidents {
			if in := &x.incidents[i]; in.extra >= 0 {
				extras = append(extras, x.extras[in.extra])
				in.extra = int32(len(extras) - 1)
			}
		}
		x.extras = extras
	}
	if len(x.recs) > 2*x.liveRec+1024 {
		recs := make([][]seg, 0, x.liveRec)
		for i := range x.changes {
			if c := &x.changes[i]; c.recs >= 0 {
				recs = append(recs, x.recs[c.recs])
				c.recs = int32(len(recs) - 1)
			}
		}
		x.recs = recs
	}
}

// trim gives the record arrays back their growth slack. A sync reads the
// store a page at a time, so the arrays of a bulk load grow by appends
// and keep up to a quarter of their length unused (about 30 MB at the
// reference dataset). Only when the state is built anew (the first load,
// a new config): between two builds, appends would only grow them again.
func (x *index) trim() {
	x.incidents, x.nextCiting = fit(x.incidents), fit(x.nextCiting)
	x.changes, x.chgLinks = fit(x.changes), fit(x.chgLinks)
	x.incKeys.trim()
	x.chgKeys.trim()
}

// fit returns s in an array of its length when more than 1/16 of its
// capacity is unused.
func fit[T any](s []T) []T {
	if cap(s)-len(s) <= len(s)/16 {
		return s
	}
	return append(make([]T, 0, len(s)), s...)
}

// settled forgets what was touched once attribution has taken it in.
func (x *index) settled() {
	x.touchedInc, x.touchedChg = resetSlice(x.touchedInc), resetSlice(x.touchedChg)
	x.replacedInc, x.replacedChg = reset(x.replacedInc), reset(x.replacedChg)
}

// largeMap is the size above which a map is made anew rather than cleared:
// Go maps never shrink, and one that took in a bulk load would keep its
// buckets for good.
const largeMap = 4096

// reset empties a map, replacing it when it grew large.
func reset[K comparable, V any](m map[K]V) map[K]V {
	if len(m) > largeMap {
		return map[K]V{}
	}
	clear(m)
	return m
}

// resetSlice empties a slice, letting a large backing array go.
func resetSlice[T any](s []T) []T {
	if cap(s) > largeMap {
		return nil
	}
	return s[:0]
}

package scorecard

import (
	"context"
	"fmt"
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
// millions fit in memory.
type incident struct {
	key            record.Ref
	system, team   string
	severity       int8
	impact         record.Impact
	reviewRequired int8 // -1: by policy
	opened         int64
	acked          int64
	resolved       int64
	reviewDone     int64
	cause          record.Ref // ID "" when none
}

type change struct {
	key          record.Ref
	system, team string
	env          string
	typ          record.ChangeType
	outcome      record.Outcome
	authorized   bool
	created      int64
	started      int64
	finished     int64
	// causeOpened is the earliest opened_at of the incidents naming this
	// change in caused_by_change (absent when none).
	causeOpened int64
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
	incByKey  map[record.Ref]int
	chgByKey  map[record.Ref]int
	incSeq    int64
	chgSeq    int64
	strings   map[string]string
	// gen counts syncs that changed something.
	gen uint64
	// touched lists record slots replaced or added since the attribution
	// was last brought up to date; replaced keeps the first earlier version
	// of each replaced slot, for an incremental recompute to take back.
	touchedInc, touchedChg []int
	replacedInc            map[int]incident
	replacedChg            map[int]change
	// citing lists, per change key, the incidents whose caused_by_change
	// names it; dirtyCauses are the keys whose list changed.
	citing      map[record.Ref][]int32
	dirtyCauses map[record.Ref]bool
}

func newIndex() *index {
	return &index{incByKey: map[record.Ref]int{}, chgByKey: map[record.Ref]int{}, strings: map[string]string{},
		replacedInc: map[int]incident{}, replacedChg: map[int]change{},
		citing: map[record.Ref][]int32{}, dirtyCauses: map[record.Ref]bool{}}
}

// intern shares one copy of repeated strings (system names, teams).
func (x *index) intern(s string) string {
	if v, ok := x.strings[s]; ok {
		return v
	}
	x.strings[s] = s
	return s
}

const syncPage = 50000

// sync reads every record written since the last sync.
func (x *index) sync(ctx context.Context, st record.Store) (int, error) {
	n := 0
	for {
		page, err := st.Incidents(ctx, x.incSeq, syncPage)
		if err != nil {
			return n, fmt.Errorf("scorecard: read incidents: %w", err)
		}
		for i := range page {
			x.putIncident(&page[i])
		}
		n += len(page)
		if len(page) < syncPage {
			break
		}
	}
	for {
		page, err := st.Changes(ctx, x.chgSeq, syncPage)
		if err != nil {
			return n, fmt.Errorf("scorecard: read changes: %w", err)
		}
		for i := range page {
			x.putChange(&page[i])
		}
		n += len(page)
		if len(page) < syncPage {
			break
		}
	}
	if n > 0 {
		x.gen++
	}
	return n, nil
}

func (x *index) putIncident(r *record.Incident) {
	in := incident{
		key:            record.Ref{Source: x.intern(r.Source), ID: r.ID},
		system:         x.intern(r.System),
		team:           x.intern(r.Team),
		severity:       int8(r.Severity),
		impact:         r.Impact,
		reviewRequired: -1,
		opened:         micros(r.OpenedAt),
		acked:          optMicros(r.AcknowledgedAt),
		resolved:       optMicros(r.ResolvedAt),
		reviewDone:     absent,
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
	if r.CausedByChange != nil {
		in.cause = record.Ref{Source: x.intern(r.CausedByChange.Source), ID: r.CausedByChange.ID}
	}
	if r.Seq > x.incSeq {
		x.incSeq = r.Seq
	}
	i, ok := x.incByKey[in.key]
	if ok {
		old := x.incidents[i]
		if _, seen := x.replacedInc[i]; !seen {
			x.replacedInc[i] = old
		}
		x.uncite(old.cause, int32(i))
		x.incidents[i] = in
	} else {
		i = len(x.incidents)
		x.incByKey[in.key] = i
		x.incidents = append(x.incidents, in)
	}
	x.touchedInc = append(x.touchedInc, i)
	if in.cause.ID != "" {
		x.citing[in.cause] = append(x.citing[in.cause], int32(i))
		x.dirtyCauses[in.cause] = true
	}
}

func (x *index) uncite(cause record.Ref, i int32) {
	if cause.ID == "" {
		return
	}
	list := x.citing[cause]
	if j := slices.Index(list, i); j >= 0 {
		list = slices.Delete(list, j, j+1)
	}
	if len(list) == 0 {
		delete(x.citing, cause)
	} else {
		x.citing[cause] = list
	}
	x.dirtyCauses[cause] = true
}

func (x *index) putChange(r *record.Change) {
	c := change{
		key:         record.Ref{Source: x.intern(r.Source), ID: r.ID},
		system:      x.intern(r.System),
		team:        x.intern(r.Team),
		env:         x.intern(r.Environment),
		typ:         r.Type,
		outcome:     r.Outcome,
		authorized:  r.Authorized,
		created:     optMicros(r.CreatedAt),
		started:     optMicros(r.StartedAt),
		finished:    optMicros(r.FinishedAt),
		causeOpened: absent,
	}
	if r.Seq > x.chgSeq {
		x.chgSeq = r.Seq
	}
	i, ok := x.chgByKey[c.key]
	if ok {
		if _, seen := x.replacedChg[i]; !seen {
			x.replacedChg[i] = x.changes[i]
		}
		c.causeOpened = x.changes[i].causeOpened
		x.changes[i] = c
	} else {
		i = len(x.changes)
		x.chgByKey[c.key] = i
		x.changes = append(x.changes, c)
		x.dirtyCauses[c.key] = true
	}
	x.touchedChg = append(x.touchedChg, i)
}

// linkCauses sets causeOpened, the earliest opened_at of the incidents
// naming a change, for the changes whose citing incidents changed since it
// last ran. It returns those whose value changed, with the earlier value.
func (x *index) linkCauses() map[int]int64 {
	changed := map[int]int64{}
	for key := range x.dirtyCauses {
		j, ok := x.chgByKey[key]
		if !ok {
			continue
		}
		first := int64(absent)
		for _, i := range x.citing[key] {
			if o := x.incidents[i].opened; first == absent || o < first {
				first = o
			}
		}
		if c := &x.changes[j]; c.causeOpened != first {
			changed[j] = c.causeOpened
			c.causeOpened = first
		}
	}
	clear(x.dirtyCauses)
	return changed
}

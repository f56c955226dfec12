package scorecard

import (
	"context"
	"fmt"
	"math"
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
	// gen counts syncs that changed something; causesGen is the gen the
	// change→incident links were last computed at.
	gen       uint64
	causesGen uint64
	// touched lists record slots replaced or added since the attribution
	// was last brought up to date.
	touchedInc, touchedChg []int
}

func newIndex() *index {
	return &index{incByKey: map[record.Ref]int{}, chgByKey: map[record.Ref]int{}, strings: map[string]string{}}
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
	if i, ok := x.incByKey[in.key]; ok {
		x.incidents[i] = in
		x.touchedInc = append(x.touchedInc, i)
		return
	}
	x.incByKey[in.key] = len(x.incidents)
	x.touchedInc = append(x.touchedInc, len(x.incidents))
	x.incidents = append(x.incidents, in)
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
	if i, ok := x.chgByKey[c.key]; ok {
		x.changes[i] = c
		x.touchedChg = append(x.touchedChg, i)
		return
	}
	x.chgByKey[c.key] = len(x.changes)
	x.touchedChg = append(x.touchedChg, len(x.changes))
	x.changes = append(x.changes, c)
}

// linkCauses sets each change's causeOpened from the incidents that name it.
// It runs only when records changed since it last ran.
func (x *index) linkCauses() {
	if x.causesGen == x.gen {
		return
	}
	for i := range x.changes {
		x.changes[i].causeOpened = absent
	}
	for i := range x.incidents {
		in := &x.incidents[i]
		if in.cause.ID == "" {
			continue
		}
		j, ok := x.chgByKey[in.cause]
		if !ok {
			continue
		}
		if c := &x.changes[j]; c.causeOpened == absent || in.opened < c.causeOpened {
			c.causeOpened = in.opened
		}
	}
	x.causesGen = x.gen
}

package scorecard

import (
	"context"
	"fmt"
	"time"

	"github.com/steward-sh/steward/config"
)

// Period computes every scorecard over one ad-hoc window [from, to) named
// name: a review period such as a month or a quarter, which no configured
// window matches. The cards' values are evaluated at `to` with the period's
// length as the window; Previous covers the period of the same length just
// before it.
func (e *Engine) Period(ctx context.Context, name string, from, to time.Time) (*Snapshot, error) {
	if !from.Before(to) {
		return nil, fmt.Errorf("scorecard: period %s: start %s is not before end %s", name, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return e.Evaluate(ctx, Query{At: to, Windows: []config.Window{{Name: name, Duration: to.Sub(from)}}})
}

// Trend evaluates the given subjects' KPIs over the window [at-length, at)
// for each at, in order: the points of a trend line. Subjects the engine
// does not know are left out of the answer.
func (e *Engine) Trend(ctx context.Context, subjects []Subject, length time.Duration, ats []time.Time) (map[Subject][]Values, error) {
	series, err := e.trends(ctx, length, ats, allKPIs, func(st *state) []int32 {
		var nums []int32
		for _, s := range subjects {
			if si := st.m.subj.lookup(s); si >= 0 {
				nums = append(nums, si)
			}
		}
		return nums
	})
	if err != nil {
		return nil, err
	}
	out := make(map[Subject][]Values, len(series))
	for _, s := range series {
		out[s.Subject] = s.Points
	}
	return out, nil
}

// TrendQuery selects trend lines: the KPIs of subjects over windows of one
// length ending at each of Ats.
type TrendQuery struct {
	Role    Role   // "": every role
	Subject string // "": every subject of Role
	Length  time.Duration
	Ats     []time.Time
	// KPIs, if not nil, are the only KPIs evaluated (as Query.KPIs): the
	// others have no value.
	KPIs []KPI
	// MaxPoints, if positive, bounds the subjects times the Ats: a query
	// past it is refused (TooManyPoints) before anything is evaluated.
	MaxPoints int
}

// TooManyPoints is the error of a TrendQuery past its MaxPoints.
type TooManyPoints struct{ Subjects, Ats, Max int }

func (e *TooManyPoints) Error() string {
	return fmt.Sprintf("scorecard: trend: %d subjects × %d evaluation times is past %d points", e.Subjects, e.Ats, e.Max)
}

// Series is one subject's trend line.
type Series struct {
	Subject
	// Defined lists the KPIs defined for the subject, in API order.
	Defined []KPI
	// Points holds the values at each of the query's Ats, in their order.
	Points []Values
}

// Trends evaluates the trend lines a query selects, in the order of
// Evaluate's cards; the points of a line are evaluated together, each
// boundary searched for from the last one's.
func (e *Engine) Trends(ctx context.Context, q TrendQuery) ([]Series, error) {
	var tooMany error
	series, err := e.trends(ctx, q.Length, q.Ats, setOf(q.KPIs), func(st *state) []int32 {
		nums := st.m.subj.selected(q.Role, q.Subject)
		if q.MaxPoints > 0 && len(nums)*len(q.Ats) > q.MaxPoints {
			tooMany = &TooManyPoints{len(nums), len(q.Ats), q.MaxPoints}
			return nil
		}
		return nums
	})
	if tooMany != nil {
		return nil, tooMany
	}
	return series, err
}

// trends evaluates the subjects pick chooses, over windows of length
// ending at each of ats, for the KPIs of sel.
func (e *Engine) trends(ctx context.Context, length time.Duration, ats []time.Time, sel set, pick func(*state) []int32) ([]Series, error) {
	if length <= 0 {
		return nil, fmt.Errorf("scorecard: trend: window length %s is not positive", length)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scorecard: trend: %w", err)
	}
	st, _, done, err := e.read(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	nums := pick(st)
	at := make([]int64, len(ats))
	for k, t := range ats {
		at[k] = micros(t.UTC())
	}
	out := make([]Series, len(nums))
	e.parallel(len(nums), func(ev *evaluator, j int) {
		si := nums[j]
		out[j] = Series{Subject: st.m.subj.list[si], Defined: st.m.subj.definedKPIs(si), Points: ev.trend(si, at, length.Microseconds())}
	}, st, sel)
	return out, nil
}

// PreviousCard scores the card's previous-window values as a card of their
// own, so a review can set this period's score beside the last one's.
func (c *Card) PreviousCard(objectives map[string]config.Objective) Card {
	p := Card{Subject: c.Subject, Window: c.Window, Defined: c.Defined, Value: c.Previous, Previous: noValues(),
		NotAccountable: c.PreviousNotAccountable}
	p.score(objectives)
	return p
}

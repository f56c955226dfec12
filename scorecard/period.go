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
	var known []Subject
	var nums []int32
	for _, s := range subjects {
		if si := st.m.subj.lookup(s); si >= 0 {
			known, nums = append(known, s), append(nums, si)
		}
	}
	at := make([]int64, len(ats))
	for k, t := range ats {
		at[k] = micros(t.UTC())
	}
	points := make([][]Values, len(known))
	e.parallel(len(known), func(ev *evaluator, j int) {
		points[j] = ev.trend(nums[j], at, length.Microseconds())
	}, st, allKPIs)
	out := make(map[Subject][]Values, len(known))
	for j, s := range known {
		out[s] = points[j]
	}
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

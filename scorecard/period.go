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
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.prepare(ctx); err != nil {
		return nil, err
	}
	w := config.Window{Name: name, Duration: to.Sub(from)}
	return e.computeWindows(to.UTC(), []config.Window{w}), nil
}

// computeWindows is compute for windows other than the configured ones.
func (e *Engine) computeWindows(at time.Time, windows []config.Window) *Snapshot {
	cfg := e.m.cfg
	s := &Snapshot{At: at, Windows: windows, Objectives: cfg.Objectives, Cards: map[string][]Card{}}
	order := e.m.subj.sorted()
	for _, w := range windows {
		cur := e.m.compute(e.x, e.av, at, w.Duration)
		prev := e.m.compute(e.x, e.av, at.Add(-w.Duration), w.Duration)
		cards := make([]Card, 0, len(order))
		for _, si := range order {
			cards = append(cards, e.card(si, w.Name, cur[si], prev[si]))
		}
		s.Cards[w.Name] = cards
	}
	return s
}

func (e *Engine) card(si int32, window string, cur, prev Values) Card {
	c := Card{Subject: e.m.subj.list[si], Window: window, Value: cur, Previous: prev, Defined: e.m.subj.definedKPIs(si)}
	c.score(e.m.cfg.Objectives)
	return c
}

// Trend evaluates the given subjects' KPIs over the window [at-length, at)
// for each at, in order: the points of a trend line. Subjects the engine
// does not know are left out of the answer.
func (e *Engine) Trend(ctx context.Context, subjects []Subject, length time.Duration, ats []time.Time) (map[Subject][]Values, error) {
	if length <= 0 {
		return nil, fmt.Errorf("scorecard: trend: window length %s is not positive", length)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.prepare(ctx); err != nil {
		return nil, err
	}
	idx := make(map[Subject]int32, len(subjects))
	out := make(map[Subject][]Values, len(subjects))
	for _, s := range subjects {
		if si := e.m.subj.lookup(s); si >= 0 {
			idx[s] = si
			out[s] = make([]Values, 0, len(ats))
		}
	}
	for _, at := range ats {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("scorecard: trend: %w", err)
		}
		vals := e.m.compute(e.x, e.av, at.UTC(), length)
		for s, si := range idx {
			out[s] = append(out[s], vals[si])
		}
	}
	return out, nil
}

// PreviousCard scores the card's previous-window values as a card of their
// own, so a review can set this period's score beside the last one's.
func (c *Card) PreviousCard(objectives map[string]config.Objective) Card {
	p := Card{Subject: c.Subject, Window: c.Window, Defined: c.Defined, Value: c.Previous, Previous: noValues()}
	p.score(objectives)
	return p
}

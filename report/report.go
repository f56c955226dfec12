// Package report builds performance reviews: one or more subjects' KPIs
// over a calendar period (a month, a quarter, a year or any range) against
// the period before, with the records behind them (evidence), trend lines
// and, once a review was frozen, the restatements later data caused. It
// renders them as Markdown, self-contained HTML with inline SVG charts, CSV
// and JSON.
//
// It reads KPIs and evidence only through the Engine interface and keeps
// frozen reviews only through the Archive interface; it never touches a
// store, the clock (Now is given) or the network.
package report

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/fault"
	"github.com/steward-sh/steward/scorecard"
)

// Engine is what a review needs from the KPI engine (*scorecard.Engine).
type Engine interface {
	Evaluate(ctx context.Context, q scorecard.Query) (*scorecard.Snapshot, error)
	Trend(ctx context.Context, subjects []scorecard.Subject, length time.Duration, ats []time.Time) (map[scorecard.Subject][]scorecard.Values, error)
	Evidence(ctx context.Context, subjects []scorecard.Subject, from, to time.Time) (map[scorecard.Subject]*scorecard.Evidence, error)
}

// Report is a review of one or more subjects of one role over a period.
type Report struct {
	Period      Period    `json:"period"`
	Previous    Period    `json:"previous"`
	GeneratedAt time.Time `json:"generated_at"`
	// Provisional is true when the period had not ended at GeneratedAt:
	// its numbers will still change (SPEC 8).
	Provisional bool `json:"provisional"`
	// TrendAt are the ends of the trend buckets (see Period.Buckets).
	TrendAt  []time.Time `json:"trend_at"`
	Subjects []Subject   `json:"subjects"`
}

// Subject is one subject's review with what surrounds it: the trend of each
// KPI across the period, the frozen version it was compared with, and the
// restatement since.
type Subject struct {
	Review
	Trends map[string][]*float64 `json:"trends"`
	// TrendAt are the ends of the trend buckets (Report.TrendAt), for
	// the templates, which render one subject at a time.
	TrendAt     []time.Time  `json:"-"`
	Frozen      *Frozen      `json:"frozen,omitempty"` // the latest frozen version (Content left out)
	Restatement *Restatement `json:"restatement,omitempty"`
	// finalizes is set when the latest frozen version was provisional and
	// this review is not: freezing it stores the final version even if no
	// number moved.
	finalizes bool
}

// Review is the part of a subject's report that a freeze keeps: its
// scorecard and evidence for the period. It depends only on the records
// and the config, so freezing twice without changes gives the same bytes.
type Review struct {
	Role          scorecard.Role      `json:"role"`
	Subject       string              `json:"subject"`
	Period        Period              `json:"period"`
	Score         *float64            `json:"score"`
	PreviousScore *float64            `json:"previous_score"`
	KPIs          []KPI               `json:"kpis"`
	Evidence      *scorecard.Evidence `json:"evidence"`
	// Provisional is kept with a review frozen (by force) before its
	// period ended.
	Provisional bool `json:"provisional,omitempty"`
	// RowLimit, if positive, is the most rows each evidence table of
	// EvidenceHTML shows (the web UI's pages stay light for subjects with
	// tens of thousands of records); the counts stay whole.
	RowLimit int `json:"-"`
}

// KPI is one KPI of a review: its value over the period and the one
// before, its objective and status. Status is "" for a KPI without an
// objective.
type KPI struct {
	Name           string   `json:"name"`
	Value          *float64 `json:"value"`
	Previous       *float64 `json:"previous"`
	Delta          *float64 `json:"delta"`
	Objective      *float64 `json:"objective,omitempty"`
	Warning        *float64 `json:"warning,omitempty"`
	Status         string   `json:"status,omitempty"`
	PreviousStatus string   `json:"previous_status,omitempty"`
	HigherIsBetter bool     `json:"higher_is_better"`
}

// KPI returns the named KPI of the review, if the subject's role has it.
func (r *Review) KPI(name string) (KPI, bool) {
	for _, k := range r.KPIs {
		if k.Name == name {
			return k, true
		}
	}
	return KPI{}, false
}

// Request says what to review. An empty Subject reviews every subject of
// the role.
type Request struct {
	Role    scorecard.Role
	Subject string
	Period  Period
}

// Builder builds reports. Archive is optional: without it reports show no
// frozen versions and cannot be frozen. Titles, if set, supplies incident
// titles the engine's own store could not.
type Builder struct {
	Engine  Engine
	Archive Archive
	Titles  scorecard.RecordFinder
	Now     func() time.Time
}

// Build computes the review a request asks for. A period that has not
// started is refused (an Invalid error); one that has not ended is
// reviewed, marked provisional.
func (b *Builder) Build(ctx context.Context, req Request) (*Report, error) {
	p := req.Period
	now := b.Now().UTC()
	if !p.Started(now) {
		return nil, fault.Errorf(fault.Invalid, "report: period %s has not started: it starts %s", p.Name, bound(p.From))
	}
	if !p.From.Before(p.To) {
		return nil, fault.Errorf(fault.Invalid, "report: period %s: start %s is not before end %s", p.Name, p.From.Format(time.RFC3339), p.To.Format(time.RFC3339))
	}
	// only the subjects the review is about are evaluated
	snap, err := b.Engine.Evaluate(ctx, scorecard.Query{At: p.To, Windows: []config.Window{{Name: p.Name, Duration: p.To.Sub(p.From)}},
		Role: req.Role, Subject: req.Subject})
	if err != nil {
		return nil, fmt.Errorf("report: %w", fault.Default(fault.Unavailable, err))
	}
	cards := snap.Find(p.Name, req.Role, req.Subject)
	if len(cards) == 0 {
		if req.Subject != "" {
			return nil, fault.Errorf(fault.NotFound, "report: no subject %q with role %q", req.Subject, req.Role)
		}
		return nil, fault.Errorf(fault.NotFound, "report: role %q has no subjects", req.Role)
	}
	subjects := make([]scorecard.Subject, len(cards))
	for i := range cards {
		subjects[i] = cards[i].Subject
	}
	evidence, err := b.Engine.Evidence(ctx, subjects, p.From, p.To)
	if err == nil && b.Titles != nil {
		err = scorecard.FillTitles(ctx, b.Titles, evidence)
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", fault.Default(fault.Unavailable, err))
	}
	ats, size := p.Buckets()
	trends, err := b.Engine.Trend(ctx, subjects, size, ats)
	if err != nil {
		return nil, fmt.Errorf("report: %w", fault.Default(fault.Unavailable, err))
	}
	provisional := !p.Ended(now)
	rep := &Report{Period: p, Previous: p.Previous(), GeneratedAt: now, Provisional: provisional, TrendAt: ats}
	for i := range cards {
		c := &cards[i]
		s := Subject{Review: review(snap, p, c, evidence[c.Subject]), Trends: map[string][]*float64{}, TrendAt: ats}
		s.Provisional = provisional
		for _, k := range c.Defined {
			points := make([]*float64, len(ats))
			for j, v := range trends[c.Subject] {
				points[j] = num(v[k])
			}
			s.Trends[k.Name()] = points
		}
		rep.Subjects = append(rep.Subjects, s)
	}
	if b.Archive != nil {
		if err := b.restate(ctx, rep); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// review shapes one card and its evidence.
func review(snap *scorecard.Snapshot, p Period, c *scorecard.Card, ev *scorecard.Evidence) Review {
	prev := c.PreviousCard(snap.Objectives)
	r := Review{Role: c.Role, Subject: c.ID, Period: p, Score: num(c.Score), PreviousScore: num(prev.Score), Evidence: ev}
	for _, k := range c.Defined {
		kv := KPI{Name: k.Name(), Value: num(c.Value[k]), Previous: num(c.Previous[k]), Delta: num(c.Delta(k)), HigherIsBetter: k.HigherIsBetter()}
		if o, ok := snap.Objectives[k.Name()]; ok {
			kv.Objective = num(o.Objective)
			if o.Warning != nil {
				kv.Warning = num(*o.Warning)
			}
			kv.Status = c.Status[k].String()
			kv.PreviousStatus = prev.Status[k].String()
		}
		r.KPIs = append(r.KPIs, kv)
	}
	return r
}

func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

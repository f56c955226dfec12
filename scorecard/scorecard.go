// Package scorecard turns stored records into the KPIs of SPEC section 4 for
// every subject of section 1 and scores them against the configured
// objectives. It keeps the records it needs in memory, follows the store's
// write sequence, and never writes to the store.
package scorecard

import (
	"math"
	"time"

	"github.com/steward-sh/steward/config"
)

// Status is a KPI's standing against its objective.
type Status uint8

const (
	StatusUnscored Status = iota // the KPI has no objective
	StatusMeets
	StatusWarning
	StatusBreach
	StatusNoData
)

var statusNames = [...]string{"", "meets", "warning", "breach", "no_data"}

func (s Status) String() string { return statusNames[s] }

// Code is the value of steward_kpi_status: 0 meets, 1 warning, 2 breach.
// ok is false when there is no such value (unscored or no data).
func (s Status) Code() (float64, bool) {
	switch s {
	case StatusMeets:
		return 0, true
	case StatusWarning:
		return 1, true
	case StatusBreach:
		return 2, true
	}
	return 0, false
}

// Card is one subject's scorecard for one window at one time.
type Card struct {
	Subject
	Window   string
	Score    float64 // NaN when no KPI with an objective has a value
	Defined  []KPI   // the KPIs defined for the subject's role, in API order
	Value    Values
	Previous Values // over [at-2L, at-L), evaluated at at-L
	Status   [numKPI]Status
	// NotAccountable says the subject, a system owner, owned nothing
	// during the window (SPEC 4, Exposure): it has no score, whatever the
	// objectives; PreviousNotAccountable says the same of the previous
	// window.
	NotAccountable, PreviousNotAccountable bool
	// Summaries are the populations of the percentile KPIs, over the
	// window (not the previous one).
	Summaries Summaries
}

// Summary is what a percentile KPI's population adds up to: how many
// durations its percentiles are taken of and their sum in seconds. Its
// metric is a summary (SPEC section 5) whose _count and _sum these are, so
// that _sum / _count is the mean over the very records the percentiles
// cover (for the time to restore, the MTTR).
type Summary struct {
	Count int
	Sum   float64
}

// Summaries holds one Summary per percentile metric. Both are zero when
// the population is empty, and when the subject was accountable for
// nothing during the window (SPEC 4, Exposure).
type Summaries struct {
	ChangeLeadTime, TimeToRestore Summary
}

// Summary returns the population of percentile KPI k (either of its
// quantiles); ok is false for a KPI that is no percentile.
func (c *Card) Summary(k KPI) (s Summary, ok bool) {
	switch k {
	case ChangeLeadTimeP50, ChangeLeadTimeP90:
		return c.Summaries.ChangeLeadTime, true
	case TimeToRestoreP50, TimeToRestoreP90:
		return c.Summaries.TimeToRestore, true
	}
	return Summary{}, false
}

// Delta is Value - Previous (NaN when either has no value).
func (c *Card) Delta(k KPI) float64 { return c.Value[k] - c.Previous[k] }

// Snapshot is every scorecard at one evaluation time.
type Snapshot struct {
	At         time.Time
	Windows    []config.Window
	Objectives map[string]config.Objective
	// Cards per window name, ordered by role then subject id.
	Cards map[string][]Card
}

// Find returns the cards of one window, optionally only a role and
// subject. Cards are ordered by role then subject, so those of a role, or
// of one subject of a role, lie together: Find returns them as the
// snapshot holds them, without a copy (a copy of the reference
// organisation's 5,000 systems' cards is 7 MiB), and callers must not
// change them. Only a subject asked for across roles is gathered in a copy.
func (s *Snapshot) Find(window string, role Role, subject string) []Card {
	all := s.Cards[window]
	match := func(c *Card) bool {
		return (role == "" || c.Role == role) && (subject == "" || c.ID == subject)
	}
	lo := 0
	for lo < len(all) && !match(&all[lo]) {
		lo++
	}
	hi := lo
	for hi < len(all) && match(&all[hi]) {
		hi++
	}
	if lo == hi {
		return nil
	}
	out := all[lo:hi:hi] // full: an append copies it
	for i := hi; i < len(all); i++ {
		if match(&all[i]) {
			out = append(out, all[i])
		}
	}
	return out
}

// status scores one value against an objective.
func status(k KPI, v float64, o config.Objective) Status {
	if math.IsNaN(v) {
		return StatusNoData
	}
	better := func(a, b float64) bool { // a at least as good as b
		if k.HigherIsBetter() {
			return a >= b
		}
		return a <= b
	}
	switch {
	case better(v, o.Objective):
		return StatusMeets
	case o.Warning != nil && better(v, *o.Warning):
		return StatusWarning
	}
	return StatusBreach
}

// score sets each KPI's status and the card's score (SPEC section 4).
func (c *Card) score(objectives map[string]config.Objective) {
	c.scoreBy(objectivesByKPI(objectives))
}

// objectivesByKPI looks the objectives up once, by KPI (nil: none).
func objectivesByKPI(objectives map[string]config.Objective) *[numKPI]*config.Objective {
	var out [numKPI]*config.Objective
	for k := range numKPI {
		if o, ok := objectives[k.Name()]; ok {
			out[k] = &o
		}
	}
	return &out
}

// scoreBy is score with the objectives looked up by KPI.
func (c *Card) scoreBy(objectives *[numKPI]*config.Objective) {
	var meets, warnings, scored float64
	for _, k := range c.Defined {
		o := objectives[k]
		if o == nil {
			continue
		}
		st := status(k, c.Value[k], *o)
		c.Status[k] = st
		switch st {
		case StatusMeets:
			meets++
		case StatusWarning:
			warnings++
		}
		if st != StatusNoData {
			scored++
		}
	}
	c.Score = math.NaN()
	if scored > 0 && !c.NotAccountable {
		c.Score = 100 * (meets + 0.5*warnings) / scored
	}
}

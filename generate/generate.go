// Package generate builds synthetic but realistic Steward datasets: a
// configuration (people, systems with effective-dated owners, programs,
// processes, policy, objectives) and incident and change records for it, so
// that every KPI has interesting values in demos, examples and benchmarks.
//
// Output depends only on its inputs: the same Options (and config) give
// byte-identical output. The generator never reads the clock, the network or
// a store, and its records always pass the record package's validation.
package generate

import "time"

// reference is the default end of the generated period, fixed so that
// DefaultOptions is reproducible; callers usually pass time.Now as To.
var reference = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// defaultSpan is the generated period when From is not set.
const defaultSpan = 180 * 24 * time.Hour

// Options sizes a dataset. Records fall in [From, To); a zero To means
// 2026-01-01T00:00:00Z, a zero From 180 days before To. Counts below the
// minimum a config needs (one system, owner, program and team) are raised
// to it.
type Options struct {
	Seed                             int64
	Systems, Owners, Programs, Teams int
	Incidents, Changes               int
	From, To                         time.Time
	// Source is the records' source; empty means SourceGenerated. The demo
	// data is SourceDemo, so that the two never share a key (source, id)
	// and a generated dataset posted to a daemon adds to its demo data
	// instead of replacing it.
	Source string
}

// Sources of generated records.
const (
	SourceGenerated = "generated"
	SourceDemo      = "demo"
)

func (o Options) source() string {
	if o.Source == "" {
		return SourceGenerated
	}
	return o.Source
}

// Demo is the demo data's options: the default organisation's records over
// the 180 days before to, with source demo.
func Demo(to time.Time) Options {
	o := DefaultOptions()
	o.To = to.UTC()
	o.From = o.To.AddDate(0, 0, -180)
	o.Source = SourceDemo
	return o
}

// DefaultOptions is a small demo: 12 systems, 8 owners, 3 programs, 5 teams,
// 600 incidents and 1500 changes over the 180 days before
// 2026-01-01T00:00:00Z. Callers usually set To to now and From to To minus
// 180 days (or leave From zero, which means that).
func DefaultOptions() Options {
	return Options{
		Seed:      1,
		Systems:   12,
		Owners:    8,
		Programs:  3,
		Teams:     5,
		Incidents: 600,
		Changes:   1500,
		From:      reference.Add(-defaultSpan),
		To:        reference,
	}
}

// Reference is the benchmarks' reference organisation: 5,000 systems, 1,000
// owners, 50 programs and 200 teams, with n incidents and n changes over the
// default span. The benchmarks of the engine spread a reference dataset over
// two years (From two years before To); those of what serves its snapshots
// need only the subjects, so fewer records over the default span.
func Reference(n int) Options {
	o := DefaultOptions()
	o.Systems, o.Owners, o.Programs, o.Teams = 5000, 1000, 50, 200
	o.Incidents, o.Changes = n, n
	return o
}

// normalized fills what a caller may leave out: To defaults to reference,
// From to 180 days before To; times are UTC, truncated to the microsecond
// records keep; every count is at least the minimum a config needs.
func (o Options) normalized() Options {
	if o.To.IsZero() {
		o.To = reference
	}
	o.To = o.To.UTC().Truncate(time.Microsecond)
	if o.From.IsZero() || !o.From.Before(o.To) {
		o.From = o.To.Add(-defaultSpan)
	}
	o.From = o.From.UTC().Truncate(time.Microsecond)
	o.Systems = max(o.Systems, 1)
	o.Owners = max(o.Owners, 1)
	o.Programs = max(o.Programs, 1)
	o.Teams = max(o.Teams, 1)
	o.Incidents = max(o.Incidents, 0)
	o.Changes = max(o.Changes, 0)
	return o
}

package scorecard

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// BenchmarkLoad measures what a cold start costs the engine: taking every
// record of the reference dataset into memory, attribution, cause links,
// availability and the first full recompute; it reports the heap the engine
// then holds per record. Records are copied, strings included, before the
// engine sees them, as a store read gives it fresh ones, so the strings it
// keeps are counted.
func BenchmarkLoad(b *testing.B) {
	o, cfg, incidents, changes := benchDataset(b)
	var held float64
	for b.Loop() {
		b.StopTimer()
		loadSink = nil
		before := liveHeapBytes()
		b.StartTimer()
		e := New(Options{Config: func() *config.Config { return cfg }})
		cloned := make([]record.Incident, len(incidents))
		for i := range incidents {
			cloned[i] = cloneIncident(&incidents[i])
		}
		clonedChanges := make([]record.Change, len(changes))
		for i := range changes {
			clonedChanges[i] = cloneChange(&changes[i])
		}
		e.take(cloned, clonedChanges, true) // the clones are dead after this: only the engine holds records
		if _, err := e.recompute(context.Background(), o.To); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		held = liveHeapBytes() - before
		loadSink = e // kept for -memprofile
		b.StartTimer()
	}
	b.ReportMetric(held/float64(len(incidents)+len(changes)), "heap-B/record")
	b.ReportMetric(held/(1<<20), "heap-MiB")
}

// loadSink holds the last engine BenchmarkLoad built, so that a heap
// profile taken at the end shows what it holds.
var loadSink *Engine

func liveHeapBytes() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc)
}

func cloneIncident(r *record.Incident) record.Incident {
	c := *r
	c.ID, c.Source, c.System, c.Team, c.Title = strings.Clone(r.ID), strings.Clone(r.Source), strings.Clone(r.System), strings.Clone(r.Team), strings.Clone(r.Title)
	c.Impact = record.Impact(strings.Clone(string(r.Impact)))
	if r.CausedByChange != nil {
		c.CausedByChange = &record.Ref{Source: strings.Clone(r.CausedByChange.Source), ID: strings.Clone(r.CausedByChange.ID)}
	}
	return c
}

func cloneChange(r *record.Change) record.Change {
	c := *r
	c.ID, c.Source, c.System, c.Team, c.Environment = strings.Clone(r.ID), strings.Clone(r.Source), strings.Clone(r.System), strings.Clone(r.Team), strings.Clone(r.Environment)
	c.Type, c.Outcome = record.ChangeType(strings.Clone(string(r.Type))), record.Outcome(strings.Clone(string(r.Outcome)))
	return c
}

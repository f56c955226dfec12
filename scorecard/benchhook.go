package scorecard

import (
	"context"
	"time"

	"github.com/steward-sh/steward/record"
)

// Hooks for `steward bench`, which times the engine in process on a
// generated dataset. Together they do what Refresh does, split so that each
// part is timed on its own, with records taken from memory rather than read
// from a store (the daemon benchmark times the store read). They are not for
// the daemon: an engine fed through them must not also be given a store.

// LoadForBench takes records into the engine's memory as a store sync does,
// then brings attribution, cause links, availability and the time index up
// to date with the config in force (from scratch the first time). It
// computes no snapshot.
func (e *Engine) LoadForBench(incidents []record.Incident, changes []record.Change) {
	e.take(incidents, changes, true)
}

// RecomputeForBench computes and publishes the latest snapshot at `at`;
// with full set, it first builds attribution, availability and the time
// index again from every record.
func (e *Engine) RecomputeForBench(at time.Time, full bool) *Snapshot {
	if full {
		e.mu.Lock()
		e.st = newState(e.opts.Config(), e.x)
		e.gen++
		e.mu.Unlock()
	}
	s, _ := e.recompute(context.Background(), at.UTC())
	return s
}

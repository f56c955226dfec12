package scorecard

import (
	"time"

	"github.com/steward-sh/steward/record"
)

// Hooks for `steward bench`, which times the engine in process on a
// generated dataset. Together they do what Refresh does, split so that each
// part is timed on its own, with records taken from memory rather than read
// from a store (the daemon benchmark times the store read). They are not for
// the daemon: an engine fed through them must not also be given a store.

// LoadForBench takes records into the engine's memory as a store sync does,
// then brings attribution, cause links and availability up to date with the
// config in force (from scratch the first time). It computes no snapshot.
func (e *Engine) LoadForBench(incidents []record.Incident, changes []record.Change) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range incidents {
		e.x.putIncident(&incidents[i])
	}
	for i := range changes {
		e.x.putChange(&changes[i])
	}
	if len(incidents)+len(changes) > 0 {
		e.x.gen++
	}
	e.absorb(e.opts.Config())
}

// RecomputeForBench computes and publishes the latest snapshot at `at`:
// from scratch (every KPI, subject and window, with previous windows) when
// full is set or there is no earlier one, otherwise incrementally from the
// earlier one, applying what LoadForBench took in since.
func (e *Engine) RecomputeForBench(at time.Time, full bool) *Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	if full {
		e.live = nil
	}
	return e.recompute(at.UTC())
}

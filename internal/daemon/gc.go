package daemon

import (
	"runtime/debug"
	"sync"
	"time"
)

// ServingGCPercent is the daemon's GOGC while it serves (see gcPace).
// Go's default, 100, lets the heap grow to twice what is live between
// collections; the daemon's live heap is mostly the engine's records and
// time index (about 600 MiB at a million incidents and a million
// changes), so it would settle at about 1.3 GB after serving reads. Those
// arrays hold no pointers: a collection marks each without scanning it,
// and costs tens of ms of CPU at that size. At 25 collections come four
// times as often and the heap stays within a quarter of the live data.
const ServingGCPercent = 25

// bulkGCPercent is the daemon's GOGC while it loads its store or takes a
// bulk load through the API: Go's default. Those allocate hundreds of MB
// per second (decoded batches, the store's rows, the index's growth) on
// a live heap that grows as they go; at 25 the collector would run almost
// without pause and its assists hold the writers up: ingest through the
// API took half the wall time at 100 (54,000 records/s against 31,000 at
// 300,000 records of each kind) and the start on a filled store a third
// less.
const bulkGCPercent = 100

// Bulk ingest is told from a trickle by its rate: bulkRecords records
// within a bulkWindow (2,000 records/s) start it, and it ends once
// bulkQuiet has passed without such a window. A steady trickle of
// deliveries never reaches the rate, so the daemon that serves it keeps
// the serving pace.
const (
	bulkRecords = 10000
	bulkWindow  = 5 * time.Second
	bulkQuiet   = 10 * time.Second
)

// gcPace sets the collector's pace by what the daemon is doing: the
// bulk pace while it loads the store at start and while a bulk load comes
// through the API, the serving pace otherwise. Each return to the serving
// pace, and each state build (a new config), ends with the heap's unused
// memory given back to the system, as FreeOSMemory does: a build's
// scratch, or the headroom of the bulk pace, is hundreds of MB at the
// reference dataset, which the collector would otherwise keep mapped and
// give back only slowly. The forced collection costs about one ordinary
// cycle (tens of ms of CPU at the reference dataset: the engine's arrays
// hold no pointers to scan).
type gcPace struct {
	setPercent func(int) int    // debug.SetGCPercent
	free       func()           // debug.FreeOSMemory
	now        func() time.Time // the clock of the ingest rate
	afterFunc  func(time.Duration, func()) *time.Timer

	mu       sync.Mutex
	serving  int       // 0: leave GOGC as the environment set it
	before   int       // GOGC before the daemon started, restored by stop
	bulk     bool      // the collector runs at the bulk pace
	loading  bool      // the load at start is under way
	ingest   bool      // a bulk load through the API is under way
	window   time.Time // start of the current rate window
	count    int       // records ingested since window
	lastBulk time.Time // last time the rate was a bulk load's
	timer    *time.Timer
}

// newGCPace starts the daemon at the bulk pace, for its load of the
// store, with serving the GOGC to serve at (0 leaves GOGC alone: the
// build's scratch is still given back).
func newGCPace(serving int) *gcPace {
	g := &gcPace{serving: serving, setPercent: debug.SetGCPercent, free: debug.FreeOSMemory, now: time.Now, afterFunc: time.AfterFunc}
	g.start()
	return g
}

func (g *gcPace) start() {
	if g.serving > 0 {
		g.bulk, g.loading = true, true
		g.before = g.setPercent(bulkGCPercent)
	}
}

// built is called with the first snapshot after a state build (the load
// at start, a new config): the load is over and its scratch can go.
func (g *gcPace) built() {
	g.mu.Lock()
	g.loading = false
	if g.ingest {
		g.mu.Unlock()
		return // the end of the bulk load gives it back
	}
	g.toServing()
	g.mu.Unlock()
	g.free()
}

// ingested is called with the number of records of each batch the API
// stored.
func (g *gcPace) ingested(n int) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.serving == 0 {
		return
	}
	if now.Sub(g.window) >= bulkWindow {
		g.window, g.count = now, 0
	}
	g.count += n
	if g.count < bulkRecords {
		return
	}
	g.lastBulk = now
	if !g.bulk {
		g.bulk = true
		g.setPercent(bulkGCPercent)
	}
	if !g.ingest {
		g.ingest = true
		g.timer = g.afterFunc(bulkQuiet, g.calm)
	}
}

// calm ends a bulk load through the API once bulkQuiet has passed since
// the rate was last a bulk load's.
func (g *gcPace) calm() {
	g.mu.Lock()
	if g.serving == 0 {
		g.mu.Unlock()
		return // stopped
	}
	if wait := bulkQuiet - g.now().Sub(g.lastBulk); wait > 0 {
		g.timer = g.afterFunc(wait, g.calm)
		g.mu.Unlock()
		return
	}
	g.ingest = false
	if g.loading {
		g.mu.Unlock()
		return // the end of the load gives it back
	}
	g.toServing()
	g.mu.Unlock()
	g.free()
}

// toServing sets the serving pace, with mu held. It comes before the
// forced collection that frees memory, so that the collection's next
// goal is the serving pace's.
func (g *gcPace) toServing() {
	if g.bulk {
		g.bulk = false
		g.setPercent(g.serving)
	}
}

// stop ends the wait for the end of a bulk load and gives GOGC back its
// value from before the daemon started (a process that runs a daemon in
// it, such as a test, goes on at its own pace).
func (g *gcPace) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.timer != nil {
		g.timer.Stop()
	}
	if g.serving > 0 {
		g.setPercent(g.before)
	}
	g.serving, g.bulk, g.ingest, g.loading = 0, false, false, false // a late built or calm leaves GOGC alone
}

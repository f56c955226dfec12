package scorecard

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// Options configure an Engine.
type Options struct {
	Store  record.Store
	Config func() *config.Config // the config in force; attribution follows it
	Logger *slog.Logger
	Now    func() time.Time // nil: time.Now
	// Computed, if set, is called after each recompute of the latest
	// snapshot.
	Computed func(s *Snapshot, took time.Duration)
	// MinInterval is the least time from the start of one recompute in Run
	// to the start of the next one that Notify asks for; Notify calls in
	// between coalesce into that one. Under sustained ingest, recomputing
	// after every batch would take the CPU that ingest needs. Readers through
	// Current are not delayed by it; readers of Latest (/metrics) see new
	// records up to MinInterval later. 0: recompute right after each Notify.
	MinInterval time.Duration
}

// Engine keeps the stored records in memory and computes scorecards from
// them: the latest snapshot incrementally, on a timer and after ingest, and
// any past evaluation time on demand.
type Engine struct {
	opts    Options
	trigger chan struct{}
	latest  atomic.Pointer[Snapshot]
	after   func(time.Duration) <-chan time.Time // time.After; tests stand in for it

	mu sync.Mutex // guards everything below
	x  *index
	m  *model
	av *availability // follows m and x
	// live is the state of the latest snapshot; the pending maps hold what
	// changed since it was last advanced.
	live        *live
	pendingInc  map[int]*prior[incident]
	pendingChg  map[int]*prior[change]
	computedGen uint64
}

// New builds an Engine; call Run to keep its snapshot fresh.
func New(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{opts: opts, trigger: make(chan struct{}, 1), after: time.After, x: newIndex(),
		pendingInc: map[int]*prior[incident]{}, pendingChg: map[int]*prior[change]{}}
}

// Notify asks for a recompute soon (after ingest). It never blocks.
func (e *Engine) Notify() {
	select {
	case e.trigger <- struct{}{}:
	default:
	}
}

// Latest returns the last computed snapshot, or nil before the first.
func (e *Engine) Latest() *Snapshot { return e.latest.Load() }

// Run recomputes the latest snapshot every interval and when notified, until
// ctx ends. A notification less than Options.MinInterval after the last
// recompute began waits out the rest of it (or the next tick), and the
// notifications during the wait add nothing: the recompute reads every
// record stored by then.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		began := time.Now()
		if _, err := e.Refresh(ctx); err != nil && ctx.Err() == nil {
			e.opts.Logger.Error("recompute failed", "err", err)
		}
		var wait <-chan time.Time // set while a notification waits for the gap
	idle:
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				break idle
			case <-wait:
				break idle
			case <-e.trigger:
				if wait != nil {
					continue
				}
				gap := e.opts.MinInterval - time.Since(began)
				if gap <= 0 {
					break idle
				}
				wait = e.after(gap)
			}
		}
	}
}

// Refresh reads new records and recomputes the latest snapshot at now.
func (e *Engine) Refresh(ctx context.Context) (*Snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.prepare(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	s := e.recompute(e.opts.Now().UTC())
	if e.opts.Computed != nil {
		e.opts.Computed(s, time.Since(start))
	}
	return s, nil
}

// recompute brings the live state to at and publishes its snapshot.
func (e *Engine) recompute(at time.Time) *Snapshot {
	if e.live == nil || e.live.m != e.m || !e.live.advance(e.x, e.av, at, e.pendingInc, e.pendingChg) {
		e.live = newLive(e.m, e.x, e.av, at)
	}
	e.pendingInc, e.pendingChg = reset(e.pendingInc), reset(e.pendingChg)
	s := e.snapshot(at)
	e.computedGen = e.x.gen
	e.latest.Store(s)
	return s
}

// Current returns a snapshot that includes every stored record: the latest
// one when nothing changed since it was computed, a fresh one otherwise.
func (e *Engine) Current(ctx context.Context) (*Snapshot, error) {
	e.mu.Lock()
	if err := e.prepare(ctx); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	fresh := e.latest.Load() != nil && e.computedGen == e.x.gen && e.live != nil && e.live.m == e.m
	e.mu.Unlock()
	if fresh {
		return e.latest.Load(), nil
	}
	return e.Refresh(ctx)
}

// At computes every scorecard as of a past (or any) evaluation time.
func (e *Engine) At(ctx context.Context, at time.Time) (*Snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.prepare(ctx); err != nil {
		return nil, err
	}
	return e.computeWindows(at.UTC(), e.m.cfg.Windows), nil
}

// prepare reads new records and brings attribution and availability up to
// date with them and with the config in force, noting for the live state
// what each changed record contributed before.
func (e *Engine) prepare(ctx context.Context) error {
	if _, err := e.x.sync(ctx, e.opts.Store); err != nil {
		return err
	}
	e.absorb(e.opts.Config())
	return nil
}

// absorb brings attribution, cause links and availability up to date with
// the records the index took in and with cfg.
func (e *Engine) absorb(cfg *config.Config) {
	x := e.x
	if e.m == nil || e.m.cfg != cfg {
		e.m = newModel(cfg)
		e.m.update(x, true)
		clear(e.pendingInc)
		clear(e.pendingChg)
		e.av = newAvailability(e.m, x)
	} else {
		e.notePriors()
		before := make(map[int]int32, len(x.touchedInc))
		for _, i := range x.touchedInc {
			before[i] = -1
			if i < len(e.m.incSys) {
				before[i] = e.m.incSys[i]
			}
		}
		e.m.update(x, false)
		e.av.update(e.m, x, before)
	}
	for j, before := range x.linkCauses() {
		if _, noted := e.pendingChg[j]; !noted && j < len(e.m.chgSys) {
			old := x.changes[j]
			old.causeOpened = before
			e.pendingChg[j] = &prior[change]{old, e.m.chgSys[j], e.m.chgSubjects(j)}
		}
	}
	x.settled()
}

// notePriors records, before attribution moves on, what each touched record
// contributed: its earlier version and attribution, or nothing if new.
func (e *Engine) notePriors() {
	x, m := e.x, e.m
	for _, i := range x.touchedInc {
		if _, noted := e.pendingInc[i]; noted {
			continue
		}
		if old, ok := x.replacedInc[i]; ok && i < len(m.incSys) {
			e.pendingInc[i] = &prior[incident]{old, m.incSys[i], m.incSubjects(i)}
		} else {
			e.pendingInc[i] = nil
		}
	}
	for _, i := range x.touchedChg {
		if _, noted := e.pendingChg[i]; noted {
			continue
		}
		if old, ok := x.replacedChg[i]; ok && i < len(m.chgSys) {
			e.pendingChg[i] = &prior[change]{old, m.chgSys[i], m.chgSubjects(i)}
		} else {
			e.pendingChg[i] = nil
		}
	}
}

// snapshot builds the latest snapshot from the live frames.
func (e *Engine) snapshot(at time.Time) *Snapshot {
	cfg := e.m.cfg
	return &Snapshot{At: at, Windows: cfg.Windows, Objectives: cfg.Objectives,
		Cards: e.live.publish(e.m.subj.sorted(), e.card)}
}

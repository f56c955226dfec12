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
	// Computed, if set, is called after each scheduled recompute.
	Computed func(s *Snapshot, took time.Duration)
}

// Engine keeps the stored records in memory and computes scorecards from
// them: on a timer and after ingest for the latest snapshot, and on demand
// for any past evaluation time.
type Engine struct {
	opts    Options
	trigger chan struct{}
	latest  atomic.Pointer[Snapshot]

	mu      sync.Mutex // guards everything below
	x       *index
	m       *model
	av      *availability
	avGen   uint64
	avModel *model
	// computedGen and computedModel say what the latest snapshot was built from.
	computedGen   uint64
	computedModel *model
}

// New builds an Engine; call Run to keep its snapshot fresh.
func New(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{opts: opts, trigger: make(chan struct{}, 1), x: newIndex()}
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
// ctx ends.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := e.Refresh(ctx); err != nil && ctx.Err() == nil {
			e.opts.Logger.Error("recompute failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.trigger:
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
	s := e.compute(e.opts.Now().UTC())
	e.computedGen, e.computedModel = e.x.gen, e.m
	e.latest.Store(s)
	if e.opts.Computed != nil {
		e.opts.Computed(s, time.Since(start))
	}
	return s, nil
}

// Current returns a snapshot that includes every stored record: the latest
// one when nothing changed since it was computed, a fresh one otherwise.
func (e *Engine) Current(ctx context.Context) (*Snapshot, error) {
	e.mu.Lock()
	if err := e.prepare(ctx); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	fresh := e.latest.Load() != nil && e.computedGen == e.x.gen && e.computedModel == e.m
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
	return e.compute(at.UTC()), nil
}

// prepare reads new records and brings attribution and availability up to
// date with them and with the config in force.
func (e *Engine) prepare(ctx context.Context) error {
	if _, err := e.x.sync(ctx, e.opts.Store); err != nil {
		return err
	}
	cfg := e.opts.Config()
	if e.m == nil || e.m.cfg != cfg {
		e.m = newModel(cfg)
		e.m.update(e.x, true)
	} else {
		e.m.update(e.x, false)
	}
	e.x.touchedInc, e.x.touchedChg = e.x.touchedInc[:0], e.x.touchedChg[:0]
	e.x.linkCauses()
	if e.av == nil || e.avGen != e.x.gen || e.avModel != e.m {
		e.av, e.avGen, e.avModel = newAvailability(e.m, e.x), e.x.gen, e.m
	}
	return nil
}

func (e *Engine) compute(at time.Time) *Snapshot {
	cfg := e.m.cfg
	s := &Snapshot{At: at, Windows: cfg.Windows, Objectives: cfg.Objectives, Cards: map[string][]Card{}}
	order := e.m.subj.sorted()
	for _, w := range cfg.Windows {
		cur := e.m.compute(e.x, e.av, at, w.Duration)
		prev := e.m.compute(e.x, e.av, at.Add(-w.Duration), w.Duration)
		cards := make([]Card, 0, len(order))
		for _, si := range order {
			c := Card{Subject: e.m.subj.list[si], Window: w.Name, Value: cur[si], Previous: prev[si]}
			def := e.m.subj.defined[si]
			for k := range numKPI {
				if def.has(k) {
					c.Defined = append(c.Defined, k)
				}
			}
			c.score(cfg.Objectives)
			cards = append(cards, c)
		}
		s.Cards[w.Name] = cards
	}
	return s
}

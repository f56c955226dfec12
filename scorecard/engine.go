package scorecard

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// Options configure an Engine.
type Options struct {
	Store record.Store
	// Samples, if set, is where measurement samples are read from (the
	// store, when the config reads measurements).
	Samples SampleSource
	Config  func() *config.Config // the config in force; attribution follows it
	Logger  *slog.Logger
	Now     func() time.Time // nil: time.Now
	// Computed, if set, is called after each recompute of the latest
	// snapshot.
	Computed func(s *Snapshot, took time.Duration)
	// MinInterval is the least time from the start of one recompute in Run
	// to the start of the next one that Notify asks for; Notify calls in
	// between coalesce into that one. Readers through Current and Evaluate
	// are not delayed by it (Sync brings records in at once); readers of
	// Latest (/metrics) see new records up to MinInterval later. 0:
	// recompute right after each Notify.
	MinInterval time.Duration
}

// Engine keeps the stored records in memory, indexed by time, and
// evaluates scorecards from them at any time: the latest snapshot on a
// timer and after writes, and any subject, window and evaluation time on
// demand. Reads use memory only: the store is read by Sync (after this
// daemon's writes), by Run (when notified of other writers' ones) and by
// Refresh.
type Engine struct {
	opts    Options
	trigger chan struct{}
	latest  atomic.Pointer[published]
	after   func(time.Duration) <-chan time.Time // time.After; tests stand in for it

	syncMu sync.Mutex   // one store sync at a time
	mu     sync.RWMutex // guards x, st and gen; readers share it
	x      *index
	st     *state      // nil until the first read or sync
	gen    uint64      // counts changes of records or config
	synced atomic.Bool // a sync has completed
	builds atomic.Uint64
	meas   measurements
	fb     feedbacks
}

// published is the latest snapshot and the gen it was computed at, kept
// as one value: a reader that finds the gen unchanged must answer the very
// snapshot computed at it, not one published before it (which may lack
// every record taken in since).
type published struct {
	s   *Snapshot
	gen uint64
}

// New builds an Engine; call Run to keep its snapshot fresh.
func New(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{opts: opts, trigger: make(chan struct{}, 1), after: time.After, x: newIndex()}
}

// Notify asks for a sync and recompute soon (after a write). It never
// blocks.
func (e *Engine) Notify() {
	select {
	case e.trigger <- struct{}{}:
	default:
	}
}

// Latest returns the last computed snapshot, or nil before the first.
func (e *Engine) Latest() *Snapshot {
	if p := e.latest.Load(); p != nil {
		return p.s
	}
	return nil
}

// Builds counts the times the engine built its state from every record:
// the first load and each new config. A build leaves its scratch behind
// (hundreds of MB at millions of records), which a process may want to
// give back to the system once the snapshot that follows it is out.
func (e *Engine) Builds() uint64 { return e.builds.Load() }

// Windows returns the configured windows.
func (e *Engine) Windows() []config.Window { return e.opts.Config().Windows }

// Run syncs and recomputes the latest snapshot every interval and when
// notified, until ctx ends. A notification syncs at once; its recompute,
// less than Options.MinInterval (or three times the last recompute's
// duration, if longer) after the last one began, waits out the rest of it
// (or the next tick), and the notifications during the wait add nothing:
// the recompute covers every record stored by then.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		began := time.Now()
		if _, err := e.Refresh(ctx); err != nil && ctx.Err() == nil {
			e.opts.Logger.Error("recompute failed", "err", err)
		}
		// Under sustained writes a recompute costs more (the delta grows
		// until the index is rebuilt): the gap grows with it, so that it
		// takes at most about a third of a CPU from ingest.
		minGap := e.opts.MinInterval
		if minGap > 0 {
			minGap = max(minGap, 3*time.Since(began))
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
				// the records are taken in at once, so that reads see
				// them; only the latest snapshot waits for the gap
				if err := e.Sync(ctx); err != nil && ctx.Err() == nil {
					e.opts.Logger.Error("sync failed", "err", err)
				}
				if wait != nil {
					continue
				}
				gap := minGap - time.Since(began)
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
	if err := e.Sync(ctx); err != nil {
		return nil, err
	}
	return e.recompute(ctx, e.opts.Now().UTC())
}

// recompute computes and publishes the latest snapshot at `at`.
func (e *Engine) recompute(ctx context.Context, at time.Time) (*Snapshot, error) {
	st, gen, done, err := e.read(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	s := e.compute(st, at, st.m.cfg.Windows, st.m.subj.sorted(), true, allKPIs)
	done()
	if !e.publish(s, gen) {
		return s, nil // a newer one was published meanwhile
	}
	if e.opts.Computed != nil {
		e.opts.Computed(s, time.Since(start))
	}
	return s, nil
}

// publish makes s, computed at gen, the latest snapshot unless one
// computed later (at a later gen, or the same gen and a later time) was
// published while s was computed: recomputes run concurrently (Run's, and
// readers' through Current), and the latest snapshot never goes back.
func (e *Engine) publish(s *Snapshot, gen uint64) bool {
	p := &published{s: s, gen: gen}
	for {
		old := e.latest.Load()
		if old != nil && (old.gen > gen || old.gen == gen && old.s.At.After(s.At)) {
			return false
		}
		if e.latest.CompareAndSwap(old, p) {
			return true
		}
	}
}

// syncChunk is how many records a sync reads before it takes the engine's
// lock: a write's few records are read before readers are held up, and a
// bulk load takes the lock once per chunk.
const syncChunk = 50000

// Sync reads the records written to the store since the last sync and
// takes them in. The ingest path calls it after each commit, so that a
// client that was answered sees its records in its next read.
func (e *Engine) Sync(ctx context.Context) error {
	if e.opts.Store == nil {
		e.synced.Store(true)
		return nil
	}
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	incSeq, chgSeq := e.x.incSeq, e.x.chgSeq // only syncs move them
	for {
		var b record.Batch
		incDone, chgDone := false, false
		for !incDone && b.Len() < syncChunk {
			page, err := e.opts.Store.Incidents(ctx, incSeq, syncPage)
			if err != nil {
				return fmt.Errorf("scorecard: read incidents: %w", err)
			}
			b.Incidents = append(b.Incidents, page...)
			for i := range page {
				incSeq = max(incSeq, page[i].Seq)
			}
			incDone = len(page) < syncPage
		}
		for !chgDone && b.Len() < 2*syncChunk {
			page, err := e.opts.Store.Changes(ctx, chgSeq, syncPage)
			if err != nil {
				return fmt.Errorf("scorecard: read changes: %w", err)
			}
			b.Changes = append(b.Changes, page...)
			for i := range page {
				chgSeq = max(chgSeq, page[i].Seq)
			}
			chgDone = len(page) < syncPage
		}
		last := incDone && chgDone
		e.take(b.Incidents, b.Changes, last)
		if last {
			if err := e.syncSamples(ctx); err != nil {
				return err
			}
			if err := e.syncFeedback(ctx); err != nil {
				return err
			}
			e.synced.Store(true)
			return nil
		}
	}
}

// take puts records into the index and brings the state up to date;
// settle says whether this is the last part of a sync (the state of an
// engine that has none yet is built then, from every record).
func (e *Engine) take(incidents []record.Incident, changes []record.Change, settle bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.x.reserve(incidents, changes)
	for i := range incidents {
		e.x.putIncident(&incidents[i])
	}
	for i := range changes {
		e.x.putChange(&changes[i])
	}
	changed := len(incidents)+len(changes) > 0
	if changed {
		e.gen++
	}
	cfg := e.opts.Config()
	switch {
	case e.st == nil || e.st.m.cfg != cfg:
		if settle || e.st != nil {
			e.st = nil // the old state's memory can go while the new one is built
			e.st = newState(cfg, e.x)
			e.builds.Add(1)
			e.gen++
		}
	case changed:
		// a write only takes its records in; the next reader lists the
		// delta per subject, or rebuilds the index when it has grown
		// large, once however many writes came before it
		e.st.absorb(e.x)
	}
}

// read returns the state for readers, brought up to date with the config
// in force (attribution follows it), with the read lock held until done
// is called. The first read of an engine that never synced loads the
// store; later reads never touch it.
func (e *Engine) read(ctx context.Context) (st *state, gen uint64, done func(), err error) {
	if !e.synced.Load() {
		if err := e.Sync(ctx); err != nil {
			return nil, 0, nil, err
		}
	}
	cfg := e.opts.Config()
	e.mu.RLock()
	if e.st != nil && e.st.m.cfg == cfg && (e.st.delta != nil || len(e.st.incPrior)+len(e.st.chgPrior) == 0) {
		return e.st, e.gen, e.mu.RUnlock, nil
	}
	e.mu.RUnlock()
	e.mu.Lock()
	switch {
	case e.st == nil || e.st.m.cfg != cfg:
		e.st = nil // the old state's memory can go while the new one is built
		e.st = newState(cfg, e.x)
		e.builds.Add(1)
		e.gen++
	case e.st.delta == nil:
		e.st.settle(e.x) // records were taken in since the last read
	}
	e.mu.Unlock()
	return e.read(ctx)
}

// Current returns a snapshot that includes every record the engine has
// taken in: the latest one when nothing changed since it was computed, a
// fresh one otherwise. It does not read the store.
func (e *Engine) Current(ctx context.Context) (*Snapshot, error) {
	if s, ok, err := e.unchanged(ctx); ok || err != nil {
		return s, err
	}
	return e.recompute(ctx, e.opts.Now().UTC())
}

// unchanged returns the latest snapshot if no record or config changed
// since it was computed (ok), bringing the state up to date with the
// config in force first.
func (e *Engine) unchanged(ctx context.Context) (s *Snapshot, ok bool, err error) {
	// Loaded once, snapshot and gen together: another reader may publish
	// a newer snapshot while this one waits for the state.
	p := e.latest.Load()
	if p == nil {
		return nil, false, nil
	}
	_, gen, done, err := e.read(ctx)
	if err != nil {
		return nil, false, err
	}
	done()
	return p.s, p.gen == gen, nil
}

// Generation returns a number that changes whenever the records, the
// measurement samples, the feedback or the config in force change: an
// answer computed at a past evaluation time stands while it is the same.
// Like any read it brings the engine up to date with the config in force
// (it does not read the store).
func (e *Engine) Generation(ctx context.Context) (uint64, error) {
	_, gen, done, err := e.read(ctx)
	if err != nil {
		return 0, err
	}
	done()
	return gen, nil
}

// Query selects the scorecards to evaluate.
type Query struct {
	// At is the evaluation time; zero: now, answered from the latest
	// snapshot when nothing changed since it was computed.
	At      time.Time
	Windows []config.Window // nil: the configured windows
	Window  string          // with Windows nil, only the configured window of that name
	Role    Role            // "": every role
	Subject string          // "": every subject of Role
	// NoPrevious leaves the cards' Previous values out (no value): for
	// readers of the values alone, such as a backfill, it halves the work.
	NoPrevious bool
	// KPIs, if not nil, are the only KPIs evaluated: only the populations
	// and sources they are taken from are read (see kpiNeeds). The cards'
	// Defined then lists those of them defined for the subject, the other
	// KPIs have no value, and the Score, taken over every KPI with an
	// objective, is NaN (not computed). Summaries are those of the
	// populations read. Whether a system owner was accountable (SPEC 4,
	// Exposure) is known all the same.
	KPIs []KPI
}

// Evaluate computes the scorecards a query selects, and only those: its
// cost follows the records inside the windows of the subjects asked for.
// The snapshot's Windows are the configured ones (or q.Windows); it may
// hold more cards than asked for (the latest snapshot holds every one), so
// callers Find theirs.
func (e *Engine) Evaluate(ctx context.Context, q Query) (*Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scorecard: %w", err)
	}
	if q.At.IsZero() {
		if s, ok, err := e.unchanged(ctx); ok || err != nil {
			return s, err
		}
		q.At = e.opts.Now()
	}
	st, _, done, err := e.read(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	windows := q.Windows
	if windows == nil {
		windows = st.m.cfg.Windows
		if q.Window != "" {
			windows = nil
			for _, w := range st.m.cfg.Windows {
				if w.Name == q.Window {
					windows = append(windows, w)
				}
			}
		}
	}
	var subjects []int32
	if q.Role != "" && q.Subject != "" {
		if si := st.m.subj.lookup(Subject{q.Role, q.Subject}); si >= 0 {
			subjects = []int32{si}
		}
	} else {
		for _, si := range st.m.subj.sorted() {
			s := st.m.subj.list[si]
			if (q.Role == "" || s.Role == q.Role) && (q.Subject == "" || s.ID == q.Subject) {
				subjects = append(subjects, si)
			}
		}
	}
	s := e.compute(st, q.At.UTC(), windows, subjects, !q.NoPrevious, setOf(q.KPIs))
	if q.Windows == nil {
		s.Windows = st.m.cfg.Windows
	}
	return s, nil
}

// At computes every scorecard as of a past (or any) evaluation time.
func (e *Engine) At(ctx context.Context, at time.Time) (*Snapshot, error) {
	return e.Evaluate(ctx, Query{At: at})
}

// compute evaluates the KPIs in sel of the given subjects (in order) over
// windows at `at`, and their previous windows if previous is set, on
// every CPU.
func (e *Engine) compute(st *state, at time.Time, windows []config.Window, subjects []int32, previous bool, sel set) *Snapshot {
	s := &Snapshot{At: at, Windows: windows, Objectives: st.m.cfg.Objectives, Cards: make(map[string][]Card, len(windows))}
	now := micros(at)
	for _, w := range windows {
		s.Cards[w.Name] = make([]Card, len(subjects))
	}
	var downs []*downtimes
	if len(subjects) > 32 && needOf(sel).has(srcDowntime) { // worth computing every system's once
		for _, w := range windows {
			length := w.Duration.Microseconds()
			downs = append(downs, st.downtimes(now-length, now))
			if previous {
				downs = append(downs, st.downtimes(now-2*length, now-length))
			}
		}
	}
	// every window, and the one before it, is tallied in one pass over a
	// subject's pools: window w is pl's window w*per, its previous one
	// w*per+1
	per := 1
	if previous {
		per = 2
	}
	var ends, lengths []int64
	for _, w := range windows {
		length := w.Duration.Microseconds()
		ends, lengths = append(ends, now), append(lengths, length)
		if previous {
			ends, lengths = append(ends, now-length), append(lengths, length)
		}
	}
	pl := newPlan(ends, lengths)
	cards := make([][]Card, len(windows))
	for wi, w := range windows {
		cards[wi] = s.Cards[w.Name]
	}
	e.parallel(len(subjects), func(ev *evaluator, j int) {
		ev.downs = downs
		si := subjects[j]
		if next := j + ev.stride; next < len(subjects) {
			ev.touch(subjects[next], pl)
		}
		ts := ev.tallyPlan(si, pl)
		for wi, w := range windows {
			k := wi * per
			cur, prev := ev.finish(&ts[k], si, ends[k], lengths[k]), noValues()
			sums, owned, prevOwned := ev.sums, ev.owned, int64(-1)
			if previous {
				prev = ev.finish(&ts[k+1], si, ends[k+1], lengths[k+1])
				prevOwned = ev.owned
			}
			st.card(&cards[wi][j], si, w.Name, cur, prev, owned == 0, prevOwned == 0, sel)
			cards[wi][j].Summaries = sums
		}
	}, st, sel)
	return s
}

// parallel calls fn for 0..n-1 on every CPU, each worker with its own
// evaluator of the KPIs in sel; a few items are done in the calling
// goroutine.
func (e *Engine) parallel(n int, fn func(ev *evaluator, j int), st *state, sel set) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/16))
	var wg sync.WaitGroup
	for k := range workers {
		wg.Go(func() {
			ev := e.newEvaluator(st, sel)
			ev.stride = workers
			for j := k; j < n; j += workers {
				fn(ev, j)
			}
		})
	}
	wg.Wait()
}

// card scores subject si's values of a window and the window before,
// noting whether it was accountable in each (it owned something: see
// owned). A card of a selection of KPIs (sel) lists those only, and has no
// score.
// It writes the card to c, which the caller allocated: a card is large.
func (st *state) card(c *Card, si int32, window string, cur, prev Values, notAccountable, prevNotAccountable bool, sel set) {
	*c = Card{Subject: st.m.subj.list[si], Window: window, Value: cur, Previous: prev, Defined: st.m.subj.definedKPIs(si)}
	c.NotAccountable, c.PreviousNotAccountable = notAccountable, prevNotAccountable
	if sel != allKPIs {
		defined := make([]KPI, 0, len(c.Defined))
		for _, k := range c.Defined {
			if sel.has(k) {
				defined = append(defined, k)
			}
		}
		c.Defined = defined
		c.scoreBy(&st.objectives) // the statuses of those KPIs
		c.Score = math.NaN()
		return
	}
	c.scoreBy(&st.objectives)
}

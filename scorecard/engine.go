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
// daemon's writes that are not handed to Written, and by Written when
// other writes may have come between), by Run (when notified of other
// writers' ones) and by Refresh.
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

	syncWanted atomic.Bool // set by Notify: Run syncs on its next trigger
	// pending holds, under syncMu, the batches Written found the engine
	// held by readers for: the next read or sync takes them in first.
	// pendingN is their number, for readers to check without syncMu.
	pending  []pendingBatch
	pendingN atomic.Int32
	// written is, under syncMu, a Seq up to which every record of every
	// kind is taken in: the last of a batch handed to Written whose
	// records were all taken in after it was committed. 0: none known.
	written int64
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
	e.syncWanted.Store(true)
	e.trigger1()
}

// NotifyTaken asks for a recompute soon after a write whose records are
// taken in already (by Written or Sync): unlike Notify, Run does not sync
// for it, which would read back the records of the writes committed and
// not yet handed to Written. It never blocks.
func (e *Engine) NotifyTaken() { e.trigger1() }

func (e *Engine) trigger1() {
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
// the recompute covers every record stored by then. A notification of
// records taken in already (NotifyTaken) only asks for the recompute.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	tick := true // the first round, and each tick, syncs whatever came
	for {
		began := time.Now()
		var err error
		if tick || e.syncWanted.Swap(false) {
			err = e.Sync(ctx)
		}
		if err == nil {
			_, err = e.recompute(ctx, e.opts.Now().UTC())
		}
		if err != nil && ctx.Err() == nil {
			e.opts.Logger.Error("recompute failed", "err", err)
		}
		tick = false
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
				tick = true
				break idle
			case <-wait:
				break idle
			case <-e.trigger:
				// the records are taken in at once, so that reads see
				// them; only the latest snapshot waits for the gap
				if e.syncWanted.Swap(false) {
					if err := e.Sync(ctx); err != nil && ctx.Err() == nil {
						e.opts.Logger.Error("sync failed", "err", err)
					}
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
	return e.syncLocked(ctx)
}

// syncLocked is Sync with syncMu held.
func (e *Engine) syncLocked(ctx context.Context) error {
	if len(e.pending) > 0 {
		// before the store's newer versions of their records
		e.mu.Lock()
		e.takePending()
		e.mu.Unlock()
	}
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

// Written takes in the incidents and changes of a batch this process has
// just stored, with the Seqs the store gave them (see store.DB.Write), as
// Sync would but without reading them back: the ingest path calls it
// after its commit, so that a client that was answered sees its records
// in its next read. While readers hold the engine, Written does not wait
// for them: the batch is left for the next read (or sync) to take in
// before anything else.
//
// A store gives a batch consecutive Seqs in commit order, so once a batch
// is committed every smaller Seq is committed or never will be. When the
// batch's Seqs follow those of the last batch taken in this way, nothing
// can have been written between them, and the batch is all there is to
// take. Otherwise (another writer's records came between, a write failed
// after drawing its Seqs, the records lack Seqs, or the batch holds
// feedback), Written syncs from the store, which after the commit reads
// everything up to the batch.
func (e *Engine) Written(ctx context.Context, b record.Batch) error {
	if e.opts.Store == nil {
		e.synced.Store(true)
		return nil
	}
	lo, hi, n := int64(0), int64(0), int64(0)
	note := func(seq int64) {
		if seq > 0 {
			if n == 0 || seq < lo {
				lo = seq
			}
			hi, n = max(hi, seq), n+1
		}
	}
	for i := range b.Incidents {
		note(b.Incidents[i].Seq)
	}
	for i := range b.Changes {
		note(b.Changes[i].Seq)
	}
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	switch {
	case n > 0 && hi <= e.written:
		return nil // taken in by a sync that began after the commit
	case n == 0 || hi-lo+1 != n || len(b.Feedback) > 0 || lo != e.written+1 || !e.synced.Load():
		if err := e.syncLocked(ctx); err != nil {
			return err
		}
	case e.mu.TryLock(): // no reader holds the engine
		e.takePending()
		e.takeWritten(pendingBatch{b.Incidents, b.Changes})
		e.mu.Unlock()
	default:
		// Readers hold the engine (a recompute, say): rather than wait
		// for them, which would hold up every writer behind this one, the
		// batch waits for the next read or sync, which takes it in first.
		e.pending = append(e.pending, pendingBatch{b.Incidents, b.Changes})
		e.pendingN.Add(1)
	}
	e.written = max(e.written, hi)
	return nil
}

// pendingBatch is a batch handed to Written and not taken in yet.
type pendingBatch struct {
	incidents []record.Incident
	changes   []record.Change
}

// takeWritten takes in a batch handed to Written, with syncMu and mu held.
// A sync since its commit may have read some of it already: every record
// a sync took in has a Seq up to the cursor.
func (e *Engine) takeWritten(b pendingBatch) {
	e.takeLocked(after(b.incidents, e.x.incSeq, func(r *record.Incident) int64 { return r.Seq }),
		after(b.changes, e.x.chgSeq, func(r *record.Change) int64 { return r.Seq }), true)
}

// takePending takes in the pending batches, in order, with syncMu and mu
// held.
func (e *Engine) takePending() {
	for _, b := range e.pending {
		e.takeWritten(b)
	}
	clear(e.pending)
	e.pending = e.pending[:0]
	e.pendingN.Store(0)
}

// settlePending takes in the pending batches, if any, before a read.
func (e *Engine) settlePending() {
	if e.pendingN.Load() == 0 {
		return
	}
	e.syncMu.Lock()
	e.mu.Lock()
	e.takePending()
	e.mu.Unlock()
	e.syncMu.Unlock()
}

// after returns the records with a Seq above seq; records itself when
// that is every one.
func after[T any](records []T, seq int64, seqOf func(*T) int64) []T {
	keep := 0
	for i := range records {
		if seqOf(&records[i]) > seq {
			keep++
		}
	}
	if keep == len(records) {
		return records
	}
	out := make([]T, 0, keep)
	for i := range records {
		if seqOf(&records[i]) > seq {
			out = append(out, records[i])
		}
	}
	return out
}

// take puts records into the index and brings the state up to date;
// settle says whether this is the last part of a sync (the state of an
// engine that has none yet is built then, from every record).
func (e *Engine) take(incidents []record.Incident, changes []record.Change, settle bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.takeLocked(incidents, changes, settle)
}

// takeLocked is take with mu held.
func (e *Engine) takeLocked(incidents []record.Incident, changes []record.Change, settle bool) {
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
// store; later reads never touch it. The batches Written left pending are
// taken in first.
func (e *Engine) read(ctx context.Context) (st *state, gen uint64, done func(), err error) {
	if !e.synced.Load() {
		if err := e.Sync(ctx); err != nil {
			return nil, 0, nil, err
		}
	}
	e.settlePending()
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
	s := e.compute(st, q.At.UTC(), windows, st.m.subj.selected(q.Role, q.Subject), !q.NoPrevious, setOf(q.KPIs))
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
	if needOf(sel).has(srcDowntime) && st.wholeSpans(subjects) > len(st.m.systems) { // worth computing every system's once
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

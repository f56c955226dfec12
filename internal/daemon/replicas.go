package daemon

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/internal/telemetry"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
)

// Running as several replicas on one PostgreSQL database: every replica
// serves ingest, the API, /metrics and the UI from the shared store, and
// follows the others' writes through store.Listen; the tasks that must run
// once (the pollers) run in the replica that holds their lock (store.Lead);
// webhook deliveries that merge with stored records take turns across
// replicas (store.WithLock). On SQLite every task runs here.

// leadTask runs job under the lock of task until ctx ends, exporting in
// steward_leader{task} whether this replica runs it.
func leadTask(ctx context.Context, st *store.DB, task string, o store.LeadOptions, tel *telemetry.Telemetry, job func(context.Context)) {
	leading := func(bool) {}
	if tel != nil {
		leading = func(b bool) { tel.Leading(task, b) }
	}
	leading(false)
	o.Leading = leading
	st.Lead(ctx, task, o, job)
}

// fencedCursors gives a poller the store with each page's write made
// conditional on the cursor the poller read before fetching it
// (store.WriteAfter). A replica that lost a poller's lock without knowing
// yet then cannot store an older page over what the new leader stored.
type fencedCursors struct {
	st *store.DB

	mu   sync.Mutex
	read map[string]string // cursor name -> value last read
}

func newFencedCursors(st *store.DB) *fencedCursors {
	return &fencedCursors{st: st, read: map[string]string{}}
}

func (f *fencedCursors) Cursor(ctx context.Context, name string) (string, error) {
	v, err := f.st.Cursor(ctx, name)
	if err == nil {
		f.mu.Lock()
		f.read[name] = v
		f.mu.Unlock()
	}
	return v, err
}

func (f *fencedCursors) Write(ctx context.Context, b record.Batch) error {
	if b.Cursor == nil {
		return f.st.Write(ctx, b)
	}
	f.mu.Lock()
	prev := f.read[b.Cursor.Name]
	f.mu.Unlock()
	return f.st.WriteAfter(ctx, b, prev)
}

// followWrites recomputes the KPIs as soon as any replica (this one
// included) stores records, until ctx ends; the engine's timer stays the
// fallback while the notification connection is down.
func followWrites(ctx context.Context, st *store.DB, engine *scorecard.Engine, logger *slog.Logger) {
	if err := st.Listen(ctx, engine.Notify); err != nil {
		logger.Error("not following other replicas' writes; KPIs catch up on the timer (--compute.interval)", "err", err)
	}
}

// readiness is /readyz's check beyond the store: a config is in force, the
// first KPI snapshot is computed and its metrics are rendered, so that
// /metrics and the scorecards answer from data rather than empty, and the
// first scrape does not wait for a rendering (about 0.3 s for the
// reference organisation).
func readiness(cfg func() *config.Config, engine *scorecard.Engine, metrics interface{ Warmed() bool }) func() error {
	return func() error {
		if cfg() == nil {
			return errors.New("no configuration loaded")
		}
		if engine.Latest() == nil {
			return errors.New("the first KPI snapshot is not computed yet")
		}
		if !metrics.Warmed() {
			return errors.New("the metrics of the first KPI snapshot are not rendered yet")
		}
		return nil
	}
}

// takeTurns makes the deliveries of a webhook whose events merge with
// stored records (PagerDuty, GitHub, GitLab, Opsgenie) take turns across
// replicas, as the collector already makes them take turns in one: two
// events of one incident read at once by two replicas would each write
// back its own merge, and the later would undo the earlier.
//
// The collector calls it once the body is read and verified, so that a
// slow or unauthenticated sender holds no lock; then one delivery per
// replica waits for the database lock. When the lock cannot be taken the
// store is unreachable and the collector goes on unserialised, to spool or
// refuse (503) as usual.
func takeTurns(st *store.DB) func(ctx context.Context, source string, fn func()) error {
	return func(ctx context.Context, source string, fn func()) error {
		return st.WithLock(ctx, "hook/"+source, fn)
	}
}

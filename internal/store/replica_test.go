package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/pgtest"
	"github.com/steward-sh/steward/record"
)

// What several Steward processes on one database rely on: conditional
// cursor writes, change notifications and leader election.

func TestWriteAfter(t *testing.T) {
	t.Parallel()
	for driver, open := range map[string]func(t *testing.T) *DB{
		"sqlite":   func(t *testing.T) *DB { return openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db")) },
		"postgres": func(t *testing.T) *DB { return openTestDB(t, "postgres", newPostgresDatabase(t)) },
	} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testWriteAfter(t, open(t))
		})
	}
}

func testWriteAfter(t *testing.T, db *DB) {
	ctx := context.Background()
	page := func(id, cursor string) record.Batch {
		return record.Batch{Incidents: []record.Incident{minimalIncident(id)}, Cursor: &record.Cursor{Name: "sn/incident", Value: cursor}}
	}
	for _, tc := range []struct {
		name   string
		batch  record.Batch
		prev   string
		moved  bool
		cursor string   // stored after the write
		ids    []string // stored after the write
	}{
		{"first page: no cursor yet counts as empty", page("a", "c1"), "", false, "c1", []string{"a"}},
		{"a stale first page is refused", page("b", "c1-other"), "", true, "c1", []string{"a"}},
		{"the next page from the stored cursor", page("b", "c2"), "c1", false, "c2", []string{"a", "b"}},
		{"a page from a cursor since moved is refused whole", page("z", "c2-stale"), "c1", true, "c2", []string{"a", "b"}},
		{"an empty page from the stored cursor", record.Batch{Cursor: &record.Cursor{Name: "sn/incident", Value: "c3"}}, "c2", false, "c3", []string{"a", "b"}},
		{"an empty page from a moved cursor", record.Batch{Cursor: &record.Cursor{Name: "sn/incident", Value: "c9"}}, "c2", true, "c3", []string{"a", "b"}},
	} {
		err := db.WriteAfter(ctx, tc.batch, tc.prev)
		if tc.moved {
			require.ErrorIs(t, err, ErrCursorMoved, tc.name)
		} else {
			require.NoError(t, err, tc.name)
		}
		assert.Equal(t, tc.cursor, cursorOf(t, db, "sn/incident"), tc.name)
		var ids []string
		for _, in := range incidents(t, db, 0) {
			ids = append(ids, in.ID)
		}
		assert.ElementsMatch(t, tc.ids, ids, tc.name)
	}
	assert.Error(t, db.WriteAfter(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("x")}}, ""), "no cursor to compare")
}

// Two pollers that both believe they lead write the page after the same
// cursor at once: exactly one of them stores it.
func TestWriteAfterRace(t *testing.T) {
	t.Parallel()
	dsn := newPostgresDatabase(t)
	a, b := openTestDB(t, "postgres", dsn), openTestDB(t, "postgres", dsn)
	ctx := context.Background()
	prev := ""
	for round := range 20 {
		next := string(rune('a' + round))
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, db := range []*DB{a, b} {
			wg.Go(func() {
				errs[i] = db.WriteAfter(ctx, record.Batch{
					Incidents: []record.Incident{minimalIncident(next)},
					Cursor:    &record.Cursor{Name: "sn/incident", Value: next + string(rune('0'+i))},
				}, prev)
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				require.ErrorIs(t, err, ErrCursorMoved)
			}
		}
		require.Equal(t, 1, ok, "round %d: one writer wins", round)
		prev = cursorOf(t, a, "sn/incident")
	}
	assert.Len(t, incidents(t, a, 0), 20)
}

// counter counts calls of a Listen callback.
type counter struct{ n atomic.Int64 }

func (c *counter) inc()         { c.n.Add(1) }
func (c *counter) value() int64 { return c.n.Load() }

func TestListen(t *testing.T) {
	t.Parallel()
	dsn := newPostgresDatabase(t)
	listener, writer := openTestDB(t, "postgres", dsn), openTestDB(t, "postgres", dsn)
	ctx, cancel := context.WithCancel(context.Background())
	var calls counter
	done := make(chan error, 1)
	go func() { done <- listener.Listen(ctx, calls.inc) }()
	require.Eventually(t, func() bool { return calls.value() == 1 }, 10*time.Second, 10*time.Millisecond, "called once on start")

	require.NoError(t, writer.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("a")}}))
	require.Eventually(t, func() bool { return calls.value() == 2 }, 10*time.Second, 10*time.Millisecond, "a write elsewhere is announced")
	// Its own writes are not: their writers tell the engine themselves.
	// Notifications arrive in commit order, so once the next write
	// elsewhere is announced, the own one would have been.
	require.NoError(t, listener.Write(ctx, record.Batch{Changes: []record.Change{minimalChange("c")}}))
	require.NoError(t, writer.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("d")}}))
	require.Eventually(t, func() bool { return calls.value() >= 3 }, 10*time.Second, 10*time.Millisecond, "the next write elsewhere is announced")
	assert.Equal(t, int64(3), calls.value(), "a write of its own is not")

	t.Run("after a lost connection", func(t *testing.T) {
		before := calls.value()
		pgtest.Outage(t, dsn)()
		require.Eventually(t, func() bool { return calls.value() > before }, 30*time.Second, 50*time.Millisecond,
			"called after reconnecting: notifications may have been lost")
		require.Eventually(t, func() bool {
			n := calls.value()
			return writer.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("b")}}) == nil &&
				waitFor(func() bool { return calls.value() > n }, 2*time.Second)
		}, 30*time.Second, 100*time.Millisecond, "announcements arrive again")
	})

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not return after its context ended")
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(cond func() bool, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// A rolled-back write announces nothing: the next announcement seen is
// the next committed write's.
func TestListenIgnoresRollback(t *testing.T) {
	t.Parallel()
	dsn := newPostgresDatabase(t)
	listener, writer := openTestDB(t, "postgres", dsn), openTestDB(t, "postgres", dsn)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls counter
	go func() { _ = listener.Listen(ctx, calls.inc) }()
	require.Eventually(t, func() bool { return calls.value() == 1 }, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, writer.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("ok")}}))
	require.Eventually(t, func() bool { return calls.value() == 2 }, 10*time.Second, 10*time.Millisecond)
	tx, err := writer.write.BeginTxx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, writer.announce(ctx, tx))
	require.NoError(t, tx.Rollback())
	require.NoError(t, writer.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("ok2")}}))
	require.Eventually(t, func() bool { return calls.value() >= 3 }, 10*time.Second, 10*time.Millisecond)
	// Notifications reach a listener in commit order: had the rolled-back
	// one been sent, it would have come before the last write's.
	assert.Equal(t, int64(3), calls.value())
}

func TestListenSQLiteReturnsAtOnce(t *testing.T) {
	t.Parallel()
	db := openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db"))
	var calls counter
	assert.NoError(t, db.Listen(context.Background(), calls.inc))
	assert.Zero(t, calls.value())
}

// fastLead makes failover quick enough for tests.
var fastLead = LeadOptions{Retry: 50 * time.Millisecond, Check: 50 * time.Millisecond, Timeout: time.Second}

// replica runs Lead for one job in one store, as one process would.
type replica struct {
	cancel  context.CancelFunc
	done    chan struct{}
	leading atomic.Bool
	runs    atomic.Int64 // jobs started
}

func startReplica(t *testing.T, db *DB, job string, running *atomic.Int64, most *atomic.Int64) *replica {
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{cancel: cancel, done: make(chan struct{})}
	o := fastLead
	o.Leading = r.leading.Store
	go func() {
		defer close(r.done)
		db.Lead(ctx, job, o, func(ctx context.Context) {
			r.runs.Add(1)
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			<-ctx.Done()
			running.Add(-1)
		})
	}()
	t.Cleanup(r.stop)
	return r
}

func (r *replica) stop() {
	r.cancel()
	<-r.done
}

func leaders(rs []*replica) []int {
	var out []int
	for i, r := range rs {
		if r.leading.Load() {
			out = append(out, i)
		}
	}
	return out
}

// Three processes contend for one job: exactly one runs it, and when it
// stops, another takes over; the job never runs twice at once.
func TestLeadHandsOver(t *testing.T) {
	t.Parallel()
	dsn := newPostgresDatabase(t)
	var running, most atomic.Int64
	var rs []*replica
	for range 3 {
		rs = append(rs, startReplica(t, openTestDB(t, "postgres", dsn), "poller/servicenow/incident", &running, &most))
	}
	for round := range 3 {
		require.Eventually(t, func() bool { return len(leaders(rs)) == 1 }, 10*time.Second, 10*time.Millisecond, "round %d: one leader", round)
		leader := leaders(rs)[0]
		rs[leader].stop()
		assert.False(t, rs[leader].leading.Load(), "a stopped replica reports it no longer leads")
		rs = append(rs[:leader], rs[leader+1:]...)
		if len(rs) == 0 {
			break
		}
		require.Eventually(t, func() bool { return len(leaders(rs)) == 1 }, 10*time.Second, 10*time.Millisecond, "round %d: another replica takes over", round)
	}
	assert.Equal(t, int64(1), most.Load(), "the job never ran in two replicas at once")
}

// Jobs of different names are independent: two replicas can lead one each.
func TestLeadJobsAreIndependent(t *testing.T) {
	t.Parallel()
	dsn := newPostgresDatabase(t)
	db := openTestDB(t, "postgres", dsn)
	var running, most atomic.Int64
	a := startReplica(t, db, "poller/a", &running, &most)
	b := startReplica(t, db, "poller/b", &running, &most)
	require.Eventually(t, func() bool { return a.leading.Load() && b.leading.Load() }, 10*time.Second, 10*time.Millisecond)
	assert.NotEqual(t, leadKey("poller/a"), leadKey("poller/b"))
}

// A leader whose session is ended under it (an administrator's
// pg_terminate_backend, the server's idle timeout after a partition)
// stops its job; the job goes on in one replica.
func TestLeadStopsWhenItsSessionEnds(t *testing.T) {
	t.Parallel()
	dsn := newPostgresDatabase(t)
	var running, most atomic.Int64
	rs := []*replica{
		startReplica(t, openTestDB(t, "postgres", dsn), "poller/x", &running, &most),
		startReplica(t, openTestDB(t, "postgres", dsn), "poller/x", &running, &most),
	}
	require.Eventually(t, func() bool { return len(leaders(rs)) == 1 }, 10*time.Second, 10*time.Millisecond)
	old := rs[leaders(rs)[0]]
	runs := old.runs.Load()

	admin, err := sql.Open("postgres", dsn)
	require.NoError(t, err)
	defer admin.Close()
	var killed int
	require.NoError(t, admin.QueryRow(`SELECT count(pg_terminate_backend(a.pid)) FROM pg_stat_activity a
		JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objsubid = 2
		WHERE a.application_name = 'steward leader poller/x'`, leadLockClass).Scan(&killed))
	require.Equal(t, 1, killed, "the lock holder is found by its application_name")

	require.Eventually(t, func() bool {
		return len(leaders(rs)) == 1 && (rs[leaders(rs)[0]] != old || old.runs.Load() > runs)
	}, 10*time.Second, 10*time.Millisecond, "the job was stopped and runs again in one replica")
	require.Eventually(t, func() bool { return running.Load() == 1 }, 10*time.Second, time.Millisecond)
}

func TestLeadSQLiteRunsAtOnce(t *testing.T) {
	t.Parallel()
	db := openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db"))
	var running, most atomic.Int64
	r := startReplica(t, db, "poller/x", &running, &most)
	require.Eventually(t, r.leading.Load, 5*time.Second, time.Millisecond)
	r.stop()
	assert.False(t, r.leading.Load())
	assert.Equal(t, int64(1), r.runs.Load())
}

// WithLock makes two processes take turns: the second waits in PostgreSQL
// until the first's fn returns.
func TestWithLock(t *testing.T) {
	t.Parallel()
	dsn := newPostgresDatabase(t)
	a, b := openTestDB(t, "postgres", dsn), openTestDB(t, "postgres", dsn)
	ctx := context.Background()
	inA, releaseA := make(chan struct{}), make(chan struct{})
	go func() {
		assert.NoError(t, a.WithLock(ctx, "hook/pagerduty", func() { close(inA); <-releaseA }))
	}()
	<-inA
	var ranB atomic.Bool
	doneB := make(chan error, 1)
	go func() { doneB <- b.WithLock(ctx, "hook/pagerduty", func() { ranB.Store(true) }) }()
	require.Eventually(t, func() bool { return waitingForLock(t, a) == 1 }, 10*time.Second, 10*time.Millisecond, "b waits for the lock")
	assert.False(t, ranB.Load())
	require.NoError(t, a.WithLock(ctx, "hook/github", func() {}), "another name is another lock")
	close(releaseA)
	require.NoError(t, <-doneB)
	assert.True(t, ranB.Load())

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	assert.Error(t, b.WithLock(canceled, "hook/pagerduty", func() { t.Error("ran without the lock") }))
}

// waitingForLock counts the sessions waiting for a WithLock lock.
func waitingForLock(t *testing.T, db *DB) int {
	var n int
	require.NoError(t, db.read.Get(&n, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1`, mutexLockClass))
	return n
}

func TestWithLockSQLite(t *testing.T) {
	t.Parallel()
	db := openTestDB(t, "sqlite", filepath.Join(t.TempDir(), "steward.db"))
	ran := false
	require.NoError(t, db.WithLock(context.Background(), "x", func() { ran = true }))
	assert.True(t, ran)
}

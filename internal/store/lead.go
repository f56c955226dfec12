package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/lib/pq"
)

// leadLockClass is the first key of every leader lock,
// pg_try_advisory_lock(leadLockClass, hash of the job's name): "Stwd".
// pg_locks shows it as classid, with objsubid 2.
const leadLockClass int32 = 0x53747764

// LeadOptions tune Lead. Zero values take the defaults, which move a job
// to another process within about two seconds of its leader's death, and
// within about fifteen of a leader cut off from PostgreSQL by the network.
type LeadOptions struct {
	// Retry is how often a process that does not run the job tries to
	// take it over; default 2s.
	Retry time.Duration
	// Check is how often the leader makes sure its session still holds
	// the lock; default 1s.
	Check time.Duration
	// Timeout is how long the leader waits for an answer from PostgreSQL
	// before it gives the job up; default 2s.
	Timeout time.Duration
	// Leading, if set, is told true when this process starts the job and
	// false once the job has returned.
	Leading func(leading bool)
}

func (o LeadOptions) withDefaults() LeadOptions {
	if o.Retry <= 0 {
		o.Retry = 2 * time.Second
	}
	if o.Check <= 0 {
		o.Check = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Leading == nil {
		o.Leading = func(bool) {}
	}
	return o
}

// idleTimeout is the server's side of the bargain: PostgreSQL ends a
// session that has sent nothing for this long, which releases its lock. It
// is three times the longest a live session stays silent, so a leader that
// lost touch has given the job up (after at most Check+Timeout) well
// before another process can take it.
func (o LeadOptions) idleTimeout() time.Duration {
	return max(10*time.Second, 3*max(o.Check+o.Timeout, o.Retry))
}

// Lead runs job in this process only while no other process on the same
// PostgreSQL database runs the job of that name, until ctx ends. It returns
// once job has returned.
//
// The job is chosen through a session-level advisory lock held by a
// dedicated connection: whoever holds the lock runs the job, the others
// try to take it every Retry. The leader checks its session every Check and
// stops the job (cancelling the context it gave job, and waiting for job to
// return) as soon as the session is gone or does not answer within
// Timeout; the session is then closed, which releases the lock. A process
// that dies releases the lock with its connection: at once when its socket
// closes (a crash, SIGKILL), after the session's idle timeout (see
// idleTimeout) when it vanished from the network. If job returns while its
// process still leads, the lock is released and taken again like any other
// (so job may run again here or elsewhere).
//
// The residual risk is a leader that is paused (a stopped VM, a long GC
// pause) for longer than the idle timeout: PostgreSQL ends its session and
// lets another process lead, and for the up to Check it takes the paused
// one to notice after resuming, both run the job. Writes that must not
// interleave should therefore also be fenced in the database, as pollers
// are by WriteAfter.
//
// On SQLite, a single node, job simply runs until ctx ends.
func (db *DB) Lead(ctx context.Context, name string, o LeadOptions, job func(ctx context.Context)) {
	o = o.withDefaults()
	pg, ok := db.d.(postgresDialect)
	if !ok {
		o.Leading(true)
		job(ctx)
		o.Leading(false)
		return
	}
	c, err := pq.NewConnector(pg.dsn)
	if err != nil { // Open parsed this DSN already
		db.log.Error("leader election impossible; the job does not run", "job", name, "err", err)
		return
	}
	c.Dialer(keepaliveDialer())
	pool := sql.OpenDB(c)
	// A session is used once and closed, never pooled: closing it is what
	// releases its lock.
	pool.SetMaxIdleConns(0)
	defer pool.Close()
	e := &elector{pool: pool, name: name, key: leadKey(name), o: o, log: db.log.With("job", name), job: job}
	e.run(ctx)
}

// leadKey is the second key of a job's lock: a hash of its name, positive
// so that it reads the same as pg_locks' objid.
func leadKey(name string) int32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int32(h.Sum32() & 0x7fffffff)
}

type elector struct {
	pool *sql.DB
	name string
	key  int32
	o    LeadOptions
	log  *slog.Logger
	job  func(ctx context.Context)
}

// run tries to take the lock every Retry and leads whenever it has it.
func (e *elector) run(ctx context.Context) {
	var s *session
	defer func() { s.close() }()
	failing := false
	for {
		var err error
		if s == nil {
			s, err = e.connect(ctx)
		}
		if err == nil {
			var got bool
			if got, err = s.tryLock(ctx, e.key); err == nil && got {
				e.lead(ctx, s)
				s.close()
				s = nil
			}
		}
		if err != nil && ctx.Err() == nil {
			s.close()
			s = nil
			if !failing { // once per outage, not every Retry
				e.log.Warn("cannot take part in leader election; retrying", "err", err)
			}
		}
		failing = err != nil
		if sleep(ctx, e.o.Retry) != nil {
			return
		}
	}
}

// lead runs the job until ctx ends, the job returns or the session fails
// a check, and returns once the job has returned.
func (e *elector) lead(ctx context.Context, s *session) {
	jobCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	e.log.Info("leading: this replica runs the job")
	e.o.Leading(true)
	go func() {
		defer close(done)
		e.job(jobCtx)
	}()
	t := time.NewTicker(e.o.Check)
	defer t.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-done:
			e.log.Warn("the job returned while leading; releasing it")
			break loop
		case <-t.C:
			if err := s.holds(ctx, e.key); err != nil {
				if ctx.Err() == nil {
					e.log.Warn("lost the leader lock; stopping the job so that another replica can take it", "err", err)
				}
				break loop
			}
		}
	}
	stop()
	<-done
	e.o.Leading(false)
}

// connect opens a leader session: named in pg_stat_activity, and ended by
// the server if it goes silent for the idle timeout.
func (e *elector) connect(ctx context.Context) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, e.o.Timeout)
	defer cancel()
	conn, err := e.pool.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	s := &session{conn: conn, timeout: e.o.Timeout}
	settings := [][2]string{
		{"application_name", "steward leader " + e.name},
		{"idle_session_timeout", fmt.Sprint(e.o.idleTimeout().Milliseconds())},
		// The server's own keepalives end the session of a vanished
		// client; idle_session_timeout (PostgreSQL 14 and later) is the
		// bound that does not depend on the network.
		{"tcp_keepalives_idle", "5"},
		{"tcp_keepalives_interval", "2"},
		{"tcp_keepalives_count", "3"},
	}
	for _, kv := range settings {
		if _, err := ask[string](ctx, s, `SELECT set_config($1, $2, false)`, kv[0], kv[1]); err != nil {
			var pqErr *pq.Error
			if errors.As(err, &pqErr) && kv[0] == "idle_session_timeout" {
				e.log.Warn("PostgreSQL before 14 has no idle_session_timeout: a leader cut off by the network holds its job until TCP keepalives end its session", "err", err)
				continue
			}
			s.close()
			return nil, fmt.Errorf("set %s: %w", kv[0], err)
		}
	}
	return s, nil
}

// session is one dedicated connection. Every query is bounded by timeout
// even when the network swallows it: lib/pq waits for the server to
// confirm a cancellation, which a partition delays for minutes.
type session struct {
	conn    *sql.Conn
	timeout time.Duration
	broken  bool // a query did not return: closing must not wait for it
}

func (s *session) tryLock(ctx context.Context, key int32) (bool, error) {
	got, err := ask[bool](ctx, s, `SELECT pg_try_advisory_lock($1, $2)`, leadLockClass, key)
	if err != nil {
		return false, fmt.Errorf("try lock: %w", err)
	}
	return got, nil
}

// holds checks that the session is alive and still holds the lock.
func (s *session) holds(ctx context.Context, key int32) error {
	held, err := ask[bool](ctx, s, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND pid = pg_backend_pid() AND classid = $1 AND objid = $2 AND objsubid = 2)`, leadLockClass, key)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if !held {
		return errors.New("check: the session no longer holds the lock")
	}
	return nil
}

// ask runs a query returning one value and gives up after the session's
// timeout, leaving the query to end on its own.
func ask[T any](ctx context.Context, s *session, query string, args ...any) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	type answer struct {
		v   T
		err error
	}
	answers := make(chan answer, 1)
	go func() {
		var a answer
		a.err = s.conn.QueryRowContext(ctx, query, args...).Scan(&a.v)
		answers <- a
	}()
	select {
	case a := <-answers:
		return a.v, a.err
	case <-ctx.Done():
		s.broken = true
		var zero T
		return zero, ctx.Err()
	}
}

// close ends the session, which releases its lock. A broken session is
// closed in the background: database/sql waits for the query in flight,
// which ends when TCP keepalives give up.
func (s *session) close() {
	if s == nil {
		return
	}
	if s.broken {
		go s.conn.Close()
		return
	}
	_ = s.conn.Close()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// RecordsChannel is the PostgreSQL notification channel on which every
// write of incidents or changes announces itself, so that the other Steward
// processes on the database recompute at once instead of at their next
// timer tick. The payload names the writing DB (a random token), so that
// a process passes its own writes over.
const RecordsChannel = "steward_records"

// listenPing is how often the listener checks its connection: one that
// died silently (a network partition) is noticed and replaced within it.
const listenPing = 30 * time.Second

// announce queues a notification on RecordsChannel in tx. PostgreSQL
// delivers it when tx commits, after the records are visible, and drops it
// when tx rolls back; notifications of one transaction are merged. SQLite
// has no other process to tell.
func (db *DB) announce(ctx context.Context, tx *sqlx.Tx) error {
	if _, ok := db.d.(postgresDialect); !ok {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, RecordsChannel, db.token); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Listen calls fn after each commit of new incidents or changes by any
// other process on this PostgreSQL database (any other DB), once when it
// starts listening, and after every reconnection, since notifications sent
// while the connection was down are lost. It holds a connection of its own,
// reconnecting with backoff, until ctx ends; fn must not block.
//
// The writes of this DB are not announced to it: their writers tell whom
// they concern themselves (the daemon's ingest hands its records to the
// KPI engine before answering), and being told again at the very commit
// would make the engine read back what the writer is about to hand it.
//
// On SQLite, where every writer is this process or another on the same
// host that Steward does not support running beside it, Listen returns nil
// at once.
func (db *DB) Listen(ctx context.Context, fn func()) error {
	pg, ok := db.d.(postgresDialect)
	if !ok {
		return nil
	}
	l := pq.NewDialListener(keepaliveDialer(), pg.dsn, time.Second, 30*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			db.log.Warn("lost the notification connection; KPIs follow other replicas' writes on the timer until it is back", "err", err)
		case pq.ListenerEventReconnected:
			db.log.Info("notification connection is back")
		case pq.ListenerEventConnectionAttemptFailed:
			db.log.Debug("notification connection attempt failed", "err", err)
		}
	})
	stop := context.AfterFunc(ctx, func() { _ = l.Close() })
	defer func() {
		if stop() {
			_ = l.Close()
		}
	}()
	if err := l.Listen(RecordsChannel); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("store: listen: %w", err)
	}
	fn() // writes between the caller's last read and LISTEN were not announced to us
	go pingListener(ctx, l)
	for {
		select {
		case <-ctx.Done():
			return nil
		case n, ok := <-l.Notify:
			if !ok {
				return nil
			}
			if n != nil && n.Extra == db.token {
				continue // a write of this DB
			}
			fn() // a nil notification follows a reconnection: something may have been missed
		}
	}
}

// pingListener makes the listener notice a dead connection (and so
// reconnect) even when no notification is due. It runs apart from the
// receive loop because a ping on a partitioned network blocks until TCP
// gives up.
func pingListener(ctx context.Context, l *pq.Listener) {
	t := time.NewTicker(listenPing)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.Ping(); errors.Is(err, net.ErrClosed) {
				return
			}
		}
	}
}

// keepaliveDialer dials with short TCP keepalives, so that a connection
// that lives long and idle (the listener's, a leader's) notices a peer that
// vanished without closing it in about ten seconds instead of minutes.
func keepaliveDialer() pq.Dialer {
	return dialer{net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 5 * time.Second, Interval: 2 * time.Second, Count: 3}}}
}

type dialer struct{ d net.Dialer }

func (d dialer) Dial(network, address string) (net.Conn, error) { return d.d.Dial(network, address) }

func (d dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.d.DialContext(ctx, network, address)
}

func (d dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return d.d.DialContext(ctx, network, address)
}

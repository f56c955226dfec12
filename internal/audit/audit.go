// Package audit writes Steward's audit log: who did what to the daemon or
// its data, when, and with what outcome (config reloads, quarantine reads,
// imports, review freezes, every admin call). Lines are structured slog
// records on a logger of their own, each carrying audit=true, so they can
// go to a file of JSON lines or be picked out of the daemon's log.
//
// It must not decide what is an admin action (package auth and the commands
// do) and must never be handed a secret: it logs names, not credentials.
package audit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
)

// Outcomes of an audited action.
const (
	Success = "success"
	Failure = "failure"
	Denied  = "denied" // the credential was missing, wrong or short of the scope
)

// Actor kinds: who did it.
const (
	KindToken     = "token"     // a bearer token of the config, by name
	KindUser      = "user"      // a basic auth user of the web config file
	KindAnonymous = "anonymous" // no credential, while authentication is off (or none was given)
	KindLocal     = "local"     // a command run on the host (steward import, report --freeze)
	KindSignal    = "signal"    // SIGHUP
)

// Entry is one audited action.
type Entry struct {
	Actor     string // token or user name, "local", "SIGHUP"...
	ActorKind string
	Action    string // config.reload, reviews.freeze, quarantine.read, records.import...
	Outcome   string // Success, Failure or Denied
	Reason    string // why it failed or was denied
	Attrs     []slog.Attr
}

// Log writes audit entries.
type Log struct{ l *slog.Logger }

// New writes audit entries to l, marking each with audit=true.
func New(l *slog.Logger) *Log { return &Log{l: l.With("audit", true)} }

// Discard is a Log that writes nothing, for tests and tools that have none.
func Discard() *Log { return New(slog.New(slog.DiscardHandler)) }

// Open writes audit entries as JSON lines appended to the file at path
// (created with mode 0600), or to fallback when path is empty. The closer
// closes the file.
func Open(path string, fallback *slog.Logger) (*Log, io.Closer, error) {
	if path == "" {
		return New(fallback), nopCloser{}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("audit log: %w", err)
	}
	return New(slog.New(slog.NewJSONHandler(f, nil))), f, nil
}

// Record writes one entry. Denials and failures are warnings, so that a log
// shipper filtering by level still sees them.
func (a *Log) Record(ctx context.Context, e Entry) {
	level := slog.LevelInfo
	if e.Outcome != Success {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("action", e.Action),
		slog.String("actor", e.Actor),
		slog.String("actor_kind", e.ActorKind),
		slog.String("outcome", e.Outcome),
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", e.Reason))
	}
	a.l.LogAttrs(ctx, level, "audit: "+e.Action, append(attrs, e.Attrs...)...)
}

// Local is the actor of a command run on the host: "local", with the
// operating system user running it as an attribute.
func Local() (actor string, attrs []slog.Attr) {
	if u, err := user.Current(); err == nil {
		return KindLocal, []slog.Attr{slog.String("os_user", u.Username)}
	}
	return KindLocal, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

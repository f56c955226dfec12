package audit

import (
	"context"
	"io"
	"log/slog"
)

// OpenLocal opens the audit log of a command run on the host: the file
// at path (e.g. the daemon's --log.audit-file, so that the command's line
// joins the daemon's), or stderr as logfmt.
func OpenLocal(path string, stderr io.Writer) (*Log, io.Closer, error) {
	return Open(path, slog.New(slog.NewTextHandler(stderr, nil)))
}

// RecordLocal audits an action of a command run on the host: its actor is
// "local", with the operating system user; err is its outcome.
func (a *Log) RecordLocal(ctx context.Context, action string, err error, attrs ...slog.Attr) {
	actor, who := Local()
	e := Entry{Actor: actor, ActorKind: KindLocal, Action: action, Outcome: Success, Attrs: append(who, attrs...)}
	if err != nil {
		e.Outcome, e.Reason = Failure, err.Error()
	}
	a.Record(ctx, e)
}

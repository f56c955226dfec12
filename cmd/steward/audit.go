package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/steward-sh/steward/audit"
)

// auditFlag adds --log.audit-file to a command that does what only admins
// may do through the API (import records, freeze reviews, read the
// quarantine), so that its audit line can join the daemon's.
func auditFlag(fs *flag.FlagSet) *string {
	return fs.String("log.audit-file", "", "Append the audit line of this action to this file (JSON lines), e.g. the daemon's --log.audit-file; default: standard error, with audit=true.")
}

// localAudit opens a command's audit log: the file, or stderr as logfmt.
func localAudit(path string, stderr io.Writer) (*audit.Log, io.Closer, error) {
	return audit.Open(path, slog.New(slog.NewTextHandler(stderr, nil)))
}

// recordLocal audits an action of a command run on the host: its actor is
// "local", with the operating system user.
func recordLocal(ctx context.Context, log *audit.Log, action string, err error, attrs ...slog.Attr) {
	actor, who := audit.Local()
	e := audit.Entry{Actor: actor, ActorKind: audit.KindLocal, Action: action, Outcome: audit.Success, Attrs: append(who, attrs...)}
	if err != nil {
		e.Outcome, e.Reason = audit.Failure, err.Error()
	}
	log.Record(ctx, e)
}

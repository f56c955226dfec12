package main

import (
	"flag"
)

// auditFlag adds --log.audit-file to a command that does what only admins
// may do through the API (import records, freeze reviews, read the
// quarantine), so that its audit line can join the daemon's.
func auditFlag(fs *flag.FlagSet) *string {
	return fs.String("log.audit-file", "", "Append the audit line of this action to this file (JSON lines), e.g. the daemon's --log.audit-file; default: standard error, with audit=true.")
}

//go:build !unix

package spool

import (
	"io"
	"os"
)

// lockDir only creates the lock file where flock is not available: there
// the operator must not point two daemons at one spool.
func lockDir(path string) (io.Closer, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

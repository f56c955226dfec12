//go:build unix

package spool

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// lockDir takes an exclusive lock on path, which the kernel releases when
// the process ends however it ends, so a crash never leaves the spool
// locked.
func lockDir(path string) (io.Closer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errors.New("in use by another process")
		}
		return nil, err
	}
	return f, nil
}

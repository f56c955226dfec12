// Command steward-bench measures Steward on a generated enterprise dataset
// and compares it with the SQL a user would write instead (see
// BENCHMARKS.md). It runs the steward binary as the daemon, so that the
// figures are those of the daemon users run; its own SQL side (database/sql
// and lib/pq) stays out of that binary.
package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/steward-sh/steward/internal/cli"
)

func main() { cli.Main("steward-bench", runBench) }

// newFlags makes the FlagSet of steward-bench, whose --help explains it.
func newFlags(summary string, stderr io.Writer) *flag.FlagSet {
	return cli.NewFlags("steward-bench", summary, stderr)
}

// daemonBinary finds the steward binary the bench runs when
// --daemon.binary is not given: beside steward-bench (make bench builds
// both into bin/), else on the PATH.
func daemonBinary() (string, error) {
	if exe, err := os.Executable(); err == nil {
		bin := filepath.Join(filepath.Dir(exe), "steward")
		if fi, err := os.Stat(bin); err == nil && !fi.IsDir() {
			return bin, nil
		}
	}
	bin, err := exec.LookPath("steward")
	if err != nil {
		return "", errors.New("no steward binary beside steward-bench or on the PATH: build it (make build) and give --daemon.binary bin/steward")
	}
	return bin, nil
}

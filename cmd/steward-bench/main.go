// Command steward-bench measures Steward on a generated enterprise dataset
// and compares it with the SQL a user would write instead (see
// BENCHMARKS.md). It runs the steward binary as the daemon, so that the
// figures are those of the daemon users run; its own SQL side (database/sql
// and lib/pq) stays out of that binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
)

// errUsage marks errors already explained to the user by the FlagSet;
// errHelp marks a --help that was answered.
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := runBench(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, errHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "steward-bench: %v\n", err)
		os.Exit(1)
	}
}

// newFlags makes the FlagSet of steward-bench, whose --help explains it.
func newFlags(summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("steward-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: steward-bench [flags]\n\n%s\n\nFlags:\n", summary)
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	return nil
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

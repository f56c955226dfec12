// Package cli holds what Steward's commands share about their command
// lines: a FlagSet whose --help explains the command, the parse that tells
// a usage error from a --help, and the exit codes that follow.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

var (
	// ErrUsage marks an error already explained to the user by a FlagSet:
	// the command exits 2 without saying more.
	ErrUsage = errors.New("usage")
	// ErrHelp marks a --help that was answered: the command exits 0.
	ErrHelp = errors.New("help")
)

// NewFlags makes a FlagSet named name (the command line as users type it,
// such as "steward backfill") whose --help prints summary and the flags.
func NewFlags(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses args into fs, which takes no positional arguments: it
// returns ErrHelp for --help and ErrUsage for anything fs has explained.
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ErrHelp
		}
		return ErrUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return ErrUsage
	}
	return nil
}

// Main runs a command until it returns or SIGINT/SIGTERM cancels its
// context, and exits as the error says: 0 on success or --help, 2 on a
// usage error, 1 (after printing "prog: err") otherwise.
func Main(prog string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, ErrHelp):
	case errors.Is(err, ErrUsage):
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
		os.Exit(1)
	}
}

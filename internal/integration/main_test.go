// Package integration tests the whole daemon: in process through
// daemon.Run, or as the steward binary (to kill it, restart it, run its
// commands), against the real stores (SQLite, PostgreSQL) and services
// (Prometheus, VictoriaMetrics, Alertmanager, promtool, headless Chromium).
// With CI=true a missing service fails a test rather than skipping it.
//
// These tests take minutes; `make test-unit` leaves this package out and
// `make test` runs it with everything else.
package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stewardBin is the steward binary TestMain builds once for every test.
var stewardBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "steward-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	stewardBin = filepath.Join(dir, "steward")
	if out, err := exec.Command("go", "build", "-o", stewardBin, "../../cmd/steward").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/steward: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// run runs a steward command as the binary, as a user would: its output
// goes to stdout and stderr, and a failure's error ends with the message
// the command printed. Cancelling ctx stops it as SIGTERM does.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, stewardBin, args...)
	cmd.Stdout, cmd.Stderr = stdout, io.MultiWriter(stderr, &errOut)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
		return fmt.Errorf("steward %s: %w: %s", strings.Join(args, " "), err, lines[len(lines)-1])
	}
	return err
}

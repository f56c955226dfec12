// Package promtest starts the real Prometheus-ecosystem servers tests run
// against (Prometheus, VictoriaMetrics, from the Debian packages prometheus
// and victoria-metrics) on free loopback ports, for the length of a test.
// Without the program the test skips, or fails when CI=true, so CI never
// passes without them.
package promtest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// NeedBinary finds a program; without it the test skips, or fails when
// CI=true.
func NeedBinary(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s is not installed: apt-get install %s", name, pkg)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: required)")
	}
	t.Skip(msg)
	return ""
}

// FreeLoopbackAddr returns a loopback address with a port free right now.
func FreeLoopbackAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// Process is a server started by StartProcess.
type Process struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// Stop kills the server and waits for it to exit.
func (p *Process) Stop() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// StartProcess runs a server until the test ends and waits until ready
// answers 200; its output goes to a file, printed when the test fails.
func StartProcess(t testing.TB, ready string, name string, args ...string) *Process {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), "output.log")
	out, err := os.Create(logFile)
	require.NoError(t, err)
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	p := &Process{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.Stop()
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("%s output:\n%s", filepath.Base(name), TailLines(string(b), 40))
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-p.exited:
			b, _ := os.ReadFile(logFile)
			t.Fatalf("%s exited early:\n%s", name, TailLines(string(b), 40))
		default:
		}
		if resp, err := http.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready at %s after 90s", name, ready)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TailLines returns the last n lines of s.
func TailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// StartPrometheus runs Prometheus with the given scrape configs on a free
// loopback port and returns its URL. args are added to its command line; a
// --storage.tsdb.path among them replaces the temporary one.
func StartPrometheus(t testing.TB, scrapeConfigs string, args ...string) string {
	t.Helper()
	bin := NeedBinary(t, "prometheus", "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfg, []byte("global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n"+scrapeConfigs), 0o600))
	addr := FreeLoopbackAddr(t)
	base := []string{"--config.file=" + cfg, "--web.listen-address=" + addr, "--log.level=warn"}
	if !hasArg(args, "--storage.tsdb.path") {
		base = append(base, "--storage.tsdb.path="+filepath.Join(dir, "data"))
	}
	StartProcess(t, "http://"+addr+"/-/ready", bin, append(base, args...)...)
	return "http://" + addr
}

func hasArg(args []string, name string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// StartVictoriaMetrics runs a single-node VictoriaMetrics on a free
// loopback port, showing data at once (-search.latencyOffset=0s) and
// keeping any past timestamp.
func StartVictoriaMetrics(t testing.TB) string {
	t.Helper()
	bin := NeedBinary(t, "victoria-metrics", "victoria-metrics")
	addr := FreeLoopbackAddr(t)
	StartProcess(t, "http://"+addr+"/health", bin,
		"-storageDataPath="+filepath.Join(t.TempDir(), "vm"), "-retentionPeriod=100y",
		"-httpListenAddr="+addr, "-search.latencyOffset=0s", "-loggerLevel=ERROR")
	return "http://" + addr
}

// Backfill writes OpenMetrics text (timestamps in seconds, ending in # EOF)
// into TSDB blocks with promtool and returns the data directory, for
// StartPrometheus's --storage.tsdb.path. Blocks are up to 30 days long so
// that a long history is not hundreds of small ones.
func Backfill(t testing.TB, openMetrics string) string {
	t.Helper()
	promtool := NeedBinary(t, "promtool", "prometheus")
	dir := t.TempDir()
	file := filepath.Join(dir, "history.om")
	require.NoError(t, os.WriteFile(file, []byte(openMetrics), 0o600))
	data := filepath.Join(dir, "data")
	out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics",
		"--max-block-duration=720h", file, data).CombinedOutput()
	require.NoError(t, err, "promtool: %s", out)
	return data
}

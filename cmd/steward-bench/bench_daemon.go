package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/steward-sh/steward/internal/api"
)

// benchDaemon is `steward serve` run as a child process on a loopback
// port, in a directory of its own holding its config, logs and spool.
type benchDaemon struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	started time.Time
	exited  chan struct{}
}

// startBenchDaemon runs the daemon on dir/steward.yml. It recomputes on
// ingest and otherwise hourly, so that nothing but the measured requests
// makes it work.
func startBenchDaemon(bin, dir string, batch int) (*benchDaemon, error) {
	addr, err := freeLoopback()
	if err != nil {
		return nil, err
	}
	d := &benchDaemon{url: "http://" + addr, logPath: filepath.Join(dir, "steward.log"), exited: make(chan struct{})}
	logs, err := os.OpenFile(d.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer logs.Close() // the child has its own descriptor
	args := []string{"serve", "--config.file=steward.yml", "--web.listen-address=" + addr, "--compute.interval=1h", "--log.level=warn"}
	if batch > api.DefaultMaxBatchRecords {
		args = append(args, "--web.max-batch-records="+strconv.Itoa(batch), "--web.max-body-bytes="+strconv.Itoa(max(batch*2048, api.DefaultMaxBodyBytes)))
	}
	d.cmd = exec.Command(bin, args...)
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = logs, logs
	d.started = time.Now()
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start the daemon: %w", err)
	}
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	return d, nil
}

func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("bench: find a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// waitReady waits until /readyz answers 200, that is until the first KPI
// snapshot is computed from every stored record, and returns the time
// since the process started.
func (d *benchDaemon) waitReady(ctx context.Context) (time.Duration, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		select {
		case <-d.exited:
			return 0, fmt.Errorf("bench: the daemon exited early:\n%s", d.logTail())
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
		}
		if resp, err := client.Get(d.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(d.started), nil
			}
		}
		if time.Since(d.started) > 30*time.Minute {
			return 0, fmt.Errorf("bench: the daemon is not ready after 30 minutes:\n%s", d.logTail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends the daemon as an operator would (SIGTERM), killing it if it
// does not finish within two minutes.
func (d *benchDaemon) stop() {
	if d == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(2 * time.Minute):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
}

// memory returns the daemon's resident set (VmRSS) and its peak (VmHWM).
func (d *benchDaemon) memory() (rss, peak float64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		return 0, 0, fmt.Errorf("bench: daemon memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, perr := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch {
		case perr != nil:
		case k == "VmRSS":
			rss = kb * 1024
		case k == "VmHWM":
			peak = kb * 1024
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("bench: no VmRSS in /proc/PID/status")
	}
	return rss, peak, nil
}

func (d *benchDaemon) logTail() string {
	b, _ := os.ReadFile(d.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}

// benchClient talks to the daemon over keep-alive connections, one per
// concurrent client, and leaves compression to the caller so that scrape
// sizes are what goes over the wire.
func benchClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true}}
}

// timeGet requests url and returns the time until its whole body was read.
func timeGet(ctx context.Context, client *http.Client, url string, header http.Header) (time.Duration, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header = header.Clone()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("bench: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if resp.ContentLength > 0 {
		body.Grow(int(resp.ContentLength) + bytes.MinRead) // read in place, as a client that knows the length would
	}
	_, err = body.ReadFrom(resp.Body)
	took := time.Since(start)
	if err != nil {
		return 0, nil, fmt.Errorf("bench: GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, nil, fmt.Errorf("bench: GET %s: %s: %.300s", url, resp.Status, body.Bytes())
	}
	return took, body.Bytes(), nil
}

// timeGets requests url n times, one after the other, and returns each
// latency and the last body.
func timeGets(ctx context.Context, client *http.Client, url string, header http.Header, n int) (samples, []byte, error) {
	var s samples
	var body []byte
	for range n {
		took, b, err := timeGet(ctx, client, url, header)
		if err != nil {
			return nil, nil, err
		}
		s, body = append(s, took), b
	}
	return s, body, nil
}

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// Helpers for the tests that run the daemon as a separate process, to kill
// it (crash, drain and soak tests), and the load generator they share.

// buildSteward returns the steward binary TestMain built.
func buildSteward(t *testing.T) string {
	t.Helper()
	return stewardBin
}

// stewardProc is the daemon run as a process on a fixed loopback address,
// restarted on the same store, config and spool after each kill.
type stewardProc struct {
	t      *testing.T
	bin    string
	args   []string
	url    string
	logs   string
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// startSteward runs `steward serve` with the config and extra flags until
// the test ends. Its output is kept in one file across restarts and shown
// when the test fails.
func startSteward(t *testing.T, bin, configText string, flags ...string) *stewardProc {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "steward.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(configText), 0o600))
	addr := freeLoopbackAddr(t)
	p := &stewardProc{t: t, bin: bin, url: "http://" + addr, logs: filepath.Join(dir, "steward.log"),
		args: append([]string{"serve", "--config.file=" + cfg, "--web.listen-address=" + addr, "--compute.interval=1h",
			"--spool.dir=" + filepath.Join(dir, "spool")}, flags...)}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(p.logs)
			t.Logf("steward output:\n%s", tailLines(string(b), 60))
		}
	})
	p.start()
	return p
}

// start runs the daemon and waits until it answers /healthz.
func (p *stewardProc) start() {
	p.t.Helper()
	out, err := os.OpenFile(p.logs, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	require.NoError(p.t, err)
	defer out.Close() // the child has its own descriptor
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	require.NoError(p.t, p.cmd.Start())
	p.starts++
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); close(exited) }(p.cmd, p.exited)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.exited:
			b, _ := os.ReadFile(p.logs)
			p.t.Fatalf("steward exited early:\n%s", tailLines(string(b), 40))
		default:
		}
		if resp, err := http.Get(p.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("steward not healthy at %s after 60s", p.url)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the daemon with SIGKILL: no shutdown, no flushing.
func (p *stewardProc) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	p.cmd = nil
}

func (p *stewardProc) pid() int { return p.cmd.Process.Pid }

// gauge reads an unlabelled sample of the daemon's /metrics.
func gauge(t *testing.T, base, name string) (float64, bool) {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// storedKeys lists the keys of every record in a store, reading it
// directly, and fails on a key listed twice.
func storedKeys(t *testing.T, driver, dsn string) (incidents, changes map[string]bool, quarantined []record.Rejected) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, driver, dsn, nil)
	require.NoError(t, err)
	defer st.Close()
	incidents, changes = map[string]bool{}, map[string]bool{}
	for after := int64(0); ; {
		page, err := st.Incidents(ctx, after, 5000)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		for _, in := range page {
			require.False(t, incidents[in.ID], "incident %s stored twice", in.ID)
			incidents[in.ID] = true
			after = in.Seq
		}
	}
	for after := int64(0); ; {
		page, err := st.Changes(ctx, after, 5000)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			require.False(t, changes[c.ID], "change %s stored twice", c.ID)
			changes[c.ID] = true
			after = c.Seq
		}
	}
	quarantined, err = st.Quarantined(ctx, 1_000_000)
	require.NoError(t, err)
	return incidents, changes, quarantined
}

// load posts small batches of incidents with unique ids from several
// goroutines and remembers which ids were answered 200: those must never
// be lost.
type load struct {
	url    string
	prefix string
	client *http.Client
	mu     sync.Mutex
	acked  []string
	codes  map[int]int // answers by status; 0 counts requests that got none
	lat    []time.Duration
}

func newLoad(url, prefix string) *load {
	return &load{url: url, prefix: prefix, codes: map[int]int{},
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// run posts until ctx ends, with workers goroutines.
func (l *load) run(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { l.worker(ctx, w) })
	}
	wg.Wait()
}

func (l *load) worker(ctx context.Context, w int) {
	opened := time.Now().UTC().Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339)
	for n := 0; ctx.Err() == nil; n++ {
		size := 1 + rand.IntN(5)
		ids := make([]string, size)
		var body bytes.Buffer
		body.WriteByte('[')
		for i := range ids {
			ids[i] = fmt.Sprintf("%s-w%d-%d-%d", l.prefix, w, n, i)
			if i > 0 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, `{"id":%q,"system":"payments-api","severity":%d,"opened_at":%q}`, ids[i], 1+i%5, opened)
		}
		body.WriteByte(']')
		start := time.Now()
		code, accepted := l.post(body.Bytes())
		took := time.Since(start)
		l.mu.Lock()
		l.codes[code]++
		l.lat = append(l.lat, took)
		if code == http.StatusOK && accepted == size {
			l.acked = append(l.acked, ids...)
		}
		l.mu.Unlock()
		if code != http.StatusOK {
			time.Sleep(10 * time.Millisecond) // restarting or unavailable
		}
	}
}

// post sends one batch. The request outlives the load's context, so that
// stopping the load does not cut requests short.
func (l *load) post(body []byte) (code, accepted int) {
	req, err := http.NewRequest(http.MethodPost, l.url+"/api/v1/incidents", bytes.NewReader(body))
	if err != nil {
		return 0, 0
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	var res struct{ Accepted int }
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil && resp.StatusCode == http.StatusOK {
		return 0, 0 // an answer cut short is no answer
	}
	return resp.StatusCode, res.Accepted
}

// summary returns what the load saw.
func (l *load) summary() (acked []string, codes map[int]int, requests int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.codes {
		requests += n
	}
	return slices.Clone(l.acked), maps.Clone(l.codes), requests
}

// p99 returns the 99th percentile of durations (nearest rank).
func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)*99+99)/100-1]
}

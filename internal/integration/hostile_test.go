package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
)

// hostileCollectors, in secureConfig, make an open daemon (ingest needs no
// token) with webhooks: Alertmanager's and GitLab's tokens, checked before a
// body is read, and GitHub's HMAC signature, which covers the body.
const hostileCollectors = `collectors:
  alertmanager: {token: am-secret}
  github: {secret: gh-secret}
  gitlab: {token: gl-secret}
`

// memoryCeiling is the documented bound (docs/security.md, Limits) on the daemon's
// peak resident memory under the body flood below, with the default
// limits: 32 MiB bodies, 128 MiB of bodies in flight.
const memoryCeiling = 512 << 20

// manyTeams stores incidents of n distinct teams and waits until their
// scorecards are computed; it returns n.
func manyTeams(t *testing.T, url string, n int) int {
	t.Helper()
	opened := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	for from := 0; from < n; from += 1000 {
		var b bytes.Buffer
		b.WriteByte('[')
		for i := from; i < min(n, from+1000); i++ {
			if i > from {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"team-%d","system":"payments-api","team":"team-%05d","severity":3,"opened_at":%q}`, i, i, opened)
		}
		b.WriteByte(']')
		resp, err := http.Post(url+"/api/v1/incidents", "application/json", &b)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	// Teams past limits.teams (the default here) count for the overflow
	// team: the last one within it has a scorecard of its own.
	last := fmt.Sprintf("team-%05d", min(n, config.DefaultMaxTeams)-1)
	require.Eventually(t, func() bool {
		resp, err := http.Get(url + "/api/v1/scorecards?role=team&subject=" + last)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, time.Minute, 100*time.Millisecond, "the teams' scorecards")
	return n
}

// procStatus reads a "Vm..." line of /proc/<pid>/status, in bytes.
func procStatus(t *testing.T, pid int, key string) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}

// TestSecureBoundedMemoryUnderBodyFlood runs the built daemon with 5,000
// teams and sends it 32 concurrent unsigned 32 MiB webhook posts, 32 more
// with a forged signature (whose bodies must be read to check it), 16
// concurrent 32 MiB ingest bodies and 24 concurrent reads of every team's
// scorecards (JSON, CSV, at a past time), while a client posts small
// batches and another polls /readyz. The daemon's peak resident memory (VmHWM) stays under the
// documented ceiling, /readyz answers throughout, no hostile request is
// acknowledged, and no acknowledged record is lost.
func TestSecureBoundedMemoryUnderBodyFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the daemon and sends 2.5 GiB of bodies")
	}
	bin := buildSteward(t)
	dir := t.TempDir()
	p := startSteward(t, bin, fmt.Sprintf(secureConfig, filepath.Join(dir, "steward.db"), hostileCollectors))
	teams := manyTeams(t, p.url, 5000)
	base := procStatus(t, p.pid(), "VmRSS")

	const size = 32<<20 - 64
	junk := bytes.Repeat([]byte("0,"), size/2)
	junk[0], junk[len(junk)-1] = '[', ']'
	// zeros is a valid JSON array of 16,777,215 numbers, [0,0,…,0]: each a
	// record to reject, far past the record limit.
	zeros := append(append([]byte("["), bytes.Repeat([]byte("0,"), size/2-1)...), '0', ']')
	bigTitle := append(append([]byte(`[{"id":"big","title":"`), bytes.Repeat([]byte("A"), size-40)...), []byte(`"}]`)...)

	// Hostile senders mostly send their bodies regardless; those that ask
	// first (Expect: 100-continue, as curl does for large bodies) get a
	// clean answer whenever the daemon refuses without reading.
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 100, ExpectContinueTimeout: time.Minute}}
	type answer struct {
		what   string
		status int // 0: the daemon closed the connection before the sender read its answer
	}
	var mu sync.Mutex
	var answers []answer
	post := func(what, path string, body []byte, header ...string) {
		req, err := http.NewRequest(http.MethodPost, p.url+path, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		a := answer{what: what}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			a.status = resp.StatusCode
		}
		mu.Lock()
		answers = append(answers, a)
		mu.Unlock()
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan []time.Duration, 1)
	var notReady []string
	go func() { // /readyz throughout, each answer within seconds
		var waits []time.Duration
		c := &http.Client{Timeout: 10 * time.Second}
		for ctx.Err() == nil {
			start := time.Now()
			resp, err := c.Get(p.url + "/readyz")
			switch {
			case err != nil:
				notReady = append(notReady, err.Error())
			case resp.StatusCode != http.StatusOK:
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				notReady = append(notReady, string(b))
			default:
				resp.Body.Close()
				waits = append(waits, time.Since(start))
			}
			time.Sleep(50 * time.Millisecond)
		}
		ready <- waits
	}()
	small := newLoad(p.url, "hostile")
	loadDone := make(chan struct{})
	go func() { small.run(ctx, 2); close(loadDone) }()

	var wg sync.WaitGroup
	reads := map[string]int{}
	for i := range 24 {
		query := []string{"role=team", "role=team&format=csv", "role=team&at=" + time.Now().UTC().Format(time.RFC3339)}[i%3]
		wg.Go(func() {
			resp, err := client.Get(p.url + "/api/v1/scorecards?" + query)
			status := 0
			if err == nil {
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
				if status == http.StatusOK && (err != nil || len(body) < teams*100) {
					status = -1 // cut short, or missing cards
					t.Logf("%s: %d bytes (%v), from %.200q", query, len(body), err, body)
				}
			}
			mu.Lock()
			reads[fmt.Sprint(status)]++
			mu.Unlock()
		})
	}
	for i := range 32 {
		wg.Go(func() { post("unsigned alertmanager", "/hooks/alertmanager", junk) })
		wg.Go(func() { post("unsigned github", "/hooks/github", junk, "X-GitHub-Event", "deployment") })
		if i < 8 {
			wg.Go(func() { post("unsigned, asking first", "/hooks/gitlab", junk, "Expect", "100-continue") })
		}
		wg.Go(func() {
			post("forged github", "/hooks/github", junk, "X-GitHub-Event", "deployment",
				"X-Hub-Signature-256", "sha256="+strings.Repeat("ab", 32))
		})
		if i < 16 {
			wg.Go(func() { post("ingest", "/api/v1/incidents", bigTitle) })
			// 16,777,215 records: decoding stops at the record limit.
			wg.Go(func() { post("ingest, too many records", "/api/v1/incidents", zeros) })
		}
	}
	wg.Wait()
	// Once the flood is over the bound admits them: a body of 16,777,215
	// records is decoded as a stream and refused at the record limit.
	for range 2 {
		post("ingest, too many records, alone", "/api/v1/incidents", zeros)
	}
	stop()
	<-loadDone
	waits := <-ready
	peak := procStatus(t, p.pid(), "VmHWM")
	t.Logf("resident memory: %d MiB at start, %d MiB at peak (ceiling %d MiB)", base>>20, peak>>20, memoryCeiling>>20)

	byWhat := map[string]map[int]int{}
	for _, a := range answers {
		if byWhat[a.what] == nil {
			byWhat[a.what] = map[int]int{}
		}
		byWhat[a.what][a.status]++
	}
	t.Logf("answers: %v; every team's scorecards: %v", byWhat, reads)
	for status := range reads {
		assert.Contains(t, []string{"200", "503"}, status, "all-subjects reads answer whole, or 503 past --web.max-concurrent-reads")
	}
	// A refusal without reading may reach a sender still sending as a
	// closed connection (0); nothing hostile is ever accepted.
	assert.Equal(t, map[int]int{http.StatusUnauthorized: 8}, byWhat["unsigned, asking first"], "refused before the body is read")
	for what, want := range map[string][]int{
		"unsigned alertmanager":           {0, http.StatusUnauthorized},
		"unsigned github":                 {0, http.StatusUnauthorized},
		"forged github":                   {0, http.StatusUnauthorized, http.StatusServiceUnavailable},
		"ingest":                          {0, http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable},
		"ingest, too many records":        {0, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable},
		"ingest, too many records, alone": {http.StatusRequestEntityTooLarge},
	} {
		for status := range byWhat[what] {
			assert.Contains(t, want, status, what)
		}
	}
	assert.Less(t, peak, int64(memoryCeiling), "peak resident memory")

	require.NotEmpty(t, waits)
	assert.Empty(t, notReady, "/readyz failed during the flood")
	var slowest time.Duration
	for _, w := range waits {
		slowest = max(slowest, w)
	}
	t.Logf("/readyz: %d answers, slowest %v", len(waits), slowest)
	assert.Less(t, slowest, 5*time.Second, "/readyz answers throughout")

	acked, codes, _ := small.summary()
	t.Logf("small batches: %v", codes)
	require.NotEmpty(t, acked)
	p.kill()
	stored, _, _ := storedKeys(t, "sqlite", filepath.Join(dir, "steward.db"))
	for _, id := range acked {
		require.True(t, stored[id], "acknowledged incident %s lost", id)
	}
}

package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
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
)

// soakIDs is how many distinct incidents the soak upserts: the store stays
// the same size once they all exist, so steady-state memory must stay flat.
const soakIDs = 2000

// soakDuration is the soak's length: 15 s (5 s with -short), or
// STEWARD_SOAK_DURATION for a longer run by hand.
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("STEWARD_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "STEWARD_SOAK_DURATION")
		return d
	}
	if testing.Short() {
		return 5 * time.Second
	}
	return 15 * time.Second
}

// soakStats is what the soak's clients saw, by kind of request.
type soakStats struct {
	mu       sync.Mutex
	requests map[string]int
	errors   map[string][]string // unexpected answers, a few kept for the message
	failed   map[string]int
	lat      map[string][]time.Duration
}

func newSoakStats() *soakStats {
	return &soakStats{requests: map[string]int{}, errors: map[string][]string{}, failed: map[string]int{}, lat: map[string][]time.Duration{}}
}

func (s *soakStats) do(client *http.Client, kind string, req *http.Request) {
	start := time.Now()
	resp, err := client.Do(req)
	var problem string
	switch {
	case err != nil:
		problem = err.Error()
	default:
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			problem = resp.Status
		}
	}
	took := time.Since(start)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[kind]++
	s.lat[kind] = append(s.lat[kind], took)
	if problem != "" {
		s.failed[kind]++
		if len(s.errors[kind]) < 5 {
			s.errors[kind] = append(s.errors[kind], problem)
		}
	}
}

// ingestBatch upserts five of the soak's incidents with new values.
func ingestBatch(base string) *http.Request {
	var b bytes.Buffer
	b.WriteByte('[')
	now := time.Now().UTC().Truncate(time.Second)
	for i := range 5 {
		if i > 0 {
			b.WriteByte(',')
		}
		opened := now.Add(-time.Duration(rand.IntN(30*24)) * time.Hour)
		resolved := ""
		if rand.IntN(2) == 0 {
			resolved = fmt.Sprintf(`,"resolved_at":%q`, opened.Add(time.Duration(1+rand.IntN(48))*time.Hour).Format(time.RFC3339))
		}
		fmt.Fprintf(&b, `{"id":"soak-%d","system":"payments-api","team":"team-%d","severity":%d,"impact":"outage","opened_at":%q%s}`,
			rand.IntN(soakIDs), rand.IntN(5), 1+rand.IntN(5), opened.Format(time.RFC3339), resolved)
	}
	b.WriteByte(']')
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/incidents", &b)
	req.Header.Set("Content-Type", "application/json")
	return req
}

// rssBytes is a process's resident set size, from /proc.
func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Skipf("no /proc here to read the daemon's memory: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("VmRSS not in /proc status")
	return 0
}

// The soak test runs the daemon as a process on SQLite and, on loopback,
// upserts incidents, scrapes /metrics and reads scorecards concurrently
// for a bounded time. Every request must be answered 2xx, and the daemon's
// resident memory must stay flat once the data set has its full size.
func TestSoak(t *testing.T) {
	duration := soakDuration(t)
	bin := buildSteward(t)
	dsn := filepath.Join(t.TempDir(), "steward.db")
	p := startSteward(t, bin, durableConfig("sqlite", dsn))
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}

	// Every incident exists before memory is first measured.
	for i := 0; i < soakIDs; i += 100 {
		var b bytes.Buffer
		b.WriteByte('[')
		for j := i; j < i+100; j++ {
			if j > i {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"soak-%d","system":"payments-api","severity":3,"opened_at":"2026-01-01T00:00:00Z"}`, j)
		}
		b.WriteByte(']')
		resp, err := client.Post(p.url+"/api/v1/incidents", "application/json", &b)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}

	reads := []string{
		"/api/v1/scorecards?role=system", "/api/v1/scorecards?role=team", "/api/v1/scorecards?role=global",
		"/api/v1/scorecards?role=system_owner&subject=alice", "/api/v1/scorecards?role=process_owner&format=csv", "/readyz",
	}
	run := func(d time.Duration, stats *soakStats) {
		ctx, stop := context.WithTimeout(context.Background(), d)
		defer stop()
		var wg sync.WaitGroup
		worker := func(kind string, next func() *http.Request, pause time.Duration) {
			wg.Go(func() {
				for ctx.Err() == nil {
					stats.do(client, kind, next())
					time.Sleep(pause)
				}
			})
		}
		for range 4 {
			worker("ingest", func() *http.Request { return ingestBatch(p.url) }, 2*time.Millisecond)
		}
		for range 2 {
			worker("scrape", func() *http.Request { r, _ := http.NewRequest(http.MethodGet, p.url+"/metrics", nil); return r }, 50*time.Millisecond)
		}
		for range 3 {
			worker("read", func() *http.Request {
				r, _ := http.NewRequest(http.MethodGet, p.url+reads[rand.IntN(len(reads))], nil)
				return r
			}, 5*time.Millisecond)
		}
		wg.Wait()
	}

	run(3*time.Second, newSoakStats()) // warm-up: caches, pools, the first snapshots
	time.Sleep(500 * time.Millisecond)
	before := rssBytes(t, p.pid())
	stats := newSoakStats()
	run(duration, stats)
	time.Sleep(time.Second) // let the last recompute finish
	after := rssBytes(t, p.pid())

	var all []time.Duration
	var requests, failures int
	var perKind []string
	for _, kind := range []string{"ingest", "scrape", "read"} {
		all = append(all, stats.lat[kind]...)
		requests += stats.requests[kind]
		failures += stats.failed[kind]
		perKind = append(perKind, fmt.Sprintf("%s %d (p99 %v, errors %d)", kind, stats.requests[kind],
			p99(stats.lat[kind]).Round(100*time.Microsecond), stats.failed[kind]))
	}
	const mib = 1 << 20
	t.Logf("soak test (sqlite, %v, loopback): %d requests, %d errors, p99 latency %v; %s; daemon RSS before %.1f MiB, after %.1f MiB (%+.1f MiB)",
		duration, requests, failures, p99(all).Round(100*time.Microsecond), strings.Join(perKind, ", "),
		float64(before)/mib, float64(after)/mib, float64(after-before)/mib)

	assert.Zero(t, failures, "every request is answered 2xx: %v", stats.errors)
	assert.Positive(t, stats.requests["ingest"])
	assert.Positive(t, stats.requests["scrape"])
	assert.Positive(t, stats.requests["read"])
	// Generous: the Go runtime returns memory to the OS lazily, so RSS
	// wanders by some MiB (a 15 s run has moved it by about 2); a leak of a
	// few KiB per request (some 9,000 requests) would exceed it.
	assert.Less(t, after-before, int64(32*mib), "the daemon's memory grows under a steady load")
}

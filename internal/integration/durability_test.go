package integration

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	steward "github.com/steward-sh/steward/internal/daemon"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/pgtest"
)

// The durability tests: nothing answered 200 (or 202, spooled) is lost when
// the daemon is killed or its database goes away. Their figures are
// printed with -v (and quoted in docs/durability.md).

func durableConfig(driver, dsn string) string {
	return fmt.Sprintf(testConfig, driver, dsn) + `
collectors:
  github: {secret: gh-secret}
  alertmanager: {token: am-token}
`
}

// ghDeliveries makes GitHub deployment_status deliveries from GitHub's own
// payload, one per deployment id. Every tenth has an unknown state and is
// quarantined: a delivery stored twice would show as two rows.
type ghDeliveries struct {
	status []byte
}

func newGHDeliveries(t *testing.T) ghDeliveries {
	return ghDeliveries{status: hookFixture(t, "github/deployment_status/payload.json")}
}

func (g ghDeliveries) bad(id int) bool { return id%10 == 0 }

func (g ghDeliveries) body(t *testing.T, id int) []byte {
	var doc map[string]any
	require.NoError(t, json.Unmarshal(g.status, &doc))
	doc["deployment"].(map[string]any)["id"] = id
	if g.bad(id) {
		doc["deployment_status"].(map[string]any)["state"] = "exploded"
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

// post sends a signed delivery and returns the status; 0 when no answer
// came.
func (g ghDeliveries) post(client *http.Client, url string, body []byte) int {
	req, err := http.NewRequest(http.MethodPost, url+"/hooks/github", strings.NewReader(string(body)))
	if err != nil {
		return 0
	}
	mac := hmac.New(sha256.New, []byte("gh-secret"))
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "deployment_status")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// checkGitHub checks that every acknowledged delivery is stored exactly
// once: its change, or (for the bad ones) one quarantine row.
func (g ghDeliveries) check(t *testing.T, driver, dsn string, acked []int) (changes, quarantined int) {
	t.Helper()
	_, stored, q := storedKeys(t, driver, dsn)
	rows := map[string]int{}
	for _, r := range q {
		if r.Source == "github" {
			rows[r.ID]++
		}
	}
	for _, id := range acked {
		key := strconv.Itoa(id)
		if g.bad(id) {
			assert.Equal(t, 1, rows[key], "delivery %d quarantined exactly once", id)
			quarantined++
			continue
		}
		assert.True(t, stored[key], "acknowledged delivery %d is stored", id)
		changes++
	}
	for key, n := range rows {
		assert.Equal(t, 1, n, "quarantine row for %s", key)
	}
	return changes, quarantined
}

// The crash test: while a load generator posts records, the daemon is
// killed with SIGKILL at random moments and restarted on the same store;
// every record answered 200 is in the store afterwards.
func TestCrashKeepsAcknowledgedRecords(t *testing.T) {
	bin := buildSteward(t)
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			driver, dsn := backend(t)
			p := startSteward(t, bin, durableConfig(driver, dsn))
			l := newLoad(p.url, "crash")
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { l.run(ctx, 8); close(done) }()
			const kills = 4
			for range kills {
				time.Sleep(time.Duration(300+rand.IntN(900)) * time.Millisecond)
				p.kill()
				p.start()
			}
			time.Sleep(500 * time.Millisecond)
			stop()
			<-done
			p.kill() // the store is read as the last crash left it

			acked, codes, requests := l.summary()
			incidents, _, _ := storedKeys(t, driver, dsn)
			var missing []string
			for _, id := range acked {
				if !incidents[id] {
					missing = append(missing, id)
				}
			}
			t.Logf("crash test (%s): %d SIGKILLs; %d requests: %d answered 200, %d unanswered (daemon down), other %v; "+
				"%d records acknowledged, %d of them in the store, %d missing; %d records in the store in all (%d stored but never acknowledged: in flight at a kill)",
				name, kills, requests, codes[http.StatusOK], codes[0], otherCodes(codes, http.StatusOK, 0),
				len(acked), len(acked)-len(missing), len(missing), len(incidents), len(incidents)-len(acked))
			require.NotEmpty(t, acked)
			require.Empty(t, missing, "acknowledged records lost")
			assert.Empty(t, otherCodes(codes, http.StatusOK, 0), "the API answers 200 or nothing")
		})
	}
}

func otherCodes(codes map[int]int, except ...int) map[int]int {
	out := map[int]int{}
	for c, n := range codes {
		if !slicesContains(except, c) {
			out[c] = n
		}
	}
	return out
}

func slicesContains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Killed while the spool drains (and again after each restart), the
// daemon neither loses nor duplicates a spooled delivery: each is stored
// once, and the quarantined ones appear once each.
func TestKillDuringSpoolDrain(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	bin := buildSteward(t)
	p := startSteward(t, bin, durableConfig("postgres", dsn))
	g := newGHDeliveries(t)
	const n = 300
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = g.body(t, 7_000_000+i)
	}

	restore := pgtest.Outage(t, dsn)
	posting := time.Now()
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	codes := make([]int, n)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				codes[i] = g.post(client, p.url, bodies[i])
			}
		})
	}
	wg.Wait()
	for i, c := range codes {
		require.Equal(t, http.StatusAccepted, c, "delivery %d during the outage", i)
	}
	entries, _ := gauge(t, p.url, "steward_spool_entries")
	require.EqualValues(t, n, entries)
	posted := time.Since(posting)
	restore()
	draining := time.Now()

	var atKill []int
	for k := range 3 {
		threshold := (k+1)*n/5 + rand.IntN(n/10)
		require.Eventually(t, func() bool {
			left, ok := gauge(t, p.url, "steward_spool_entries")
			return ok && n-int(left) >= threshold
		}, 60*time.Second, 2*time.Millisecond)
		left, _ := gauge(t, p.url, "steward_spool_entries")
		atKill = append(atKill, int(left))
		p.kill()
		p.start()
	}
	require.Eventually(t, func() bool {
		left, ok := gauge(t, p.url, "steward_spool_entries")
		return ok && left == 0
	}, 60*time.Second, 20*time.Millisecond)
	drained := time.Since(draining)
	p.kill()

	acked := make([]int, n)
	for i := range acked {
		acked[i] = 7_000_000 + i
	}
	changes, quarantined := g.check(t, "postgres", dsn, acked)
	t.Logf("spool drain kill test (postgres): %d deliveries answered 202 during the outage (in %v); SIGKILLed with %v still spooled; "+
		"drained in %v with %d restarts; afterwards %d changes stored once each and %d bad deliveries quarantined once each",
		n, posted.Round(time.Millisecond), atKill, drained.Round(time.Millisecond), p.starts-1, changes, quarantined)
	assert.Equal(t, n-n/10, changes)
	assert.Equal(t, n/10, quarantined)
}

// The database outage test: PostgreSQL refuses connections during load and
// comes back. API clients get 503, never 200 for a record that was not
// stored; Alertmanager (which retries) gets 503; GitHub deliveries (GitHub
// does not retry) are spooled and answered 202. After recovery every
// acknowledged record is present exactly once.
func TestDatabaseOutage(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "steward.yml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(durableConfig("postgres", dsn)), 0o600))
	d := startDaemonAt(t, cfgFile, time.Time{}, func(o *steward.Options) {
		o.Spool = steward.SpoolOptions{Dir: filepath.Join(dir, "spool"), MaxBytes: 64 << 20, MaxEntries: 100000, Sources: steward.DefaultSpooled}
	})
	g := newGHDeliveries(t)
	firing := hookFixture(t, "alertmanager/alertmanager-bot/firing.json")

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	api := newLoad(d.url, "outage")
	wg.Go(func() { api.run(ctx, 4) })
	var mu sync.Mutex
	ghCodes, amCodes := map[int]int{}, map[int]int{}
	var ghAcked []int
	wg.Go(func() {
		client := &http.Client{Timeout: 10 * time.Second}
		for id := 1; ctx.Err() == nil; id++ {
			code := g.post(client, d.url, g.body(t, id))
			mu.Lock()
			ghCodes[code]++
			if code == http.StatusOK || code == http.StatusAccepted {
				ghAcked = append(ghAcked, id)
			}
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	})
	wg.Go(func() {
		for ctx.Err() == nil {
			code, _ := hookPostNoFail(d.url+"/hooks/alertmanager", firing, "Authorization", "Bearer am-token")
			mu.Lock()
			amCodes[code]++
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	})

	time.Sleep(time.Second)
	restore := pgtest.Outage(t, dsn)
	time.Sleep(time.Second)
	code, _ := d.get(t, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code, "not ready while the database is away")
	time.Sleep(time.Second)
	restore()
	time.Sleep(1500 * time.Millisecond)
	stop()
	wg.Wait()
	require.Eventually(t, func() bool {
		left, ok := gauge(t, d.url, "steward_spool_entries")
		return ok && left == 0
	}, 30*time.Second, 20*time.Millisecond, "the spool drains once the database is back")

	acked, apiCodes, requests := api.summary()
	incidents, _, _ := storedKeys(t, "postgres", dsn)
	var missing int
	for _, id := range acked {
		if !incidents[id] {
			missing++
		}
	}
	changes, quarantined := g.check(t, "postgres", dsn, ghAcked)
	t.Logf("outage test (postgres): API: %d requests, %d answered 200, %d answered 503, other %v; %d records acknowledged, %d missing",
		requests, apiCodes[http.StatusOK], apiCodes[http.StatusServiceUnavailable], otherCodes(apiCodes, 200, 503), len(acked), missing)
	t.Logf("outage test (postgres): GitHub: %d deliveries stored at once (200), %d spooled (202), other %v; %d changes and %d quarantined deliveries stored exactly once; "+
		"Alertmanager: %d answered 200, %d answered 503 (it retries)",
		ghCodes[http.StatusOK], ghCodes[http.StatusAccepted], otherCodes(ghCodes, 200, 202), changes, quarantined,
		amCodes[http.StatusOK], amCodes[http.StatusServiceUnavailable])

	assert.Zero(t, missing, "a record answered 200 was lost")
	assert.Positive(t, apiCodes[http.StatusServiceUnavailable], "the outage was seen by API clients")
	assert.Empty(t, otherCodes(apiCodes, 200, 503))
	assert.Positive(t, ghCodes[http.StatusAccepted], "GitHub deliveries were spooled")
	assert.Empty(t, otherCodes(ghCodes, 200, 202))
	assert.Positive(t, amCodes[http.StatusServiceUnavailable], "Alertmanager was asked to retry")
	assert.Empty(t, otherCodes(amCodes, 200, 503))
}

// hookPostNoFail is hookPost for goroutines: no test assertions, 0 when
// no answer came.
func hookPostNoFail(url string, body []byte, headers ...string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

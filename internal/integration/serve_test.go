package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	steward "github.com/steward-sh/steward/internal/daemon"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/pgtest"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

const testConfig = `
storage: {driver: %s, dsn: %q}
windows: [30d]
people: [{id: alice}, {id: erin}]
systems:
  - {id: payments-api, aliases: [payments], owners: [{owner: alice, since: 2025-01-01T00:00:00Z}]}
processes:
  incident: {owner: erin}
  change: {owner: erin}
`

type daemon struct {
	url        string
	configFile string
	driver     string
	dsn        string
	// shutdown stops the daemon as SIGTERM does and returns what serve
	// returned; later calls return the same.
	shutdown func() error
}

// startDaemon runs the whole daemon in-process on a free port until the
// test ends.
func startDaemon(t *testing.T, driver, dsn string, maxBody int64) *daemon {
	t.Helper()
	return startDaemonWith(t, driver, dsn, fmt.Sprintf(testConfig, driver, dsn), maxBody)
}

// startDaemonWith runs the daemon with the given config text, which must
// name the same store as driver and dsn.
func startDaemonWith(t *testing.T, driver, dsn, configText string, maxBody int64) *daemon {
	t.Helper()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "steward.yml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(configText), 0o600))
	addr := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- steward.Run(ctx, steward.Options{
			ConfigFile: cfgFile, ListenAddress: "127.0.0.1:0", Interval: time.Hour, MaxBody: maxBody,
			Listening: func(a string) { addr <- a },
			Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
	}()
	var d *daemon
	select {
	case a := <-addr:
		d = &daemon{url: "http://" + a, configFile: cfgFile, driver: driver, dsn: dsn}
	case err := <-done:
		t.Fatalf("daemon did not start: %v", err)
	}
	var once sync.Once
	var stopErr error
	d.shutdown = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = errors.New("daemon did not shut down within 30s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { assert.NoError(t, d.shutdown(), "daemon shutdown") })
	return d
}

func (d *daemon) post(t *testing.T, path, contentType, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(d.url+path, contentType, strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func (d *daemon) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(d.url + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

// stored reads what the store holds, through a second connection.
func (d *daemon) stored(t *testing.T) ([]record.Incident, []record.Change) {
	t.Helper()
	st, err := store.Open(context.Background(), d.driver, d.dsn, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer st.Close()
	inc, err := st.Incidents(context.Background(), 0, 10000)
	require.NoError(t, err)
	chg, err := st.Changes(context.Background(), 0, 10000)
	require.NoError(t, err)
	return inc, chg
}

func backends(t *testing.T) map[string]func(t *testing.T) (string, string) {
	return map[string]func(t *testing.T) (string, string){
		"sqlite":   func(t *testing.T) (string, string) { return "sqlite", filepath.Join(t.TempDir(), "steward.db") },
		"postgres": func(t *testing.T) (string, string) { return "postgres", pgtest.NewDatabase(t) },
	}
}

func TestIngest(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			driver, dsn := backend(t)
			d := startDaemon(t, driver, dsn, 64*1024)
			testIngest(t, d)
		})
	}
}

func testIngest(t *testing.T, d *daemon) {
	opened := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	inc := func(id, extra string) string {
		return fmt.Sprintf(`{"id":%q,"system":"payments","severity":2,"opened_at":%q%s}`, id, opened.Format(time.RFC3339), extra)
	}
	batch := "[" + inc("INC-1", "") + "," + inc("INC-2", `,"impact":"outage"`) + "]"

	t.Run("a batch twice stores each record once", func(t *testing.T) {
		for range 2 {
			code, body := d.post(t, "/api/v1/incidents", "application/json", batch)
			require.Equal(t, http.StatusOK, code)
			assert.EqualValues(t, 2, body["accepted"])
			assert.Empty(t, body["rejected"])
		}
		incs, _ := d.stored(t)
		require.Len(t, incs, 2)
	})

	t.Run("a changed version replaces the stored one", func(t *testing.T) {
		resolved := opened.Add(90 * time.Minute).Format(time.RFC3339)
		code, _ := d.post(t, "/api/v1/incidents", "application/json", inc("INC-1", `,"resolved_at":"`+resolved+`"`))
		require.Equal(t, http.StatusOK, code)
		incs, _ := d.stored(t)
		require.Len(t, incs, 2)
		for _, in := range incs {
			if in.ID == "INC-1" {
				require.NotNil(t, in.ResolvedAt)
				assert.Equal(t, resolved, in.ResolvedAt.Format(time.RFC3339))
			}
		}
		// and the KPI engine sees it at once
		code, raw := d.get(t, "/api/v1/scorecards?role=system&subject=payments-api")
		require.Equal(t, http.StatusOK, code, string(raw))
		var v struct {
			Scorecards []struct {
				KPIs map[string]struct{ Value *float64 } `json:"kpis"`
			} `json:"scorecards"`
		}
		require.NoError(t, json.Unmarshal(raw, &v))
		require.Len(t, v.Scorecards, 1)
		assert.Equal(t, 2.0, *v.Scorecards[0].KPIs["incidents_opened_sev2"].Value)
		assert.Equal(t, 5400.0, *v.Scorecards[0].KPIs["mttr_seconds"].Value)
	})

	t.Run("bad records are rejected alone and quarantined", func(t *testing.T) {
		o := opened.Format(time.RFC3339)
		body := strings.Join([]string{
			inc("OK-1", ""),
			`{"id":"BAD-resolved","system":"x","severity":1,"opened_at":"` + o + `","resolved_at":"2000-01-01T00:00:00Z"}`,
			`{"id":"BAD-enum","system":"x","severity":1,"opened_at":"` + o + `","impact":"catastrophic"}`,
			`{"id":"BAD-sev","system":"x","severity":9,"opened_at":"` + o + `"}`,
			`{"id":"BAD-missing","severity":1,"opened_at":"` + o + `"}`,
			`{"id":"BAD-time","system":"x","severity":1,"opened_at":"yesterday"}`,
			`{"id":"BAD-json",`,
		}, "\n")
		code, res := d.post(t, "/api/v1/incidents", "application/x-ndjson", body)
		require.Equal(t, http.StatusOK, code)
		assert.EqualValues(t, 1, res["accepted"])
		rejected := res["rejected"].([]any)
		require.Len(t, rejected, 6)
		wantField := []string{"resolved_at", "impact", "severity", "system", "opened_at", ""}
		for i, r := range rejected {
			r := r.(map[string]any)
			assert.EqualValues(t, i+1, r["index"])
			msg := r["error"].(string)
			if wantField[i] != "" {
				assert.Equal(t, rejectedIDs[i], r["id"])
				assert.Contains(t, msg, fmt.Sprintf("field %q", wantField[i]))
			}
			assert.Contains(t, msg, fmt.Sprintf("incident %d ", i+1))
		}
		incs, _ := d.stored(t)
		assert.Len(t, incs, 3, "the valid record of the batch is stored")

		code, raw := d.get(t, "/api/v1/quarantine")
		require.Equal(t, http.StatusOK, code)
		var q struct{ Quarantined []record.Rejected }
		require.NoError(t, json.Unmarshal(raw, &q))
		require.Len(t, q.Quarantined, 6)
		ids := map[string]string{}
		for _, r := range q.Quarantined {
			ids[r.ID] = r.Raw
			assert.NotEmpty(t, r.Error)
		}
		assert.Contains(t, ids["BAD-sev"], `"severity":9`)
	})

	t.Run("changes", func(t *testing.T) {
		code, res := d.post(t, "/api/v1/changes", "application/json",
			`{"id":"CHG-1","system":"payments-api","outcome":"success","finished_at":"`+opened.Format(time.RFC3339)+`"}`)
		require.Equal(t, http.StatusOK, code)
		assert.EqualValues(t, 1, res["accepted"])
		code, res = d.post(t, "/api/v1/changes", "application/json", `{"id":"CHG-2","system":"payments-api","outcome":"success"}`)
		require.Equal(t, http.StatusOK, code)
		assert.Contains(t, res["rejected"].([]any)[0].(map[string]any)["error"], `field "finished_at": is required`)
		_, chg := d.stored(t)
		require.Len(t, chg, 1)
		assert.Equal(t, "production", chg[0].Environment)
		assert.True(t, chg[0].Authorized)
	})

	t.Run("garbage is 400, oversized is 413", func(t *testing.T) {
		code, res := d.post(t, "/api/v1/incidents", "application/json", "this is not json")
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Contains(t, res["error"], "not a JSON")
		code, _ = d.post(t, "/api/v1/incidents", "application/json", "["+strings.Repeat(inc("X", "")+",", 1000)+inc("X", "")+"]")
		assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	})

	t.Run("health", func(t *testing.T) {
		code, _ := d.get(t, "/healthz")
		assert.Equal(t, http.StatusOK, code)
		code, _ = d.get(t, "/readyz")
		assert.Equal(t, http.StatusOK, code)
	})
}

var rejectedIDs = []string{"BAD-resolved", "BAD-enum", "BAD-sev", "BAD-missing", "BAD-time"}

// With the database gone, ingest answers 503 and nothing answered 200 is lost.
func TestIngestDatabaseDown(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	d := startDaemon(t, "postgres", dsn, 0)
	post := func(id string) int {
		code, _ := d.post(t, "/api/v1/incidents", "application/json",
			`{"id":"`+id+`","system":"payments-api","severity":3,"opened_at":"2026-01-01T00:00:00Z"}`)
		return code
	}
	require.Equal(t, http.StatusOK, post("before"))
	restore := pgtest.Outage(t, dsn)
	assert.Equal(t, http.StatusServiceUnavailable, post("during"))
	code, _ := d.get(t, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	restore()
	require.Eventually(t, func() bool { return post("after") == http.StatusOK }, 10*time.Second, 100*time.Millisecond)
	incs, _ := d.stored(t)
	var ids []string
	for _, in := range incs {
		ids = append(ids, in.ID)
	}
	assert.ElementsMatch(t, []string{"before", "after"}, ids)
}

// An invalid config on reload is refused and the old one stays in force.
func TestReloadKeepsOldConfigWhenInvalid(t *testing.T) {
	d := startDaemon(t, "sqlite", filepath.Join(t.TempDir(), "s.db"), 0)
	good, err := os.ReadFile(d.configFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(d.configFile, append(good, []byte("bogus_key: 1\n")...), 0o600))
	code, _ := d.post(t, "/-/reload", "", "")
	assert.Equal(t, http.StatusInternalServerError, code)
	code, raw := d.get(t, "/api/v1/scorecards?role=system&subject=payments-api")
	assert.Equal(t, http.StatusOK, code, string(raw))

	renamed := strings.Replace(string(good), "id: payments-api", "id: payments-core", 1)
	require.NoError(t, os.WriteFile(d.configFile, []byte(renamed), 0o600))
	code, _ = d.post(t, "/-/reload", "", "")
	require.Equal(t, http.StatusOK, code)
	code, _ = d.get(t, "/api/v1/scorecards?role=system&subject=payments-core")
	assert.Equal(t, http.StatusOK, code)
	code, _ = d.get(t, "/api/v1/scorecards?role=system&subject=payments-api")
	assert.Equal(t, http.StatusNotFound, code)
}

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	steward "github.com/steward-sh/steward/internal/daemon"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/api"
	"github.com/steward-sh/steward/internal/promtest"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
)

// Helpers shared by the tests that run Prometheus, promtool and
// VictoriaMetrics (the Debian packages prometheus and victoria-metrics).

// The servers themselves are started by internal/promtest.
func needBinary(t *testing.T, name, pkg string) string { return promtest.NeedBinary(t, name, pkg) }

func freeLoopbackAddr(t *testing.T) string { return promtest.FreeLoopbackAddr(t) }

func startServerProcess(t *testing.T, ready string, name string, args ...string) {
	t.Helper()
	promtest.StartProcess(t, ready, name, args...)
}

func tailLines(s string, n int) string { return promtest.TailLines(s, n) }

func startPrometheus(t *testing.T, scrapeConfigs string, args ...string) string {
	t.Helper()
	return promtest.StartPrometheus(t, scrapeConfigs, args...)
}

func startVictoriaMetrics(t *testing.T) string { return promtest.StartVictoriaMetrics(t) }

// promSeries is a set of samples by series key (see seriesKey).
type promSeries map[string]float64

// seriesKey names a series by metric name and labels, sorted, without the job
// and instance labels a scrape adds.
func seriesKey(labels map[string]string) string {
	var names []string
	for n := range labels {
		if n != "__name__" && n != "job" && n != "instance" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(labels["__name__"])
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", n, labels[n])
	}
	b.WriteByte('}')
	return b.String()
}

// query runs an instant PromQL query (at, if not zero) against the
// Prometheus-compatible API at base and returns the vector.
func promQuery(t *testing.T, base, q string, at time.Time) promSeries {
	t.Helper()
	v := url.Values{"query": {q}}
	if !at.IsZero() {
		v.Set("time", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', -1, 64))
	}
	resp, err := http.Get(base + "/api/v1/query?" + v.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", q, raw)
	var body struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(raw, &body), string(raw))
	out := promSeries{}
	for _, r := range body.Data.Result {
		f, err := strconv.ParseFloat(r.Value[1].(string), 64)
		require.NoError(t, err)
		out[seriesKey(r.Metric)] = f
	}
	return out
}

// seriesFromAPI turns scorecards as the API shows them into the series SPEC
// section 5 says /metrics carries for them: every KPI with a value (point-
// in-time ones without window), scores and statuses, and the _sum and
// _count of the percentile summaries. The API has no sums or counts: those
// series are taken from got, once checked against what the API says.
func seriesFromAPI(t *testing.T, v api.ScorecardsView, got promSeries) promSeries {
	t.Helper()
	out := promSeries{}
	put := func(labels map[string]string, val float64) {
		k := seriesKey(labels)
		if old, dup := out[k]; dup {
			require.Equal(t, old, val, "point-in-time KPI %s differs between windows", k)
		}
		out[k] = val
	}
	codes := map[string]float64{"meets": 0, "warning": 1, "breach": 2}
	for _, c := range v.Scorecards {
		base := func(name string, pointInTime bool) map[string]string {
			l := map[string]string{"__name__": name, "role": string(c.Role), "subject": c.Subject}
			if !pointInTime {
				l["window"] = v.Window
			}
			return l
		}
		if c.Score != nil {
			put(base("steward_scorecard_score", false), *c.Score)
		}
		for name, kv := range c.KPIs {
			k, ok := scorecard.KPIByName(name)
			require.True(t, ok, name)
			if kv.Status != nil {
				if code, scored := codes[*kv.Status]; scored {
					l := base("steward_kpi_status", false)
					l["kpi"] = name
					put(l, code)
				}
			}
			metric, labelName, labelValue, exported := k.Metric()
			if !exported || kv.Value == nil {
				continue
			}
			l := base(metric, k.PointInTime())
			if labelName != "" {
				l[labelName] = labelValue
			}
			put(l, *kv.Value)
		}
		for _, sm := range []struct{ metric, p50, mean, population string }{
			{"steward_time_to_restore_seconds", "time_to_restore_p50_seconds", "mttr_seconds", "incidents_resolved"},
			{"steward_change_lead_time_seconds", "change_lead_time_p50_seconds", "", "changes_completed"},
		} {
			q, defined := c.KPIs[sm.p50]
			if !defined {
				continue
			}
			sumKey, countKey := seriesKey(base(sm.metric+"_sum", false)), seriesKey(base(sm.metric+"_count", false))
			sum, count := got[sumKey], got[countKey]
			put(base(sm.metric+"_sum", false), sum)
			put(base(sm.metric+"_count", false), count)
			name := fmt.Sprintf("%s %s %s", sm.metric, c.Role, c.Subject)
			assert.Equal(t, q.Value == nil, count == 0, "%s: a count of 0 exactly when there are no quantiles", name)
			assert.Equal(t, math.Trunc(count), count, name)
			if p := c.KPIs[sm.population].Value; p != nil {
				assert.LessOrEqual(t, count, *p, "%s: over at most %s", name, sm.population)
			}
			if m := c.KPIs[sm.mean].Value; sm.mean != "" && count > 0 {
				require.NotNil(t, m, name)
				assert.InEpsilon(t, *m, sum/count, 1e-9, "%s: _sum / _count is %s", name, sm.mean)
			}
		}
	}
	return out
}

// scorecards asks the daemon's API for one role and window, at a time or
// (zero at) now.
func apiScorecards(t *testing.T, d *daemon, role, window string, at time.Time) api.ScorecardsView {
	t.Helper()
	q := url.Values{"role": {role}, "window": {window}}
	if !at.IsZero() {
		q.Set("at", at.Format(time.RFC3339Nano))
	}
	code, raw := d.get(t, "/api/v1/scorecards?"+q.Encode())
	require.Equal(t, http.StatusOK, code, string(raw))
	var v api.ScorecardsView
	require.NoError(t, json.Unmarshal(raw, &v))
	require.NotEmpty(t, v.Scorecards, "%s %s", role, window)
	return v
}

// only keeps the series of one role and, for windowed ones, one window.
func (s promSeries) only(role, window string) promSeries {
	out := promSeries{}
	for k, v := range s {
		if !strings.Contains(k, fmt.Sprintf("role=%q", role)) {
			continue
		}
		// who alerts go to comes from the config, not from a scorecard
		if strings.HasPrefix(k, "steward_alert_route_info{") {
			continue
		}
		if strings.Contains(k, "window=") && !strings.Contains(k, fmt.Sprintf("window=%q", window)) {
			continue
		}
		out[k] = v
	}
	return out
}

// promDataset is a generated config and records, with the config's store set
// to a fresh SQLite file.
type promDataset struct {
	configFile string
	cfg        *config.Config
	incidents  []record.Incident
	changes    []record.Change
	feedback   []record.Feedback
	opts       generate.Options
}

func newPromDataset(t *testing.T, to time.Time, extraConfig string) *promDataset {
	t.Helper()
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Programs, o.Teams = 20, 12, 3, 6
	o.Incidents, o.Changes = 1500, 3000
	o.To, o.From = to, to.AddDate(0, 0, -150)
	yml := string(generate.Config(o))
	dir := t.TempDir()
	yml = strings.Replace(yml, "  dsn: steward.db\n", fmt.Sprintf("  dsn: %q\n", filepath.Join(dir, "steward.db")), 1) + extraConfig
	cfgFile := filepath.Join(dir, "steward.yml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(yml), 0o600))
	cfg, err := config.Load(cfgFile)
	require.NoError(t, err)
	inc, chg := generate.Records(cfg, o)
	return &promDataset{configFile: cfgFile, cfg: cfg, incidents: inc, changes: chg, feedback: generate.Feedback(cfg, o), opts: o}
}

// store writes the records straight into the store.
func (ds *promDataset) store(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, ds.cfg.Storage.Driver, ds.cfg.Storage.DSN, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Write(ctx, record.Batch{Incidents: ds.incidents, Changes: ds.changes, Feedback: ds.feedback}))
}

// ingest posts the records through the ingest API, as NDJSON batches.
func (ds *promDataset) ingest(t *testing.T, d *daemon) {
	t.Helper()
	post := func(path string, n int, line func(i int) any) {
		for start := 0; start < n; start += 500 {
			var body bytes.Buffer
			enc := json.NewEncoder(&body)
			for i := start; i < min(n, start+500); i++ {
				require.NoError(t, enc.Encode(line(i)))
			}
			code, res := d.post(t, path, "application/x-ndjson", body.String())
			require.Equal(t, http.StatusOK, code, "%v", res)
			require.Empty(t, res["rejected"])
		}
	}
	post("/api/v1/incidents", len(ds.incidents), func(i int) any { return ds.incidents[i] })
	post("/api/v1/changes", len(ds.changes), func(i int) any { return ds.changes[i] })
	post("/api/v1/feedback", len(ds.feedback), func(i int) any { return ds.feedback[i] })
}

// startDaemonAt runs the daemon in-process on a config file, with a fixed
// KPI clock when now is not zero, until the test ends.
func startDaemonAt(t *testing.T, configFile string, now time.Time, tweak func(*steward.Options)) *daemon {
	t.Helper()
	o := steward.Options{ConfigFile: configFile, ListenAddress: "127.0.0.1:0", Interval: time.Hour, MaxBody: api.DefaultMaxBodyBytes}
	if !now.IsZero() {
		o.Now = func() time.Time { return now }
	}
	if tweak != nil {
		tweak(&o)
	}
	addr := make(chan string, 1)
	o.Listening = func(a string) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- steward.Run(ctx, o) }()
	var d *daemon
	select {
	case a := <-addr:
		d = &daemon{url: "http://" + a, configFile: configFile}
	case err := <-done:
		t.Fatalf("daemon did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "daemon shutdown")
		case <-time.After(30 * time.Second):
			t.Error("daemon did not shut down")
		}
	})
	return d
}

// assertSame checks that got has exactly the series of want, with values
// equal within a relative tolerance: 0 for Prometheus, which keeps float64
// values exactly; VictoriaMetrics keeps about 12 significant digits.
func assertSame(t *testing.T, want, got promSeries, tolerance float64, msgAndArgs ...any) bool {
	t.Helper()
	if !assert.ElementsMatch(t, slices.Collect(maps.Keys(want)), slices.Collect(maps.Keys(got)), msgAndArgs...) {
		return false
	}
	ok := true
	for k, w := range want {
		if tolerance == 0 {
			ok = assert.Equal(t, w, got[k], k) && ok
		} else if w != got[k] {
			ok = assert.InEpsilon(t, w, got[k], tolerance, k) && ok
		}
	}
	return ok
}

// compareWithAPI checks, for every role and window, that the series of the
// role and window in got are those the API's scorecards say.
func compareWithAPI(t *testing.T, d *daemon, got promSeries, at time.Time, windows []string, tolerance float64) int {
	t.Helper()
	n := 0
	for _, role := range scorecard.Roles {
		for _, w := range windows {
			want := seriesFromAPI(t, apiScorecards(t, d, string(role), w, at), got)
			if !assertSame(t, want, got.only(string(role), w), tolerance, "role %s, window %s, at %s", role, w, at) {
				return n
			}
			n += len(want)
		}
	}
	return n
}

package measure_test

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/measure"
	"github.com/steward-sh/steward/internal/promtest"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// The history the tests load into a real Prometheus and VictoriaMetrics:
// three days of one-minute samples from origin, for a few systems.
var (
	origin = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	days   = 3
	step   = 5 * time.Minute
)

const (
	uptimeQuery = `min by (system) (probe_success)`
	// Every step's requests fall into one bucket, so the quantile is a
	// known point of that bucket: 0.1 + 0.15×0.95 or 0.25 + 0.75×0.95.
	latencyQuery = `histogram_quantile(0.95, sum by (system, le) (rate(http_request_duration_seconds_bucket[5m])))`
	fast, slow   = 0.1 + 0.15*0.95, 0.25 + 0.75*0.95
)

// A probe series: payments-api has two instances (the query takes their
// minimum); gappy sends nothing for 40 minutes on the first day; ghost
// names no configured system (it is stored all the same: attribution is
// the engine's).
type probe struct{ system, instance string }

var probes = []probe{{"payments-api", "a"}, {"payments-api", "b"}, {"search", "a"}, {"gappy", "a"}, {"ghost", "a"}}

var gap = [2]time.Time{origin.Add(10 * time.Hour), origin.Add(10*time.Hour + 40*time.Minute)}

func hash(parts ...string) uint32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	return h.Sum32()
}

// up is the probe's value at minute m.
func up(p probe, m int) float64 {
	if (hash(p.system, p.instance)+uint32(m/7))%9 == 0 {
		return 0
	}
	return 1
}

// slowBlock says whether a system's requests in the five minutes ending at
// minute 5(k+1) were slow.
func slowBlock(system string, k int) bool { return (hash(system)+uint32(k/3))%4 == 0 }

func sampled(p probe, t time.Time) bool {
	return p.system != "gappy" || t.Before(gap[0]) || !t.Before(gap[1])
}

// history writes the raw samples in the Prometheus text format, with
// timestamps in milliseconds (ms) or seconds, one line each.
func history(seconds bool) string {
	var b strings.Builder
	ts := func(t time.Time) string {
		if seconds {
			return strconv.FormatInt(t.Unix(), 10)
		}
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	minutes := days * 24 * 60
	if seconds {
		b.WriteString("# TYPE probe_success gauge\n")
	}
	for _, p := range probes {
		for m := -10; m <= minutes; m++ {
			t := origin.Add(time.Duration(m) * time.Minute)
			if sampled(p, t) {
				fmt.Fprintf(&b, "probe_success{system=%q,instance=%q} %g %s\n", p.system, p.instance, up(p, m), ts(t))
			}
		}
	}
	if seconds {
		b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	}
	for _, system := range []string{"payments-api", "search"} {
		var fastN, slowN int
		for m := -10; m <= minutes; m++ {
			if m > -10 {
				if slowBlock(system, floorDiv(m-1, 5)) {
					slowN += 60
				} else {
					fastN += 60
				}
			}
			t := ts(origin.Add(time.Duration(m) * time.Minute))
			for _, bucket := range []struct {
				le string
				n  int
			}{{"0.1", 0}, {"0.25", fastN}, {"1.0", fastN + slowN}, {"+Inf", fastN + slowN}} {
				fmt.Fprintf(&b, "http_request_duration_seconds_bucket{system=%q,le=%q} %d %s\n", system, bucket.le, bucket.n, t)
			}
		}
	}
	if seconds {
		b.WriteString("# EOF\n")
	}
	return b.String()
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// expected computes, independently of Steward, the samples the queries
// give at every step in [from, to]: the latest raw sample in (t−5m, t] for
// the probes, and the bucket every request of the step fell into for the
// latencies.
func expected(from, to time.Time) map[record.SampleKey]float64 {
	out := map[record.SampleKey]float64{}
	for t := from; !t.After(to); t = t.Add(step) {
		m := int(t.Sub(origin) / time.Minute)
		bySystem := map[string]float64{}
		for _, p := range probes {
			for back := 0; back < 5; back++ {
				if at := t.Add(-time.Duration(back) * time.Minute); sampled(p, at) {
					v := up(p, m-back)
					if old, ok := bySystem[p.system]; !ok || v < old {
						bySystem[p.system] = v
					}
					break
				}
			}
		}
		for system, v := range bySystem {
			out[record.SampleKey{Measure: record.MeasureUptime, Series: system, At: t.UnixMicro()}] = v
		}
		for _, system := range []string{"payments-api", "search"} {
			v := fast
			if slowBlock(system, m/5-1) {
				v = slow
			}
			out[record.SampleKey{Measure: record.MeasureResponseTime, Series: system, At: t.UnixMicro()}] = v
		}
	}
	return out
}

// proxy forwards to a query API and records each query_range request's
// start and end; down makes it refuse every request as an outage would.
type proxy struct {
	mu     sync.Mutex
	ranges [][2]time.Time
	down   bool
}

func (p *proxy) start(t *testing.T, target string) string {
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		down := p.down
		if !down && strings.HasSuffix(r.URL.Path, "/query_range") {
			// The client posts its form: read it, then put it back.
			body, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, err := url.ParseQuery(string(body))
			require.NoError(t, err)
			if len(form) == 0 {
				form = r.URL.Query()
			}
			p.ranges = append(p.ranges, [2]time.Time{unix(t, form.Get("start")), unix(t, form.Get("end"))})
		}
		p.mu.Unlock()
		if down {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func unix(t *testing.T, s string) time.Time {
	f, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return time.UnixMilli(int64(f * 1000)).UTC()
}

func (p *proxy) taken() [][2]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.ranges
	p.ranges = nil
	return out
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

func TestReadPrometheus(t *testing.T) {
	t.Parallel()
	data := promtest.Backfill(t, history(true))
	prom := promtest.StartPrometheus(t, "", "--storage.tsdb.path="+data, "--storage.tsdb.retention.time=100y")
	testRead(t, prom)
}

func TestReadVictoriaMetrics(t *testing.T) {
	t.Parallel()
	vm := promtest.StartVictoriaMetrics(t)
	resp, err := http.Post(vm+"/api/v1/import/prometheus", "text/plain", strings.NewReader(history(false)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, err = http.Get(vm + "/internal/force_flush")
	require.NoError(t, err)
	resp.Body.Close()
	testRead(t, vm)
}

// testRead reads the history in two polls with an outage between them and
// a restart, and compares what the store holds with expected.
func testRead(t *testing.T, api string) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "steward.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	var p proxy
	cfg := &config.Measurements{
		Source: config.MeasurementSource{URL: p.start(t, api)},
		Step:   step, Since: origin.Add(-2 * time.Minute), // rounded up to origin
		Uptime:       &config.MeasurementQuery{Query: uptimeQuery, By: "system"},
		ResponseTime: &config.MeasurementQuery{Query: latencyQuery, By: "system", Objective: 0.3},
	}
	var mu sync.Mutex
	now := origin.Add(36*time.Hour + 90*time.Second)
	var failures []error
	stored := map[record.Measure]int{}
	newReader := func() *measure.Reader {
		r, err := measure.New(cfg, db, measure.Options{
			Logger: slog.New(slog.DiscardHandler),
			Now:    func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
			Stored: func(m record.Measure, n int, _ time.Time) { mu.Lock(); stored[m] += n; mu.Unlock() },
			Failed: func(_ record.Measure, err error) { mu.Lock(); failures = append(failures, err); mu.Unlock() },
			// Ten steps at first, then about 4,000 samples a request.
			MaxSamplesPerRequest: 2500,
		})
		require.NoError(t, err)
		return r
	}
	r := newReader()
	halfway := origin.Add(36*time.Hour - step) // the last step whose interval has ended
	require.NoError(t, r.Poll(ctx))
	checkStored(t, db, expected(origin, halfway))
	first := p.taken()
	require.GreaterOrEqual(t, len(first), 4, "the history is read in several requests per query")
	checkContiguous(t, first, origin, halfway)

	// The source goes down: nothing is stored, the failure is reported,
	// and what was stored stays.
	p.setDown(true)
	mu.Lock()
	now = origin.Add(time.Duration(days)*24*time.Hour + 90*time.Second)
	mu.Unlock()
	err = r.Poll(ctx)
	require.Error(t, err)
	assert.Len(t, failures, 2, "one failure per query")
	checkStored(t, db, expected(origin, halfway))

	// Back up, and Steward restarted: reading resumes where it stopped,
	// reads nothing twice, and ends with the whole history.
	p.setDown(false)
	require.NoError(t, newReader().Poll(ctx))
	end := origin.Add(time.Duration(days)*24*time.Hour - step)
	checkStored(t, db, expected(origin, end))
	checkContiguous(t, p.taken(), halfway.Add(step), end)
	total := len(expected(origin, end))
	assert.Equal(t, total, stored[record.MeasureUptime]+stored[record.MeasureResponseTime])
}

// checkStored compares the store's samples with want exactly (response
// times within floating-point rounding of the source's arithmetic).
func checkStored(t *testing.T, db *store.DB, want map[record.SampleKey]float64) {
	t.Helper()
	got, err := db.Samples(context.Background(), 0, 1<<20)
	require.NoError(t, err)
	gotMap := map[record.SampleKey]float64{}
	for _, s := range got {
		gotMap[s.Key()] = s.Value
	}
	var missing, extra []string
	for k, v := range want {
		g, ok := gotMap[k]
		if !ok {
			missing = append(missing, fmt.Sprint(k))
			continue
		}
		assert.InDelta(t, v, g, 1e-9, "%v", k)
	}
	for k := range gotMap {
		if _, ok := want[k]; !ok {
			extra = append(extra, fmt.Sprint(k))
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	assert.Empty(t, missing, "samples not stored")
	assert.Empty(t, extra, "samples stored but not expected")
	assert.Len(t, got, len(want))
}

// checkContiguous asserts the requests covered [from, to] in order, each
// starting one step after the last one ended: nothing skipped, nothing read
// twice.
func checkContiguous(t *testing.T, ranges [][2]time.Time, from, to time.Time) {
	t.Helper()
	byMeasure := [2][][2]time.Time{}
	// Requests alternate between the two queries' runs: the uptime query
	// reads its whole range first, then the response-time query.
	split := 0
	for i := 1; i < len(ranges); i++ {
		if ranges[i][0].Before(ranges[i-1][0]) {
			split = i
		}
	}
	require.Positive(t, split)
	byMeasure[0], byMeasure[1] = ranges[:split], ranges[split:]
	for _, rs := range byMeasure {
		require.NotEmpty(t, rs)
		assert.Equal(t, from, rs[0][0])
		assert.Equal(t, to, rs[len(rs)-1][1])
		for i := 1; i < len(rs); i++ {
			assert.Equal(t, rs[i-1][1].Add(step), rs[i][0], "request %d", i)
		}
	}
}

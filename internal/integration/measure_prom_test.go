package integration

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/api"
	"github.com/steward-sh/steward/internal/promtest"
)

// The measured KPIs end to end: probe history written to a real
// Prometheus (and VictoriaMetrics), read by the daemon, attributed through
// ownership history, and compared at several past times with values
// computed here from the raw history.
//
// Two days of one-minute samples: api changes owner from alice to bob
// halfway through; web (bob's) sends nothing for five hours; ghost names no
// system. Both systems are in program shop.
type measuredHistory struct {
	start time.Time // the first step read
}

var measuredSystems = []string{"api", "web", "ghost"}

const measuredStep = 5 * time.Minute

func (h measuredHistory) handover() time.Time { return h.start.Add(24 * time.Hour) }
func (h measuredHistory) end() time.Time      { return h.start.Add(48 * time.Hour) }

func (h measuredHistory) gap(system string, t time.Time) bool {
	return system == "web" && !t.Before(h.start.Add(30*time.Hour)) && t.Before(h.start.Add(35*time.Hour))
}

func measuredHash(s string, m int) uint32 {
	f := fnv.New32a()
	fmt.Fprintf(f, "%s/%d", s, m/11)
	return f.Sum32()
}

// up and latency are a system's raw values at minute m.
func (h measuredHistory) up(system string, m int) float64 {
	if measuredHash(system, m)%7 == 0 {
		return 0
	}
	return 1
}

func (h measuredHistory) latency(system string, m int) float64 {
	return float64(measuredHash(system+"/lat", m)%600) / 1000 // 0 to 0.599 s
}

// lines writes the raw history in the text format, timestamps in ms or s.
func (h measuredHistory) lines(seconds bool) string {
	var b strings.Builder
	if seconds {
		b.WriteString("# TYPE probe_success gauge\n# TYPE probe_duration_seconds gauge\n")
	}
	for _, s := range measuredSystems {
		for m := -10; m <= int(h.end().Sub(h.start)/time.Minute); m++ {
			t := h.start.Add(time.Duration(m) * time.Minute)
			if h.gap(s, t) {
				continue
			}
			ts := strconv.FormatInt(t.UnixMilli(), 10)
			if seconds {
				ts = strconv.FormatInt(t.Unix(), 10)
			}
			fmt.Fprintf(&b, "probe_success{system=%q} %g %s\n", s, h.up(s, m), ts)
			fmt.Fprintf(&b, "probe_duration_seconds{system=%q} %g %s\n", s, h.latency(s, m), ts)
		}
	}
	if seconds {
		b.WriteString("# EOF\n")
	}
	return b.String()
}

// sample is a system's sample at step t, as the query gives it: the
// latest raw value in (t-5m, t]; ok is false in a gap.
func (h measuredHistory) sample(system string, t time.Time) (up, latency float64, ok bool) {
	for back := 0; back < 5; back++ {
		at := t.Add(-time.Duration(back) * time.Minute)
		if !h.gap(system, at) {
			m := int(at.Sub(h.start) / time.Minute)
			return h.up(system, m), h.latency(system, m), true
		}
	}
	return 0, 0, false
}

type span struct {
	system   string
	from, to time.Time
}

// expect computes the three KPIs over [from, at) for the spans a subject
// answers for, and the unattributed samples.
func (h measuredHistory) expect(spans []span, from, at time.Time) (uptime, compliance, coverage float64, unattributed int) {
	var n, ok, pairs int
	var sum float64
	for _, sp := range spans {
		lo, hi := maxTime(from, sp.from), minTime(at, sp.to)
		for t := lo.Truncate(measuredStep); t.Before(hi); t = t.Add(measuredStep) {
			if t.Before(lo) {
				continue
			}
			pairs++
			if t.Before(h.start) || !t.Before(h.end()) {
				continue // not in the history
			}
			u, l, has := h.sample(sp.system, t)
			if !has {
				continue
			}
			n++
			sum += u
			if l <= 0.3 {
				ok++
			}
		}
	}
	for t := from; t.Before(at); t = t.Add(measuredStep) {
		if !t.Before(h.start) && t.Before(h.end()) {
			if _, _, has := h.sample("ghost", t); has {
				unattributed += 2
			}
		}
	}
	return sum / float64(n), float64(ok) / float64(n), float64(2*n) / float64(2*pairs), unattributed
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func TestMeasuredKPIsFromPrometheus(t *testing.T) {
	h := measuredHistory{start: time.Now().UTC().Truncate(time.Hour).Add(-72 * time.Hour)}
	data := promtest.Backfill(t, h.lines(true))
	prom := promtest.StartPrometheus(t, "", "--storage.tsdb.path="+data, "--storage.tsdb.retention.time=100y")
	testMeasuredKPIs(t, h, prom)
}

func TestMeasuredKPIsFromVictoriaMetrics(t *testing.T) {
	h := measuredHistory{start: time.Now().UTC().Truncate(time.Hour).Add(-72 * time.Hour)}
	vm := promtest.StartVictoriaMetrics(t)
	resp, err := http.Post(vm+"/api/v1/import/prometheus", "text/plain", strings.NewReader(h.lines(false)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, err = http.Get(vm + "/internal/force_flush")
	require.NoError(t, err)
	resp.Body.Close()
	testMeasuredKPIs(t, h, vm)
}

func testMeasuredKPIs(t *testing.T, h measuredHistory, source string) {
	dsn := filepath.Join(t.TempDir(), "s.db")
	cfg := fmt.Sprintf(`storage: {driver: sqlite, dsn: %q}
windows: [1d]
people: [{id: alice}, {id: bob}]
programs: [{id: shop}]
systems:
  - {id: api, program: shop, owners: [{owner: alice, since: 2020-01-01}, {owner: bob, since: %s}]}
  - {id: web, program: shop, owners: [{owner: bob, since: 2020-01-01}]}
measurements:
  source: {url: %q}
  step: 5m
  since: %s
  uptime: {query: "min by (system) (probe_success)", by: system}
  response_time: {query: "max by (system) (probe_duration_seconds)", by: system, objective: 300ms}
`, dsn, h.handover().Format(time.RFC3339), source, h.start.Format(time.RFC3339))
	d := startDaemonWith(t, "sqlite", dsn, cfg, 0)

	kpis := func(role, subject string, at time.Time) map[string]api.KPIView {
		q := url.Values{"role": {role}, "subject": {subject}, "window": {"1d"}, "at": {at.Format(time.RFC3339)}}
		code, raw := d.get(t, "/api/v1/scorecards?"+q.Encode())
		require.Equal(t, http.StatusOK, code, string(raw))
		var v api.ScorecardsView
		require.NoError(t, json.Unmarshal(raw, &v))
		require.Len(t, v.Scorecards, 1)
		return v.Scorecards[0].KPIs
	}
	// The daemon reads the history at start; wait until the last step is in.
	require.Eventually(t, func() bool {
		v := kpis("system", "api", h.end())["measurement_coverage_ratio"].Value
		return v != nil && *v == 1
	}, 2*time.Minute, 200*time.Millisecond, "the measurements were not read")

	// the tenures run from 2020 and on for ever: far beyond every window
	past, future := h.start.Add(-1000*time.Hour), h.end().Add(1000*time.Hour)
	subjects := []struct {
		role, subject string
		spans         func() []span
	}{
		{"system", "api", func() []span { return []span{{"api", past, future}} }},
		{"system", "web", func() []span { return []span{{"web", past, future}} }},
		{"system_owner", "alice", func() []span { return []span{{"api", past, h.handover()}} }},
		{"system_owner", "bob", func() []span {
			return []span{{"api", h.handover(), future}, {"web", past, future}}
		}},
		{"program", "shop", func() []span {
			return []span{{"api", past, future}, {"web", past, future}}
		}},
		{"global", "all", func() []span {
			return []span{{"api", past, future}, {"web", past, future}}
		}},
	}
	for _, at := range []time.Time{h.start.Add(20 * time.Hour), h.handover().Add(6*time.Hour + 7*time.Minute), h.start.Add(36 * time.Hour), h.end()} {
		for _, s := range subjects {
			if s.subject == "alice" && !at.Add(-24*time.Hour).Before(h.handover()) {
				continue // she owned nothing in the window
			}
			got := kpis(s.role, s.subject, at)
			uptime, compliance, coverage, unattributed := h.expect(s.spans(), at.Add(-24*time.Hour), at)
			what := fmt.Sprintf("%s %s at %s", s.role, s.subject, at.Format(time.RFC3339))
			for name, want := range map[string]float64{"measured_uptime_ratio": uptime, "response_time_compliance_ratio": compliance, "measurement_coverage_ratio": coverage} {
				v := got[name].Value
				require.NotNil(t, v, "%s: %s", what, name)
				assert.InDelta(t, want, *v, 1e-9, "%s: %s", what, name)
			}
			if s.role == "global" {
				require.NotNil(t, got["unattributed_measurements"].Value, what)
				assert.Equal(t, float64(unattributed), *got["unattributed_measurements"].Value, what)
			} else {
				assert.NotContains(t, got, "unattributed_measurements", what)
			}
		}
	}
	// The gap shows in web's coverage, not in its uptime.
	_, _, coverage, _ := h.expect([]span{{"web", h.start, h.end()}}, h.start.Add(24*time.Hour), h.end())
	assert.Less(t, coverage, 0.9)
	assert.False(t, math.IsNaN(coverage))
}

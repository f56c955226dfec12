package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// fakePagerDuty serves GET /incidents (since/until on created_at, offset,
// limit, more) and GET /incidents/{id} as the REST API v2 does.
type fakePagerDuty struct {
	t        *testing.T
	mu       sync.Mutex
	inc      map[string]map[string]any
	failures []failure
	requests []string
}

func (f *fakePagerDuty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Token token=pdtok" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"message":"Unauthorized","code":2006}}`)
		return
	}
	if len(f.failures) > 0 {
		fl := f.failures[0]
		f.failures = f.failures[1:]
		if fl.retryAfter != "" {
			w.Header().Set("Retry-After", fl.retryAfter)
		}
		w.WriteHeader(fl.status)
		fmt.Fprint(w, `{"error":{"message":"Rate Limit Exceeded","code":2020}}`)
		return
	}
	f.requests = append(f.requests, r.URL.RequestURI())
	if id, ok := strings.CutPrefix(r.URL.Path, "/incidents/"); ok {
		in, found := f.inc[id]
		if !found {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"message":"Not Found","code":2100}}`)
			return
		}
		require.NoError(f.t, json.NewEncoder(w).Encode(map[string]any{"incident": in}))
		return
	}
	q := r.URL.Query()
	since, err1 := time.Parse(time.RFC3339, q.Get("since"))
	until, err2 := time.Parse(time.RFC3339, q.Get("until"))
	offset, err3 := strconv.Atoi(q.Get("offset"))
	limit, err4 := strconv.Atoi(q.Get("limit"))
	require.NoError(f.t, errorsJoin(err1, err2, err3, err4))
	var match []map[string]any
	for _, in := range f.inc {
		c, _ := time.Parse(time.RFC3339, in["created_at"].(string))
		if !c.Before(since) && c.Before(until) {
			match = append(match, in)
		}
	}
	slices.SortFunc(match, func(a, b map[string]any) int {
		return strings.Compare(a["created_at"].(string), b["created_at"].(string))
	})
	end := min(offset+limit, len(match))
	out := []map[string]any{}
	if offset < len(match) {
		out = match[offset:end]
	}
	require.NoError(f.t, json.NewEncoder(w).Encode(map[string]any{
		"incidents": out, "limit": limit, "offset": offset, "total": len(match), "more": end < len(match),
	}))
}

func errorsJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (f *fakePagerDuty) edit(fn func(inc map[string]map[string]any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.inc)
}

func (f *fakePagerDuty) served() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// pdRESTIncidents turns the webhook fixtures' event.data incidents into the
// REST API's incident objects (number is incident_number there, and the
// list carries created_at, last_status_change_at and acknowledgements).
func pdRESTIncidents(t *testing.T) map[string]map[string]any {
	dir := pollFixtures(t, "webhooks/pagerduty/v3")
	edits := map[string]map[string]any{
		"incident.resolved.json":         {"created_at": "2026-03-02T10:00:00Z", "last_status_change_at": "2026-03-02T11:30:00Z", "resolved_at": "2026-03-02T11:30:00Z"},
		"incident.reassigned.json":       {"created_at": "2026-03-05T08:00:00Z", "status": "resolved", "last_status_change_at": "2026-03-05T09:00:00Z"},
		"incident.triggered.json":        {"created_at": "2026-03-10T00:00:00Z", "last_status_change_at": "2026-03-10T00:00:00Z"},
		"incident.acknowledged.json":     {"created_at": "2026-03-12T00:00:00Z", "last_status_change_at": "2026-03-12T00:05:00Z", "acknowledgements": []any{map[string]any{"at": "2026-03-12T00:05:00Z"}}},
		"incident.reopened.json":         {"last_status_change_at": "2026-04-01T02:15:01Z"},
		"incident.priority_updated.json": {"last_status_change_at": "2026-04-01T02:07:30Z"},
	}
	out := map[string]map[string]any{}
	for file, edit := range edits {
		var body struct {
			Event struct {
				Data map[string]any `json:"data"`
			} `json:"event"`
		}
		loadJSON(t, filepath.Join(dir, file), &body)
		in := body.Event.Data
		in["incident_number"] = in["number"]
		delete(in, "number")
		for k, v := range edit {
			in[k] = v
		}
		out[in["id"].(string)] = in
	}
	require.Len(t, out, 6)
	return out
}

func TestPagerDutyAPIPolling(t *testing.T) {
	ctx := context.Background()
	fake := &fakePagerDuty{t: t, inc: pdRESTIncidents(t)}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	now := time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)
	cfg := &config.PagerDutyPoller{URL: srv.URL, Token: "pdtok", Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Window: 7 * 24 * time.Hour, PageSize: 1}
	path := filepath.Join(t.TempDir(), "steward.db")
	newFeed := func(s *fakeSleeps, prior record.Getter) *PagerDutyAPI {
		o := snOptions(s)
		o.Now = func() time.Time { return now }
		return NewPagerDutyAPI(cfg, prior, o)
	}

	// Pages 1 and 2 are the first window's two incidents; then a restart.
	var s1 fakeSleeps
	db1 := openPollStore(t, path)
	p1 := newTestPoller(t, newFeed(&s1, nil), db1, &s1)
	for range 2 {
		more, err := p1.Step(ctx)
		require.NoError(t, err)
		require.True(t, more)
	}
	before := pollIncidents(t, db1)
	require.Len(t, before, 2)
	assert.JSONEq(t, `{"next": "2026-03-08T00:00:00Z"}`, pollCursor(t, db1, "pagerduty_api"))
	require.NoError(t, db1.Close())

	fake.failures = []failure{{status: http.StatusTooManyRequests, retryAfter: "3"}, {status: http.StatusBadGateway}}
	var s2 fakeSleeps
	db2 := openPollStore(t, path)
	p2 := newTestPoller(t, newFeed(&s2, nil), db2, &s2)
	require.NoError(t, p2.Poll(ctx))
	assert.Equal(t, []time.Duration{3 * time.Second, 1500 * time.Millisecond}, s2.got(),
		"Retry-After is honoured; the 502 is the second try, so it waits the second backoff step")
	after := pollIncidents(t, db2)
	require.Len(t, after, 6, "no incident lost")
	for id, in := range before {
		assert.Equal(t, in.Seq, after[id].Seq, "%s was not read again after the restart", id)
	}
	assert.JSONEq(t, `{"next": "2026-04-10T00:00:00Z", "open": ["PFQZPSY", "PQ1K5C8", "Q05XJA8GDXGOB3", "Q3B15VLMF3ASBD"]}`, pollCursor(t, db2, "pagerduty_api"))
	assert.Equal(t, []string{
		// Before the restart: the first window, by offset.
		"/incidents?limit=1&offset=0&since=2026-03-01T00%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2026-03-08T00%3A00%3A00Z",
		"/incidents?limit=1&offset=1&since=2026-03-01T00%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2026-03-08T00%3A00%3A00Z",
		// After it: the next window, then on to now, then the open ones.
		"/incidents?limit=1&offset=0&since=2026-03-08T00%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2026-03-15T00%3A00%3A00Z",
		"/incidents?limit=1&offset=1&since=2026-03-08T00%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2026-03-15T00%3A00%3A00Z",
		"/incidents?limit=1&offset=0&since=2026-03-15T00%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2026-03-22T00%3A00%3A00Z",
		"/incidents?limit=1&offset=0&since=2026-03-22T00%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2026-03-29T00%3A00%3A00Z",
		"/incidents?limit=1&offset=0&since=2026-03-29T00%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2026-04-05T00%3A00%3A00Z",
		"/incidents?limit=1&offset=1&since=2026-03-29T00%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2026-04-05T00%3A00%3A00Z",
		"/incidents?limit=1&offset=0&since=2026-04-05T00%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2026-04-10T00%3A00%3A00Z",
		"/incidents/PFQZPSY", "/incidents/PQ1K5C8", "/incidents/Q05XJA8GDXGOB3", "/incidents/Q3B15VLMF3ASBD",
	}, fake.served())

	assert.Equal(t, record.Incident{
		ID: "PCPZE64", Source: "pagerduty", System: "pig208", Title: before["PCPZE64"].Title, Severity: 2, Impact: record.ImpactNone, Category: record.CategoryNone,
		OpenedAt: *pollTime("2026-03-02T10:00:00Z"), ResolvedAt: pollTime("2026-03-02T11:30:00Z"), Seq: before["PCPZE64"].Seq,
		Labels: map[string]string{"status": "resolved", "url": "https://pig208.pagerduty.com/incidents/PCPZE64", "number": "6",
			"urgency": "high", "service_id": "PA2P440", labelLastEvent: "2026-03-02T11:30:00Z"},
	}, after["PCPZE64"])
	assert.Equal(t, 3, after["Q05XJA8GDXGOB3"].Severity, "P3")
	assert.Equal(t, "Default Service", after["Q05XJA8GDXGOB3"].System)
	assert.Equal(t, 2, after["Q3B15VLMF3ASBD"].Severity, "P2 (the priority_updated capture)")
	assert.Equal(t, pollTime("2026-03-12T00:05:00Z"), after["PQ1K5C8"].AcknowledgedAt)

	// Later: one open incident is resolved (its acknowledgement is no
	// longer listed), one was deleted, one is new.
	fake.edit(func(inc map[string]map[string]any) {
		inc["PQ1K5C8"]["status"] = "resolved"
		inc["PQ1K5C8"]["resolved_at"] = "2026-04-10T05:00:00Z"
		inc["PQ1K5C8"]["acknowledgements"] = []any{}
		delete(inc, "PFQZPSY")
		n := map[string]any{}
		for k, v := range inc["Q05XJA8GDXGOB3"] {
			n[k] = v
		}
		n["id"], n["created_at"], n["urgency"], n["priority"] = "PNEW001", "2026-04-10T06:00:00Z", "high", nil
		inc["PNEW001"] = n
	})
	now = now.Add(12 * time.Hour)
	fake.requests = nil
	var s3 fakeSleeps
	p3 := newTestPoller(t, newFeed(&s3, db2), db2, &s3)
	require.NoError(t, p3.Poll(ctx))
	final := pollIncidents(t, db2)
	require.Len(t, final, 7)
	assert.Equal(t, pollTime("2026-04-10T05:00:00Z"), final["PQ1K5C8"].ResolvedAt)
	assert.Equal(t, pollTime("2026-03-12T00:05:00Z"), final["PQ1K5C8"].AcknowledgedAt, "the stored acknowledgement is kept")
	assert.Equal(t, 2, final["PNEW001"].Severity, "high urgency without a priority")
	assert.JSONEq(t, `{"next": "2026-04-10T12:00:00Z", "open": ["Q05XJA8GDXGOB3", "Q3B15VLMF3ASBD", "PNEW001"]}`, pollCursor(t, db2, "pagerduty_api"),
		"the resolved incident and the deleted one are no longer re-read")
	assert.Equal(t, []string{
		"/incidents?limit=1&offset=0&since=2026-04-10T00%3A00%3A00Z&sort_by=created_at%3Aasc&time_zone=UTC&total=true&until=2026-04-10T12%3A00%3A00Z",
		"/incidents/PFQZPSY", "/incidents/PQ1K5C8", "/incidents/Q05XJA8GDXGOB3", "/incidents/Q3B15VLMF3ASBD", "/incidents/PNEW001",
	}, fake.served())
}

func TestPagerDutyAPIWrongToken(t *testing.T) {
	fake := &fakePagerDuty{t: t, inc: map[string]map[string]any{}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	var s fakeSleeps
	cfg := &config.PagerDutyPoller{URL: srv.URL, Token: "nope"}
	db := openPollStore(t, filepath.Join(t.TempDir(), "steward.db"))
	err := newTestPoller(t, NewPagerDutyAPI(cfg, nil, snOptions(&s)), db, &s).Poll(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `poll pagerduty_api: pagerduty_api: list incidents: HTTP 401: {"error":{"message":"Unauthorized","code":2006}}`)
	assert.Empty(t, s.got(), "a 401 is not retried")
}

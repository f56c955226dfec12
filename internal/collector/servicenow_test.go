package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// fakeServiceNow serves one table the way the Table API does, for the
// parts of the encoded query the poller uses (field=, field>, field>=,
// ORDERBY), with basic auth, and with canned failures queued in front.
type fakeServiceNow struct {
	t     *testing.T
	table string

	mu       sync.Mutex
	rows     []map[string]json.RawMessage
	failures []failure // answered, in order, before any real response
	queries  []string  // sysparm_query of every request served
	params   []map[string]string
}

type failure struct {
	status     int
	retryAfter string
}

func newFakeServiceNow(t *testing.T, table string, rows []map[string]json.RawMessage) (*fakeServiceNow, *httptest.Server) {
	f := &fakeServiceNow{t: t, table: table, rows: rows}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeServiceNow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if user, pass, ok := r.BasicAuth(); !ok || user != "steward" || pass != "s3cret" {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}`)
			return
		}
	}
	if len(f.failures) > 0 {
		fl := f.failures[0]
		f.failures = f.failures[1:]
		if fl.retryAfter != "" {
			w.Header().Set("Retry-After", fl.retryAfter)
		}
		w.WriteHeader(fl.status)
		fmt.Fprint(w, `{"error":{"message":"try later"},"status":"failure"}`)
		return
	}
	if r.URL.Path != "/api/now/table/"+f.table {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	f.queries = append(f.queries, q.Get("sysparm_query"))
	params := map[string]string{}
	for k := range q {
		params[k] = q.Get(k)
	}
	f.params = append(f.params, params)
	var limit int
	_, err := fmt.Sscan(q.Get("sysparm_limit"), &limit)
	require.NoError(f.t, err)

	var conds []func(map[string]json.RawMessage) bool
	var order []string
	for _, part := range strings.Split(q.Get("sysparm_query"), "^") {
		if field, ok := strings.CutPrefix(part, "ORDERBY"); ok {
			order = append(order, field)
			continue
		}
		conds = append(conds, condition(f.t, part))
	}
	var out []map[string]json.RawMessage
	for _, row := range f.rows {
		if !slices.ContainsFunc(conds, func(c func(map[string]json.RawMessage) bool) bool { return !c(row) }) {
			out = append(out, row)
		}
	}
	slices.SortStableFunc(out, func(a, b map[string]json.RawMessage) int {
		for _, o := range order {
			if c := strings.Compare(snField(a, o, false), snField(b, o, false)); c != 0 {
				return c
			}
		}
		return 0
	})
	if len(out) > limit {
		out = out[:limit]
	}
	w.Header().Set("Content-Type", "application/json")
	require.NoError(f.t, json.NewEncoder(w).Encode(map[string]any{"result": out}))
}

// condition parses field=value, field>value or field>=value; values compare
// as strings, which orders ServiceNow times and sys_ids correctly.
func condition(t *testing.T, s string) func(map[string]json.RawMessage) bool {
	for _, op := range []string{">=", ">", "="} {
		if field, value, ok := strings.Cut(s, op); ok {
			return func(row map[string]json.RawMessage) bool {
				c := strings.Compare(snField(row, field, false), value)
				switch op {
				case ">=":
					return c >= 0
				case ">":
					return c > 0
				}
				return c == 0
			}
		}
	}
	t.Fatalf("fake ServiceNow: cannot parse condition %q", s)
	return nil
}

func (f *fakeServiceNow) fail(fs ...failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fs...)
}

func (f *fakeServiceNow) served() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.queries)
}

func (f *fakeServiceNow) set(rows ...map[string]json.RawMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rows {
		i := slices.IndexFunc(f.rows, func(x map[string]json.RawMessage) bool {
			return snField(x, "sys_id", false) == snField(r, "sys_id", false)
		})
		if i >= 0 {
			f.rows[i] = r
		} else {
			f.rows = append(f.rows, r)
		}
	}
}

func loadJSON(t *testing.T, path string, dst any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, dst))
}

// securityIncidents are the three records of the fixture list response, all
// updated in the same second.
func securityIncidents(t *testing.T) []map[string]json.RawMessage {
	var list snList
	loadJSON(t, filepath.Join(pollFixtures(t, "webhooks/servicenow/table_api"), "sn_si_incident.list_response.json"), &list)
	require.Len(t, list.Result, 3)
	return list.Result
}

// manyIncidents derives n records from the fixture's shape, with their own
// number, sys_id and update time; every third pair shares a second, so
// pages end inside a second.
func manyIncidents(t *testing.T, n int) []map[string]json.RawMessage {
	base := securityIncidents(t)
	base0, _ := time.Parse(snTime, "2023-08-01 08:03:32")
	var out []map[string]json.RawMessage
	for i := range n {
		row := map[string]json.RawMessage{}
		for k, v := range base[i%3] {
			row[k] = v
		}
		str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
		row["number"] = str(fmt.Sprintf("SIR%08d", i+1))
		// sys_ids in reverse of creation order, so that ORDERBYsys_id matters.
		row["sys_id"] = str(fmt.Sprintf("%032x", 1000-i))
		row["sys_updated_on"] = str(base0.Add(time.Duration(i/2) * time.Minute).Format(snTime))
		out = append(out, row)
	}
	return out
}

func serviceNowConfig(url string) *config.ServiceNowPoller {
	return &config.ServiceNowPoller{URL: url, Username: "steward", Password: "s3cret", PageSize: 4, Interval: time.Minute}
}

func newTestPoller(t *testing.T, feed Feed, db CursorStore, s *fakeSleeps) *Poller {
	return NewPoller(feed, db, PollerOptions{Interval: time.Minute, Sleep: s.sleep})
}

func snOptions(s *fakeSleeps) HTTPOptions {
	return HTTPOptions{Sleep: s.sleep, Backoff: Backoff{Base: time.Second, Max: 8 * time.Second, Rand: func() float64 { return 0.5 }}}
}

func TestServiceNowFixtureRecords(t *testing.T) {
	dir := pollFixtures(t, "webhooks/servicenow/table_api")
	var change struct {
		Result map[string]json.RawMessage `json:"result"`
	}
	loadJSON(t, filepath.Join(dir, "change_request.create_response.display_value_all.json"), &change)
	withCI := func(row map[string]json.RawMessage, edits map[string]string) map[string]json.RawMessage {
		out := map[string]json.RawMessage{}
		for k, v := range row {
			out[k] = v
		}
		for k, v := range edits {
			out[k] = json.RawMessage(v)
		}
		return out
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := serviceNowConfig("http://unused")

	t.Run("security incident with reference links: category security, its own kept", func(t *testing.T) {
		tbl := NewServiceNowTable(cfg, "sn_si_incident", HTTPOptions{Now: func() time.Time { return now }})
		var b record.Batch
		tbl.decode(&b, securityIncidents(t)[0], 0)
		require.Empty(t, b.Rejected)
		require.Len(t, b.Incidents, 1)
		assert.Equal(t, record.Incident{
			ID: "SIR00000001", Source: "servicenow", System: "1234", Title: "test", Severity: 4, Impact: record.ImpactNone, Category: "security",
			OpenedAt: *pollTime("2023-07-28T10:18:55Z"), ClosedAt: pollTime("2023-08-01T08:03:28Z"), Team: "1234",
			Labels: map[string]string{"servicenow_table": "sn_si_incident", "servicenow_sys_id": "g123456", "servicenow_state": "3",
				"servicenow_category": "Phishing"},
		}, b.Incidents[0])
	})

	t.Run("incident table: its category, lower-cased", func(t *testing.T) {
		tbl := NewServiceNowTable(cfg, "incident", HTTPOptions{Now: func() time.Time { return now }})
		var b record.Batch
		tbl.decode(&b, withCI(securityIncidents(t)[0], map[string]string{"category": `{"display_value": "Network", "value": "Network"}`}), 0)
		require.Empty(t, b.Rejected)
		require.Len(t, b.Incidents, 1)
		assert.Equal(t, "network", b.Incidents[0].Category)
		assert.NotContains(t, b.Incidents[0].Labels, "servicenow_category")
	})

	tests := []struct {
		name    string
		edits   map[string]string
		want    *record.Change
		wantErr string
	}{
		{
			name:    "new change without a CI is rejected, naming the field",
			wantErr: `servicenow change_request record CHG0030003 (sys_id 25a42de31b582010593876a61a4bcbc8): field "system": is required`,
		},
		{
			name:  "new normal change, not yet approved: in progress, times are values (UTC)",
			edits: map[string]string{"cmdb_ci": `{"display_value": "PXYZ123", "value": "b0c4030ac0a80009000ed4ab8d1d5d2c"}`},
			want: &record.Change{
				ID: "CHG0030003", Source: "servicenow", System: "PXYZ123", Type: record.TypeNormal, Environment: "production",
				CreatedAt: pollTime("2020-11-11T17:54:57Z"), Outcome: record.OutcomeInProgress, Authorized: false,
				Labels: map[string]string{"servicenow_table": "change_request", "servicenow_sys_id": "25a42de31b582010593876a61a4bcbc8", "servicenow_state": "New"},
			},
		},
		{
			name: "closed unsuccessful emergency change, approved",
			edits: map[string]string{
				"cmdb_ci":          `{"display_value": "PXYZ123", "value": "b0c4"}`,
				"assignment_group": `{"display_value": "Payments", "value": "a1b2"}`,
				"type":             `{"display_value": "Emergency", "value": "emergency"}`,
				"state":            `{"display_value": "Closed", "value": 3.0}`,
				"close_code":       `{"display_value": "Unsuccessful", "value": "unsuccessful"}`,
				"approval":         `{"display_value": "Approved", "value": "approved"}`,
				"approval_set":     `{"display_value": "2020-11-11 12:00:00", "value": "2020-11-11 20:00:00"}`,
				"start_date":       `{"display_value": "2020-11-12 00:30:00", "value": "2020-11-12 08:30:00"}`,
				"work_start":       `{"display_value": "2020-11-12 01:00:00", "value": "2020-11-12 09:00:00"}`,
				"work_end":         `{"display_value": "2020-11-12 02:00:00", "value": "2020-11-12 10:00:00"}`,
				"end_date":         `{"display_value": "2020-11-12 05:00:00", "value": "2020-11-12 13:00:00"}`,
			},
			want: &record.Change{
				ID: "CHG0030003", Source: "servicenow", System: "PXYZ123", Team: "Payments", Type: record.TypeEmergency, Environment: "production",
				CreatedAt: pollTime("2020-11-11T17:54:57Z"), ApprovedAt: pollTime("2020-11-11T20:00:00Z"),
				PlannedStart: pollTime("2020-11-12T08:30:00Z"), PlannedEnd: pollTime("2020-11-12T13:00:00Z"),
				StartedAt: pollTime("2020-11-12T09:00:00Z"), FinishedAt: pollTime("2020-11-12T10:00:00Z"),
				Outcome: record.OutcomeFailed, Authorized: true,
				Labels: map[string]string{"servicenow_table": "change_request", "servicenow_sys_id": "25a42de31b582010593876a61a4bcbc8", "servicenow_state": "Closed"},
			},
		},
		{
			name: "canceled standard change ends at its planned end, an estimate",
			edits: map[string]string{
				"cmdb_ci":  `{"display_value": "PXYZ123", "value": "b0c4"}`,
				"type":     `{"display_value": "Standard", "value": "standard"}`,
				"state":    `{"display_value": "Canceled", "value": 4.0}`,
				"end_date": `{"display_value": "2020-11-12 05:00:00", "value": "2020-11-12 13:00:00"}`,
			},
			want: &record.Change{
				ID: "CHG0030003", Source: "servicenow", System: "PXYZ123", Type: record.TypeStandard, Environment: "production",
				CreatedAt: pollTime("2020-11-11T17:54:57Z"), PlannedEnd: pollTime("2020-11-12T13:00:00Z"), FinishedAt: pollTime("2020-11-12T13:00:00Z"),
				Outcome: record.OutcomeCancelled, Authorized: true, Estimated: []string{"finished_at"},
				Labels: map[string]string{"servicenow_table": "change_request", "servicenow_sys_id": "25a42de31b582010593876a61a4bcbc8", "servicenow_state": "Canceled"},
			},
		},
		{
			name: "unknown close code is rejected by name",
			edits: map[string]string{
				"cmdb_ci":    `{"display_value": "PXYZ123", "value": "b0c4"}`,
				"close_code": `{"display_value": "Rolled back", "value": "u_rolled_back"}`,
				"work_end":   `{"display_value": "2020-11-12 02:00:00", "value": "2020-11-12 10:00:00"}`,
			},
			wantErr: `field "outcome": unknown value "u_rolled_back"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbl := NewServiceNowTable(cfg, "change_request", HTTPOptions{Now: func() time.Time { return now }})
			var b record.Batch
			tbl.decode(&b, withCI(change.Result, tt.edits), 7)
			if tt.wantErr != "" {
				require.Empty(t, b.Changes)
				require.Len(t, b.Rejected, 1)
				r := b.Rejected[0]
				assert.Contains(t, r.Error, tt.wantErr)
				assert.Equal(t, record.KindChange, r.Kind)
				assert.Equal(t, "CHG0030003", r.ID)
				assert.Equal(t, 7, r.Index)
				assert.Equal(t, now, r.ReceivedAt)
				assert.Contains(t, r.Raw, `"number":{"display_value":"CHG0030003","value":"CHG0030003"}`, "the vendor record is kept")
				return
			}
			require.Empty(t, b.Rejected)
			require.Len(t, b.Changes, 1)
			assert.Equal(t, *tt.want, b.Changes[0])
		})
	}
}

func TestServiceNowFieldShapes(t *testing.T) {
	row := map[string]json.RawMessage{
		"s":      json.RawMessage(`"text"`),
		"n":      json.RawMessage(`3.0`),
		"f":      json.RawMessage(`2.5`),
		"b":      json.RawMessage(`false`),
		"null":   json.RawMessage(`null`),
		"ref":    json.RawMessage(`{"link": "https://x/api/now/table/sys_user_group/1", "value": "1"}`),
		"all":    json.RawMessage(`{"display_value": "Network", "value": "287ebd7da9fe198100f92cc8d1d2154e"}`),
		"allnum": json.RawMessage(`{"display_value": "1 - Critical", "value": 1.0}`),
	}
	tests := []struct {
		field   string
		display bool
		want    string
	}{
		{"s", false, "text"}, {"s", true, "text"},
		{"n", false, "3"}, {"f", false, "2.5"}, {"b", false, "false"}, {"null", false, ""}, {"missing", false, ""},
		{"ref", false, "1"}, {"ref", true, "1"},
		{"all", false, "287ebd7da9fe198100f92cc8d1d2154e"}, {"all", true, "Network"},
		{"allnum", false, "1"}, {"allnum", true, "1 - Critical"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, snField(row, tt.field, tt.display), "%s display=%v", tt.field, tt.display)
	}
	for in, want := range map[string]json.Number{"1": "1", "1 - Critical": "1", "5": "5", "9": "9", "High": "", "1.5": ""} {
		got, err := severityNumber(in)
		assert.Equal(t, want, got, in)
		if want == "" {
			assert.EqualError(t, err, fmt.Sprintf(`field "severity": must be an integer from 1 to 5, got %q`, in))
		}
	}
}

// TestServiceNowPolling covers paging, incremental polls, a 429 with
// Retry-After, a 500 then success, and a restart in the middle of the
// first backfill.
func TestServiceNowPolling(t *testing.T) {
	ctx := context.Background()
	rows := manyIncidents(t, 11)
	fake, srv := newFakeServiceNow(t, "sn_si_incident", rows)
	path := filepath.Join(t.TempDir(), "steward.db")
	cfg := serviceNowConfig(srv.URL)
	cfg.Query = "active=false"

	// A first poller stores pages 1 and 2 (8 of 11 records) and stops.
	var s1 fakeSleeps
	db1 := openPollStore(t, path)
	p1 := newTestPoller(t, NewServiceNowTable(cfg, "sn_si_incident", snOptions(&s1)), db1, &s1)
	for range 2 {
		more, err := p1.Step(ctx)
		require.NoError(t, err)
		require.True(t, more)
	}
	require.Len(t, pollIncidents(t, db1), 8)
	// Records 7 and 8 share 08:06:32 and sort by sys_id; the cursor is the
	// last one stored.
	assert.Equal(t, "2023-08-01 08:06:32|"+fmt.Sprintf("%032x", 1000-6), pollCursor(t, db1, "servicenow/sn_si_incident"))
	before := pollIncidents(t, db1)
	require.NoError(t, db1.Close())

	// The restarted poller hits a 500 and then a 429 before it gets data.
	fake.fail(failure{status: http.StatusInternalServerError}, failure{status: http.StatusTooManyRequests, retryAfter: "7"})
	var s2 fakeSleeps
	db2 := openPollStore(t, path)
	stored := 0
	p2 := NewPoller(NewServiceNowTable(cfg, "sn_si_incident", snOptions(&s2)), db2, PollerOptions{Interval: time.Minute, Sleep: s2.sleep,
		Stored: func(b record.Batch, _ time.Duration) { stored += len(b.Incidents) + len(b.Changes) }})
	require.NoError(t, p2.Poll(ctx))
	assert.Equal(t, []time.Duration{750 * time.Millisecond, 7 * time.Second}, s2.got(),
		"the 500 waits the first backoff (1s, jittered to 0.75s), the 429 its Retry-After")

	after := pollIncidents(t, db2)
	require.Len(t, after, 11, "no record lost")
	for id, in := range before {
		assert.Equal(t, in.Seq, after[id].Seq, "%s was not fetched and written again after the restart", id)
	}
	id := func(i int) string { return fmt.Sprintf("%032x", 1000-i) }
	assert.Equal(t, []string{
		"active=false^ORDERBYsys_updated_on^ORDERBYsys_id",
		// Page 2: nothing left in page 1's last second, so on to later ones.
		"active=false^sys_updated_on=2023-08-01 08:04:32^sys_id>" + id(2) + "^ORDERBYsys_id",
		"active=false^sys_updated_on>2023-08-01 08:04:32^ORDERBYsys_updated_on^ORDERBYsys_id",
		// After the restart: resumes at the stored cursor.
		"active=false^sys_updated_on=2023-08-01 08:06:32^sys_id>" + id(6) + "^ORDERBYsys_id",
		"active=false^sys_updated_on>2023-08-01 08:06:32^ORDERBYsys_updated_on^ORDERBYsys_id",
	}, fake.served())
	assert.Equal(t, "2023-08-01 08:08:32|"+fmt.Sprintf("%032x", 1000-10), pollCursor(t, db2, "servicenow/sn_si_incident"))

	// Incremental: one record is updated, one is new; only they are read.
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	updated := withFields(rows[0], map[string]json.RawMessage{"sys_updated_on": str("2023-08-02 09:00:00"), "priority": str("1")})
	added := withFields(rows[1], map[string]json.RawMessage{"number": str("SIR00000099"), "sys_id": str("ffff"), "sys_updated_on": str("2023-08-02 09:00:00")})
	fake.set(updated, added)
	require.NoError(t, p2.Poll(ctx))
	final := pollIncidents(t, db2)
	require.Len(t, final, 12)
	assert.Equal(t, 1, final["SIR00000001"].Severity, "the update was applied")
	for id, in := range after {
		if id != "SIR00000001" {
			assert.Equal(t, in.Seq, final[id].Seq, "%s is unchanged and was not written again", id)
		}
	}
	assert.Equal(t, 5, stored, "3 after the restart, then 2")

	p := fake.params[0]
	assert.Equal(t, "4", p["sysparm_limit"])
	assert.Equal(t, "all", p["sysparm_display_value"], "default fields use display values")
	assert.Equal(t, "true", p["sysparm_exclude_reference_link"])
}

func withFields(base map[string]json.RawMessage, edits map[string]json.RawMessage) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range edits {
		out[k] = v
	}
	return out
}

func TestServiceNowErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		cfg       func(*config.ServiceNowPoller)
		failures  []failure
		wantErr   string
		wantWaits []time.Duration
	}{
		{
			name:    "wrong password fails at once",
			cfg:     func(c *config.ServiceNowPoller) { c.Password = "wrong" },
			wantErr: `poll servicenow/incident: servicenow incident: HTTP 401: {"error":{"message":"User Not Authenticated"`,
		},
		{
			name:      "persistent 503 gives up after five tries",
			failures:  []failure{{status: 503}, {status: 503}, {status: 503}, {status: 503}, {status: 503}},
			wantErr:   "HTTP 503: ",
			wantWaits: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 6 * time.Second},
		},
		{
			name:     "Retry-After beyond the cap fails the cycle",
			failures: []failure{{status: 429, retryAfter: "3600"}},
			wantErr:  "server asks to wait 1h0m0s, more than 10m0s",
		},
		{
			name:      "429 without Retry-After backs off",
			failures:  []failure{{status: 429}},
			wantWaits: []time.Duration{750 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, srv := newFakeServiceNow(t, "incident", nil)
			fake.fail(tt.failures...)
			cfg := serviceNowConfig(srv.URL)
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			var s fakeSleeps
			db := openPollStore(t, filepath.Join(t.TempDir(), "steward.db"))
			p := newTestPoller(t, NewServiceNowTable(cfg, "incident", snOptions(&s)), db, &s)
			err := p.Poll(ctx)
			if tt.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Empty(t, pollCursor(t, db, "servicenow/incident"), "a failed page moves no cursor")
			}
			assert.Equal(t, tt.wantWaits, s.got())
		})
	}
}

func TestServiceNowBearerToken(t *testing.T) {
	fake, srv := newFakeServiceNow(t, "sn_si_incident", securityIncidents(t))
	cfg := &config.ServiceNowPoller{URL: srv.URL, Token: "tok", PageSize: 100, Since: time.Date(2023, 8, 1, 8, 3, 32, 0, time.UTC)}
	var s fakeSleeps
	db := openPollStore(t, filepath.Join(t.TempDir(), "steward.db"))
	require.NoError(t, newTestPoller(t, NewServiceNowTable(cfg, "sn_si_incident", snOptions(&s)), db, &s).Poll(context.Background()))
	assert.Len(t, pollIncidents(t, db), 3)
	assert.Equal(t, []string{"sys_updated_on>=2023-08-01 08:03:32^ORDERBYsys_updated_on^ORDERBYsys_id"}, fake.served(),
		"since bounds the first run; a short page ends the cycle")
}

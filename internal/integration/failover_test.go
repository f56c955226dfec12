package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/pgtest"
	"github.com/steward-sh/steward/internal/store"
)

// snTable serves one ServiceNow table the way the Table API does for the
// queries the poller makes (field=, field>, field>= and ORDERBY on string
// values, sysparm_limit), and can hold every request once a number of
// pages was answered, until released: the poller is then caught in the
// middle of its backfill.
type snTable struct {
	rows []map[string]json.RawMessage

	mu      sync.Mutex
	pages   int            // pages answered
	served  map[string]int // sys_id -> times answered
	queries []string       // sysparm_query of each page answered
	holdAt  int            // answer no page past this many until release is closed (0: never hold)
	held    chan struct{}  // closed when a request is being held
	release chan struct{}
}

func newSNTable(rows []map[string]json.RawMessage, holdAt int) *snTable {
	return &snTable{rows: rows, served: map[string]int{}, holdAt: holdAt, held: make(chan struct{}), release: make(chan struct{})}
}

func (f *snTable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if user, pass, ok := r.BasicAuth(); !ok || user != "steward" || pass != "pw" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	if f.holdAt > 0 && f.pages >= f.holdAt {
		select {
		case <-f.held:
		default:
			close(f.held)
		}
		f.mu.Unlock()
		select {
		case <-f.release:
		case <-r.Context().Done():
		}
		if r.Context().Err() != nil { // the client is gone: answer nothing
			return
		}
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("sysparm_limit"))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var out []map[string]json.RawMessage
	var order []string
	conds := strings.Split(q.Get("sysparm_query"), "^")
	for _, row := range f.rows {
		if matches(row, conds, &order) {
			out = append(out, row)
		}
	}
	slices.SortStableFunc(out, func(a, b map[string]json.RawMessage) int {
		for _, o := range order {
			if c := strings.Compare(str(a[o]), str(b[o])); c != 0 {
				return c
			}
		}
		return 0
	})
	out = out[:min(limit, len(out))]
	f.pages++
	f.queries = append(f.queries, q.Get("sysparm_query"))
	for _, row := range out {
		f.served[str(row["sys_id"])]++
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"result": out})
}

// matches applies the encoded query's conditions; ORDERBY parts are
// collected into order.
func matches(row map[string]json.RawMessage, conds []string, order *[]string) bool {
	ok := true
	*order = (*order)[:0]
	for _, c := range conds {
		if field, found := strings.CutPrefix(c, "ORDERBY"); found {
			*order = append(*order, field)
			continue
		}
		for _, op := range []string{">=", ">", "="} {
			if field, value, found := strings.Cut(c, op); found {
				cmp := strings.Compare(str(row[field]), value)
				ok = ok && map[string]bool{">=": cmp >= 0, ">": cmp > 0, "=": cmp == 0}[op]
				break
			}
		}
	}
	return ok
}

func str(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

func (f *snTable) snapshot() (pages int, served map[string]int, queries []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.served {
		out[k] = v
	}
	return f.pages, out, slices.Clone(f.queries)
}

// serviceNowRows derives n security incidents from the fixture's first
// record, two updated in each second, with sys_ids that sort in reverse
// order of update, so that pages end inside a second.
func serviceNowRows(t *testing.T, n int) []map[string]json.RawMessage {
	t.Helper()
	fixture := filepath.Join("..", "..", "collector", "testdata", "fixtures", "webhooks", "servicenow", "table_api", "sn_si_incident.list_response.json")
	body, err := os.ReadFile(fixture)
	if err != nil {
		t.Skipf("ServiceNow fixture not found: %v", err)
	}
	var list struct {
		Result []map[string]json.RawMessage `json:"result"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	base := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	quote := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	var rows []map[string]json.RawMessage
	for i := range n {
		row := map[string]json.RawMessage{}
		for k, v := range list.Result[i%len(list.Result)] {
			row[k] = v
		}
		row["number"] = quote(fmt.Sprintf("SIR%07d", i+1))
		row["sys_id"] = quote(fmt.Sprintf("%032x", 10000-i))
		row["sys_updated_on"] = quote(base.Add(time.Duration(i/2) * time.Second).Format("2006-01-02 15:04:05"))
		rows = append(rows, row)
	}
	return rows
}

// leaderOf reads steward_leader{task} from a replica's /metrics: 1, 0, or
// -1 when the replica does not answer or does not export it.
func leaderOf(base, task string) int {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	prefix := `steward_leader{task="` + task + `"} `
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

// Three replicas (processes) share one database and one ServiceNow poller.
// The one that polls is killed with SIGKILL in the middle of a backfill;
// another takes the poller over within seconds and continues from the
// stored cursor: every record is stored exactly once, none is fetched
// twice, and the poll resumes where the dead replica's last committed page
// ended.
func TestPollerFailsOverToAnotherReplica(t *testing.T) {
	const (
		records  = 60
		pageSize = 4
		task     = "poller/servicenow/sn_si_incident"
	)
	rows := serviceNowRows(t, records)
	dsn := pgtest.NewDatabase(t)
	bin := buildSteward(t)
	sn := newSNTable(rows, 5)
	srv := httptest.NewServer(sn)
	defer srv.Close()
	pwFile := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(pwFile, []byte("pw\n"), 0o600))
	cfg := fmt.Sprintf(testConfig, "postgres", dsn) + fmt.Sprintf(`
pollers:
  servicenow:
    url: %s
    username: steward
    password_file: %s
    tables: [sn_si_incident]
    page_size: %d
    interval: 1h
    fields:
      sn_si_incident: {system: cmdb_ci}
`, srv.URL, pwFile, pageSize)

	var rs []*stewardProc
	for range 3 {
		rs = append(rs, startSteward(t, bin, cfg))
	}
	leaders := func() []int {
		var out []int
		for i, r := range rs {
			if r.cmd != nil && leaderOf(r.url, task) == 1 {
				out = append(out, i)
			}
		}
		return out
	}
	select {
	case <-sn.held:
	case <-time.After(60 * time.Second):
		t.Fatal("the backfill did not reach the held page")
	}
	require.Eventually(t, func() bool { return len(leaders()) == 1 }, 10*time.Second, 50*time.Millisecond, "one replica polls")
	for i, r := range rs {
		assert.Contains(t, []int{0, 1}, leaderOf(r.url, task), "replica %d exports steward_leader for the poller", i)
	}

	st, err := store.Open(context.Background(), "postgres", dsn, nil)
	require.NoError(t, err)
	defer st.Close()
	cursorAtKill, err := st.Cursor(context.Background(), "servicenow/sn_si_incident")
	require.NoError(t, err)
	require.NotEmpty(t, cursorAtKill, "pages were stored before the kill")
	pagesAtKill, _, _ := sn.snapshot()

	old := leaders()[0]
	rs[old].kill()
	killedAt := time.Now()
	require.Eventually(t, func() bool { l := leaders(); return len(l) == 1 && l[0] != old }, 20*time.Second, 50*time.Millisecond,
		"another replica takes the poller over")
	t.Logf("poller moved from replica %d to %d in %s", old, leaders()[0], time.Since(killedAt).Round(10*time.Millisecond))
	close(sn.release)

	require.Eventually(t, func() bool {
		incs, _, _ := storedKeys(t, "postgres", dsn)
		return len(incs) == records
	}, 60*time.Second, 100*time.Millisecond, "the backfill completes")

	incs, _, _ := storedKeys(t, "postgres", dsn) // fails on a key stored twice
	for i := range records {
		assert.True(t, incs[fmt.Sprintf("SIR%07d", i+1)], "SIR%07d stored", i+1)
	}
	_, served, queries := sn.snapshot()
	for _, row := range rows {
		assert.Equal(t, 1, served[str(row["sys_id"])], "%s fetched once", str(row["number"]))
	}
	// The new leader's first page asked for what follows the cursor the
	// dead one had committed, not for the beginning.
	updated, sysID, _ := strings.Cut(cursorAtKill, "|")
	assert.Equal(t, "sys_updated_on="+updated+"^sys_id>"+sysID+"^ORDERBYsys_id", queries[pagesAtKill],
		"the poll resumed from the stored cursor")
	assert.Equal(t, 1, countPrefix(queries, "ORDERBYsys_updated_on"), "only the first poll started from the beginning")
	last := rows[records-2] // the last second's two records sort by sys_id, reversed
	end, err := st.Cursor(context.Background(), "servicenow/sn_si_incident")
	require.NoError(t, err)
	assert.Equal(t, str(last["sys_updated_on"])+"|"+str(last["sys_id"]), end, "the cursor reached the end")

	// Each record was written once: sequence numbers 1..records, none
	// drawn again for a page stored twice.
	var seqs []int64
	for after := int64(0); ; {
		page, err := st.Incidents(context.Background(), after, 1000)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		for _, in := range page {
			seqs = append(seqs, in.Seq)
			after = in.Seq
		}
	}
	require.Len(t, seqs, records)
	assert.Equal(t, int64(records), seqs[len(seqs)-1], "no page was written twice")
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

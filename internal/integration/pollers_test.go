package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/store"
)

// TestDaemonRunsPollers starts the daemon with a ServiceNow poller against
// a local server replaying the Table API's list response, and waits for
// the records to be stored with their cursor.
func TestDaemonRunsPollers(t *testing.T) {
	fixture := filepath.Join("..", "..", "collector", "testdata", "fixtures", "webhooks", "servicenow", "table_api", "sn_si_incident.list_response.json")
	body, err := os.ReadFile(fixture)
	if err != nil {
		t.Skipf("ServiceNow fixture not found: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "steward" || pass != "pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		// The fixture's records all come first; later pages are empty.
		if q := r.URL.Query().Get("sysparm_query"); strings.Contains(q, "sys_updated_on=") || strings.Contains(q, "sys_updated_on>") {
			fmt.Fprint(w, `{"result": []}`)
			return
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "steward.db")
	pwFile := filepath.Join(dir, "password")
	require.NoError(t, os.WriteFile(pwFile, []byte("pw\n"), 0o600))
	cfg := fmt.Sprintf(testConfig, "sqlite", dsn) + fmt.Sprintf(`
pollers:
  servicenow:
    url: %s
    username: steward
    password_file: %s
    tables: [sn_si_incident]
    interval: 1h
    fields:
      sn_si_incident: {system: cmdb_ci}
`, srv.URL, pwFile)
	startDaemonWith(t, "sqlite", dsn, cfg, 0)

	st, err := store.Open(context.Background(), "sqlite", dsn, nil)
	require.NoError(t, err)
	defer st.Close()
	require.Eventually(t, func() bool {
		c, err := st.Cursor(context.Background(), "servicenow/sn_si_incident")
		return err == nil && c != ""
	}, 20*time.Second, 20*time.Millisecond, "the first poll runs at start")
	ins, err := st.Incidents(context.Background(), 0, 100)
	require.NoError(t, err)
	require.Len(t, ins, 3)
	assert.Equal(t, "servicenow", ins[0].Source)
	assert.Equal(t, "1234", ins[0].System)
	c, err := st.Cursor(context.Background(), "servicenow/sn_si_incident")
	require.NoError(t, err)
	assert.Equal(t, "2023-08-01 08:03:32|g123456789", c)
}

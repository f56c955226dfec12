package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ownership imported from the sample Backstage catalog attributes records
// sent under the catalog's aliases to the catalog's owners.
func TestBackstageImportAttributes(t *testing.T) {
	cfgText, err := os.ReadFile("../../examples/backstage/steward.yml")
	require.NoError(t, err)
	catalog, err := filepath.Abs("../../examples/backstage")
	require.NoError(t, err)
	dsn := filepath.Join(t.TempDir(), "s.db")
	text := fmt.Sprintf("storage: {driver: sqlite, dsn: %q}\n", dsn) +
		strings.Replace(string(cfgText), "path: .  ", "path: "+catalog+"  ", 1)
	require.Contains(t, text, catalog)
	d := startDaemonWith(t, "sqlite", dsn, text, 0)

	opened := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	body := ""
	for i, system := range []string{"PXYZ123", "search-svc", "PSRCH01", "legacy-reporting", "recommendations"} {
		body += fmt.Sprintf(`{"id":"I%d","system":%q,"severity":3,"opened_at":%q}`+"\n", i, system, opened)
	}
	code, res := d.post(t, "/api/v1/incidents", "application/x-ndjson", body)
	require.Equal(t, http.StatusOK, code)
	require.EqualValues(t, 5, res["accepted"])

	opened7d := func(role, subject string) float64 {
		code, raw := d.get(t, "/api/v1/scorecards?window=7d&role="+role+"&subject="+subject)
		require.Equal(t, http.StatusOK, code, string(raw))
		var v ScorecardsJSON
		require.NoError(t, json.Unmarshal(raw, &v))
		require.Len(t, v.Scorecards, 1)
		return *v.Scorecards[0].KPIs["incidents_opened"].Value
	}
	assert.Equal(t, 1.0, opened7d("system_owner", "alice"), "payments-api via its PagerDuty service id")
	assert.Equal(t, 2.0, opened7d("system_owner", "bob"), "search via two aliases; bob is accountable for search-team")
	assert.Equal(t, 1.0, opened7d("system_owner", "davis"), "the config's legacy-reporting wins over the catalog's")
	assert.Equal(t, 1.0, opened7d("program_manager", "carol"), "checkout's manager from the catalog System")
	assert.Equal(t, 3.0, opened7d("program", "discovery"), "search and recommendations")
	assert.Equal(t, 1.0, opened7d("system", "recommendations"))
	code, _ = d.get(t, "/api/v1/scorecards?role=system_owner&subject=ml-platform")
	assert.Equal(t, http.StatusNotFound, code, "a group is never an owner")
}

// ScorecardsJSON is the part of the scorecards answer tests read.
type ScorecardsJSON struct {
	Scorecards []struct {
		Role    string                              `json:"role"`
		Subject string                              `json:"subject"`
		Score   *float64                            `json:"score"`
		KPIs    map[string]struct{ Value *float64 } `json:"kpis"`
	} `json:"scorecards"`
}

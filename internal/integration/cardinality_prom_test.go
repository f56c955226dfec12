package integration

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
)

// A cardinality attack: records name 3,000 invented teams. Past
// limits.teams their records count for one team, so a real Prometheus
// scraping the daemon stores a bounded number of team series, and the
// records are all counted.
func TestTeamFloodStaysBoundedInPrometheus(t *testing.T) {
	const limit, invented = 50, 3000
	dsn := filepath.Join(t.TempDir(), "s.db")
	d := startDaemonWith(t, "sqlite", dsn, fmt.Sprintf("storage: {driver: sqlite, dsn: %q}\nsystems: [{id: api}]\nwindows: [7d]\nlimits: {teams: %d}\n", dsn, limit), 0)
	opened := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	var body strings.Builder
	for i := range invented {
		fmt.Fprintf(&body, `{"id":"I%d","system":"api","severity":3,"opened_at":%q,"team":"team-%05d"}`+"\n", i, opened, i)
	}
	code, res := d.post(t, "/api/v1/incidents", "application/x-ndjson", body.String())
	require.Equal(t, http.StatusOK, code, res)
	require.EqualValues(t, invented, res["accepted"])

	prom := startPrometheus(t, fmt.Sprintf("  - {job_name: steward, static_configs: [{targets: [%q]}]}\n", strings.TrimPrefix(d.url, "http://")))
	var teams promSeries
	require.Eventually(t, func() bool {
		teams = promQuery(t, prom, `steward_incidents_opened{role="team",severity="3"}`, time.Time{})
		return len(teams) > 0
	}, 60*time.Second, 200*time.Millisecond, "Prometheus did not scrape Steward")
	assert.Len(t, teams, limit+1, "the teams within the limit, and the overflow team")
	overflow := fmt.Sprintf(`steward_incidents_opened{role="team",severity="3",subject=%q,window="7d"}`, config.OverflowTeam)
	assert.Equal(t, float64(invented-limit), teams[overflow])
	total := 0.0
	for _, v := range teams {
		total += v
	}
	assert.Equal(t, float64(invented), total, "every record counts for some team")
	series := promQuery(t, prom, `count({__name__=~"steward_.+", role="team"})`, time.Time{})
	assert.Less(t, series["{}"], float64((limit+1)*200), "team series stay bounded")
}

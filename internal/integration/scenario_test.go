package integration

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/scenario"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The scorecards API answers for a past `at` with the hand-checked values of
// the golden scenario (scorecard/testdata/scenario.yml, explained in
// scorecard/scenario_test.go), on SQLite and PostgreSQL alike. The golden
// JSON was written by -update and checked against those hand-computed values.
func TestScenarioScorecardsAPI(t *testing.T) {
	cfgText, err := os.ReadFile(scenario.ConfigFile())
	require.NoError(t, err)
	incidents, changes := scenario.NDJSON(t)
	var golden []byte
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			driver, dsn := backend(t)
			storage := fmt.Sprintf("storage: {driver: %s, dsn: %q}\n", driver, dsn)
			d := startDaemonWith(t, driver, dsn, storage+string(cfgText), 0)
			for path, body := range map[string]string{"/api/v1/incidents": incidents, "/api/v1/changes": changes} {
				code, res := d.post(t, path, "application/x-ndjson", body)
				require.Equal(t, http.StatusOK, code)
				require.Empty(t, res["rejected"])
			}
			var all bytes.Buffer
			for _, role := range []string{"system", "system_owner", "program", "program_manager", "process_owner", "process_manager", "team", "global"} {
				code, raw := d.get(t, "/api/v1/scorecards?window=10d&at=2026-01-11T00:00:00Z&role="+role)
				require.Equal(t, http.StatusOK, code, string(raw))
				var pretty bytes.Buffer
				require.NoError(t, json.Indent(&pretty, raw, "", "  "))
				all.Write(pretty.Bytes())
			}
			const file = "testdata/scenario.golden.json"
			if *update && golden == nil {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(file, all.Bytes(), 0o644))
			}
			want, err := os.ReadFile(file)
			require.NoError(t, err, "run with -update to create it")
			assert.Equal(t, string(want), all.String())
			golden = all.Bytes()

			code, raw := d.get(t, "/api/v1/scorecards?window=10d&at=2026-01-11T00:00:00Z&role=system&subject=api&format=csv")
			require.Equal(t, http.StatusOK, code)
			assert.Contains(t, string(raw), "2026-01-11T00:00:00Z,10d,system,api,16.666666666666668,change_success_ratio,0.6666666666666666,0.9,0.8,breach,,\n")
			assert.Contains(t, string(raw), "2026-01-11T00:00:00Z,10d,system,api,16.666666666666668,mttr_seconds,16800,3600,7200,breach,,\n")
		})
	}
}

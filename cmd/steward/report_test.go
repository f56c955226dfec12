package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/scenario"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// scenarioStore writes the golden scenario's config (with a SQLite store)
// and records, and returns the config file and the database path.
func scenarioStore(t *testing.T) (string, string) {
	t.Helper()
	cfgText, err := os.ReadFile("../../scorecard/testdata/scenario.yml")
	require.NoError(t, err)
	dir := t.TempDir()
	dsn := filepath.Join(dir, "steward.db")
	file := filepath.Join(dir, "steward.yml")
	require.NoError(t, os.WriteFile(file, append([]byte(fmt.Sprintf("storage: {driver: sqlite, dsn: %q}\n", dsn)), cfgText...), 0o600))
	incidents, changes := scenario.NDJSON(t)
	var b record.Batch
	for _, line := range strings.Split(strings.TrimSpace(incidents), "\n") {
		in, err := record.ParseIncident([]byte(line), "api")
		require.NoError(t, err)
		b.Incidents = append(b.Incidents, in)
	}
	for _, line := range strings.Split(strings.TrimSpace(changes), "\n") {
		c, err := record.ParseChange([]byte(line), "api")
		require.NoError(t, err)
		b.Changes = append(b.Changes, c)
	}
	writeRecords(t, dsn, b)
	return file, dsn
}

func writeRecords(t *testing.T, dsn string, b record.Batch) {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite", dsn, nil)
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Write(context.Background(), b))
}

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestReportCommand(t *testing.T) {
	file, dsn := scenarioStore(t)

	out, _, err := runCLI(t, "report", "--config.file", file, "--role", "system", "--subject", "api", "--from", "2026-01-01", "--to", "2026-01-11")
	require.NoError(t, err)
	assert.Contains(t, out, "# Performance review 2026-01-01/2026-01-11\n")
	assert.Contains(t, out, "| MTTR | 4h 40m | breach | 1h 0m (warning 2h 0m) | no data | – |\n")
	assert.Contains(t, out, "| api/C2 | api | success | 2026-01-01 23:00 | caused api/I1 |\n")

	out, _, err = runCLI(t, "report", "--config.file", file, "--role", "system_owner", "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-11T00:00:00Z", "--format", "json")
	require.NoError(t, err)
	var rep struct {
		Subjects []struct {
			Subject string
			Score   float64
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Len(t, rep.Subjects, 3)
	assert.Equal(t, "bob", rep.Subjects[1].Subject)
	assert.InDelta(t, 50, rep.Subjects[1].Score, 1e-9)

	html := filepath.Join(t.TempDir(), "review.html")
	_, _, err = runCLI(t, "report", "--config.file", file, "--role", "system", "--subject", "api", "--period", "2026-01", "--format", "html", "--output", html)
	require.NoError(t, err)
	data, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(data), "<h1>Performance review 2026-01</h1>")

	// freeze the quarter, then a late incident names C4 as its cause
	_, stderr, err := runCLI(t, "report", "--config.file", file, "--role", "system", "--subject", "api", "--period", "2026-Q1", "--freeze")
	require.NoError(t, err)
	assert.Contains(t, stderr, "frozen: system api 2026-Q1 version 1")
	late, err := record.ParseIncident([]byte(`{"id":"I9","system":"api","severity":2,"opened_at":"2026-02-01T00:00:00Z","resolved_at":"2026-02-01T10:00:00Z","caused_by_change":{"id":"C4"}}`), "api")
	require.NoError(t, err)
	writeRecords(t, dsn, record.Batch{Incidents: []record.Incident{late}})
	out, _, err = runCLI(t, "report", "--config.file", file, "--role", "system", "--subject", "api", "--period", "2026-Q1", "--format", "markdown")
	require.NoError(t, err)
	assert.Contains(t, out, "### Restatement since frozen version 1\n")
	assert.Contains(t, out, "| Changes failed | 1 | 2 | not scored | not scored |\n")
	assert.Contains(t, out, "| incident api/I9 | added |  |\n")
	assert.Contains(t, out, "| change api/C4 | changed | caused_incidents:  → \\[{\"id\":\"I9\",\"source\":\"api\"}\\]; failed: false → true; failed_by_incident: false → true; "+
		"recovered_at:  → 2026-02-01T10:00:00Z; recovered_in_period: false → true; recovery_seconds:  → 2023200 |\n", "brackets are escaped: a value cannot make a Markdown link")
}

func TestReportCommandUsage(t *testing.T) {
	file, _ := scenarioStore(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--period", "2026-Q1"}, "--role is required"},
		{[]string{"--role", "wizard", "--period", "2026"}, `unknown role "wizard"`},
		{[]string{"--role", "system", "--period", "2026", "--from", "2026-01-01"}, "either --period or --from and --to"},
		{[]string{"--role", "system", "--from", "2026-01-01"}, "give --period, or both --from and --to"},
		{[]string{"--role", "system", "--period", "2026-13"}, "month 13 is not 01..12"},
		{[]string{"--role", "system", "--period", "Q3"}, "want a year (2026), a month (2026-07) or a quarter (2026-Q3)"},
		{[]string{"--role", "system", "--from", "2026-02-01", "--to", "2026-01-01"}, "is not before end"},
		{[]string{"--role", "system", "--period", "2026", "--format", "pdf"}, `--format "pdf"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, stderr, err := runCLI(t, append([]string{"report", "--config.file", file}, tt.args...)...)
			require.ErrorIs(t, err, errUsage)
			assert.Contains(t, stderr, tt.want)
		})
	}
	_, _, err := runCLI(t, "report", "--config.file", file, "--role", "system", "--subject", "nope", "--period", "2026")
	assert.EqualError(t, err, `report: no subject "nope" with role "system"`)
}

// SPEC 8 on the command line: a period that has not started exits
// non-zero naming it; one that has not ended is provisional and is frozen
// only with --force.
func TestReportCommandUnfinishedPeriods(t *testing.T) {
	file, _ := scenarioStore(t)
	now := time.Now().UTC()
	next := strconv.Itoa(now.Year() + 1)
	month := now.Format("2006-01")
	report := func(args ...string) (string, string, error) {
		return runCLI(t, append([]string{"report", "--config.file", file, "--role", "system", "--subject", "api"}, args...)...)
	}

	_, _, err := report("--period", next)
	require.Error(t, err)
	assert.NotErrorIs(t, err, errUsage)
	assert.ErrorContains(t, err, "period "+next+" has not started")

	out, _, err := report("--period", month)
	require.NoError(t, err)
	assert.Contains(t, out, "> **Provisional:** the period has not ended")
	out, _, err = report("--period", month, "--format", "csv")
	require.NoError(t, err)
	assert.Contains(t, out, ",restated,measured_systems,provisional\n")

	_, stderr, err := report("--period", month, "--freeze")
	require.Error(t, err)
	assert.ErrorContains(t, err, "period "+month+" has not ended")
	assert.NotContains(t, stderr, "frozen:")
	_, stderr, err = report("--period", month, "--freeze", "--force")
	require.NoError(t, err)
	assert.Contains(t, stderr, "frozen: system api "+month+" version 1")
}

// SPEC 4, Exposure, with the example config: windy handed her only system
// over on 2026-06-15, so in 2026-Q3 she answered for nothing and has no
// score (never 0); bob took his system over on 1 July, so the quarter
// before is not scored for him either.
func TestReportNotAccountable(t *testing.T) {
	text, err := os.ReadFile("../../examples/steward.yml")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "steward.yml")
	cfg := strings.Replace(string(text), "dsn: steward.db", "dsn: "+filepath.Join(t.TempDir(), "s.db"), 1)
	require.NoError(t, os.WriteFile(file, []byte(cfg), 0o600))

	out, _, err := runCLI(t, "report", "--config.file", file, "--role", "system_owner", "--subject", "windy", "--period", "2026-Q3")
	require.NoError(t, err)
	assert.Contains(t, out, "**Not accountable in this period**: owned no system in it")
	assert.NotContains(t, out, "Score **0.0**")

	out, _, err = runCLI(t, "report", "--config.file", file, "--role", "system_owner", "--period", "2026-Q3", "--format", "json")
	require.NoError(t, err)
	var rep struct {
		Subjects []struct {
			Subject                string
			Score                  *float64
			PreviousScore          *float64 `json:"previous_score"`
			NotAccountable         bool     `json:"not_accountable"`
			PreviousNotAccountable bool     `json:"previous_not_accountable"`
			KPIs                   []struct {
				Name  string
				Value *float64
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	seen := map[string]bool{}
	for _, s := range rep.Subjects {
		seen[s.Subject] = true
		switch s.Subject {
		case "windy":
			assert.True(t, s.NotAccountable)
			assert.Nil(t, s.Score)
			for _, k := range s.KPIs {
				if k.Name == "deployments_per_day" || k.Name == "availability_ratio" {
					assert.Nil(t, k.Value, k.Name)
				}
				if k.Name == "changes_completed" {
					require.NotNil(t, k.Value, "counts keep their value")
					assert.Zero(t, *k.Value)
				}
			}
		case "bob":
			assert.False(t, s.NotAccountable)
			assert.True(t, s.PreviousNotAccountable)
			assert.Nil(t, s.PreviousScore)
		}
	}
	assert.True(t, seen["windy"] && seen["bob"], "%v", seen)
}

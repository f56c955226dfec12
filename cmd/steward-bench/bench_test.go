package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/pgtest"
)

// TestBench runs steward-bench at a tiny size, the daemon being the
// binary built from cmd/steward, and checks that it prints every
// measurement and that SQL and Steward agreed.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds steward and runs the whole benchmark at a tiny size")
	}
	bin := filepath.Join(t.TempDir(), "steward")
	out, err := exec.Command("go", "build", "-o", bin, "../steward").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	withPG := postgresReachable(t)
	report := filepath.Join(t.TempDir(), "bench.md")

	var stdout, stderr bytes.Buffer
	err = runBench(context.Background(), []string{"--records", "2000", "--runs", "1", "--requests", "3", "--backfill.steps", "14",
		"--daemon.binary", bin, "--postgres", pgtest.AdminDSN(), "--output", report}, &stdout, &stderr)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	text := "\n" + stdout.String()

	lines := []string{"machine:", "generate:", "ingest sqlite:", "load sqlite:", "daemon rss sqlite:",
		"scrape first:", "scrape warm:", "api one subject:", "api all system_owner:", "api all system:",
		"engine load:", "full recompute:", "incremental recompute:", "targets (",
		"api one subject past:", "api all system_owner past:", "api trend 12 months:", "api 12 scorecards requests:", "report quarter:",
		"ui subject:", "ui subject past:", "ui global:", "ui overview:", "backfill rate:", "backfill rate with output:",
		"api system_owner kpi:", "api one subject after load sqlite:"}
	if withPG {
		lines = append(lines, "ingest postgres:", "load postgres:", "daemon rss postgres:", "api one subject after load postgres:",
			"sql setup:", "sql per-owner:", "steward per-owner:", "sql vs steward:", "sql vs steward past:", "sql vs steward trend:")
		assert.Regexp(t, `sql vs steward past: +[0-9.]+× +per-owner change success ratio and MTTR over 30d at a past at .*kpi=change_success_ratio,mttr_seconds.*identical for every owner at every time`, text)
		assert.Regexp(t, `sql vs steward trend: +[0-9.]+× +the same over a 12-point monthly trend: SQL .* for the 12 queries, Steward .* \(GET /api/v1/trends\?role=system_owner&window=30d&kpi=`, text)
		assert.Regexp(t, `sql vs steward: +[0-9.]+× +median SQL time / median Steward time; identical for all 1000 owners`, text)
		assert.Contains(t, text, "PostgreSQL 15")
	} else {
		assert.Contains(t, text, "postgres: skipped")
		assert.Regexp(t, `sql per-owner: +skipped`, text)
	}
	for _, l := range lines {
		assert.Contains(t, text, "\n"+l, "missing line %q", l)
	}
	assert.Regexp(t, `api one subject after load sqlite: +[0-9.]+ m?s +p90 [0-9.]+ m?s over 3 requests, 3 per run, on the daemon that has just stored every record`, text)
	assert.Regexp(t, `api trend 12 months: +[0-9.]+ m?s +a 12-point monthly trend of every system owner, every KPI: GET /api/v1/trends`, text)
	assert.Regexp(t, `backfill rate: +[0-9.]+/s +evaluations of every series per second, not counting the writing of the output`, text)
	assert.Regexp(t, `ingest sqlite: +[0-9,]+/s +records/s .*batches of 5000, 4 clients`, text)
	assert.Regexp(t, `full recompute: +[0-9.]+ m?s +every KPI of 6,29[0-9] subjects in 3 windows`, text)

	md, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Contains(t, string(md), "| full recompute |")
	assert.Contains(t, string(md), "### Targets")
}

// postgresReachable says whether the PostgreSQL parts can run; with
// CI=true they must.
func postgresReachable(t *testing.T) bool {
	db, err := sql.Open("postgres", pgtest.AdminDSN())
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s is required in CI: %v", pgtest.AdminDSN(), err)
		}
		t.Logf("PostgreSQL at %s is not reachable, the bench skips its parts: %v", pgtest.AdminDSN(), err)
		return false
	}
	return true
}

func TestCompareOwners(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	base := ownerAnswer{completed: 10, failed: 2, resolved: 4, ratio: f(0.8), mttr: f(3600.5)}
	for _, tt := range []struct {
		name    string
		steward ownerAnswer
		differs string // "" when the answers agree
	}{
		{"identical", base, ""},
		{"mttr within a microsecond", ownerAnswer{10, 2, 4, f(0.8), f(3600.5000004)}, ""},
		{"mttr off by more", ownerAnswer{10, 2, 4, f(0.8), f(3600.501)}, "mttr_seconds"},
		{"ratio off by one ulp", ownerAnswer{10, 2, 4, f(0.8000000000000002), f(3600.5)}, "change_success_ratio"},
		{"ratio missing", ownerAnswer{10, 2, 4, nil, f(3600.5)}, "change_success_ratio SQL 0.8, Steward null"},
		{"counts differ", ownerAnswer{10, 3, 4, f(0.8), f(3600.5)}, "10 completed, 2 failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			diffs := compareOwners(map[string]ownerAnswer{"alice": base}, map[string]ownerAnswer{"alice": tt.steward})
			if tt.differs == "" {
				assert.Empty(t, diffs)
				return
			}
			require.Len(t, diffs, 1)
			assert.Contains(t, diffs[0], tt.differs)
		})
	}
	diffs := compareOwners(map[string]ownerAnswer{"alice": base}, map[string]ownerAnswer{"bob": base})
	assert.ElementsMatch(t, []string{"alice: no Steward scorecard", "bob: not in the SQL answer"}, diffs)
}

func TestStewardPerOwner(t *testing.T) {
	body := `{"at":"2026-01-01T00:00:00.123456789Z","window":"30d","scorecards":[
	  {"role":"system_owner","subject":"alice","score":50,"kpis":{"changes_completed":{"value":4},"changes_failed":{"value":1},
	    "change_success_ratio":{"value":0.75},"incidents_resolved":{"value":0},"mttr_seconds":{"value":null}}}]}`
	at, got, err := stewardPerOwner([]byte(body))
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC), at)
	require.Contains(t, got, "alice")
	a := got["alice"]
	assert.Equal(t, []int64{4, 1, 0}, []int64{a.completed, a.failed, a.resolved})
	require.NotNil(t, a.ratio)
	assert.Equal(t, 0.75, *a.ratio)
	assert.Nil(t, a.mttr)
	assert.Equal(t, "null", fmtValue(a.mttr))
}

func TestBenchFormatting(t *testing.T) {
	assert.Equal(t, "1,000,000", fmtInt(1_000_000))
	assert.Equal(t, "999", fmtInt(999))
	assert.Equal(t, "1.50 s", fmtDur(1500*time.Millisecond))
	assert.Equal(t, "12.3 ms", fmtDur(12300*time.Microsecond))
	assert.Equal(t, "1.00 GiB", fmtBytes(1<<30))
	s := samples{4 * time.Millisecond, 1 * time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}
	assert.Equal(t, 2500*time.Microsecond, s.median())
	assert.Equal(t, 3700*time.Microsecond, s.quantile(0.9))
	sizes, err := parseSizes("100000, 300_000,1000000")
	require.NoError(t, err)
	assert.Equal(t, []int{100000, 300000, 1000000}, sizes)
	_, err = parseSizes("100k")
	assert.Error(t, err)
}

func TestBackfillEvaluating(t *testing.T) {
	out := []byte("backfill: 14 evaluations from ...\nbackfill: records loaded in 1.2s\n" +
		"backfill: 14/14 steps (100%), 3.0 steps/s, elapsed 5s, ETA 0s; evaluating 4.1s (3.4/s), writing 512ms\n" +
		"backfill: evaluating took 1m4.125s (0.22 evaluations/s), writing the output 512ms (0.21 evaluations/s with it)\nwrote 14 evaluations\n")
	d, err := backfillEvaluating(out)
	require.NoError(t, err)
	assert.Equal(t, time.Minute+4125*time.Millisecond, d)
	_, err = backfillEvaluating([]byte("wrote 14 evaluations\n"))
	assert.ErrorContains(t, err, "no evaluation time")
}

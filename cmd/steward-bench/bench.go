package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/cli"
	"github.com/steward-sh/steward/record"
)

// benchSummary is `steward-bench --help`.
const benchSummary = `Measure Steward on a generated enterprise dataset and compare it with the SQL
a user would write instead. For each dataset size it generates the records
(incidents and as many changes over two years), then prints the median of
--runs runs of:
  - ingest throughput through the HTTP batch API (NDJSON batches of --batch
    records from --clients concurrent clients) into SQLite and PostgreSQL,
    the daemon running as a child process on a loopback port;
  - the daemon's cold start on the filled store (store read, attribution,
    first full recompute) and its resident memory (VmRSS) holding the data;
  - GET /metrics: the first scrape after start (rendered ahead) and
    warm scrapes (the served path), time and size;
  - GET /api/v1/scorecards for one subject and for all subjects of a role
    (median and p90 of --requests requests);
  - in process: a full recompute of every KPI, subject and window, and an
    incremental one after 1,000 new incidents and 1,000 new changes with
    the clock a minute on (time, peak heap, bytes allocated);
  - the same at past evaluation times, each request at a different one: one
    subject, every owner, a 12-point monthly trend of every owner, a
    quarterly report, the UI's subject, global and overview pages (time and
    size), and steward backfill's evaluations per second;
  - per-owner change success ratio and MTTR over 30 days: a plain SQL query
    on the same PostgreSQL records against Steward's answer, now, at a past
    time and over 12 monthly points; the numbers must be identical (else the
    command fails) and the time ratios are printed.
The reference dataset is --records 1000000 (the default): 1M incidents and
1M changes, 5,000 systems, 1,000 owners, 50 programs, 200 teams. It takes
about 6 minutes on 2 cores; see BENCHMARKS.md.`

// benchOptions are the flags of steward-bench.
type benchOptions struct {
	records                          int
	sizes                            []int
	systems, owners, programs, teams int
	runs, batch, clients, requests   int
	backfillSteps                    int
	postgres                         string
	output                           string
	binary                           string
	profileDir                       string
}

// defaultBenchPostgres is the local server's maintenance database; the
// bench creates (and drops) databases of its own there.
const defaultBenchPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := benchOptions{}
	fs := newFlags(benchSummary, stderr)
	fs.IntVar(&o.records, "records", 1_000_000, "Incidents in the dataset, and as many changes.")
	sizes := fs.String("sizes", "", "Comma-separated dataset sizes to measure one after the other, each as --records would (overrides it), e.g. 100000,300000,1000000; the output ends with how each figure grows.")
	fs.IntVar(&o.systems, "systems", 5000, "Systems in the generated config.")
	fs.IntVar(&o.owners, "owners", 1000, "System owners (some systems change owner during the two years).")
	fs.IntVar(&o.programs, "programs", 50, "Programs.")
	fs.IntVar(&o.teams, "teams", 200, "Teams.")
	fs.IntVar(&o.runs, "runs", 3, "Runs of each measurement; the median is reported.")
	fs.IntVar(&o.batch, "batch", 5000, "Records per ingest request.")
	fs.IntVar(&o.clients, "clients", 4, "Concurrent ingest clients.")
	fs.IntVar(&o.requests, "requests", 50, "Requests per latency measurement (scrapes, scorecards API).")
	fs.IntVar(&o.backfillSteps, "backfill.steps", 168, "Hourly steps of the longer of the two steward backfill runs (the shorter has a seventh of them).")
	fs.StringVar(&o.postgres, "postgres", defaultBenchPostgres, "PostgreSQL DSN (postgres:// URL) of a database on the server to benchmark against; the bench creates and drops databases of its own there. Empty or unreachable: the PostgreSQL parts are skipped.")
	fs.StringVar(&o.output, "output", "", "Also write the results as Markdown tables to this file.")
	fs.StringVar(&o.profileDir, "profile.dir", "", "Also write CPU profiles of the in-process engine measurements here, per size: SIZE/load-1.cpu, full-N.cpu, incremental-N.cpu (go tool pprof -top merges several). The daemon is profiled with go test -bench BenchmarkDaemon, see BENCHMARKS.md.")
	fs.StringVar(&o.binary, "daemon.binary", "", "steward binary to run the daemon from (default: the one beside steward-bench, else steward on the PATH).")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	o.sizes = []int{o.records}
	if *sizes != "" {
		var err error
		if o.sizes, err = parseSizes(*sizes); err != nil {
			return fmt.Errorf("--sizes: %w", err)
		}
	}
	if o.runs < 1 || o.batch < 1 || o.clients < 1 || o.requests < 1 || o.backfillSteps < 2 {
		return errors.New("--runs, --batch, --clients and --requests must be at least 1, --backfill.steps at least 2")
	}
	if o.binary == "" {
		bin, err := daemonBinary()
		if err != nil {
			return err
		}
		o.binary = bin
	}

	pg, err := openBenchPostgres(ctx, o.postgres)
	if err != nil {
		fmt.Fprintf(stdout, "postgres: skipped: %v\n", err)
	} else {
		defer pg.close()
	}
	m := describeMachine(ctx, pg)
	fmt.Fprintf(stdout, "machine: %s\n", m)
	var results []*benchResult
	for _, n := range o.sizes {
		r, err := benchSize(ctx, o, n, pg, stdout)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	m.loadAfter = loadAverage()
	fmt.Fprintf(stdout, "\nload average: %s before, %s after\n", m.loadBefore, m.loadAfter)
	last := results[len(results)-1]
	fmt.Fprintf(stdout, "\ntargets (%s incidents and as many changes; the targets are for 1,000,000):\n", fmtInt(last.records))
	for _, t := range evaluateTargets(last) {
		fmt.Fprintf(stdout, "  %-56s %-16s %s\n", t.what, t.value, t.verdict)
	}
	if len(results) > 1 {
		fmt.Fprintf(stdout, "\nscaling (medians):\n")
		writeScaling(stdout, results, false)
	}
	if o.output != "" {
		if err := writeBenchMarkdown(o.output, o, m, results); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s\n", o.output)
	}
	for _, r := range results {
		if r.mismatch != nil {
			return r.mismatch
		}
	}
	return nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(part, "_", "")))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number of records", part)
		}
		out = append(out, n)
	}
	return out, nil
}

// benchSize measures one dataset size, printing each figure as it comes.
func benchSize(ctx context.Context, o benchOptions, n int, pg *benchPostgres, out io.Writer) (*benchResult, error) {
	r := &benchResult{records: n, out: out, fig: map[string]float64{}, loadBefore: loadAverage()}
	defer func() { r.loadAfter = loadAverage() }()
	fmt.Fprintf(out, "\n== %s incidents and %s changes over two years; %d systems, %d owners, %d programs, %d teams; medians of %d runs; load average %s ==\n",
		fmtInt(n), fmtInt(n), o.systems, o.owners, o.programs, o.teams, o.runs, r.loadBefore)
	start := time.Now()
	gen := generate.DefaultOptions()
	gen.Systems, gen.Owners, gen.Programs, gen.Teams = o.systems, o.owners, o.programs, o.teams
	gen.Incidents, gen.Changes = n, n
	gen.To = time.Now().UTC().Truncate(time.Hour)
	gen.From = gen.To.AddDate(-2, 0, 0)
	yaml := generate.Config(gen)
	cfg, err := config.Parse(yaml)
	if err != nil {
		return nil, fmt.Errorf("bench: generated config: %w", err)
	}
	incidents, changes := generate.Records(cfg, gen)
	newIncidents, newChanges := freshRecords(cfg, gen, o.runs*incrementalBatch)
	r.add("generate", time.Since(start).Round(time.Millisecond).String(),
		fmt.Sprintf("%s records, and %s new ones of each kind from the last day for the incremental recompute", fmtInt(2*n), fmtInt(len(newIncidents))))

	d := &daemonBench{opts: o, to: gen.To, yaml: yaml, cfg: cfg, pg: pg, logger: slog.New(slog.DiscardHandler)}
	if err := d.run(ctx, r, incidents, changes); err != nil {
		return nil, err
	}
	profileDir := ""
	if o.profileDir != "" {
		profileDir = filepath.Join(o.profileDir, strconv.Itoa(n))
		if err := os.MkdirAll(profileDir, 0o755); err != nil {
			return nil, fmt.Errorf("--profile.dir: %w", err)
		}
	}
	if err := benchEngine(r, cfg, incidents, changes, newIncidents, newChanges, gen.To, o.runs, profileDir); err != nil {
		return nil, err
	}
	return r, nil
}

// freshRecords generates n incidents and n changes from the day before
// gen.To with ids of their own, as new records arriving.
func freshRecords(cfg *config.Config, gen generate.Options, n int) ([]record.Incident, []record.Change) {
	gen.Seed++
	gen.Incidents, gen.Changes = n, n
	gen.From = gen.To.Add(-24 * time.Hour)
	incidents, changes := generate.Records(cfg, gen)
	for i := range incidents {
		incidents[i].ID = "NEW" + incidents[i].ID
		if c := incidents[i].CausedByChange; c != nil {
			c.ID = "NEW" + c.ID
		}
	}
	for i := range changes {
		changes[i].ID = "NEW" + changes[i].ID
	}
	return incidents, changes
}

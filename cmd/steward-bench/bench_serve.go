package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// daemonBench measures the daemon run as a process: ingest into each
// store, cold start and memory on the filled store, then scrapes, the
// scorecards API and the SQL comparison on the last one (PostgreSQL when
// it is reachable).
type daemonBench struct {
	opts   benchOptions
	to     time.Time // the end of the generated records
	yaml   []byte
	cfg    *config.Config
	pg     *benchPostgres
	logger *slog.Logger
}

// benchStore is one empty store for one run, in a directory of its own.
type benchStore struct {
	driver, dsn, dir string
	drop             func() error
}

func (s *benchStore) cleanup() {
	if s.drop != nil {
		_ = s.drop()
	}
	_ = os.RemoveAll(s.dir)
}

// analyze gives PostgreSQL's planner statistics of the freshly loaded
// tables, as autovacuum does within a minute or so of a bulk load, for the
// SQL the bench compares Steward with (the daemon's reads do not query the
// store; fill measures them before this).
func (s *benchStore) analyze(ctx context.Context) error {
	if s.driver != "postgres" {
		return nil
	}
	db, err := sql.Open("postgres", s.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "ANALYZE incidents, changes"); err != nil {
		return fmt.Errorf("bench: analyze: %w", err)
	}
	return nil
}

// generatedStorage is the storage section generate.Config writes.
const generatedStorage = "storage:\n  driver: sqlite\n  dsn: steward.db\n"

func (d *daemonBench) newStore(ctx context.Context, driver string) (*benchStore, error) {
	dir, err := os.MkdirTemp("", "steward-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	s := &benchStore{driver: driver, dir: dir, dsn: filepath.Join(dir, "steward.db")}
	if driver == "postgres" {
		if s.dsn, s.drop, err = d.pg.create(ctx); err != nil {
			s.cleanup()
			return nil, err
		}
	}
	if !bytes.Contains(d.yaml, []byte(generatedStorage)) {
		s.cleanup()
		return nil, errors.New("bench: the generated config has no storage section where expected")
	}
	storage := fmt.Sprintf("storage:\n  driver: %s\n  dsn: %s\n", driver, strconv.Quote(s.dsn))
	yaml := bytes.Replace(d.yaml, []byte(generatedStorage), []byte(storage), 1)
	if err := os.WriteFile(filepath.Join(dir, "steward.yml"), yaml, 0o600); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("bench: %w", err)
	}
	return s, nil
}

func (d *daemonBench) run(ctx context.Context, r *benchResult, incidents []record.Incident, changes []record.Change) error {
	jobs, err := encodeBatches(incidents, changes, d.opts.batch)
	if err != nil {
		return err
	}
	drivers := []string{"sqlite"}
	if d.pg != nil {
		drivers = append(drivers, "postgres")
	}
	var (
		kept      *benchDaemon
		keptStore *benchStore
		first     samples
	)
	defer func() {
		kept.stop()
		if keptStore != nil {
			keptStore.cleanup()
		}
	}()
	for di, driver := range drivers {
		var rates, rss, peaks []float64
		var loads, fresh samples
		for run := range d.opts.runs {
			last := di == len(drivers)-1 && run == d.opts.runs-1
			st, err := d.newStore(ctx, driver)
			if err != nil {
				return err
			}
			daemon, rate, load, reads, err := d.fill(ctx, st, jobs, len(incidents)+len(changes))
			if err != nil {
				st.cleanup()
				return err
			}
			rates, loads, fresh = append(rates, rate), append(loads, load), append(fresh, reads...)
			m, p, err := daemon.memory()
			if err == nil {
				rss, peaks = append(rss, m), append(peaks, p)
			}
			took, _, err := timeGet(ctx, benchClient(1), daemon.url+"/metrics", scrapeHeader)
			if err != nil {
				daemon.stop()
				st.cleanup()
				return err
			}
			first = append(first, took)
			if last {
				kept, keptStore = daemon, st
				continue
			}
			daemon.stop()
			st.cleanup()
		}
		rate := medianFloat(rates)
		r.fig["ingest "+driver] = rate
		r.add("ingest "+driver, perSecond(rate), fmt.Sprintf("records/s through POST /api/v1/incidents|changes, NDJSON batches of %d, %d clients; runs: %s",
			d.opts.batch, d.opts.clients, joinFloats(rates, perSecond)))
		r.fig["api one subject after load "+driver] = fresh.median().Seconds()
		r.add("api one subject after load "+driver, fmtDur(fresh.median()), fmt.Sprintf("p90 %s over %d requests, %d per run, on the daemon that has just stored every record (before restarting it): GET /api/v1/scorecards?%s",
			fmtDur(fresh.quantile(0.9)), len(fresh), len(fresh)/len(loads), oneOwnerQuery(d.cfg)))
		r.fig["load "+driver] = loads.median().Seconds()
		r.add("load "+driver, fmtDur(loads.median()), "daemon start to ready on the filled store: store read, attribution, first full recompute; runs: "+loads.list())
		if len(rss) > 0 {
			r.fig["daemon rss "+driver] = medianFloat(rss)
			r.add("daemon rss "+driver, fmtBytes(medianFloat(rss)), "VmRSS of the daemon holding the dataset, just after it is ready; peak (VmHWM) "+fmtBytes(medianFloat(peaks)))
		}
	}
	r.fig["scrape first"] = first.median().Seconds()
	r.add("scrape first", fmtDur(first.median()), "the first GET /metrics after start (OpenMetrics, gzip; the daemon renders the first snapshot ahead, before /readyz answers 200); runs: "+first.list())
	owners, err := d.reads(ctx, r, kept)
	if err != nil {
		return err
	}
	if err := d.pastReads(ctx, r, kept); err != nil {
		return err
	}
	if err := d.backfillRate(ctx, r, keptStore.dir); err != nil {
		return err
	}
	if keptStore.driver != "postgres" {
		r.add("sql per-owner", "skipped", "PostgreSQL is not reachable")
		return nil
	}
	return d.compare(ctx, r, keptStore.dsn, owners, kept)
}

// fill starts a daemon on an empty store, posts every job, reads one
// subject's scorecard from it right after (the first reads after a bulk
// load), then restarts the daemon on the filled store. It returns the
// restarted daemon, the ingest rate, the restart's time to ready and the
// reads' times.
func (d *daemonBench) fill(ctx context.Context, st *benchStore, jobs []ingestJob, records int) (*benchDaemon, float64, time.Duration, samples, error) {
	daemon, err := startBenchDaemon(d.opts.binary, st.dir, d.opts.batch)
	if err != nil {
		return nil, 0, 0, nil, err
	}
	if _, err := daemon.waitReady(ctx); err != nil {
		daemon.stop()
		return nil, 0, 0, nil, err
	}
	took, err := postAll(ctx, daemon.url, jobs, d.opts.clients)
	var reads samples
	if err == nil {
		reads, _, err = timeGets(ctx, benchClient(1), daemon.url+"/api/v1/scorecards?"+oneOwnerQuery(d.cfg), nil, d.opts.requests)
	}
	daemon.stop()
	if err != nil {
		return nil, 0, 0, nil, fmt.Errorf("%w\ndaemon log:\n%s", err, daemon.logTail())
	}
	if err := st.analyze(ctx); err != nil {
		return nil, 0, 0, nil, err
	}
	daemon, err = startBenchDaemon(d.opts.binary, st.dir, d.opts.batch)
	if err != nil {
		return nil, 0, 0, nil, err
	}
	load, err := daemon.waitReady(ctx)
	if err != nil {
		daemon.stop()
		return nil, 0, 0, nil, err
	}
	return daemon, float64(records) / took.Seconds(), load, reads, nil
}

// oneOwnerQuery asks for one system owner's 30-day scorecard.
func oneOwnerQuery(cfg *config.Config) string {
	return "role=system_owner&subject=" + url.QueryEscape(firstOwner(cfg)) + "&window=30d"
}

// scrapeHeader asks for what Prometheus asks for.
var scrapeHeader = http.Header{
	"Accept":          {"application/openmetrics-text;version=1.0.0;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"},
	"Accept-Encoding": {"gzip"},
}

// reads measures warm scrapes and the scorecards API on a ready daemon and
// returns the body of the all-owners answer, for the SQL comparison.
func (d *daemonBench) reads(ctx context.Context, r *benchResult, daemon *benchDaemon) (ownersBody []byte, err error) {
	client, n := benchClient(1), d.opts.requests
	s, body, err := timeGets(ctx, client, daemon.url+"/metrics", scrapeHeader, n)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("bench: /metrics is not gzip: %w", err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("bench: /metrics is not gzip: %w", err)
	}
	series := 0
	for _, line := range bytes.Split(plain, []byte("\n")) {
		if len(line) > 0 && line[0] != '#' {
			series++
		}
	}
	r.fig["scrape warm"] = s.median().Seconds()
	r.add("scrape warm", fmtDur(s.median()), fmt.Sprintf("p90 %s over %d scrapes (the served path: rendered once per snapshot); %s gzip, %s uncompressed, %s series",
		fmtDur(s.quantile(0.9)), n, fmtBytes(float64(len(body))), fmtBytes(float64(len(plain))), fmtInt(series)))
	for _, q := range []struct{ key, query, what string }{
		{"api one subject", oneOwnerQuery(d.cfg), "one system owner"},
		{"api all system_owner", "role=system_owner&window=30d", "every system owner"},
		{"api system_owner kpi", "role=system_owner&window=30d&" + sqlKPIs, "every system owner, the KPIs of the SQL comparison"},
		{"api all system", "role=system&window=30d", "every system"},
	} {
		s, body, err := timeGets(ctx, client, daemon.url+"/api/v1/scorecards?"+q.query, nil, n)
		if err != nil {
			return nil, err
		}
		r.fig[q.key] = s.median().Seconds()
		r.add(q.key, fmtDur(s.median()), fmt.Sprintf("p90 %s over %d requests; GET /api/v1/scorecards?%s (%s, 30d), %s JSON",
			fmtDur(s.quantile(0.9)), n, q.query, q.what, fmtBytes(float64(len(body)))))
		if q.key == "api system_owner kpi" {
			ownersBody = body
			r.stewardPerOwner = s
		}
	}
	if rss, peak, err := daemon.memory(); err == nil {
		r.fig["daemon rss serving"] = rss
		r.add("daemon rss serving", fmtBytes(rss), "VmRSS after the scrapes and API requests above (rendering /metrics and JSON answers adds garbage the GC keeps); peak (VmHWM) "+fmtBytes(peak))
	}
	return ownersBody, nil
}

func firstOwner(cfg *config.Config) string {
	for _, s := range cfg.Systems {
		if len(s.Owners) > 0 {
			return s.Owners[0].Owner
		}
	}
	return ""
}

func joinFloats(v []float64, format func(float64) string) string {
	out := ""
	for i, x := range v {
		if i > 0 {
			out += ", "
		}
		out += format(x)
	}
	return out
}

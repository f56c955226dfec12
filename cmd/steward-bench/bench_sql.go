package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/steward-sh/steward/config"
)

// benchPostgres is the PostgreSQL server the bench creates its databases
// on, through a maintenance connection.
type benchPostgres struct {
	admin *sql.DB
	base  *url.URL
}

func openBenchPostgres(ctx context.Context, dsn string) (*benchPostgres, error) {
	if dsn == "" {
		return nil, errors.New("no --postgres DSN")
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("--postgres must be a postgres:// URL")
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("PostgreSQL at %s is not reachable: %w", u.Redacted(), err)
	}
	return &benchPostgres{admin: db, base: u}, nil
}

func (p *benchPostgres) close() { p.admin.Close() }

func (p *benchPostgres) version(ctx context.Context) string {
	var v string
	if err := p.admin.QueryRowContext(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "PostgreSQL (version unknown)"
	}
	return "PostgreSQL " + v
}

// create makes an empty database and returns its DSN and how to drop it.
func (p *benchPostgres) create(ctx context.Context) (string, func() error, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "steward_bench_" + hex.EncodeToString(b)
	if _, err := p.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("bench: create database: %w", err)
	}
	u := *p.base
	u.Path = "/" + name
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := p.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	return u.String(), drop, nil
}

// ownershipDDL is what a user adds next to Steward's tables to ask the
// per-owner question in SQL: ownership and aliases from the config, and
// indexes on the columns the query filters on. incidents(caused_by_source,
// caused_by_id) is indexed by Steward's schema already.
const ownershipDDL = `
CREATE TABLE system_owners (
	system text NOT NULL,
	owner  text NOT NULL,
	since  timestamptz NOT NULL,
	until  timestamptz, -- the next owner's since; NULL for the current owner
	PRIMARY KEY (system, since)
);
CREATE TABLE system_names (
	name   text PRIMARY KEY, -- a system's id or one of its aliases
	system text NOT NULL
);
CREATE INDEX changes_finished_at ON changes (finished_at);
CREATE INDEX incidents_restored_at ON incidents ((coalesce(resolved_at, closed_at)));
`

// perOwnerSQL is the query a user would write for SPEC section 4's change
// success ratio and MTTR of every system owner over [$1, $2): records are
// attributed to whoever owned their system (resolved by id or alias) at
// the change's finished_at or the incident's opened_at; a change failed
// when its outcome says so or, with $4 (change_failure_from_incidents),
// when an incident opened before $2 names it. An incident is restored at
// resolved_at, else closed_at, and its time to restore counts in the mean
// unless one of its two ends was estimated (SPEC 4, Times).
const perOwnerSQL = `
WITH changes_by_owner AS (
	SELECT o.owner,
	       count(*) AS completed,
	       count(*) FILTER (WHERE c.outcome IN ('failed', 'rolled_back')
	           OR ($4 AND EXISTS (SELECT 1 FROM incidents i
	                              WHERE i.caused_by_source = c.source AND i.caused_by_id = c.id
	                                AND i.opened_at < $2))) AS failed
	FROM changes c
	JOIN system_names n ON n.name = c.system
	JOIN system_owners o ON o.system = n.system
	     AND o.since <= c.finished_at AND (o.until IS NULL OR c.finished_at < o.until)
	WHERE c.finished_at >= $1 AND c.finished_at < $2
	  AND c.outcome IN ('success', 'failed', 'rolled_back')
	  AND c.environment = ANY ($3)
	GROUP BY o.owner
), incidents_by_owner AS (
	SELECT o.owner,
	       count(*) AS resolved,
	       avg(extract(epoch FROM coalesce(i.resolved_at, i.closed_at) - i.opened_at))
	           FILTER (WHERE NOT coalesce(i.estimated ? 'opened_at'
	                   OR i.estimated ? CASE WHEN i.resolved_at IS NULL THEN 'closed_at' ELSE 'resolved_at' END, false)) AS mttr_seconds
	FROM incidents i
	JOIN system_names n ON n.name = i.system
	JOIN system_owners o ON o.system = n.system
	     AND o.since <= i.opened_at AND (o.until IS NULL OR i.opened_at < o.until)
	WHERE coalesce(i.resolved_at, i.closed_at) >= $1 AND coalesce(i.resolved_at, i.closed_at) < $2
	GROUP BY o.owner
)
SELECT p.owner,
       coalesce(c.completed, 0), coalesce(c.failed, 0),
       (c.completed - c.failed)::float8 / c.completed AS change_success_ratio,
       coalesce(r.resolved, 0), r.mttr_seconds::float8
FROM (SELECT DISTINCT owner FROM system_owners) p
LEFT JOIN changes_by_owner c ON c.owner = p.owner
LEFT JOIN incidents_by_owner r ON r.owner = p.owner
ORDER BY p.owner`

// ownerAnswer is one owner's figures, from SQL or from Steward.
type ownerAnswer struct {
	completed, failed, resolved int64
	ratio, mttr                 *float64 // nil: no value
}

// loadOwnership creates the ownership tables from the config and indexes
// what the query filters on.
func loadOwnership(ctx context.Context, db *sql.DB, cfg *config.Config) error {
	if _, err := db.ExecContext(ctx, ownershipDDL); err != nil {
		return fmt.Errorf("bench: ownership tables: %w", err)
	}
	var sys, owner []string
	var since, until []*time.Time
	var names, named []string
	for _, s := range cfg.Systems {
		for j, o := range s.Owners {
			sys, owner, since = append(sys, s.ID), append(owner, o.Owner), append(since, &o.Since)
			var next *time.Time
			if j+1 < len(s.Owners) {
				next = &s.Owners[j+1].Since
			}
			until = append(until, next)
		}
		for _, n := range append([]string{s.ID}, s.Aliases...) {
			names, named = append(names, n), append(named, s.ID)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO system_owners SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])`,
		pq.Array(sys), pq.Array(owner), pq.Array(pgTimes(since)), pq.Array(pgTimes(until))); err != nil {
		return fmt.Errorf("bench: system_owners: %w", err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO system_names SELECT * FROM unnest($1::text[], $2::text[])`, pq.Array(names), pq.Array(named)); err != nil {
		return fmt.Errorf("bench: system_names: %w", err)
	}
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("bench: analyze: %w", err)
	}
	return nil
}

// pgTimes renders times as timestamptz array elements (nil is NULL).
func pgTimes(ts []*time.Time) []sql.NullString {
	out := make([]sql.NullString, len(ts))
	for i, t := range ts {
		if t != nil {
			out[i] = sql.NullString{String: t.UTC().Format(time.RFC3339Nano), Valid: true}
		}
	}
	return out
}

func queryPerOwner(ctx context.Context, db *sql.DB, cfg *config.Config, from, at time.Time) (map[string]ownerAnswer, error) {
	rows, err := db.QueryContext(ctx, perOwnerSQL, from, at, pq.Array(cfg.Policy.ChangeEnvironments), cfg.Policy.ChangeFailureFromIncidents)
	if err != nil {
		return nil, fmt.Errorf("bench: per-owner query: %w", err)
	}
	defer rows.Close()
	out := map[string]ownerAnswer{}
	for rows.Next() {
		var owner string
		var a ownerAnswer
		var ratio, mttr sql.NullFloat64
		if err := rows.Scan(&owner, &a.completed, &a.failed, &ratio, &a.resolved, &mttr); err != nil {
			return nil, fmt.Errorf("bench: per-owner query: %w", err)
		}
		if ratio.Valid {
			a.ratio = &ratio.Float64
		}
		if mttr.Valid {
			a.mttr = &mttr.Float64
		}
		out[owner] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("bench: per-owner query: %w", err)
	}
	return out, nil
}

// sqlKPIs selects, in a scorecards query, the KPIs the SQL question
// answers: Steward evaluates and encodes those only, as SQL does.
const sqlKPIs = "kpi=change_success_ratio,mttr_seconds,changes_completed,changes_failed,incidents_resolved"

// stewardPerOwner reads the same figures from the scorecards API's answer.
func stewardPerOwner(body []byte) (time.Time, map[string]ownerAnswer, error) {
	var v struct {
		At         time.Time `json:"at"`
		Scorecards []struct {
			Subject string `json:"subject"`
			KPIs    map[string]struct {
				Value *float64 `json:"value"`
			} `json:"kpis"`
		} `json:"scorecards"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return time.Time{}, nil, fmt.Errorf("bench: scorecards answer: %w", err)
	}
	out := map[string]ownerAnswer{}
	for _, c := range v.Scorecards {
		out[c.Subject] = ownerAnswer{
			completed: count(c.KPIs["changes_completed"].Value), failed: count(c.KPIs["changes_failed"].Value),
			resolved: count(c.KPIs["incidents_resolved"].Value),
			ratio:    c.KPIs["change_success_ratio"].Value, mttr: c.KPIs["mttr_seconds"].Value,
		}
	}
	return v.At, out, nil
}

// stewardTrendPerOwner reads GET /api/v1/trends' answer of the SQL's KPIs:
// each owner's figures at each of its points times.
func stewardTrendPerOwner(body []byte, points int) ([]map[string]ownerAnswer, error) {
	var v struct {
		Trends []struct {
			Subject string                `json:"subject"`
			KPIs    map[string][]*float64 `json:"kpis"`
		} `json:"trends"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("bench: trends answer: %w", err)
	}
	out := make([]map[string]ownerAnswer, points)
	for k := range out {
		out[k] = map[string]ownerAnswer{}
	}
	for _, line := range v.Trends {
		at := func(kpi string, k int) *float64 {
			if vs := line.KPIs[kpi]; k < len(vs) {
				return vs[k]
			}
			return nil
		}
		for k := range out {
			out[k][line.Subject] = ownerAnswer{
				completed: count(at("changes_completed", k)), failed: count(at("changes_failed", k)),
				resolved: count(at("incidents_resolved", k)),
				ratio:    at("change_success_ratio", k), mttr: at("mttr_seconds", k),
			}
		}
	}
	return out, nil
}

// count reads a count KPI's value; -1 for none.
func count(v *float64) int64 {
	if v == nil {
		return -1
	}
	return int64(*v)
}

// compareOwners lists every owner whose figures differ: counts and the
// ratio exactly, MTTR within a microsecond (SQL averages in numeric).
func compareOwners(fromSQL, fromSteward map[string]ownerAnswer) []string {
	var diffs []string
	for owner, s := range fromSQL {
		w, ok := fromSteward[owner]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s: no Steward scorecard", owner))
		case s.completed != w.completed || s.failed != w.failed || s.resolved != w.resolved:
			diffs = append(diffs, fmt.Sprintf("%s: SQL %d completed, %d failed, %d resolved; Steward %d, %d, %d",
				owner, s.completed, s.failed, s.resolved, w.completed, w.failed, w.resolved))
		case !sameValue(s.ratio, w.ratio, 0):
			diffs = append(diffs, fmt.Sprintf("%s: change_success_ratio SQL %s, Steward %s", owner, fmtValue(s.ratio), fmtValue(w.ratio)))
		case !sameValue(s.mttr, w.mttr, 1e-6):
			diffs = append(diffs, fmt.Sprintf("%s: mttr_seconds SQL %s, Steward %s", owner, fmtValue(s.mttr), fmtValue(w.mttr)))
		}
	}
	for owner := range fromSteward {
		if _, ok := fromSQL[owner]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: not in the SQL answer", owner))
		}
	}
	return diffs
}

func sameValue(a, b *float64, tolerance float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) <= tolerance
}

func fmtValue(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

// compare runs the SQL query on the daemon's PostgreSQL records, as of the
// evaluation time of Steward's answer, and checks that both agree.
func (d *daemonBench) compare(ctx context.Context, r *benchResult, dsn string, stewardBody []byte, daemon *benchDaemon) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := loadOwnership(ctx, db, d.cfg); err != nil {
		return err
	}
	r.add("sql setup", fmtDur(time.Since(start)), "system_owners and system_names from the config, indexes on changes(finished_at) and incidents(coalesce(resolved_at, closed_at)), ANALYZE")
	at, steward, err := stewardPerOwner(stewardBody)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(d.cfg.Windows, func(w config.Window) bool { return w.Name == "30d" })
	if i < 0 {
		return errors.New("bench: the generated config has no 30d window")
	}
	window := d.cfg.Windows[i]
	at = at.Truncate(time.Microsecond) // as the engine does
	from := at.Add(-window.Duration)
	if _, err := queryPerOwner(ctx, db, d.cfg, from, at); err != nil { // warms PostgreSQL's cache, as a dashboard's earlier refresh would
		return err
	}
	var took samples
	var fromSQL map[string]ownerAnswer
	for range d.opts.runs {
		start := time.Now()
		if fromSQL, err = queryPerOwner(ctx, db, d.cfg, from, at); err != nil {
			return err
		}
		took = append(took, time.Since(start))
	}
	r.fig["sql per-owner"] = took.median().Seconds()
	r.add("sql per-owner", fmtDur(took.median()), fmt.Sprintf("change success ratio and MTTR of %d owners over 30d, one query on the same PostgreSQL records; runs: %s",
		len(fromSQL), took.list()))
	r.add("steward per-owner", fmtDur(r.stewardPerOwner.median()), "the same answer from the warm daemon: GET /api/v1/scorecards?role=system_owner&window=30d&"+sqlKPIs+" (every KPI: see api all system_owner)")
	ratio := took.median().Seconds() / r.stewardPerOwner.median().Seconds()
	r.fig["sql vs steward"] = ratio
	if diffs := compareOwners(fromSQL, steward); len(diffs) > 0 {
		r.mismatch = fmt.Errorf("bench: SQL and Steward disagree for %d owners: %s", len(diffs), strings.Join(diffs[:min(5, len(diffs))], "; "))
		r.add("sql vs steward", times(ratio), "median SQL time / median Steward time; NUMBERS DIFFER for "+fmt.Sprint(len(diffs))+" owners: "+strings.Join(diffs[:min(3, len(diffs))], "; "))
		return nil
	}
	withChanges, withIncidents := 0, 0
	for _, a := range fromSQL {
		if a.completed > 0 {
			withChanges++
		}
		if a.resolved > 0 {
			withIncidents++
		}
	}
	r.add("sql vs steward", times(ratio), fmt.Sprintf("median SQL time / median Steward time; identical for all %d owners (%d with changes, %d with resolved incidents) as of %s: counts and change_success_ratio exactly, mttr_seconds within 1e-6 s",
		len(fromSQL), withChanges, withIncidents, at.Format(time.RFC3339)))
	return d.comparePast(ctx, r, db, daemon, window.Duration)
}

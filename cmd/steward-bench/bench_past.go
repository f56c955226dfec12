package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
)

// Past evaluation times: periodic reviews, trend lines and backfills ask
// about them, so they are measured like "now". Every request of one
// measurement asks for a different time, so that an answer kept from an
// earlier request cannot stand in for the work.

// pastAt is the i-th evaluation time of a measurement: from about two
// months before the dataset's end, an hour (and a few seconds, so that no
// two measurements share one) further back each time.
func (d *daemonBench) pastAt(i int, salt time.Duration) time.Time {
	return d.to.Add(-60*24*time.Hour - time.Duration(i)*time.Hour - salt)
}

// monthEnds are the twelve month starts before the dataset's end, newest
// last: a 12-point monthly trend, shifted back by shift.
func (d *daemonBench) monthEnds(shift time.Duration) []time.Time {
	first := time.Date(d.to.Year(), d.to.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]time.Time, 12)
	for i := range out {
		out[i] = first.AddDate(0, i-11, 0).Add(-shift)
	}
	return out
}

func scorecardsURL(base, query string, at time.Time) string {
	return base + "/api/v1/scorecards?" + query + "&at=" + url.QueryEscape(at.Format(time.RFC3339Nano))
}

func trendsURL(base, query string, ats []time.Time) string {
	list := make([]string, len(ats))
	for i, at := range ats {
		list[i] = at.Format(time.RFC3339Nano)
	}
	return base + "/api/v1/trends?" + query + "&at=" + url.QueryEscape(strings.Join(list, ","))
}

// pastReads measures the API, the UI and reports at past evaluation times.
func (d *daemonBench) pastReads(ctx context.Context, r *benchResult, daemon *benchDaemon) error {
	client, n := benchClient(1), d.opts.requests
	owner := firstOwner(d.cfg)
	for _, q := range []struct{ key, query, what string }{
		{"api one subject past", "role=system_owner&subject=" + url.QueryEscape(owner) + "&window=30d", "one system owner"},
		{"api all system_owner past", "role=system_owner&window=30d", "every system owner"},
	} {
		var s samples
		var size int
		for i := range n {
			took, body, err := timeGet(ctx, client, scorecardsURL(daemon.url, q.query, d.pastAt(i, time.Duration(len(q.key))*time.Second)), nil)
			if err != nil {
				return err
			}
			s, size = append(s, took), len(body)
		}
		r.fig[q.key] = s.median().Seconds()
		r.add(q.key, fmtDur(s.median()), fmt.Sprintf("p90 %s over %d requests, each at a different past at (from 60 days before the end, an hour apart); GET /api/v1/scorecards?%s&at=… (%s, 30d), %s JSON",
			fmtDur(s.quantile(0.9)), n, q.query, q.what, fmtBytes(float64(size))))
	}

	var trend, requests samples
	var trendSize int
	for run := range d.opts.runs {
		took, body, err := timeGet(ctx, client, trendsURL(daemon.url, "role=system_owner&window=30d", d.monthEnds(time.Duration(run+1)*time.Minute)), nil)
		if err != nil {
			return err
		}
		trend, trendSize = append(trend, took), len(body)
		start := time.Now()
		for _, at := range d.monthEnds(time.Duration(run+1)*time.Minute + time.Second) {
			if _, _, err := timeGet(ctx, client, scorecardsURL(daemon.url, "role=system_owner&window=30d", at), nil); err != nil {
				return err
			}
		}
		requests = append(requests, time.Since(start))
	}
	r.fig["api trend 12 months"] = trend.median().Seconds()
	r.add("api trend 12 months", fmtDur(trend.median()), fmt.Sprintf("a 12-point monthly trend of every system owner, every KPI: GET /api/v1/trends?role=system_owner&window=30d&at=<12 month starts>, %s JSON; runs: %s",
		fmtBytes(float64(trendSize)), trend.list()))
	r.fig["api 12 scorecards requests"] = requests.median().Seconds()
	r.add("api 12 scorecards requests", fmtDur(requests.median()), "the same as 12 scorecards answers (with the previous windows, objectives and statuses): GET /api/v1/scorecards?role=system_owner&window=30d&at=<month start>, one after the other; runs: "+requests.list())

	period := lastQuarter(d.to)
	owners := ownerIDs(d.cfg)
	var reports samples
	for i := range n {
		u := daemon.url + "/ui/report?format=json&role=system_owner&period=" + period + "&subject=" + url.QueryEscape(owners[i%len(owners)])
		took, _, err := timeGet(ctx, client, u, nil)
		if err != nil {
			return err
		}
		reports = append(reports, took)
	}
	r.fig["report quarter"] = reports.median().Seconds()
	r.add("report quarter", fmtDur(reports.median()), fmt.Sprintf("p90 %s over %d requests for different owners; GET /ui/report?format=json&role=system_owner&period=%s (the period, the one before it, and the evidence)",
		fmtDur(reports.quantile(0.9)), n, period))

	for _, p := range []struct{ key, path, what string }{
		{"ui subject", "/ui/subject/system_owner/" + url.PathEscape(owner), "a system owner's page, now"},
		{"ui subject past", "/ui/subject/system_owner/" + url.PathEscape(owner) + "?at=" + url.QueryEscape(d.pastAt(0, 0).Format(time.RFC3339)), "the same page at a past at"},
		{"ui global", "/ui/subject/global/all", "the global subject's page"},
		{"ui overview", "/ui/", "the overview"},
	} {
		s, body, err := timeGets(ctx, client, daemon.url+p.path, nil, min(n, 20))
		if err != nil {
			return err
		}
		r.fig[p.key] = s.median().Seconds()
		r.fig[p.key+" size"] = float64(len(body))
		r.add(p.key, fmtDur(s.median()), fmt.Sprintf("p90 %s over %d requests; GET %s (%s), %s of HTML", fmtDur(s.quantile(0.9)), len(s), p.path, p.what, fmtBytes(float64(len(body)))))
	}
	return nil
}

// lastQuarter names the last quarter that ended before t, e.g. 2026-Q3.
func lastQuarter(t time.Time) string {
	q := (int(t.Month())-1)/3 + 1
	y := t.Year()
	if q--; q == 0 {
		q, y = 4, y-1
	}
	return fmt.Sprintf("%d-Q%d", y, q)
}

// ownerIDs lists every person who owns or owned a system, once each.
func ownerIDs(cfg *config.Config) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range cfg.Systems {
		for _, o := range s.Owners {
			if !seen[o.Owner] {
				seen[o.Owner] = true
				out = append(out, o.Owner)
			}
		}
	}
	return out
}

// pastComparisons is how many past evaluation times the per-owner SQL
// question and Steward's answer are timed and compared at: Steward answers
// in a few milliseconds, so that one sample is at the mercy of a garbage
// collection or a neighbour's burst; SQL takes about 170 ms at the
// reference size, so 15 of them add under 3 s.
const pastComparisons = 15

// comparePast runs the per-owner SQL question at past evaluation times
// and over a 12-point monthly trend, against Steward's answers to the same,
// and checks that the numbers agree.
func (d *daemonBench) comparePast(ctx context.Context, r *benchResult, db *sql.DB, daemon *benchDaemon, window time.Duration) error {
	client := benchClient(1)
	query := "role=system_owner&window=30d&" + sqlKPIs
	ask := func(at time.Time) (time.Duration, time.Duration, []string, error) {
		from := at.Add(-window)
		start := time.Now()
		fromSQL, err := queryPerOwner(ctx, db, d.cfg, from, at)
		if err != nil {
			return 0, 0, nil, err
		}
		sqlTook := time.Since(start)
		took, body, err := timeGet(ctx, client, scorecardsURL(daemon.url, query, at), nil)
		if err != nil {
			return 0, 0, nil, err
		}
		_, steward, err := stewardPerOwner(body)
		if err != nil {
			return 0, 0, nil, err
		}
		return sqlTook, took, compareOwners(fromSQL, steward), nil
	}
	var sqlPast, stewardPast samples
	var diffs []string
	for i := range pastComparisons {
		s, w, diff, err := ask(d.pastAt(i, 17*time.Second))
		if err != nil {
			return err
		}
		sqlPast, stewardPast, diffs = append(sqlPast, s), append(stewardPast, w), append(diffs, diff...)
	}
	var sqlTrend, stewardTrend samples
	for run := range d.opts.runs {
		ats := d.monthEnds(time.Duration(run+1) * 7 * time.Second)
		var s time.Duration
		var fromSQL []map[string]ownerAnswer
		for _, at := range ats {
			start := time.Now()
			answer, err := queryPerOwner(ctx, db, d.cfg, at.Add(-window), at)
			if err != nil {
				return err
			}
			s, fromSQL = s+time.Since(start), append(fromSQL, answer)
		}
		took, body, err := timeGet(ctx, client, trendsURL(daemon.url, query, ats), nil)
		if err != nil {
			return err
		}
		steward, err := stewardTrendPerOwner(body, len(ats))
		if err != nil {
			return err
		}
		for k := range ats {
			diffs = append(diffs, compareOwners(fromSQL[k], steward[k])...)
		}
		sqlTrend, stewardTrend = append(sqlTrend, s), append(stewardTrend, took)
	}
	pastRatio := sqlPast.median().Seconds() / stewardPast.median().Seconds()
	trendRatio := sqlTrend.median().Seconds() / stewardTrend.median().Seconds()
	r.fig["sql vs steward past"], r.fig["sql vs steward trend"] = pastRatio, trendRatio
	verdict := "identical for every owner at every time: counts and change_success_ratio exactly, mttr_seconds within 1e-6 s"
	if len(diffs) > 0 {
		r.mismatch = fmt.Errorf("bench: SQL and Steward disagree at past times for %d owner answers: %s", len(diffs), strings.Join(diffs[:min(5, len(diffs))], "; "))
		verdict = fmt.Sprintf("NUMBERS DIFFER in %d owner answers: %s", len(diffs), strings.Join(diffs[:min(3, len(diffs))], "; "))
	}
	r.add("sql vs steward past", times(pastRatio), fmt.Sprintf("per-owner change success ratio and MTTR over 30d at a past at (60 days before the end): SQL %s, Steward %s (GET /api/v1/scorecards?%s&at=…; medians of %d, each at a different at, an hour apart); %s",
		fmtDur(sqlPast.median()), fmtDur(stewardPast.median()), query, pastComparisons, verdict))
	r.add("sql vs steward trend", times(trendRatio), fmt.Sprintf("the same over a 12-point monthly trend: SQL %s for the 12 queries, Steward %s (GET /api/v1/trends?%s&at=<12 month starts>; medians of %d runs)",
		fmtDur(sqlTrend.median()), fmtDur(stewardTrend.median()), query, d.opts.runs))
	return nil
}

// backfillRate runs `steward backfill` on the kept store twice, over
// --backfill.steps hourly steps and a seventh of them, into /dev/null, and
// reports evaluations per second from the difference, so that the store
// read and the engine's first load (the same in both) do not count. The
// target's figure counts the evaluations alone (backfill reports the time
// spent evaluating apart from writing the output); the rate with the
// output rendered is reported beside it.
func (d *daemonBench) backfillRate(ctx context.Context, r *benchResult, dir string) error {
	run := func(steps int) (wall, evaluating time.Duration, err error) {
		to := d.to.Add(-30 * 24 * time.Hour)
		from := to.Add(-time.Duration(steps-1) * time.Hour)
		cmd := exec.CommandContext(ctx, d.opts.binary, "backfill", "--config.file", filepath.Join(dir, "steward.yml"),
			"--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339), "--step", "1h", "--output", "/dev/null")
		cmd.Dir = dir
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return 0, 0, fmt.Errorf("bench: backfill: %w: %s", err, strings.TrimSpace(string(out[max(0, len(out)-500):])))
		}
		wall = time.Since(start)
		evaluating, err = backfillEvaluating(out)
		return wall, evaluating, err
	}
	longSteps := d.opts.backfillSteps
	shortSteps := max(1, longSteps/7)
	short, shortEval, err := run(shortSteps)
	if err != nil {
		return err
	}
	long, longEval, err := run(longSteps)
	if err != nil {
		return err
	}
	rate := float64(longSteps-shortSteps) / (longEval - shortEval).Seconds()
	withOutput := float64(longSteps-shortSteps) / (long - short).Seconds()
	r.fig["backfill rate"] = rate
	r.fig["backfill rate with output"] = withOutput
	r.add("backfill rate", fmt.Sprintf("%.1f/s", rate), fmt.Sprintf("evaluations of every series per second, not counting the writing of the output: steward backfill --step 1h --output /dev/null spent %s evaluating over %d steps, %s over %d steps (as it reports); rate from the difference",
		fmtDur(shortEval), shortSteps, fmtDur(longEval), longSteps))
	r.add("backfill rate with output", fmt.Sprintf("%.1f/s", withOutput), fmt.Sprintf("the same with the OpenMetrics output rendered: the runs took %s and %s in all; rate from the difference (the store read and first load cancel out)",
		fmtDur(short), fmtDur(long)))
	return nil
}

// backfillEvaluating reads the time spent evaluating from the output of
// steward backfill.
func backfillEvaluating(out []byte) (time.Duration, error) {
	m := regexp.MustCompile(`backfill: evaluating took (\S+) `).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("bench: backfill reported no evaluation time: %s", strings.TrimSpace(string(out[max(0, len(out)-500):])))
	}
	d, err := time.ParseDuration(string(m[1]))
	if err != nil {
		return 0, fmt.Errorf("bench: backfill evaluation time: %w", err)
	}
	return d, nil
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// benchResult is what one dataset size measured: the lines printed, in
// order, and the figures the targets and the scaling table read, by key, in
// base units (records/s, seconds, bytes, a ratio).
type benchResult struct {
	records int
	out     io.Writer
	// loadBefore and loadAfter are the load average when the size started
	// and ended: the machine is shared.
	loadBefore, loadAfter string
	rows                  []benchRow
	fig                   map[string]float64
	mismatch              error // SQL and Steward disagreed
	// stewardPerOwner are the latencies of Steward's per-owner answer,
	// which the SQL comparison divides by.
	stewardPerOwner samples
}

type benchRow struct{ key, value, detail string }

// add prints one measurement line and keeps it for the Markdown output.
func (r *benchResult) add(key, value, detail string) {
	r.rows = append(r.rows, benchRow{key, value, detail})
	fmt.Fprintf(r.out, "%-26s %-18s %s\n", key+":", value, detail)
}

// samples are the timings of repeated runs.
type samples []time.Duration

// quantile interpolates linearly between closest ranks, as SPEC section 4
// does for percentiles.
func (s samples) quantile(q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + time.Duration((pos-float64(lo))*float64(sorted[hi]-sorted[lo]))
}

func (s samples) median() time.Duration { return s.quantile(0.5) }

func (s samples) list() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmtDur(d)
	}
	return strings.Join(parts, ", ")
}

func medianFloat(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func fmtInt(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + fmtInt(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func fmtBytes(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.0f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// benchTarget is one target of the performance issue, on a figure.
type benchTarget struct {
	key, what string
	limit     float64
	atLeast   bool
	format    func(float64) string
}

func seconds(v float64) string { return fmtDur(time.Duration(v * float64(time.Second))) }
func perSecond(v float64) string {
	return fmtInt(int(math.Round(v))) + "/s"
}
func times(v float64) string { return fmt.Sprintf("%.1f×", v) }

var benchTargets = []benchTarget{
	{"ingest sqlite", "ingest into SQLite ≥ 50,000 records/s", 50_000, true, perSecond},
	{"ingest postgres", "ingest into PostgreSQL ≥ 50,000 records/s", 50_000, true, perSecond},
	{"full recompute", "full recompute < 1 s", 1, false, seconds},
	{"incremental recompute", "incremental recompute < 50 ms", 0.050, false, seconds},
	{"scrape warm", "/metrics scrape < 250 ms (served path)", 0.250, false, seconds},
	{"scrape first", "/metrics first scrape after start < 250 ms", 0.250, false, seconds},
	{"api one subject", "scorecards API, one subject < 10 ms", 0.010, false, seconds},
	{"daemon rss sqlite", "daemon RSS < 1 GiB (SQLite)", 1 << 30, false, fmtBytes},
	{"daemon rss postgres", "daemon RSS < 1 GiB (PostgreSQL)", 1 << 30, false, fmtBytes},
	{"daemon rss serving", "daemon RSS < 1 GiB (after serving reads)", 1 << 30, false, fmtBytes},
	{"sql vs steward", "≥ 10× faster than SQL, identical numbers", 10, true, times},
	{"api one subject past", "one subject at a past at ≤ 2 ms", 0.002, false, seconds},
	{"api one subject after load postgres", "one subject on PostgreSQL right after a bulk load ≤ 2 ms", 0.002, false, seconds},
	{"api all system_owner past", "every owner at a past at ≤ 30 ms", 0.030, false, seconds},
	{"api trend 12 months", "12-point monthly trend of every owner ≤ 100 ms", 0.100, false, seconds},
	{"sql vs steward past", "≥ 30× faster than SQL at a past at, identical numbers", 30, true, times},
	{"sql vs steward trend", "≥ 30× faster than SQL over 12 monthly points, identical", 30, true, times},
	{"backfill rate", "backfill ≥ 10 evaluations/s", 10, true, func(v float64) string { return fmt.Sprintf("%.1f/s", v) }},
	{"ui subject", "UI subject page ≤ 50 ms", 0.050, false, seconds},
	{"ui global", "UI global page ≤ 200 ms", 0.200, false, seconds},
	{"ui global size", "UI global page ≤ 1 MB", 1 << 20, false, fmtBytes},
	{"ui overview size", "UI overview ≤ 1 MB", 1 << 20, false, fmtBytes},
}

type targetVerdict struct{ what, value, verdict string }

func evaluateTargets(r *benchResult) []targetVerdict {
	var out []targetVerdict
	for _, t := range benchTargets {
		v, ok := r.fig[t.key]
		if !ok {
			out = append(out, targetVerdict{t.what, "-", "not measured"})
			continue
		}
		met := v < t.limit
		if t.atLeast {
			met = v >= t.limit
		}
		verdict := "met"
		if strings.HasPrefix(t.key, "sql vs steward") && r.mismatch != nil {
			met, verdict = false, "NOT met (numbers differ)"
		}
		if !met && verdict == "met" {
			verdict = "NOT met"
		}
		out = append(out, targetVerdict{t.what, t.format(v), verdict})
	}
	return out
}

// scalingColumns are the figures of the scaling table.
var scalingColumns = []struct {
	key, title string
	format     func(float64) string
}{
	{"ingest sqlite", "ingest SQLite", perSecond},
	{"ingest postgres", "ingest PostgreSQL", perSecond},
	{"load postgres", "cold start PG", seconds},
	{"daemon rss postgres", "RSS PG", fmtBytes},
	{"engine load", "engine load", seconds},
	{"engine heap", "engine heap", fmtBytes},
	{"full recompute", "full", seconds},
	{"incremental recompute", "incremental", seconds},
	{"scrape first", "scrape first", seconds},
	{"scrape warm", "scrape warm", seconds},
	{"api one subject", "API one", seconds},
	{"api all system_owner", "API owners", seconds},
	{"sql per-owner", "SQL", seconds},
	{"sql vs steward", "SQL/Steward", times},
	{"api one subject past", "API one, past", seconds},
	{"api all system_owner past", "API owners, past", seconds},
	{"api trend 12 months", "trend 12", seconds},
	{"api 12 scorecards requests", "12 requests", seconds},
	{"sql vs steward past", "SQL/Steward past", times},
	{"sql vs steward trend", "SQL/Steward trend", times},
	{"backfill rate", "backfill", func(v float64) string { return fmt.Sprintf("%.1f/s", v) }},
	{"backfill rate with output", "backfill+output", func(v float64) string { return fmt.Sprintf("%.1f/s", v) }},
	{"ui subject", "UI subject", seconds},
	{"ui global", "UI global", seconds},
}

// writeScaling prints one row per dataset size, as text or Markdown.
func writeScaling(w io.Writer, results []*benchResult, markdown bool) {
	head := []string{"records (each kind)"}
	for _, c := range scalingColumns {
		head = append(head, c.title)
	}
	rows := [][]string{head}
	for _, r := range results {
		row := []string{fmtInt(r.records)}
		for _, c := range scalingColumns {
			if v, ok := r.fig[c.key]; ok {
				row = append(row, c.format(v))
			} else {
				row = append(row, "-")
			}
		}
		rows = append(rows, row)
	}
	if markdown {
		for i, row := range rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
			if i == 0 {
				fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(row)))
			}
		}
		return
	}
	width := make([]int, len(head))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len([]rune(cell)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			fmt.Fprintf(&b, "  %-*s", width[i], cell)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// machine says where the figures were taken.
type machine struct {
	cpus                  int
	cpu, memory, postgres string
	loadBefore, loadAfter string
}

func (m machine) String() string {
	pg := m.postgres
	if pg == "" {
		pg = "PostgreSQL not used"
	}
	return fmt.Sprintf("%d CPUs (%s), %s memory, %s %s/%s, %s, load average %s",
		m.cpus, m.cpu, m.memory, runtime.Version(), runtime.GOOS, runtime.GOARCH, pg, m.loadBefore)
}

func describeMachine(ctx context.Context, pg *benchPostgres) machine {
	m := machine{cpus: runtime.NumCPU(), cpu: "unknown CPU", memory: "unknown", loadBefore: loadAverage()}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.cpu = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		if kb, err := strconv.ParseFloat(strings.TrimSuffix(v, " kB"), 64); err == nil {
			m.memory = fmtBytes(kb * 1024)
		}
	}
	if pg != nil {
		m.postgres = pg.version(ctx)
	}
	return m
}

// procField returns the value of the first "name: value" line of a /proc
// file, or "".
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage is the 1, 5 and 15 minute load average: the machine is
// shared, so figures say under what load they were taken.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// writeBenchMarkdown writes every size's measurements, the targets and
// the scaling table as Markdown.
func writeBenchMarkdown(path string, o benchOptions, m machine, results []*benchResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- Written by `steward-bench`. -->\n\n")
	fmt.Fprintf(&b, "Machine: %s; load average %s after.\n\n", m, m.loadAfter)
	fmt.Fprintf(&b, "Dataset: incidents and as many changes over two years, %d systems, %d owners, %d programs, %d teams. "+
		"Medians of %d runs; latencies over %d requests; ingest in NDJSON batches of %d records from %d clients.\n",
		o.systems, o.owners, o.programs, o.teams, o.runs, o.requests, o.batch, o.clients)
	for _, r := range results {
		fmt.Fprintf(&b, "\n### %s incidents and %s changes\n\nLoad average when this size started: %s; when it ended: %s.\n\n| measurement | median | details |\n|---|---|---|\n",
			fmtInt(r.records), fmtInt(r.records), r.loadBefore, r.loadAfter)
		for _, row := range r.rows {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", row.key, row.value, strings.ReplaceAll(row.detail, "|", `\|`))
		}
	}
	last := results[len(results)-1]
	fmt.Fprintf(&b, "\n### Targets (measured on %s incidents and as many changes)\n\n| target | measured | verdict |\n|---|---|---|\n", fmtInt(last.records))
	for _, t := range evaluateTargets(last) {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.what, t.value, t.verdict)
	}
	if len(results) > 1 {
		fmt.Fprintf(&b, "\n### Scaling (medians)\n\n")
		writeScaling(&b, results, true)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}

package scorecard

import (
	"flag"
	"runtime"
	"testing"

	"github.com/steward-sh/steward/generate"
)

var benchRecords = flag.Int("bench.records", 1_000_000, "incidents (and as many changes) in the recompute benchmarks")

// BenchmarkRecompute measures a full recompute (every KPI, subject and
// window, with previous windows) of the reference dataset: 1M incidents and
// 1M changes over two years, 5,000 systems, 1,000 owners, 50 programs,
// 200 teams. Run with -bench.records to scale it.
func BenchmarkRecompute(b *testing.B) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Programs, o.Teams = 5000, 1000, 50, 200
	o.Incidents, o.Changes = *benchRecords, *benchRecords
	o.From = o.To.AddDate(-2, 0, 0)
	cfg, x, incidents, changes := generated(b, o)
	incidents, changes = nil, nil
	_, _ = incidents, changes
	e := &Engine{x: x, m: newModel(cfg)}
	e.m.update(x, true)
	x.linkCauses()
	e.av = newAvailability(e.m, x)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	b.ResetTimer()
	for b.Loop() {
		e.compute(o.To)
	}
	b.ReportMetric(float64(len(e.m.subj.list)), "subjects")
}

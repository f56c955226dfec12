package scorecard

import (
	"flag"
	"runtime"
	"testing"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/record"
)

var benchRecords = flag.Int("bench.records", 1_000_000, "incidents (and as many changes) in the recompute benchmarks")

// benchEngine loads the reference dataset (1M incidents and 1M changes over
// two years, 5,000 systems, 1,000 owners, 50 programs, 200 teams; scale
// with -bench.records) into an engine, holding back the last `hold`
// incidents and changes for incremental benchmarks.
func benchEngine(b *testing.B, hold int) (*Engine, generate.Options, []record.Incident, []record.Change) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Programs, o.Teams = 5000, 1000, 50, 200
	o.Incidents, o.Changes = *benchRecords, *benchRecords
	o.From = o.To.AddDate(-2, 0, 0)
	cfg, err := config.Parse(generate.Config(o))
	if err != nil {
		b.Fatal(err)
	}
	incidents, changes := generate.Records(cfg, o)
	e := New(Options{Config: func() *config.Config { return cfg }})
	for i := range incidents[:len(incidents)-hold] {
		e.x.putIncident(&incidents[i])
	}
	for i := range changes[:len(changes)-hold] {
		e.x.putChange(&changes[i])
	}
	e.x.gen++
	e.absorb(cfg)
	return e, o, incidents[len(incidents)-hold:], changes[len(changes)-hold:]
}

func reportHeap(b *testing.B) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
}

// BenchmarkRecompute measures a full recompute: every KPI, subject and
// window, with previous windows, from scratch.
func BenchmarkRecompute(b *testing.B) {
	e, o, _, _ := benchEngine(b, 0)
	reportHeap(b)
	b.ResetTimer()
	for b.Loop() {
		e.live = nil
		e.recompute(o.To)
	}
	b.ReportMetric(float64(len(e.m.subj.list)), "subjects")
}

// BenchmarkIncremental measures the recompute of the latest snapshot after
// a batch of 1,000 new incidents and changes, with the clock moved on by a
// minute.
func BenchmarkIncremental(b *testing.B) {
	const batch = 1000
	e, o, incidents, changes := benchEngine(b, batch*20)
	at := o.To.Add(-24 * time.Hour)
	e.recompute(at)
	reportHeap(b)
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		lo := (n * batch) % len(incidents)
		b.StartTimer()
		for i := lo; i < lo+batch; i++ {
			e.x.putIncident(&incidents[i])
			e.x.putChange(&changes[i])
		}
		e.x.gen++
		at = at.Add(time.Minute)
		e.absorb(e.m.cfg)
		e.recompute(at)
	}
}

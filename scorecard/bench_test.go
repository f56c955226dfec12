package scorecard

import (
	"flag"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/record"
)

var benchRecords = flag.Int("bench.records", 1_000_000, "incidents (and as many changes) in the recompute benchmarks")

// benchDataset generates the reference dataset: 1M incidents and 1M
// changes over two years, 5,000 systems, 1,000 owners, 50 programs, 200
// teams (scale with -bench.records).
func benchDataset(b *testing.B) (generate.Options, *config.Config, []record.Incident, []record.Change) {
	o := generate.Reference(*benchRecords)
	o.From = o.To.AddDate(-2, 0, 0)
	cfg, err := config.Parse(generate.Config(o))
	if err != nil {
		b.Fatal(err)
	}
	incidents, changes := generate.Records(cfg, o)
	return o, cfg, incidents, changes
}

// benchEngine loads the reference dataset into an engine, holding back the
// last `hold` incidents and changes for incremental benchmarks.
func benchEngine(b *testing.B, hold int) (*Engine, generate.Options, []record.Incident, []record.Change) {
	o, cfg, incidents, changes := benchDataset(b)
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

// reportHeap reports the heap in use with e alive, after a collection.
func reportHeap(b *testing.B, e *Engine) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	runtime.KeepAlive(e)
}

// BenchmarkRecompute measures a full recompute: every KPI, subject and
// window, with previous windows, from scratch.
func BenchmarkRecompute(b *testing.B) {
	e, o, _, _ := benchEngine(b, 0)
	for b.Loop() {
		e.live = nil
		e.recompute(o.To)
	}
	b.ReportMetric(float64(len(e.m.subj.list)), "subjects")
	reportHeap(b, e)
}

// BenchmarkIncremental measures the recompute of the latest snapshot after
// a batch of 1,000 new incidents and changes, with the clock moved on by a
// minute. It holds back 20 batches; later iterations take them again under
// new ids, so every iteration adds new records.
func BenchmarkIncremental(b *testing.B) {
	const batch, heldBatches = 1000, 20
	e, o, incidents, changes := benchEngine(b, batch*heldBatches)
	at := o.To.Add(-24 * time.Hour)
	e.recompute(at)
	defer reportHeap(b, e)
	newIncidents, newChanges := make([]record.Incident, batch), make([]record.Change, batch)
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		lo, round := (n%heldBatches)*batch, n/heldBatches
		copy(newIncidents, incidents[lo:lo+batch])
		copy(newChanges, changes[lo:lo+batch])
		if round > 0 {
			for i := range batch {
				newIncidents[i].ID += "-" + strconv.Itoa(round)
				newChanges[i].ID += "-" + strconv.Itoa(round)
			}
		}
		b.StartTimer()
		for i := range batch {
			e.x.putIncident(&newIncidents[i])
			e.x.putChange(&newChanges[i])
		}
		e.x.gen++
		at = at.Add(time.Minute)
		e.absorb(e.m.cfg)
		e.recompute(at)
	}
}

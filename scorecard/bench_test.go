package scorecard

import (
	"context"
	"flag"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/record"
)

var benchRecords = flag.Int("bench.records", 1_000_000, "incidents (and as many changes) in the engine benchmarks")

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
// last `hold` incidents and changes for the write benchmark.
func benchEngine(b *testing.B, hold int) (*Engine, generate.Options, []record.Incident, []record.Change) {
	o, cfg, incidents, changes := benchDataset(b)
	e := New(Options{Config: func() *config.Config { return cfg }})
	e.take(incidents[:len(incidents)-hold], changes[:len(changes)-hold], true)
	// the load's garbage is collected now, not during the first
	// iterations, whose CPU time it would add to
	runtime.GC()
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

// reportMedian reports the median of the iterations' times.
func reportMedian(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
}

// cpuClock measures the process's CPU time (user and system), which other
// processes on a shared machine do not inflate as they do wall time.
type cpuClock struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{cpuNow()} }

// report reports the CPU time per iteration since start.
func (c cpuClock) report(b *testing.B, n int) {
	b.ReportMetric(float64((cpuNow()-c.start).Microseconds())/1000/float64(n), "cpu-ms/op")
}

// pastAt is an evaluation time well inside the dataset's history.
func pastAt(o generate.Options, rng *rand.Rand) time.Time {
	span := o.To.Sub(o.From) - 120*24*time.Hour
	return o.From.Add(90*24*time.Hour + time.Duration(rng.Int64N(int64(span)))).Truncate(time.Second)
}

func owners(e *Engine) []Subject {
	var out []Subject
	for _, s := range e.st.m.subj.list {
		if s.Role == RoleSystemOwner {
			out = append(out, s)
		}
	}
	return out
}

// BenchmarkBuild measures building attribution, availability and the time
// index from every record in memory (a config change, a cold start after
// the store read).
func BenchmarkBuild(b *testing.B) {
	e, _, _, _ := benchEngine(b, 0)
	cpu, n := startCPU(), 0
	for b.Loop() {
		e.st = newState(e.st.m.cfg, e.x)
		n++
	}
	cpu.report(b, n)
	b.ReportMetric(float64(len(e.st.m.subj.list)), "subjects")
	reportHeap(b, e)
}

// BenchmarkOneSubject measures one system owner's scorecard (every
// configured window, with previous windows) at a random past time.
func BenchmarkOneSubject(b *testing.B) {
	e, o, _, _ := benchEngine(b, 0)
	people, rng, ctx := owners(e), rand.New(rand.NewPCG(1, 2)), context.Background()
	var took []time.Duration
	cpu := startCPU()
	for b.Loop() {
		s := people[rng.IntN(len(people))]
		at := pastAt(o, rng)
		start := time.Now()
		if _, err := e.Evaluate(ctx, Query{At: at, Role: s.Role, Subject: s.ID}); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	cpu.report(b, len(took))
	reportMedian(b, took)
}

// BenchmarkAllOwners measures every system owner's 30d scorecard (with the
// previous window) at a random past time: the API's role=system_owner.
func BenchmarkAllOwners(b *testing.B) { benchAllOwners(b, nil) }

// sqlKPIs are the KPIs the SQL comparison of cmd/steward-bench asks for.
var sqlKPIs = []KPI{ChangeSuccessRatio, MTTR, ChangesCompleted, ChangesFailed, IncidentsResolved}

// BenchmarkAllOwnersSelected is BenchmarkAllOwners for the KPIs the SQL
// comparison asks for only (the API's kpi=).
func BenchmarkAllOwnersSelected(b *testing.B) { benchAllOwners(b, sqlKPIs) }

func benchAllOwners(b *testing.B, kpis []KPI) {
	e, o, _, _ := benchEngine(b, 0)
	rng, ctx := rand.New(rand.NewPCG(3, 4)), context.Background()
	w := []config.Window{{Name: "30d", Duration: 30 * 24 * time.Hour}}
	var took []time.Duration
	cpu := startCPU()
	for b.Loop() {
		start := time.Now()
		s, err := e.Evaluate(ctx, Query{At: pastAt(o, rng), Windows: w, Role: RoleSystemOwner, KPIs: kpis})
		if err != nil || len(s.Cards["30d"]) != 1000 && *benchRecords == 1_000_000 {
			b.Fatal(err, len(s.Cards["30d"]))
		}
		took = append(took, time.Since(start))
	}
	cpu.report(b, len(took))
	reportMedian(b, took)
}

// BenchmarkOwnersMonthlySelected measures what the API answers for a
// 12-point monthly trend of the SQL comparison's KPIs: every system
// owner's 30d scorecard (with the previous window) at 12 month starts, one
// evaluation each.
func BenchmarkOwnersMonthlySelected(b *testing.B) {
	e, o, _, _ := benchEngine(b, 0)
	ctx := context.Background()
	w := []config.Window{{Name: "30d", Duration: 30 * 24 * time.Hour}}
	var took []time.Duration
	cpu := startCPU()
	for b.Loop() {
		start := time.Now()
		for i := range 12 {
			if _, err := e.Evaluate(ctx, Query{At: o.To.AddDate(0, i-12, 0), Windows: w, Role: RoleSystemOwner, KPIs: sqlKPIs}); err != nil {
				b.Fatal(err)
			}
		}
		took = append(took, time.Since(start))
	}
	cpu.report(b, len(took))
	reportMedian(b, took)
}

// BenchmarkOwnersTrend measures a 12-point monthly trend (30d windows) of
// every system owner.
func BenchmarkOwnersTrend(b *testing.B) {
	e, o, _, _ := benchEngine(b, 0)
	people, ctx := owners(e), context.Background()
	ats := make([]time.Time, 12)
	for i := range ats {
		ats[i] = o.To.AddDate(0, i-12, 0)
	}
	var took []time.Duration
	cpu := startCPU()
	for b.Loop() {
		start := time.Now()
		if _, err := e.Trend(ctx, people, 30*24*time.Hour, ats); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	cpu.report(b, len(took))
	reportMedian(b, took)
}

// BenchmarkBackfill measures one evaluation of every series: every subject
// and configured window (without previous windows, which metrics do not
// carry) at a random past time, as `steward backfill` asks for at each step.
func BenchmarkBackfill(b *testing.B) {
	e, o, _, _ := benchEngine(b, 0)
	rng, ctx := rand.New(rand.NewPCG(5, 6)), context.Background()
	var took []time.Duration
	cpu := startCPU()
	for b.Loop() {
		start := time.Now()
		if _, err := e.Evaluate(ctx, Query{At: pastAt(o, rng), NoPrevious: true}); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	cpu.report(b, len(took))
	reportMedian(b, took)
	b.ReportMetric(float64(len(took))/b.Elapsed().Seconds(), "evaluations/s")
}

// BenchmarkRecompute measures the latest snapshot: every KPI, subject and
// window, with previous windows, at the dataset's end.
func BenchmarkRecompute(b *testing.B) {
	e, o, _, _ := benchEngine(b, 0)
	for b.Loop() {
		if _, err := e.recompute(context.Background(), o.To); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(e.st.m.subj.list)), "subjects")
	reportHeap(b, e)
}

// BenchmarkWrite measures taking in a batch of 1,000 new incidents and
// 1,000 new changes (index, attribution, availability, the delta, and now
// and then a rebuild of the time index). It holds back 20 batches; later
// iterations take them again under new ids, so every iteration adds new
// records.
func BenchmarkWrite(b *testing.B) {
	const batch, heldBatches = 1000, 20
	e, _, incidents, changes := benchEngine(b, batch*heldBatches)
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
		e.take(newIncidents, newChanges, true)
	}
}

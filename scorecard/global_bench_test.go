package scorecard

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkGlobalPage measures what the UI's global subject page asks of
// the engine: the 30d window's evidence tables, 100 rows each (p50-ms),
// and a 12-point 30d trend (trend-p50-ms).
func BenchmarkGlobalPage(b *testing.B) {
	e, o, _, _ := benchEngine(b, 0)
	ctx, g := context.Background(), Subject{RoleGlobal, GlobalSubject}
	win := 30 * 24 * time.Hour
	ats := make([]time.Time, 12)
	for i := range ats {
		ats[i] = o.To.Add(-time.Duration(11-i) * win)
	}
	var evT, trT []time.Duration
	cpu := startCPU()
	for b.Loop() {
		start := time.Now()
		if _, err := e.EvidenceTables(ctx, []Subject{g}, o.To.Add(-win), o.To, 100); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := e.Trend(ctx, []Subject{g}, win, ats); err != nil {
			b.Fatal(err)
		}
		evT, trT = append(evT, mid.Sub(start)), append(trT, time.Since(mid))
	}
	cpu.report(b, len(evT))
	reportMedian(b, evT) // the evidence's
	slices.Sort(trT)
	b.ReportMetric(float64(trT[len(trT)/2].Microseconds())/1000, "trend-p50-ms")
}

// BenchmarkGlobalEvidence measures the global subject's whole evidence of
// a 30d window, every record listed, as a period review of it asks.
func BenchmarkGlobalEvidence(b *testing.B) {
	e, o, _, _ := benchEngine(b, 0)
	ctx, g := context.Background(), Subject{RoleGlobal, GlobalSubject}
	var took []time.Duration
	cpu := startCPU()
	for b.Loop() {
		start := time.Now()
		if _, err := e.Evidence(ctx, []Subject{g}, o.To.Add(-30*24*time.Hour), o.To); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	cpu.report(b, len(took))
	reportMedian(b, took)
}

package web

import (
	"context"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/enginetest"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

var benchRecords = flag.Int("bench.records", 0, "incidents (and as many changes) for BenchmarkGlobalSubjectPage; 0 skips it")

// BenchmarkGlobalSubjectPage measures the global subject's page (its
// evidence, with titles from the store, trends and HTML) over a generated
// organisation in a SQLite store, as the daemon serves it. It needs -bench.records (e.g. 100000).
func BenchmarkGlobalSubjectPage(b *testing.B) {
	if *benchRecords == 0 {
		b.Skip("set -bench.records to measure the global subject page")
	}
	o := generate.Reference(*benchRecords)
	o.From = o.To.AddDate(-2, 0, 0)
	g := enginetest.Loaded(b, o)
	cfg := func() *config.Config { return g.Config }
	// as the daemon: the engine's store (wrapped) finds no records; the UI
	// takes titles from the store
	eng := scorecard.New(scorecard.Options{Store: struct{ record.Store }{g.Store}, Config: cfg,
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return o.To }})
	if _, err := eng.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	ui := New(Options{Engine: eng, Reports: &report.Builder{Engine: eng, Now: time.Now}, Config: cfg,
		Logger: slog.New(slog.DiscardHandler), Titles: g.Store})
	var took []time.Duration
	size := 0
	cpu := cpuNow()
	for b.Loop() {
		start := time.Now()
		w := httptest.NewRecorder()
		ui.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/ui/subject/global/all", nil))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
		took = append(took, time.Since(start))
		size = w.Body.Len()
	}
	b.ReportMetric(float64((cpuNow()-cpu).Microseconds())/1000/float64(len(took)), "cpu-ms/op")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(size)/1024, "page-KiB")
}

// cpuNow is the process's CPU time (user and system), which other
// processes on a shared machine do not inflate as they do wall time.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

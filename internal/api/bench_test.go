package api

import (
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/enginetest"
)

// BenchmarkScorecards measures GET /api/v1/scorecards for the reference
// organisation (5,000 systems, 1,000 owners, 50 programs, 200 teams; the
// answer depends on subjects, not records, so 50,000 incidents and as many
// changes): the answer kept for the latest snapshot against the same
// answer computed afresh (a past at, answered from the same snapshot).
func BenchmarkScorecards(b *testing.B) {
	snap := enginetest.Loaded(b, generate.Reference(50_000)).Engine.Latest()
	sc := &fixedScorecards{}
	sc.snap.Store(snap)
	srv := New(Options{Logger: slog.New(slog.DiscardHandler), Scorecards: sc})
	at := "&at=" + snap.At.Format(time.RFC3339Nano)
	for _, tt := range []struct{ name, query string }{
		{"owners-kept", "role=system_owner&window=30d"},
		{"owners-fresh", "role=system_owner&window=30d" + at},
		{"systems-kept", "role=system&window=30d"},
		{"systems-fresh", "role=system&window=30d" + at},
		{"owners-csv-kept", "role=system_owner&window=30d&format=csv"},
		{"owners-csv-fresh", "role=system_owner&window=30d&format=csv" + at},
	} {
		b.Run(tt.name, func(b *testing.B) {
			size := 0
			for b.Loop() {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/scorecards?"+tt.query, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/answer")
		})
	}
}

var benchRecords = flag.Int("bench.records", 50_000, "incidents (and as many changes) in BenchmarkPastScorecards; the reference dataset is 1000000")

// BenchmarkPastScorecards measures GET /api/v1/scorecards at past
// evaluation times through a loopback HTTP server, as a client sees it:
// the reference organisation over two years of records (-bench.records),
// every request at a different at so that no kept answer stands in for
// the work. It reports the process's CPU time per request (server and
// client), which other processes do not inflate, and the median latency.
func BenchmarkPastScorecards(b *testing.B) {
	o := generate.Reference(*benchRecords)
	o.From = o.To.AddDate(-2, 0, 0)
	org := enginetest.Loaded(b, o)
	ts := httptest.NewServer(New(Options{Logger: slog.New(slog.DiscardHandler), Scorecards: org.Engine}))
	defer ts.Close()
	client := ts.Client()
	runtime.GC()
	for _, tt := range []struct{ name, query string }{
		{"owners", "role=system_owner&window=30d"},
		{"owners-selected", "role=system_owner&window=30d&kpi=change_success_ratio,mttr_seconds,changes_completed,changes_failed,incidents_resolved"},
		{"systems", "role=system&window=30d"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			var took []time.Duration
			size := int64(0)
			cpu := cpuNow()
			for b.Loop() {
				at := o.To.Add(-60*24*time.Hour - time.Duration(len(took))*time.Hour)
				start := time.Now()
				resp, err := client.Get(ts.URL + "/api/v1/scorecards?" + tt.query + "&at=" + at.Format(time.RFC3339))
				if err != nil {
					b.Fatal(err)
				}
				size, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatal(err, resp.Status)
				}
				took = append(took, time.Since(start))
			}
			b.ReportMetric(float64((cpuNow()-cpu).Microseconds())/1000/float64(len(took)), "cpu-ms/op")
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(size), "bytes/answer")
		})
	}
}

// cpuNow is the process's CPU time (user and system).
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

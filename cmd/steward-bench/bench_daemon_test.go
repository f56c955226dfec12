package main

import (
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/daemon"
)

var (
	benchDaemonRecords = flag.Int("bench.records", 0, "incidents, and as many changes, for BenchmarkDaemon; 0 skips it")
	benchCPUProfile    = flag.String("bench.cpuprofile", "", "BenchmarkDaemon: write a CPU profile of each sub-benchmark's timed part to this file, suffixed with its name")
	benchHeapProfile   = flag.String("bench.heapprofile", "", "BenchmarkDaemon/start-*: write a heap profile of the daemon holding the dataset to this file")
)

// BenchmarkDaemon runs the daemon in process, so that `go test
// -cpuprofile` can profile what `steward-bench` measures from outside:
// ingest through the batch API, the start on a filled store, and the
// all-owners scorecards answer. It needs -bench.records (e.g. 1000000).
func BenchmarkDaemon(b *testing.B) {
	n := *benchDaemonRecords
	if n == 0 {
		b.Skip("set -bench.records to profile the daemon in process (steward-bench measures it as a process)")
	}
	gen := generate.Reference(n)
	gen.To = time.Now().UTC().Truncate(time.Hour)
	gen.From = gen.To.AddDate(-2, 0, 0)
	yaml := generate.Config(gen)
	cfg, err := config.Parse(yaml)
	if err != nil {
		b.Fatal(err)
	}
	incidents, changes := generate.Records(cfg, gen)
	jobs, err := encodeBatches(incidents, changes, 5000)
	if err != nil {
		b.Fatal(err)
	}
	drivers := []string{"sqlite"}
	pg, err := openBenchPostgres(context.Background(), defaultBenchPostgres)
	if err == nil {
		defer pg.close()
		drivers = append(drivers, "postgres")
	}
	d := &daemonBench{opts: benchOptions{batch: 5000, clients: 4}, yaml: yaml, cfg: cfg, pg: pg}
	for _, driver := range drivers {
		b.Run("ingest-"+driver, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				st, stop := filledStore(b, d, driver, nil)
				url, stopDaemon := serveInProcess(b, st.dir)
				stopProfile := cpuProfile(b, i)
				b.StartTimer()
				if _, err := postAll(context.Background(), url, jobs, 4); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				stopProfile()
				stopDaemon()
				stop()
				b.StartTimer()
			}
			b.ReportMetric(float64(2*n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
		var filled *benchStore
		fill := func(b *testing.B) *benchStore {
			if filled == nil {
				filled, _ = filledStore(b, d, driver, jobs)
			}
			return filled
		}
		b.Run("start-"+driver, func(b *testing.B) {
			st := fill(b)
			for i := 0; b.Loop(); i++ {
				stopProfile := cpuProfile(b, i)
				_, stopDaemon := serveInProcess(b, st.dir)
				b.StopTimer()
				stopProfile()
				if *benchHeapProfile != "" && i == 0 {
					writeHeapProfile(b, *benchHeapProfile)
				}
				stopDaemon()
				b.StartTimer()
			}
		})
		b.Run("serve-"+driver, func(b *testing.B) {
			st := fill(b)
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				before := liveHeap()
				url, stopDaemon := serveInProcess(b, st.dir)
				started := liveHeap()
				b.StartTimer()
				serveReads(b, url)
				b.StopTimer()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms) // before a collection: what serving left
				served := liveHeap()
				if *benchHeapProfile != "" && i == 0 {
					writeHeapProfile(b, *benchHeapProfile+".serve")
				}
				b.ReportMetric((started-before)/(1<<20), "start-live-MiB")
				b.ReportMetric((served-before)/(1<<20), "served-live-MiB")
				b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "served-inuse-MiB")
				b.ReportMetric(float64(ms.HeapSys-ms.HeapReleased)/(1<<20), "served-held-MiB")
				stopDaemon()
				b.StartTimer()
			}
		})
		b.Run("owners-"+driver, func(b *testing.B) {
			url, stopDaemon := serveInProcess(b, fill(b).dir)
			defer stopDaemon()
			client := benchClient(1)
			stopProfile := cpuProfile(b, 0)
			defer stopProfile()
			for b.Loop() {
				if _, _, err := timeGet(context.Background(), client, url+"/api/v1/scorecards?role=system_owner&window=30d", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		if filled != nil {
			filled.cleanup()
		}
	}
}

// serveReads makes the reads whose memory steward-bench's "daemon rss
// serving" measures: warm scrapes and the scorecards API's answers for one
// owner, every owner and every system.
func serveReads(b *testing.B, url string) {
	client := benchClient(1)
	for _, q := range []struct {
		path   string
		header http.Header
	}{
		{"/metrics", scrapeHeader},
		{"/api/v1/scorecards?role=system_owner&window=30d", nil},
		{"/api/v1/scorecards?role=system&window=30d", nil},
	} {
		for range 5 {
			if _, _, err := timeGet(context.Background(), client, url+q.path, q.header); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// cpuProfile profiles the first iteration's timed part to
// -bench.cpuprofile, suffixed with the benchmark's name.
func cpuProfile(b *testing.B, iteration int) (stop func()) {
	if *benchCPUProfile == "" || iteration > 0 {
		return func() {}
	}
	f, err := os.Create(*benchCPUProfile + "." + filepath.Base(b.Name()))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// filledStore makes a store for driver and, with jobs, fills it through a
// daemon.
func filledStore(b *testing.B, d *daemonBench, driver string, jobs []ingestJob) (*benchStore, func()) {
	st, err := d.newStore(context.Background(), driver)
	if err != nil {
		b.Fatal(err)
	}
	if jobs != nil {
		url, stop := serveInProcess(b, st.dir)
		if _, err := postAll(context.Background(), url, jobs, 4); err != nil {
			b.Fatal(err)
		}
		stop()
	}
	return st, st.cleanup
}

// serveInProcess runs the daemon with steward serve's defaults on
// dir/steward.yml and waits until it is ready.
func serveInProcess(b *testing.B, dir string) (string, func()) {
	addr, err := freeLoopback()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		o := daemon.DefaultOptions()
		o.ConfigFile, o.ListenAddress, o.Interval = filepath.Join(dir, "steward.yml"), addr, time.Hour
		o.Spool.Dir = filepath.Join(dir, "spool")
		done <- daemon.Run(ctx, o) // no logger: the daemon logs nothing
	}()
	url := "http://" + addr
	for {
		select {
		case err := <-done:
			b.Fatalf("daemon exited: %v", err)
		default:
		}
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return url, func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("daemon: %v", err)
		}
	}
}

func writeHeapProfile(b *testing.B, path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

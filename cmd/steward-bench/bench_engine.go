package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
)

// incrementalBatch is how many new incidents, and as many new changes, an
// incremental recompute takes in.
const incrementalBatch = 1000

// benchEngine times the KPI engine in process: loading the dataset, full
// recomputes at `at`, then incremental ones, each after the next
// incrementalBatch new incidents and changes with the clock a minute on.
// It drives the engine through its public API, as the daemon does, with
// the records served from memory rather than a store (the daemon
// benchmark times the store read): Sync takes the records in, a new config
// value makes the next refresh build attribution, availability and the
// time index again from every record, and Refresh computes the latest
// snapshot at the engine's clock. With profileDir, each run also writes a
// CPU profile there (full-N.cpu, incremental-N.cpu; pprof merges several
// files).
func benchEngine(r *benchResult, cfg *config.Config, incidents []record.Incident, changes []record.Change,
	newIncidents []record.Incident, newChanges []record.Change, at time.Time, runs int, profileDir string) error {
	ctx := context.Background()
	n := len(incidents)
	src := newMemStore(incidents, changes)
	current, clock := cfg, at
	e := scorecard.New(scorecard.Options{Store: src, Config: func() *config.Config { return current }, Now: func() time.Time { return clock },
		Logger: slog.New(slog.DiscardHandler)})
	before := liveHeap()
	profile := func(name string, run int) string {
		if profileDir == "" {
			return ""
		}
		return filepath.Join(profileDir, fmt.Sprintf("%s-%d.cpu", name, run+1))
	}
	var runErr error
	load, _, _, err := measureMem(func() { runErr = e.Sync(ctx) }, profile("load", 0))
	if err = errors.Join(err, runErr); err != nil {
		return err
	}
	held := max(liveHeap()-before, 0)
	r.fig["engine load"], r.fig["engine heap"] = load.Seconds(), held
	r.add("engine load", fmtDur(load), fmt.Sprintf("in process: %s records into memory, attribution, cause links, availability; the engine holds %s of heap",
		fmtInt(n+len(changes)), fmtBytes(held)))

	var full, incr samples
	var fullPeak, fullAlloc, incrPeak, incrAlloc []float64
	subjects := 0
	for k := range runs {
		next := *cfg // the same config, a new value: the engine builds its state again
		current = &next
		took, peak, alloc, err := measureMem(func() {
			var s *scorecard.Snapshot
			if s, runErr = e.Refresh(ctx); runErr == nil {
				subjects = len(s.Cards[s.Windows[0].Name])
			}
		}, profile("full", k))
		if err = errors.Join(err, runErr); err != nil {
			return err
		}
		full, fullPeak, fullAlloc = append(full, took), append(fullPeak, peak), append(fullAlloc, alloc)
	}
	r.fig["full recompute"] = full.median().Seconds()
	r.add("full recompute", fmtDur(full.median()), fmt.Sprintf("every KPI of %s subjects in %d windows and their previous windows; peak heap +%s, %s allocated; runs: %s",
		fmtInt(subjects), len(cfg.Windows), fmtBytes(medianFloat(fullPeak)), fmtBytes(medianFloat(fullAlloc)), full.list()))

	for k := range runs {
		lo, hi := k*incrementalBatch, (k+1)*incrementalBatch
		src.add(newIncidents[lo:hi], newChanges[lo:hi])
		clock = at.Add(time.Duration(k+1) * time.Minute)
		took, peak, alloc, err := measureMem(func() { _, runErr = e.Refresh(ctx) }, profile("incremental", k))
		if err = errors.Join(err, runErr); err != nil {
			return err
		}
		incr, incrPeak, incrAlloc = append(incr, took), append(incrPeak, peak), append(incrAlloc, alloc)
	}
	r.fig["incremental recompute"] = incr.median().Seconds()
	r.add("incremental recompute", fmtDur(incr.median()), fmt.Sprintf("after %s new incidents and %s new changes, clock +1 min: taking them in (index, attribution, the time index's delta) and the latest snapshot computed again, every subject (reads of a subject or role do not wait for it); peak heap +%s, %s allocated; runs: %s",
		fmtInt(incrementalBatch), fmtInt(incrementalBatch), fmtBytes(medianFloat(incrPeak)), fmtBytes(medianFloat(incrAlloc)), incr.list()))
	return nil
}

// liveHeap is the heap in use after a full collection.
func liveHeap() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc)
}

// measureMem runs fn after a full collection and returns how long it took,
// how far the heap grew above where it started (sampled every millisecond
// without stopping the world) and how many bytes fn allocated. With a
// profile path, it also writes a CPU profile of fn there.
func measureMem(fn func(), profile string) (took time.Duration, peak, alloc float64, err error) {
	runtime.GC()
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, 0, 0, fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	base, allocs := s[0].Value.Uint64(), s[1].Value.Uint64()
	stop, top := make(chan struct{}), make(chan uint64)
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		hi := base
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			select {
			case <-stop:
				top <- hi
				return
			case <-t.C:
				metrics.Read(sample)
				hi = max(hi, sample[0].Value.Uint64())
			}
		}
	}()
	start := time.Now()
	fn()
	took = time.Since(start)
	if profile != "" {
		pprof.StopCPUProfile()
	}
	close(stop)
	hi := <-top
	metrics.Read(s)
	hi = max(hi, s[0].Value.Uint64())
	return took, float64(hi - base), float64(s[1].Value.Uint64() - allocs), nil
}

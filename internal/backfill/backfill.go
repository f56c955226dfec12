// Package backfill writes past KPI values as metrics: it evaluates the
// KPIs of the stored records at every step of a period and writes them
// with those timestamps to an OpenMetrics file (for promtool tsdb
// create-blocks-from openmetrics) or into VictoriaMetrics. steward
// backfill is its command line.
package backfill

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/common/model"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/configload"
	"github.com/steward-sh/steward/internal/exporter"
	"github.com/steward-sh/steward/scorecard"
)

// MaxBlockDuration is the promtool flag a backfill wants: with promtool's
// default of 2h, a daily backfill makes one block per evaluation (92 for
// a quarter, each a millisecond long) for Prometheus to compact later;
// 31 days, Prometheus's own largest compacted block, makes a handful.
const MaxBlockDuration = "--max-block-duration=744h"

// Options say what to evaluate and where to write it: exactly one of
// Output and VMURL.
type Options struct {
	ConfigFile, Output, VMURL, SpillDir string
	From, To                            time.Time
	Step                                time.Duration
	ProgressEvery                       int
}

// Run evaluates the KPIs at every step and writes them to the sink the
// options name, reporting progress on stderr and the outcome on stdout.
func Run(ctx context.Context, o Options, stdout, stderr io.Writer) (err error) {
	cfg, st, err := configload.OpenStore(ctx, o.ConfigFile)
	if err != nil {
		return err
	}
	defer st.Close()
	engine := scorecard.New(scorecard.Options{Store: st, Samples: st, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.NewTextHandler(stderr, nil))})

	var sink exporter.Sink
	where := o.VMURL
	if o.VMURL != "" {
		if sink, err = exporter.NewVMImporter(ctx, o.VMURL, &http.Client{Timeout: 5 * time.Minute}); err != nil {
			return err
		}
	} else {
		var f *os.File
		if f, err = os.Create(o.Output); err != nil {
			return fmt.Errorf("backfill: %w", err)
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("backfill: %w", cerr)
			}
			if err != nil {
				os.Remove(o.Output) // half a file would load as if complete
			}
		}()
		if sink, err = exporter.NewOpenMetricsWriter(f, o.SpillDir, 0); err != nil {
			return err
		}
		where = o.Output
	}

	// metrics carry no previous-window values: evaluating them would double
	// the work of every step
	at := func(ctx context.Context, t time.Time) (*scorecard.Snapshot, error) {
		return engine.Evaluate(ctx, scorecard.Query{At: t, NoPrevious: true})
	}
	b := exporter.Backfill{From: o.From, To: o.To, Step: o.Step, At: at, Config: cfg, Progress: stderr, ProgressEvery: o.ProgressEvery}
	fmt.Fprintf(stderr, "backfill: %d evaluations from %s to %s every %s into %s\n",
		b.Steps(), o.From.Format(time.RFC3339), o.To.Format(time.RFC3339), model.Duration(o.Step), where)
	start := time.Now()
	// the records are read and indexed first, so that the evaluation time
	// below is that of the evaluations alone
	if _, err := engine.Generation(ctx); err != nil {
		sink.Close()
		return err
	}
	fmt.Fprintf(stderr, "backfill: records loaded in %s\n", time.Since(start).Round(time.Millisecond))
	n, err := b.Run(ctx, sink)
	if err != nil {
		return err
	}
	if vm, ok := sink.(*exporter.VMImporter); ok {
		// the samples are in: failing to settle them only delays them
		if err := vm.Settle(); err != nil {
			fmt.Fprintf(stderr, "backfill: warning: queries may miss the imported samples for a while: %v\n", err)
		}
	}
	fmt.Fprintf(stderr, "backfill: evaluating took %s (%.2f evaluations/s), writing the output %s (%.2f evaluations/s with it)\n",
		b.Evaluating.Round(time.Millisecond), float64(n)/max(b.Evaluating.Seconds(), 1e-9),
		b.Writing.Round(time.Millisecond), float64(n)/max((b.Evaluating+b.Writing).Seconds(), 1e-9))
	last := o.From.Add(time.Duration(n-1) * o.Step)
	fmt.Fprintf(stdout, "wrote %d evaluations (%s to %s) to %s in %s\n", n,
		o.From.Format(time.RFC3339), last.Format(time.RFC3339), where, time.Since(start).Round(time.Millisecond))
	if o.Output != "" {
		fmt.Fprintf(stdout, "load it with: promtool tsdb create-blocks-from openmetrics %s %s DATA_DIR\n", MaxBlockDuration, o.Output)
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/common/model"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/exporter"
	"github.com/steward-sh/steward/internal/configload"
	"github.com/steward-sh/steward/scorecard"
)

const backfillSummary = "Evaluate the KPIs at every --step from --from to --to and write them as metrics with those timestamps: " +
	"an OpenMetrics file for `promtool tsdb create-blocks-from openmetrics " + maxBlockDuration + " FILE DIR` (--output), " +
	"or straight into VictoriaMetrics (--vm.url). Reads the records of the configured store."

// maxBlockDuration is the promtool flag a backfill wants: with promtool's
// default of 2h, a daily backfill makes one block per evaluation (92 for
// a quarter, each a millisecond long) for Prometheus to compact later;
// 31 days, Prometheus's own largest compacted block, makes a handful.
const maxBlockDuration = "--max-block-duration=744h"

type backfillOptions struct {
	configFile, output, vmURL, spillDir string
	from, to                            time.Time
	step                                time.Duration
	progressEvery                       int
}

func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o backfillOptions
	var from, to, step string
	fs := newFlags("backfill", backfillSummary, stderr)
	fs.StringVar(&o.configFile, "config.file", "steward.yml", "Steward configuration file (names the store; gives attribution, objectives and export limits).")
	fs.StringVar(&from, "from", "", "First evaluation time, RFC 3339 (required).")
	fs.StringVar(&to, "to", "", "Last evaluation time, RFC 3339 (default: now).")
	fs.StringVar(&step, "step", "1h", "Time between evaluations, Prometheus duration syntax (1h, 1d).")
	fs.StringVar(&o.output, "output", "", "Write OpenMetrics (timestamps in seconds) to this file.")
	fs.StringVar(&o.vmURL, "vm.url", "", "Import into this VictoriaMetrics (http://host:8428, or a full import URL) with millisecond timestamps.")
	fs.StringVar(&o.spillDir, "spill.dir", "", "Directory for the temporary files that regroup samples by series for --output (default: the system's).")
	fs.IntVar(&o.progressEvery, "progress.steps", 0, "Report progress on stderr every this many steps (0: every 5%).")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if o.from, o.to, o.step, err = backfillTimes(from, to, step, time.Now()); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		fs.Usage()
		return errUsage
	}
	if (o.output == "") == (o.vmURL == "") {
		fmt.Fprintln(stderr, "give exactly one of --output and --vm.url")
		fs.Usage()
		return errUsage
	}
	return backfill(ctx, o, stdout, stderr)
}

// backfillTimes parses the time flags; to defaults to now.
func backfillTimes(from, to, step string, now time.Time) (time.Time, time.Time, time.Duration, error) {
	if from == "" {
		return time.Time{}, time.Time{}, 0, errors.New("--from is required")
	}
	f, err := time.Parse(time.RFC3339, from)
	if err != nil {
		return time.Time{}, time.Time{}, 0, fmt.Errorf("--from: %w", err)
	}
	t := now
	if to != "" {
		if t, err = time.Parse(time.RFC3339, to); err != nil {
			return time.Time{}, time.Time{}, 0, fmt.Errorf("--to: %w", err)
		}
	}
	s, err := model.ParseDuration(step)
	if err != nil || s <= 0 || time.Duration(s)%time.Second != 0 {
		return time.Time{}, time.Time{}, 0, fmt.Errorf("--step: %q is not a positive whole number of seconds", step)
	}
	// Whole seconds: OpenMetrics timestamps are seconds, and a fraction
	// could round to another millisecond on the way back.
	f, t = f.UTC().Truncate(time.Second), t.UTC().Truncate(time.Second)
	if t.Before(f) {
		return time.Time{}, time.Time{}, 0, errors.New("--to is before --from")
	}
	return f, t, time.Duration(s), nil
}

func backfill(ctx context.Context, o backfillOptions, stdout, stderr io.Writer) (err error) {
	cfg, st, err := configload.OpenStore(ctx, o.configFile)
	if err != nil {
		return err
	}
	defer st.Close()
	engine := scorecard.New(scorecard.Options{Store: st, Samples: st, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.NewTextHandler(stderr, nil))})

	var sink exporter.Sink
	where := o.vmURL
	if o.vmURL != "" {
		if sink, err = exporter.NewVMImporter(ctx, o.vmURL, &http.Client{Timeout: 5 * time.Minute}); err != nil {
			return err
		}
	} else {
		var f *os.File
		if f, err = os.Create(o.output); err != nil {
			return fmt.Errorf("backfill: %w", err)
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("backfill: %w", cerr)
			}
			if err != nil {
				os.Remove(o.output) // half a file would load as if complete
			}
		}()
		if sink, err = exporter.NewOpenMetricsWriter(f, o.spillDir, 0); err != nil {
			return err
		}
		where = o.output
	}

	// metrics carry no previous-window values: evaluating them would double
	// the work of every step
	at := func(ctx context.Context, t time.Time) (*scorecard.Snapshot, error) {
		return engine.Evaluate(ctx, scorecard.Query{At: t, NoPrevious: true})
	}
	b := exporter.Backfill{From: o.from, To: o.to, Step: o.step, At: at, Config: cfg, Progress: stderr, ProgressEvery: o.progressEvery}
	fmt.Fprintf(stderr, "backfill: %d evaluations from %s to %s every %s into %s\n",
		b.Steps(), o.from.Format(time.RFC3339), o.to.Format(time.RFC3339), model.Duration(o.step), where)
	start := time.Now()
	n, err := b.Run(ctx, sink)
	if err != nil {
		return err
	}
	last := o.from.Add(time.Duration(n-1) * o.step)
	fmt.Fprintf(stdout, "wrote %d evaluations (%s to %s) to %s in %s\n", n,
		o.from.Format(time.RFC3339), last.Format(time.RFC3339), where, time.Since(start).Round(time.Millisecond))
	if o.output != "" {
		fmt.Fprintf(stdout, "load it with: promtool tsdb create-blocks-from openmetrics %s %s DATA_DIR\n", maxBlockDuration, o.output)
	}
	return nil
}

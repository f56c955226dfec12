package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/common/model"

	"github.com/steward-sh/steward/internal/backfill"
	"github.com/steward-sh/steward/internal/cli"
)

const backfillSummary = "Evaluate the KPIs at every --step from --from to --to and write them as metrics with those timestamps: " +
	"an OpenMetrics file for `promtool tsdb create-blocks-from openmetrics " + backfill.MaxBlockDuration + " FILE DIR` (--output), " +
	"or straight into VictoriaMetrics (--vm.url). Reads the records of the configured store."

func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o backfill.Options
	var from, to, step string
	fs := newFlags("backfill", backfillSummary, stderr)
	fs.StringVar(&o.ConfigFile, "config.file", "steward.yml", "Steward configuration file (names the store; gives attribution, objectives and export limits).")
	fs.StringVar(&from, "from", "", "First evaluation time, RFC 3339 (required).")
	fs.StringVar(&to, "to", "", "Last evaluation time, RFC 3339 (default: now).")
	fs.StringVar(&step, "step", "1h", "Time between evaluations, Prometheus duration syntax (1h, 1d).")
	fs.StringVar(&o.Output, "output", "", "Write OpenMetrics (timestamps in seconds) to this file.")
	fs.StringVar(&o.VMURL, "vm.url", "", "Import into this VictoriaMetrics (http://host:8428, or a full import URL) with millisecond timestamps.")
	fs.StringVar(&o.SpillDir, "spill.dir", "", "Directory for the temporary files that regroup samples by series for --output (default: the system's).")
	fs.IntVar(&o.ProgressEvery, "progress.steps", 0, "Report progress on stderr every this many steps (0: every 5%).")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	var err error
	if o.From, o.To, o.Step, err = backfillTimes(from, to, step, time.Now()); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		fs.Usage()
		return errUsage
	}
	if (o.Output == "") == (o.VMURL == "") {
		fmt.Fprintln(stderr, "give exactly one of --output and --vm.url")
		fs.Usage()
		return errUsage
	}
	return backfill.Run(ctx, o, stdout, stderr)
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

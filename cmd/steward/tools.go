package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/audit"
	"github.com/steward-sh/steward/internal/cli"
	"github.com/steward-sh/steward/internal/configcheck"
	"github.com/steward-sh/steward/internal/configload"
)

func runCheckConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check-config", "Validate a config file (and its measurement queries, with Prometheus's PromQL parser); print every problem\nwith its line, then the RACI findings; exit non-zero if the config has a problem or the RACI matrix a\nviolation (warnings alone exit 0).", stderr)
	file := fs.String("config.file", "steward.yml", "Steward configuration file.")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	return configcheck.Check(ctx, *file, stdout, time.Now().UTC())
}

func runQuarantine(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		fmt.Fprintln(stderr, "Usage: steward quarantine list [--config.file F] [--limit N]")
		return errUsage
	}
	fs := newFlags("quarantine list", "List the newest records rejected by ingest, as JSON lines: what, why, when and the raw record.", stderr)
	file := fs.String("config.file", "steward.yml", "Steward configuration file (names the store).")
	limit := fs.Int("limit", 100, "How many rejected records to list, newest first.")
	auditFile := auditFlag(fs)
	if err := cli.Parse(fs, args[1:]); err != nil {
		return err
	}
	_, st, err := configload.OpenStore(ctx, *file)
	if err != nil {
		return err
	}
	defer st.Close()
	auditLog, auditOut, err := audit.OpenLocal(*auditFile, stderr)
	if err != nil {
		return err
	}
	defer auditOut.Close()
	rows, err := st.Quarantined(ctx, *limit)
	auditLog.RecordLocal(ctx, "quarantine.read", err, slog.Int("limit", *limit), slog.Int("listed", len(rows)))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "%d quarantined records listed\n", len(rows))
	return nil
}

func runGenerate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	o := generate.DefaultOptions()
	fs := newFlags("generate", "Write a deterministic synthetic dataset: DIR/steward.yml, DIR/incidents.ndjson, DIR/changes.ndjson and DIR/feedback.ndjson (source generated).", stderr)
	dir := fs.String("output.dir", "generated", "Directory to write into (created if missing).")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "Random seed; the same seed and sizes give the same files.")
	fs.IntVar(&o.Systems, "systems", o.Systems, "Number of systems.")
	fs.IntVar(&o.Owners, "owners", o.Owners, "Number of system owners.")
	fs.IntVar(&o.Programs, "programs", o.Programs, "Number of programs.")
	fs.IntVar(&o.Teams, "teams", o.Teams, "Number of teams.")
	fs.IntVar(&o.Incidents, "incidents", o.Incidents, "Number of incidents.")
	fs.IntVar(&o.Changes, "changes", o.Changes, "Number of changes.")
	days := fs.Int("days", 180, "Days of history ending at --to.")
	to := fs.String("to", "", "End of the generated history, RFC 3339 (default: now, truncated to the hour).")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	o.To = time.Now().UTC().Truncate(time.Hour)
	if *to != "" {
		t, err := time.Parse(time.RFC3339, *to)
		if err != nil {
			return fmt.Errorf("--to: %w", err)
		}
		o.To = t.UTC()
	}
	o.From = o.To.AddDate(0, 0, -*days)
	start := time.Now()
	if err := generate.Write(*dir, o); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d systems, %d incidents, %d changes to %s in %s\n", o.Systems, o.Incidents, o.Changes, *dir, time.Since(start).Round(time.Millisecond))
	return nil
}

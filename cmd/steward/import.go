package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/steward-sh/steward/internal/audit"
	"github.com/steward-sh/steward/internal/collector"
	"github.com/steward-sh/steward/internal/configload"
	"github.com/steward-sh/steward/internal/importer"
)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", "Import incident, change or feedback records from CSV or NDJSON files (or .zip files holding them) into the configured store. "+
		"Rejected records are quarantined. Presets: "+strings.Join(collector.CSVPresets(), ", ")+".", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: steward import --kind incident|change|feedback [--format csv|ndjson] [--mapping FILE | --preset NAME] [flags] FILE...\n\n"+
			"Import records from files (.csv, .ndjson, or .zip files of them) into the configured store, validating each\n"+
			"record as the API does; rejected records are quarantined. Presets: %s.\n\nFlags:\n", strings.Join(collector.CSVPresets(), ", "))
		fs.PrintDefaults()
	}
	var o importer.Options
	configFile := fs.String("config.file", "steward.yml", "Steward configuration file (names the store).")
	kind := fs.String("kind", "", "Record kind: incident, change or feedback (a preset implies it).")
	fs.StringVar(&o.Format, "format", "csv", "Input format: csv or ndjson (Steward's record JSON, one per line).")
	mappingFile := fs.String("mapping", "", "CSV column mapping file (YAML).")
	preset := fs.String("preset", "", "Built-in CSV mapping of a public dataset: "+strings.Join(collector.CSVPresets(), ", ")+".")
	fs.StringVar(&o.Source, "source", "", "Source of the records (default: the mapping's; api for ndjson records without one).")
	fs.DurationVar(&o.Progress, "progress.interval", 5*time.Second, "How often to report progress on stderr.")
	auditFile := auditFlag(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	o.Files = fs.Args()
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, format+"\n", a...)
		fs.Usage()
		return errUsage
	}
	if len(o.Files) == 0 {
		return usage("import: no FILE given")
	}
	if err := o.Choose(*kind, *mappingFile, *preset); err != nil {
		var u importer.UsageError
		if errors.As(err, &u) {
			return usage("%v", err)
		}
		return err
	}
	_, st, err := configload.OpenStore(ctx, *configFile)
	if err != nil {
		return err
	}
	defer st.Close()
	auditLog, auditOut, err := audit.OpenLocal(*auditFile, stderr)
	if err != nil {
		return err
	}
	defer auditOut.Close()
	res, err := importer.Files(ctx, st, o, stderr, time.Now)
	auditLog.RecordLocal(ctx, "records.import", err, importer.AuditAttrs(o, res)...)
	if err != nil {
		return err
	}
	res.Print(stdout)
	return nil
}

package main

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/steward-sh/steward/collector"
	"github.com/steward-sh/steward/record"
)

// importBatchSize is how many records one store transaction writes: large
// enough that fsyncs do not dominate, small enough to keep memory flat.
const importBatchSize = 2000

type importOptions struct {
	configFile string
	kind       record.Kind
	format     string
	mapping    *collector.CSVMapping
	source     string
	files      []string
	progress   time.Duration
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", "Import incident, change or feedback records from CSV or NDJSON files (or .zip files holding them) into the configured store. "+
		"Rejected records are quarantined. Presets: "+strings.Join(collector.CSVPresets(), ", ")+".", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: steward import --kind incident|change|feedback [--format csv|ndjson] [--mapping FILE | --preset NAME] [flags] FILE...\n\n"+
			"Import records from files (.csv, .ndjson, or .zip files of them) into the configured store, validating each\n"+
			"record as the API does; rejected records are quarantined. Presets: %s.\n\nFlags:\n", strings.Join(collector.CSVPresets(), ", "))
		fs.PrintDefaults()
	}
	var o importOptions
	fs.StringVar(&o.configFile, "config.file", "steward.yml", "Steward configuration file (names the store).")
	kind := fs.String("kind", "", "Record kind: incident, change or feedback (a preset implies it).")
	fs.StringVar(&o.format, "format", "csv", "Input format: csv or ndjson (Steward's record JSON, one per line).")
	mappingFile := fs.String("mapping", "", "CSV column mapping file (YAML).")
	preset := fs.String("preset", "", "Built-in CSV mapping of a public dataset: "+strings.Join(collector.CSVPresets(), ", ")+".")
	fs.StringVar(&o.source, "source", "", "Source of the records (default: the mapping's; api for ndjson records without one).")
	fs.DurationVar(&o.progress, "progress.interval", 5*time.Second, "How often to report progress on stderr.")
	auditFile := auditFlag(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	o.files = fs.Args()
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, format+"\n", a...)
		fs.Usage()
		return errUsage
	}
	if len(o.files) == 0 {
		return usage("import: no FILE given")
	}
	switch o.format {
	case "csv":
		switch {
		case *mappingFile != "" && *preset != "":
			return usage("import: give --mapping or --preset, not both")
		case *preset != "":
			m, ok := collector.CSVPreset(*preset)
			if !ok {
				return usage("import: unknown preset %q (presets: %s)", *preset, strings.Join(collector.CSVPresets(), ", "))
			}
			o.mapping = m
		case *mappingFile != "":
			data, err := os.ReadFile(*mappingFile)
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			if o.mapping, err = collector.ParseCSVMapping(data); err != nil {
				return fmt.Errorf("import: %s: %w", *mappingFile, err)
			}
		default:
			return usage("import: CSV needs --mapping FILE or --preset NAME")
		}
		if *kind != "" && record.Kind(*kind) != o.mapping.Kind {
			return usage("import: --kind %s, but the mapping is for %s records", *kind, o.mapping.Kind)
		}
		o.kind = o.mapping.Kind
		if o.source != "" {
			o.mapping.Source = o.source
		}
	case "ndjson":
		if *mappingFile != "" || *preset != "" {
			return usage("import: --mapping and --preset are for CSV")
		}
		o.kind = record.Kind(*kind)
	default:
		return usage("import: --format %q: want csv or ndjson", o.format)
	}
	if !slices.Contains(record.Kinds, o.kind) {
		return usage("import: --kind %q: want incident, change or feedback", *kind)
	}
	_, st, err := openStore(ctx, o.configFile)
	if err != nil {
		return err
	}
	defer st.Close()
	auditLog, auditOut, err := localAudit(*auditFile, stderr)
	if err != nil {
		return err
	}
	defer auditOut.Close()
	res, err := importFiles(ctx, st, o, stderr, time.Now)
	recordLocal(ctx, auditLog, "records.import", err, importAttrs(o, res)...)
	if err != nil {
		return err
	}
	res.print(stdout)
	return nil
}

// importResult is what an import did.
type importResult struct {
	files, rows, empty  int
	accepted, rejected  int
	reasons             map[string]int
	batches             int
	kind                record.Kind
	lastProgress, start time.Time
}

func (r *importResult) print(w io.Writer) {
	fmt.Fprintf(w, "%d %s records accepted, %d rejected", r.accepted, r.kind, r.rejected)
	if r.rows > 0 {
		fmt.Fprintf(w, " (from %d rows in %d %s; %d empty rows skipped)", r.rows, r.files, plural(r.files, "file", "files"), r.empty)
	}
	fmt.Fprintln(w)
	if r.rejected == 0 {
		return
	}
	fmt.Fprintln(w, "most common rejection reasons (records; a record can have several):")
	type kv struct {
		reason string
		n      int
	}
	var all []kv
	for k, n := range r.reasons {
		all = append(all, kv{k, n})
	}
	sort.Slice(all, func(i, j int) bool {
		return all[i].n > all[j].n || all[i].n == all[j].n && all[i].reason < all[j].reason
	})
	for i, x := range all {
		if i == 5 {
			break
		}
		fmt.Fprintf(w, "  %7d  %s\n", x.n, x.reason)
	}
	fmt.Fprintln(w, "rejected records are quarantined: steward quarantine list")
}

// pending is a record waiting for its batch, with what the quarantine keeps
// of it if it is rejected.
type pending struct {
	raw      json.RawMessage
	mapErr   error // the rows could not be mapped: rejected without decoding
	id       string
	original string
	where    string
}

// importFiles reads every file (zip entries too) and writes their records in
// batches.
func importFiles(ctx context.Context, st record.Store, o importOptions, stderr io.Writer, now func() time.Time) (*importResult, error) {
	res := &importResult{reasons: map[string]int{}, kind: o.kind, start: now(), lastProgress: now()}
	var batch []pending
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := writeImportBatch(ctx, st, o, batch, res, now())
		batch = batch[:0]
		if err != nil {
			return err
		}
		if o.progress > 0 && now().Sub(res.lastProgress) >= o.progress {
			res.lastProgress = now()
			fmt.Fprintf(stderr, "import: %d records so far (%d accepted, %d rejected), %s\n",
				res.accepted+res.rejected, res.accepted, res.rejected, now().Sub(res.start).Round(time.Second))
		}
		return nil
	}
	add := func(p pending) error {
		batch = append(batch, p)
		if len(batch) >= importBatchSize {
			return flush()
		}
		return nil
	}
	for _, path := range o.files {
		err := eachInput(path, func(name string, r io.Reader) error {
			res.files++
			return readInput(r, name, o, res, add)
		})
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return res, nil
}

// eachInput opens a file, or each .csv/.ndjson/.json entry of a zip file.
func eachInput(path string, fn func(name string, r io.Reader) error) error {
	if strings.EqualFold(filepath.Ext(path), ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return err
		}
		defer zr.Close()
		n := 0
		for _, f := range zr.File {
			ext := strings.ToLower(filepath.Ext(f.Name))
			if f.FileInfo().IsDir() || (ext != ".csv" && ext != ".ndjson" && ext != ".json") {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return fmt.Errorf("%s: %s: %w", path, f.Name, err)
			}
			err = fn(filepath.Base(path)+"/"+f.Name, rc)
			rc.Close()
			if err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			return fmt.Errorf("%s: no .csv, .ndjson or .json file inside", path)
		}
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(filepath.Base(path), f)
}

func readInput(r io.Reader, name string, o importOptions, res *importResult, add func(pending) error) error {
	if o.format == "csv" {
		st, err := o.mapping.ReadCSV(r, name, func(rec collector.CSVRecord) error {
			first := rec.Rows[0]
			where := fmt.Sprintf("%s:%d", first.File, first.Line)
			if n := len(rec.Rows); n > 1 {
				where = fmt.Sprintf("%s:%d-%d", first.File, first.Line, rec.Rows[n-1].Line)
			}
			return add(pending{raw: rec.Raw, mapErr: rec.Err, id: rec.ID, original: rec.RawRows(), where: where})
		})
		res.rows += st.Rows
		res.empty += st.Empty
		return err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := strings.TrimSpace(sc.Text())
		if b == "" {
			continue
		}
		res.rows++
		if err := add(pending{raw: json.RawMessage(b), original: b, where: fmt.Sprintf("%s:%d", name, line)}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// writeImportBatch validates a batch as the API does and stores it; each
// rejected record is quarantined with the rows it came from.
func writeImportBatch(ctx context.Context, st record.Store, o importOptions, batch []pending, res *importResult, now time.Time) error {
	source := o.source
	if source == "" {
		source = record.DefaultSource
		if o.mapping != nil && o.mapping.Source != "" {
			source = o.mapping.Source
		}
	}
	first := res.accepted + res.rejected // number of the batch's first record in the whole import
	bb := record.NewBatchBuilder(o.kind, source, now)
	for i, p := range batch {
		rj := (*record.Rejection)(nil)
		if p.mapErr != nil {
			rj = bb.Reject(first+i, p.id, p.mapErr, nil)
		} else {
			rj = bb.Add(first+i, p.raw)
		}
		if rj != nil {
			for _, pr := range rj.Problems {
				res.reasons[rfc3339Value.ReplaceAllString(pr.Error(), "<time>")]++
			}
		}
	}
	b := bb.Batch()
	for i := range b.Rejected {
		rj := &b.Rejected[i]
		p := batch[rj.Index-first]
		rj.Error = fmt.Sprintf("%s: %s", p.where, rj.Error)
		rj.Raw = p.original
	}
	if err := st.Write(ctx, b); err != nil {
		return fmt.Errorf("import: after %d records: %w", res.accepted+res.rejected, err)
	}
	res.batches++
	res.accepted += bb.Accepted()
	res.rejected += len(b.Rejected)
	return nil
}

var (
	// rfc3339Value is replaced by <time> when counting reasons, so that a
	// reason reads the same for every record it applies to.
	rfc3339Value = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
)

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

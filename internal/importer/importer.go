// Package importer reads incident, change and feedback records from CSV
// and NDJSON files (and zip files of them) and writes them to a store in
// batches, validating each record as the ingest API does; rejected records
// go to the quarantine with the rows they came from. steward import is its
// command line; it does not parse flags or open stores itself.
package importer

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/steward-sh/steward/internal/collector"
	"github.com/steward-sh/steward/record"
)

// batchSize is how many records one store transaction writes: large
// enough that fsyncs do not dominate, small enough to keep memory flat.
const batchSize = 2000

// Options say what to import and how.
type Options struct {
	Kind     record.Kind
	Format   string // csv or ndjson
	Mapping  *collector.CSVMapping
	Source   string
	Files    []string
	Progress time.Duration // how often to report progress; 0: never
}

// UsageError is a choice of Options that does not fit with the others, as
// opposed to a file that cannot be read: steward import answers it with its
// usage.
type UsageError struct{ error }

// Choose fills Kind and Mapping from what steward import was told: a
// kind, and for CSV a mapping file or a preset (which implies the kind).
// Format, Source and Files must be set.
func (o *Options) Choose(kind, mappingFile, preset string) error {
	switch o.Format {
	case "csv":
		switch {
		case mappingFile != "" && preset != "":
			return UsageError{errors.New("import: give --mapping or --preset, not both")}
		case preset != "":
			m, ok := collector.CSVPreset(preset)
			if !ok {
				return UsageError{fmt.Errorf("import: unknown preset %q (presets: %s)", preset, strings.Join(collector.CSVPresets(), ", "))}
			}
			o.Mapping = m
		case mappingFile != "":
			data, err := os.ReadFile(mappingFile)
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			if o.Mapping, err = collector.ParseCSVMapping(data); err != nil {
				return fmt.Errorf("import: %s: %w", mappingFile, err)
			}
		default:
			return UsageError{errors.New("import: CSV needs --mapping FILE or --preset NAME")}
		}
		if kind != "" && record.Kind(kind) != o.Mapping.Kind {
			return UsageError{fmt.Errorf("import: --kind %s, but the mapping is for %s records", kind, o.Mapping.Kind)}
		}
		o.Kind = o.Mapping.Kind
		if o.Source != "" {
			o.Mapping.Source = o.Source
		}
	case "ndjson":
		if mappingFile != "" || preset != "" {
			return UsageError{errors.New("import: --mapping and --preset are for CSV")}
		}
		o.Kind = record.Kind(kind)
	default:
		return UsageError{fmt.Errorf("import: --format %q: want csv or ndjson", o.Format)}
	}
	if !slices.Contains(record.Kinds, o.Kind) {
		return UsageError{fmt.Errorf("import: --kind %q: want incident, change or feedback", kind)}
	}
	return nil
}

// Result is what an import did.
type Result struct {
	Accepted, Rejected  int
	files, rows, empty  int
	reasons             map[string]int
	batches             int
	kind                record.Kind
	lastProgress, start time.Time
}

// Print writes the summary steward import prints.
func (r *Result) Print(w io.Writer) {
	fmt.Fprintf(w, "%d %s records accepted, %d rejected", r.Accepted, r.kind, r.Rejected)
	if r.rows > 0 {
		fmt.Fprintf(w, " (from %d rows in %d %s; %d empty rows skipped)", r.rows, r.files, plural(r.files, "file", "files"), r.empty)
	}
	fmt.Fprintln(w)
	if r.Rejected == 0 {
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

// Files reads every file (zip entries too) and writes their records in
// batches, reporting progress on stderr.
func Files(ctx context.Context, st record.Store, o Options, stderr io.Writer, now func() time.Time) (*Result, error) {
	res := &Result{reasons: map[string]int{}, kind: o.Kind, start: now(), lastProgress: now()}
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
		if o.Progress > 0 && now().Sub(res.lastProgress) >= o.Progress {
			res.lastProgress = now()
			fmt.Fprintf(stderr, "import: %d records so far (%d accepted, %d rejected), %s\n",
				res.Accepted+res.Rejected, res.Accepted, res.Rejected, now().Sub(res.start).Round(time.Second))
		}
		return nil
	}
	add := func(p pending) error {
		batch = append(batch, p)
		if len(batch) >= batchSize {
			return flush()
		}
		return nil
	}
	for _, path := range o.Files {
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

func readInput(r io.Reader, name string, o Options, res *Result, add func(pending) error) error {
	if o.Format == "csv" {
		st, err := o.Mapping.ReadCSV(r, name, func(rec collector.CSVRecord) error {
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
func writeImportBatch(ctx context.Context, st record.Store, o Options, batch []pending, res *Result, now time.Time) error {
	source := o.Source
	if source == "" {
		source = record.DefaultSource
		if o.Mapping != nil && o.Mapping.Source != "" {
			source = o.Mapping.Source
		}
	}
	first := res.Accepted + res.Rejected // number of the batch's first record in the whole import
	bb := record.NewBatchBuilder(o.Kind, source, now)
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
		return fmt.Errorf("import: after %d records: %w", res.Accepted+res.Rejected, err)
	}
	res.batches++
	res.Accepted += bb.Accepted()
	res.Rejected += len(b.Rejected)
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

// AuditAttrs say in the audit line what an import read and wrote (res is
// nil when it failed; batches written before the failure stay stored).
func AuditAttrs(o Options, res *Result) []slog.Attr {
	attrs := []slog.Attr{slog.String("kind", string(o.Kind)), slog.String("format", o.Format), slog.Any("files", o.Files)}
	if o.Source != "" {
		attrs = append(attrs, slog.String("source", o.Source))
	}
	if res != nil {
		attrs = append(attrs, slog.Int("accepted", res.Accepted), slog.Int("rejected", res.Rejected))
	}
	return attrs
}

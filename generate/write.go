package generate

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/steward-sh/steward/config"
)

// Write generates a configuration and its records and writes them to dir
// (created if needed) as steward.yml, incidents.ndjson, changes.ndjson and
// feedback.ndjson, one JSON record per line.
func Write(dir string, o Options) (err error) {
	o = o.normalized()
	data := Config(o)
	cfg, err := config.Parse(data)
	if err != nil {
		return fmt.Errorf("generate: generated config does not parse: %w", err)
	}
	incidents, changes := Records(cfg, o)
	feedback := Feedback(cfg, o)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "steward.yml"), data, 0o644); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	// JSON encoding dominates at scale; the files encode in parallel.
	done := make(chan error, 1)
	go func() { done <- writeNDJSON(filepath.Join(dir, "incidents.ndjson"), incidents) }()
	err = writeNDJSON(filepath.Join(dir, "changes.ndjson"), changes)
	err = errors.Join(err, writeNDJSON(filepath.Join(dir, "feedback.ndjson"), feedback))
	return errors.Join(<-done, err)
}

func writeNDJSON[T any](path string, records []T) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("generate: %w", cerr)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(bw)
	for i := range records {
		if err := enc.Encode(&records[i]); err != nil {
			return fmt.Errorf("generate: %s: record %d: %w", path, i, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("generate: %s: %w", path, err)
	}
	return nil
}

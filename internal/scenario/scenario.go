// Package scenario loads the golden scenario of the KPI engine
// (scorecard/testdata/scenario.yml and scenario.ndjson, explained in
// scorecard/scenario_test.go) for the tests of every package that checks
// numbers against it. It is for tests only.
package scenario

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// At is the evaluation time the scenario's values are worked out for.
const At = "2026-01-11T00:00:00Z"

func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scorecard", "testdata")
}

// ConfigFile is the scenario's config file.
func ConfigFile() string { return filepath.Join(dir(), "scenario.yml") }

// Config loads the scenario's config.
func Config(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Load(ConfigFile())
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return cfg
}

// Lines returns the scenario's records as NDJSON bodies, one per kind,
// without the "kind" tag each line of the file carries.
func Lines(t testing.TB) (incidents, changes []json.RawMessage) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir(), "scenario.ndjson"))
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("scenario: %v", err)
		}
		kind := string(m["kind"])
		delete(m, "kind")
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("scenario: %v", err)
		}
		if kind == `"incident"` {
			incidents = append(incidents, raw)
		} else {
			changes = append(changes, raw)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return incidents, changes
}

// Batch returns the scenario's records, parsed, in file order, each with
// Seq set to its position so they can feed an index directly.
func Batch(t testing.TB) record.Batch {
	t.Helper()
	incidents, changes := Lines(t)
	var b record.Batch
	seq := int64(0)
	for _, raw := range incidents {
		in, err := record.ParseIncident(raw, record.DefaultSource)
		if err != nil {
			t.Fatalf("scenario: %s: %v", raw, err)
		}
		seq++
		in.Seq = seq
		b.Incidents = append(b.Incidents, in)
	}
	for _, raw := range changes {
		c, err := record.ParseChange(raw, record.DefaultSource)
		if err != nil {
			t.Fatalf("scenario: %s: %v", raw, err)
		}
		seq++
		c.Seq = seq
		b.Changes = append(b.Changes, c)
	}
	return b
}

// NDJSON gives the scenario's records as NDJSON bodies, as clients post
// them to the ingest API.
func NDJSON(t testing.TB) (incidents, changes string) {
	inc, chg := Lines(t)
	join := func(lines []json.RawMessage) string {
		var b strings.Builder
		for _, l := range lines {
			b.Write(append(l, '\n'))
		}
		return b.String()
	}
	return join(inc), join(chg)
}

package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// steward raci on the example config, as of a fixed date, in every format
// and in a person's view, against golden files (-update rewrites them).
var update = flag.Bool("update", false, "rewrite golden files")

func TestRACIGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"raci.md", nil},
		{"raci.csv", []string{"--format", "csv"}},
		{"raci.json", []string{"--format", "json", "--system", "payments", "--process", "incident"}},
		{"raci-bob.md", []string{"--person", "bob"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"raci", "--config.file", "../../examples/steward.yml", "--at", "2026-10-01"}, tt.args...)
			require.NoError(t, run(context.Background(), args, &out, &errOut), errOut.String())
			file := filepath.Join("testdata", tt.golden)
			if *update {
				require.NoError(t, os.WriteFile(file, out.Bytes(), 0o644))
			}
			want, err := os.ReadFile(file)
			require.NoError(t, err)
			assert.Equal(t, string(want), out.String())
		})
	}
}

func TestRACIErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"raci", "--config.file", "../../examples/steward.yml", "--system", "nope"}, &out, &errOut)
	assert.EqualError(t, err, `--system: no system or alias "nope" in ../../examples/steward.yml`)
	err = run(context.Background(), []string{"raci", "--config.file", "../../examples/steward.yml", "--format", "xml"}, &out, &errOut)
	assert.EqualError(t, err, `--format: "xml" is not markdown, csv or json`)
}

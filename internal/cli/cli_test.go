package cli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		err     error
		printed []string // what stderr must say
	}{
		{"flags", []string{"--n", "3"}, nil, nil},
		{"help", []string{"--help"}, ErrHelp, []string{"Usage: steward demo [flags]", "Says what demo does.", "-n int"}},
		{"unknown flag", []string{"--m", "3"}, ErrUsage, []string{"flag provided but not defined: -m", "Usage: steward demo"}},
		{"bad value", []string{"--n", "x"}, ErrUsage, []string{`invalid value "x" for flag -n`}},
		{"positional argument", []string{"--n", "3", "extra"}, ErrUsage, []string{"unexpected arguments: [extra]", "Usage: steward demo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			fs := NewFlags("steward demo", "Says what demo does.", &stderr)
			n := fs.Int("n", 1, "how many")
			err := Parse(fs, tc.args)
			if tc.err == nil {
				require.NoError(t, err)
				assert.Equal(t, 3, *n)
				assert.Empty(t, stderr.String())
				return
			}
			require.ErrorIs(t, err, tc.err)
			for _, s := range tc.printed {
				assert.Contains(t, stderr.String(), s)
			}
		})
	}
}

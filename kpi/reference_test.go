package kpi

import (
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite docs/kpis.md")

// The KPI reference in docs/ is the catalogue's: adding a KPI without
// regenerating it fails here.
func TestReferenceIsCurrent(t *testing.T) {
	const file = "../docs/kpis.md"
	want := Reference()
	if *update {
		require.NoError(t, os.WriteFile(file, []byte(want), 0o644))
	}
	got, err := os.ReadFile(file)
	require.NoError(t, err, "run go test ./kpi -update")
	assert.Equal(t, want, string(got), "run go test ./kpi -update")
	for _, k := range All() {
		assert.Contains(t, string(got), "| `"+k.Name+"` |")
	}
}

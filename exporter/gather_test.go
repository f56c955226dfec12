package exporter

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/enginetest"
	"github.com/steward-sh/steward/scorecard"
)

// lines encodes families as text, one sorted line per sample or comment.
func lines(t *testing.T, mfs []*dto.MetricFamily) []string {
	t.Helper()
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	out := strings.Split(strings.TrimSpace(b.String()), "\n")
	slices.Sort(out)
	return out
}

// Gather serves exactly what Collect gives a registry.
func TestGatherEqualsCollect(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 30, 15, 2000, 4000
	org := enginetest.Loaded(t, o)
	cfg, e := org.Config, org.Engine
	c := NewCollector(e.Latest, func() *config.Config { return cfg })
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	viaRegistry, err := reg.Gather()
	require.NoError(t, err)
	served, err := Merge(c).Gather()
	require.NoError(t, err)
	want := lines(t, viaRegistry)
	assert.Greater(t, len(want), 3000)
	assert.Equal(t, want, lines(t, served))
}

func TestMergeRefusesTwoFamiliesOfOneName(t *testing.T) {
	cfg := parse(t, tinyConfig)
	snap := tinySnapshot(cfg, true)
	c := NewCollector(func() *scorecard.Snapshot { return snap }, func() *config.Config { return cfg })
	mfs, err := Merge(c, c).Gather()
	assert.ErrorContains(t, err, "metric family steward_incidents_open is gathered twice")
	single, _ := c.Gather()
	assert.Len(t, mfs, len(single), "the first one's families are kept")
}

package exporter

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
	"github.com/steward-sh/steward/store"
)

// engineSnapshot computes the scorecards of a generated organisation with
// the real engine over a SQLite store.
func engineSnapshot(t testing.TB, o generate.Options) (*config.Config, *scorecard.Engine) {
	t.Helper()
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	inc, chg := generate.Records(cfg, o)
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "s.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Write(ctx, record.Batch{Incidents: inc, Changes: chg}))
	e := scorecard.New(scorecard.Options{Store: st, Config: func() *config.Config { return cfg },
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return o.To }})
	_, err = e.Refresh(ctx)
	require.NoError(t, err)
	return cfg, e
}

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
	cfg, e := engineSnapshot(t, o)
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

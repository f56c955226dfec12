package exporter

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/enginetest"
	sc "github.com/steward-sh/steward/scorecard"
)

// rendered is a prometheus.Gatherer of what Render writes, read back by
// expfmt's text parser: testutil's comparisons then check the rendering
// through an independent reading of the format.
type rendered struct {
	latest func() *sc.Snapshot
	config func() *config.Config
}

func renderedOf(snap **sc.Snapshot, cfg **config.Config) rendered {
	return rendered{latest: func() *sc.Snapshot { return *snap }, config: func() *config.Config { return *cfg }}
}

func (r rendered) Gather() ([]*dto.MetricFamily, error) {
	s := r.latest()
	if s == nil {
		return nil, nil
	}
	return parseText(Render(s, r.config(), false))
}

// parseText parses a text exposition into families sorted by name, their
// series sorted by labels, as a registry gathers them.
func parseText(text []byte) ([]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	byName, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for _, mf := range byName {
		slices.SortFunc(mf.Metric, func(a, b *dto.Metric) int { return strings.Compare(a.String(), b.String()) })
		out = append(out, mf)
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, nil
}

// samples lists a family's series as sorted "labels value" lines.
func samples(mf *dto.MetricFamily) []string {
	var out []string
	for _, m := range mf.Metric {
		var l []string
		for _, p := range m.Label {
			l = append(l, p.GetName()+"="+p.GetValue())
		}
		slices.Sort(l)
		out = append(out, fmt.Sprint(l, " ", m.GetGauge().GetValue()))
	}
	slices.Sort(out)
	return out
}

// The rendering of a generated organisation, parsed by expfmt, holds
// exactly the samples the walk gives, each family typed and with help, in
// both formats.
func TestRenderParsesToTheWalk(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 30, 15, 2000, 4000
	org := enginetest.Loaded(t, o)
	cfg, snap := org.Config, org.Engine.Latest()
	want := map[string][]string{}
	walk(snap, cfg, func(f *family, labels []string, v float64) {
		var l []string
		for i, name := range f.labels {
			l = append(l, name+"="+labels[i])
		}
		slices.Sort(l)
		want[f.name] = append(want[f.name], fmt.Sprint(l, " ", v))
	})
	want[stamp.name] = []string{fmt.Sprint([]string(nil), " ", float64(snap.At.UnixMilli())/1000)}
	n := 0
	for name := range want {
		slices.Sort(want[name])
		n += len(want[name])
	}
	require.Greater(t, n, 3000)

	text := Render(snap, cfg, false)
	mfs, err := parseText(text)
	require.NoError(t, err)
	got := map[string][]string{}
	var summaries []string
	for _, mf := range mfs {
		assert.NotEmpty(t, mf.GetHelp(), mf.GetName())
		if mf.GetType() == dto.MetricType_SUMMARY {
			summaries = append(summaries, mf.GetName())
			for name, lines := range summarySamples(mf) {
				got[name] = lines
			}
			continue
		}
		assert.Equal(t, dto.MetricType_GAUGE, mf.GetType(), mf.GetName())
		got[mf.GetName()] = samples(mf)
	}
	assert.Equal(t, want, got)
	assert.Equal(t, []string{"steward_change_lead_time_seconds", "steward_time_to_restore_seconds"}, summaries)

	om := Render(snap, cfg, true)
	assert.Equal(t, string(text)+"# EOF\n", string(om), "OpenMetrics differs only by its end: gauges and summaries are written alike")
}

// summarySamples lists a summary's series as samples does, under the names
// of its three parts: the quantiles, _sum and _count.
func summarySamples(mf *dto.MetricFamily) map[string][]string {
	out := map[string][]string{}
	for _, m := range mf.Metric {
		var l []string
		for _, p := range m.Label {
			l = append(l, p.GetName()+"="+p.GetValue())
		}
		slices.Sort(l)
		s := m.GetSummary()
		for _, q := range s.Quantile {
			ql := append(slices.Clone(l), fmt.Sprint("quantile=", q.GetQuantile()))
			slices.Sort(ql)
			out[mf.GetName()] = append(out[mf.GetName()], fmt.Sprint(ql, " ", q.GetValue()))
		}
		out[mf.GetName()+"_sum"] = append(out[mf.GetName()+"_sum"], fmt.Sprint(l, " ", s.GetSampleSum()))
		out[mf.GetName()+"_count"] = append(out[mf.GetName()+"_count"], fmt.Sprint(l, " ", float64(s.GetSampleCount())))
	}
	for name := range out {
		slices.Sort(out[name])
	}
	return out
}

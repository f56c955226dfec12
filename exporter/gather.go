package exporter

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Gather returns the latest snapshot's metrics as metric families, for
// GET /metrics. It serves what Collect does, but a registry hashes, checks
// and sorts each of the hundreds of thousands of samples of a large
// organisation on every scrape; here the label names of each family are
// fixed and the walk gives each series once, so there is nothing to check,
// and the samples are built in a few large allocations. Samples come in
// walk order (by window, subject, KPI): the text formats do not require
// them sorted.
func (c *Collector) Gather() ([]*dto.MetricFamily, error) {
	s := c.latest()
	if s == nil {
		return nil, nil
	}
	var b builder
	byFamily := map[*family]*dto.MetricFamily{}
	walk(s, c.config(), func(f *family, labels []string, v float64) {
		mf := byFamily[f]
		if mf == nil {
			mf = &dto.MetricFamily{Name: &f.name, Help: &f.help, Type: dto.MetricType_GAUGE.Enum()}
			byFamily[f] = mf
		}
		mf.Metric = append(mf.Metric, b.gauge(f, labels, v))
	})
	at, name, help := float64(s.At.UnixMilli())/1000, atName, atHelp
	out := []*dto.MetricFamily{{
		Name: &name, Help: &help, Type: dto.MetricType_GAUGE.Enum(),
		Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: &at}}},
	}}
	for _, mf := range byFamily {
		out = append(out, mf)
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, nil
}

// builder allocates samples in chunks: one scrape of the reference
// organisation has about 450,000.
type builder struct {
	metrics chunks[dto.Metric]
	gauges  chunks[dto.Gauge]
	values  chunks[float64]
	pairs   chunks[dto.LabelPair]
	ptrs    chunks[*dto.LabelPair]
	strs    chunks[string]
}

func (b *builder) gauge(f *family, labels []string, v float64) *dto.Metric {
	m, g, val := &b.metrics.take(1)[0], &b.gauges.take(1)[0], &b.values.take(1)[0]
	*val = v
	g.Value = val
	m.Gauge = g
	n := len(labels)
	pairs, ptrs, strs := b.pairs.take(n), b.ptrs.take(n), b.strs.take(n)
	for j, i := range f.order {
		strs[j] = labels[i]
		pairs[j].Name = &f.labels[i]
		pairs[j].Value = &strs[j]
		ptrs[j] = &pairs[j]
	}
	m.Label = ptrs
	return m
}

// chunks hands out slices of chunks that are never reallocated, so pointers
// into them stay valid.
type chunks[T any] struct{ chunk []T }

func (c *chunks[T]) take(n int) []T {
	if len(c.chunk)+n > cap(c.chunk) {
		c.chunk = make([]T, 0, max(4096, n))
	}
	c.chunk = c.chunk[:len(c.chunk)+n]
	return c.chunk[len(c.chunk)-n : len(c.chunk) : len(c.chunk)]
}

// Merge serves the families of several gatherers as one exposition, sorted
// by name. Unlike prometheus.Gatherers it does not check every sample again
// (a registry checks its own; the collector's families are fixed by
// construction); a family name that two gatherers give is an error, and the
// first one's family is kept. A failing gatherer's error is returned with
// what the others gave.
func Merge(gs ...prometheus.Gatherer) prometheus.Gatherer { return merged(gs) }

type merged []prometheus.Gatherer

func (gs merged) Gather() ([]*dto.MetricFamily, error) {
	var out []*dto.MetricFamily
	var errs []error
	seen := map[string]bool{}
	for _, g := range gs {
		mfs, err := g.Gather()
		if err != nil {
			errs = append(errs, err)
		}
		for _, mf := range mfs {
			if seen[mf.GetName()] {
				errs = append(errs, fmt.Errorf("metric family %s is gathered twice", mf.GetName()))
				continue
			}
			seen[mf.GetName()] = true
			out = append(out, mf)
		}
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, errors.Join(errs...)
}

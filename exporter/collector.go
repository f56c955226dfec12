package exporter

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/scorecard"
)

// The evaluation time of the snapshot served, for staleness alerts.
const (
	atName = "steward_scorecard_timestamp_seconds"
	atHelp = "Evaluation time of the exported scorecards (the engine's last recompute)."
)

// Collector exports the latest scorecard snapshot. It holds no series of
// its own: every scrape reads the snapshot the engine last computed (it
// never recomputes one), so series of subjects, windows or owners that are
// gone from the snapshot or the config are gone from the scrape.
type Collector struct {
	latest func() *scorecard.Snapshot
	config func() *config.Config
	descs  map[*family]*prometheus.Desc
	at     *prometheus.Desc
}

// NewCollector builds a collector over latest (nil before the first
// snapshot, when nothing is exported) and the config in force, which gives
// the export limits and the system owners.
func NewCollector(latest func() *scorecard.Snapshot, cfg func() *config.Config) *Collector {
	c := &Collector{latest: latest, config: cfg, descs: make(map[*family]*prometheus.Desc, len(families))}
	for _, f := range families {
		c.descs[f] = prometheus.NewDesc(f.name, f.help, f.labels, nil)
	}
	c.at = prometheus.NewDesc(atName, atHelp, nil, nil)
	return c
}

// Describe sends every descriptor: the label names of each family are fixed.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
	ch <- c.at
}

// Collect sends the samples of the latest snapshot.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.latest()
	if s == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.at, prometheus.GaugeValue, float64(s.At.UnixMilli())/1000)
	walk(s, c.config(), func(f *family, labels []string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.descs[f], prometheus.GaugeValue, v, labels...)
	})
}

package exporter

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Handler serves GET /metrics from g, in the format the scraper asks for:
// OpenMetrics when it accepts it (as Prometheus does), else the text
// format (or protobuf). A failing part of g is logged and the rest served.
func Handler(g prometheus.Gatherer, logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		EnableOpenMetrics: true,
		ErrorHandling:     promhttp.ContinueOnError,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
	})
}

// TextGatherer gathers metrics written in the Prometheus text format (with
// TYPE lines) by write, such as VictoriaMetrics/metrics' WritePrometheus,
// so that they are served through client_golang with the KPIs: one
// exposition, correct in every negotiated format (OpenMetrics included),
// rather than two texts glued together. help fills in empty HELP texts.
func TextGatherer(write func(io.Writer), help func(family string) string) prometheus.Gatherer {
	return textGatherer{write: write, help: help}
}

type textGatherer struct {
	write func(io.Writer)
	help  func(string) string
}

func (g textGatherer) Gather() ([]*dto.MetricFamily, error) {
	var buf bytes.Buffer
	g.write(&buf)
	p := expfmt.NewTextParser(model.UTF8Validation)
	byName, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		return nil, fmt.Errorf("self-metrics: %w", err)
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for _, mf := range byName {
		if mf.GetHelp() == "" && g.help != nil {
			h := g.help(mf.GetName())
			mf.Help = &h
		}
		for _, m := range mf.Metric {
			// As client_golang keeps them (and writes them): by name.
			slices.SortFunc(m.Label, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
		}
		out = append(out, mf)
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, nil
}

package exporter

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/scorecard"
)

// ScrapeHandler serves GET /metrics fast: the KPIs of a snapshot (hundreds
// of thousands of samples for a large organisation) are rendered once per
// snapshot, in each text format and gzip-compressed, and every scrape until
// the next recompute writes those bytes; only the small rest (Go runtime,
// process and self-metrics, from rest) is gathered per scrape. A scraper
// asking for protobuf is served by the generic path over all.
func ScrapeHandler(latest func() *scorecard.Snapshot, cfg func() *config.Config, rest, all prometheus.Gatherer, logger *slog.Logger) *Scraper {
	return &Scraper{latest: latest, config: cfg, rest: rest, generic: Handler(all, logger), logger: logger}
}

// Scraper is the handler ScrapeHandler returns.
type Scraper struct {
	latest  func() *scorecard.Snapshot
	config  func() *config.Config
	rest    prometheus.Gatherer
	generic http.Handler
	logger  *slog.Logger

	mu       sync.Mutex
	snap     *scorecard.Snapshot
	cfg      *config.Config
	rendered map[renderKey][]byte
	last     *renderKey // the format of the last scrape
}

// Warm renders the latest snapshot in the format last scraped, so that the
// next scrape after a recompute finds it ready. Call it after a recompute;
// it does nothing before the first scrape.
func (s *Scraper) Warm() {
	if s == nil {
		return
	}
	s.mu.Lock()
	last := s.last
	s.mu.Unlock()
	if last != nil {
		s.kpis(*last)
	}
}

type renderKey struct {
	openMetrics, gzip bool
}

func (s *Scraper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateIncludingOpenMetrics(r.Header)
	om := format.FormatType() == expfmt.TypeOpenMetrics
	if !om && format.FormatType() != expfmt.TypeTextPlain {
		s.generic.ServeHTTP(w, r)
		return
	}
	gz := acceptsGzip(r)
	kpis := s.kpis(renderKey{om, gz})

	var head bytes.Buffer
	var out io.Writer = &head
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&head)
		out = zw
	}
	mfs, err := s.rest.Gather()
	if err != nil {
		s.logger.Error("gathering self-metrics", "err", err)
	}
	enc := expfmt.NewEncoder(out, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			s.logger.Error("encoding self-metrics", "family", mf.GetName(), "err", err)
		}
	}
	if zw != nil {
		_ = zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.Header().Set("Content-Type", string(format))
	w.Header().Set("Content-Length", strconv.Itoa(head.Len()+len(kpis)))
	// Two gzip members, one after the other, are one gzip stream (RFC 1952).
	_, _ = w.Write(head.Bytes())
	_, _ = w.Write(kpis)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if enc, _, _ := strings.Cut(strings.TrimSpace(part), ";"); enc == "gzip" {
			return true
		}
	}
	return false
}

// kpis returns the KPI part in one format, rendering it the first time the
// snapshot (or the config) is asked for.
func (s *Scraper) kpis(k renderKey) []byte {
	snap, cfg := s.latest(), s.config()
	s.mu.Lock()
	defer s.mu.Unlock()
	if snap != s.snap || cfg != s.cfg {
		s.snap, s.cfg, s.rendered = snap, cfg, map[renderKey][]byte{}
	}
	s.last = &k
	if b, ok := s.rendered[k]; ok {
		return b
	}
	plain, ok := s.rendered[renderKey{k.openMetrics, false}]
	if !ok {
		plain = Render(snap, cfg, k.openMetrics)
		s.rendered[renderKey{k.openMetrics, false}] = plain
	}
	if !k.gzip {
		return plain
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	_, _ = zw.Write(plain)
	_ = zw.Close()
	s.rendered[k] = b.Bytes()
	return b.Bytes()
}

// Render writes a snapshot's metrics in the Prometheus text format, or in
// OpenMetrics (ending with # EOF), each family's samples together.
func Render(snap *scorecard.Snapshot, cfg *config.Config, openMetrics bool) []byte {
	var out []byte
	if snap != nil {
		bodies := make(map[*family][]byte, len(families))
		walk(snap, cfg, func(f *family, labels []string, v float64) {
			b := append(bodies[f], f.name...)
			b = appendLabels(b, f, labels)
			b = append(b, ' ')
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
			bodies[f] = append(b, '\n')
		})
		at := strconv.FormatFloat(float64(snap.At.UnixMilli())/1000, 'g', -1, 64)
		out = appendHeader(out, atName, atHelp)
		out = append(append(append(out, atName...), ' '), at...)
		out = append(out, '\n')
		for _, f := range families {
			if body := bodies[f]; len(body) > 0 {
				out = append(appendHeader(out, f.name, f.help), body...)
			}
		}
	}
	if openMetrics {
		out = append(out, "# EOF\n"...)
	}
	return out
}

func appendHeader(b []byte, name, help string) []byte {
	b = append(append(append(b, "# HELP "...), name...), ' ')
	b = append(append(b, helpEscaper.Replace(help)...), '\n')
	return append(append(append(b, "# TYPE "...), name...), " gauge\n"...)
}

// appendLabels writes {name="value",...} in the family's exposition order.
func appendLabels(b []byte, f *family, values []string) []byte {
	b = append(b, '{')
	for n, i := range f.order {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(append(b, f.labels[i]...), `="`...)
		b = append(b, labelEscaper.Replace(values[i])...)
		b = append(b, '"')
	}
	return append(b, '}')
}

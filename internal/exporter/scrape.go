package exporter

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/scorecard"
)

// ScrapeHandler serves GET /metrics fast: the KPIs of a snapshot (hundreds
// of thousands of samples for a large organisation) are rendered once per
// snapshot, in the format asked for, and every scrape until the next
// recompute writes those bytes after the small rest (Go runtime, process
// and self-metrics, gathered from self per scrape and encoded straight into
// the answer by expfmt).
func ScrapeHandler(latest func() *scorecard.Snapshot, cfg func() *config.Config, self prometheus.Gatherer, logger *slog.Logger) *Scraper {
	return &Scraper{latest: latest, config: cfg, self: self, logger: logger, warm: []renderKey{prometheusDefault}}
}

// Scraper is the handler ScrapeHandler returns.
type Scraper struct {
	latest func() *scorecard.Snapshot
	config func() *config.Config
	self   prometheus.Gatherer
	logger *slog.Logger

	mu       sync.Mutex
	snap     *scorecard.Snapshot
	cfg      *config.Config
	rendered map[renderKey][]byte
	asked    map[renderKey]bool // formats scraped since the last Warm
	scraped  bool               // ever
	warm     []renderKey        // formats Warm renders when none was scraped since the last one
	renders  int                // KPI renderings done, for tests
	warmed   atomic.Bool        // a snapshot was rendered ahead
}

// renderKey is one form of the KPI part: text or OpenMetrics, plain or
// gzip-compressed.
type renderKey struct {
	openMetrics, gzip bool
}

// prometheusDefault is what Prometheus asks for unless told otherwise:
// its Accept header prefers OpenMetrics, and it accepts gzip.
var prometheusDefault = renderKey{openMetrics: true, gzip: true}

// Warm renders the latest snapshot ahead of the next scrape, in the forms
// scraped since the previous Warm (or, when none was, in those it last
// rendered; at first, in the form Prometheus asks for). Call it after every
// recompute, the first included, so that no scrape waits for a rendering.
//
// Until the first scrape it stops once a rendering is still the latest
// snapshot's when done: the recomputes that follow the start closely (on
// PostgreSQL the listener asks for one as soon as it listens) are rendered,
// but a daemon nobody scrapes (pushing, or ingesting a backlog with a
// recompute after every batch) does not render every snapshot.
func (s *Scraper) Warm() {
	if s == nil {
		return
	}
	snap, cfg := s.latest(), s.config()
	if snap == nil {
		return
	}
	s.mu.Lock()
	if s.warmed.Load() && !s.scraped {
		s.mu.Unlock()
		return
	}
	if len(s.asked) > 0 {
		s.warm = s.warm[:0]
		for k := range s.asked {
			s.warm = append(s.warm, k)
		}
		clear(s.asked)
	}
	keys := slices.Clone(s.warm)
	s.mu.Unlock()
	for _, k := range keys {
		if s.latest() != snap {
			return // superseded: the next Warm renders the newer one
		}
		s.renderAs(k, snap, cfg)
	}
	if s.latest() == snap {
		s.warmed.Store(true)
	}
}

// Warmed reports whether a snapshot that was still the latest when done
// was rendered ahead: from then on, a scrape finds the KPIs ready unless
// it comes right after a recompute.
func (s *Scraper) Warmed() bool { return s.warmed.Load() }

// ServeHTTP answers in OpenMetrics when the scraper accepts it (as
// Prometheus does), else in the text format: a scraper asking for protobuf
// gets text too, which Prometheus reads by its Content-Type.
func (s *Scraper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateIncludingOpenMetrics(r.Header)
	om := format.FormatType() == expfmt.TypeOpenMetrics
	if !om && format.FormatType() != expfmt.TypeTextPlain {
		format = expfmt.NewFormat(expfmt.TypeTextPlain)
	}
	gz := acceptsGzip(r)
	k := renderKey{om, gz}
	s.mu.Lock()
	if s.asked == nil {
		s.asked = map[renderKey]bool{}
	}
	s.asked[k] = true
	s.scraped = true
	s.mu.Unlock()
	kpis := s.kpis(k)

	var head bytes.Buffer
	var out io.Writer = &head
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&head)
		out = zw
	}
	s.writeSelf(out, format)
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

// writeSelf encodes the self-metrics in format. A failing collector is
// logged and the rest written; the OpenMetrics # EOF is the KPI part's.
func (s *Scraper) writeSelf(w io.Writer, format expfmt.Format) {
	mfs, err := s.self.Gather()
	if err != nil {
		s.logger.Error("gathering self-metrics", "err", err)
	}
	enc := expfmt.NewEncoder(w, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			s.logger.Error("encoding self-metrics", "family", mf.GetName(), "err", err)
		}
	}
}

// WriteText writes what a text scrape serves, uncompressed: for
// --push.url. The KPI part comes from (or goes into) the renderings kept
// for scrapes.
func (s *Scraper) WriteText(w io.Writer) error {
	kpis := s.kpis(renderKey{})
	bw := bufio.NewWriter(w)
	s.writeSelf(bw, expfmt.NewFormat(expfmt.TypeTextPlain))
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(kpis)
	return err
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if enc, _, _ := strings.Cut(strings.TrimSpace(part), ";"); enc == "gzip" {
			return true
		}
	}
	return false
}

// kpis returns the KPI part in one form, rendering it the first time the
// snapshot (or the config) is asked for in that form. Only the forms asked
// for are kept: a compressed rendering is written straight into gzip, its
// plain text never held whole.
func (s *Scraper) kpis(k renderKey) []byte { return s.renderAs(k, s.latest(), s.config()) }

// renderAs returns snap's KPI part in one form, rendered at most once.
func (s *Scraper) renderAs(k renderKey, snap *scorecard.Snapshot, cfg *config.Config) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if snap != s.snap || cfg != s.cfg {
		s.snap, s.cfg, s.rendered = snap, cfg, map[renderKey][]byte{}
	}
	if b, ok := s.rendered[k]; ok {
		return b
	}
	s.renders++
	pieces := render(snap, cfg, k.openMetrics)
	var b []byte
	if k.gzip {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		for _, p := range pieces {
			_, _ = zw.Write(p)
		}
		_ = zw.Close()
		b = bytes.Clone(buf.Bytes()) // the buffer may be up to twice as large
	} else {
		b = bytes.Join(pieces, nil) // one allocation of the exact size
	}
	s.rendered[k] = b
	return b
}

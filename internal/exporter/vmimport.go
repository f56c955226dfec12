package exporter

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/scorecard"
)

// ImportPath is VictoriaMetrics' import endpoint for the Prometheus text
// format with millisecond timestamps.
const ImportPath = "/api/v1/import/prometheus"

// VMImporter sends snapshots at successive times to VictoriaMetrics'
// /api/v1/import/prometheus: Prometheus text lines with timestamps in
// milliseconds, in requests of about flushBytes each. Order does not matter
// there, so samples go out as they come.
type VMImporter struct {
	ctx        context.Context
	url        string
	base       string // scheme and host; "" when the import URL was given in full
	client     *http.Client
	buf        bytes.Buffer
	flushBytes int
}

// DefaultFlushBytes is the size of one import request.
const DefaultFlushBytes = 8 << 20

// NewVMImporter imports into the VictoriaMetrics at rawURL: its base URL
// (http://host:8428), to which ImportPath is added, or the full URL of an
// import endpoint (a vminsert's /insert/0/prometheus/api/v1/import/prometheus).
func NewVMImporter(ctx context.Context, rawURL string, client *http.Client) (*VMImporter, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("vm import: %q is not an http(s) URL", rawURL)
	}
	v := &VMImporter{ctx: ctx, client: client, flushBytes: DefaultFlushBytes}
	if u.Path == "" || u.Path == "/" {
		base := *u // with its user and password, if any
		base.Path, base.RawQuery = "", ""
		v.base = base.String()
		u.Path = ImportPath
	}
	v.url = u.String()
	return v, nil
}

// Settle makes the imported samples visible to queries at once, as
// VictoriaMetrics' documentation asks after a backfill: it makes what the
// server holds in memory searchable, and drops its query result cache (a
// query about a past time made before the import is otherwise answered
// from the cache, without the imported samples, until it expires). It does
// nothing when the import URL was given in full: the cache is then a
// vmselect's, elsewhere.
func (v *VMImporter) Settle() error {
	if v.base == "" {
		return nil
	}
	for _, path := range []string{"/internal/force_flush", "/internal/resetRollupResultCache"} {
		req, err := http.NewRequestWithContext(v.ctx, http.MethodGet, v.base+path, nil)
		if err != nil {
			return err
		}
		resp, err := v.client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s answered %s", req.URL.Redacted(), resp.Status)
		}
	}
	return nil
}

// Add sends (or queues) every sample of s at s.At.
func (v *VMImporter) Add(s *scorecard.Snapshot, cfg *config.Config) error {
	ts := strconv.AppendInt(nil, s.At.UnixMilli(), 10)
	var line []byte
	walk(s, cfg, func(f *family, labels []string, val float64) {
		line = appendSample(line[:0], f, labels, val, ts)
		v.buf.Write(line)
	})
	if v.buf.Len() >= v.flushBytes {
		return v.flush()
	}
	return nil
}

// Close sends what is queued.
func (v *VMImporter) Close() error { return v.flush() }

func (v *VMImporter) flush() error {
	if v.buf.Len() == 0 {
		return nil
	}
	req, err := http.NewRequestWithContext(v.ctx, http.MethodPost, v.url, bytes.NewReader(v.buf.Bytes()))
	if err != nil {
		return fmt.Errorf("vm import: %w", err)
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("vm import: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("vm import: %s answered %s: %s", v.url, resp.Status, bytes.TrimSpace(msg))
	}
	v.buf.Reset()
	return nil
}

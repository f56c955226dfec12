package exporter

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/common/expfmt"
)

// Pusher sends what GET /metrics serves to an endpoint that accepts the
// Prometheus text format, for sites that do not scrape: a Pushgateway
// (http://host:9091/metrics/job/steward) or VictoriaMetrics
// (http://host:8428/api/v1/import/prometheus). It uses PUT, with which a
// Pushgateway replaces the whole group, so series gone from Steward do not
// linger there; VictoriaMetrics accepts PUT like POST.
type Pusher struct {
	url    string
	write  func(io.Writer) error
	client *http.Client
	logger *slog.Logger
	pushed func(error)
}

// NewPusher checks rawURL and builds a Pusher of what write writes in the
// text format (Scraper.WriteText). pushed, if not nil, is told each push's
// result (for the daemon's own metrics).
//
// VictoriaMetrics/metrics' push client would do the same PUT, but reports
// its results only in its own global set and the standard logger.
func NewPusher(rawURL string, write func(io.Writer) error, client *http.Client, logger *slog.Logger, pushed func(error)) (*Pusher, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("push: %q is not an http(s) URL", rawURL)
	}
	if pushed == nil {
		pushed = func(error) {}
	}
	return &Pusher{url: rawURL, write: write, client: client, logger: logger, pushed: pushed}, nil
}

// Run pushes every interval until ctx ends; failures are logged and retried
// at the next interval.
func (p *Pusher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := p.Push(ctx); err != nil && ctx.Err() == nil {
			p.logger.Error("push failed; retrying at the next interval", "url", p.url, "err", err)
		}
	}
}

// Push sends the metrics once.
func (p *Pusher) Push(ctx context.Context) error {
	err := p.push(ctx)
	p.pushed(err)
	return err
}

func (p *Pusher) push(ctx context.Context) error {
	var body bytes.Buffer
	if err := p.write(&body); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.url, &body)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	req.Header.Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("push: %s answered %s: %s", p.url, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

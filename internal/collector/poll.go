package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"github.com/steward-sh/steward/record"
)

// CursorStore is what a poller needs of the record store: writing a page's
// records together with the cursor that follows them, and reading that
// cursor back after a restart.
type CursorStore interface {
	Write(ctx context.Context, b record.Batch) error
	Cursor(ctx context.Context, name string) (string, error)
}

// Page is what one fetch from a polled source yields.
type Page struct {
	// Batch holds the page's records, validated: accepted ones and rejected
	// ones for the quarantine.
	Batch record.Batch
	// Cursor is the position after this page. It is saved in the same
	// transaction as Batch, so the next fetch (after a restart too) starts
	// exactly where this one ended.
	Cursor string
	// More says the source has another page right now (pagination or a
	// backfill that has not caught up); the poller fetches it at once.
	More bool
}

// Feed is one remote table or API that a Poller reads page by page.
type Feed interface {
	// Name is the cursor's name in the store and the poller's name in logs
	// and metrics, e.g. "servicenow/incident".
	Name() string
	// Fetch returns the page after cursor ("" on the very first run).
	Fetch(ctx context.Context, cursor string) (Page, error)
}

// Poller drives a Source: it fetches pages until the source has caught up,
// stores each page with its cursor, waits an interval and starts again.
type Poller struct {
	src      Feed
	store    CursorStore
	interval time.Duration
	log      *slog.Logger
	sleep    func(ctx context.Context, d time.Duration) error
	now      func() time.Time
	stored   func(record.Batch, time.Duration)
	failed   func(error, time.Duration)
}

// PollerOptions configure a Poller. Sleep and Now are for tests; nil means
// the real clock.
type PollerOptions struct {
	Interval time.Duration // between cycles once caught up; default 5m
	Logger   *slog.Logger
	Sleep    func(ctx context.Context, d time.Duration) error
	Now      func() time.Time
	// Stored, when set, is told of every page stored (to recompute KPIs
	// and count ingest); it must not block.
	Stored func(b record.Batch, took time.Duration)
	// Failed, when set, is told of every page that could not be fetched
	// or stored.
	Failed func(err error, took time.Duration)
}

// NewPoller returns a poller of src that stores into st.
func NewPoller(src Feed, st CursorStore, o PollerOptions) *Poller {
	p := &Poller{src: src, store: st, interval: o.Interval, log: o.Logger, sleep: o.Sleep, now: o.Now, stored: o.Stored, failed: o.Failed}
	if p.interval <= 0 {
		p.interval = 5 * time.Minute
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.sleep == nil {
		p.sleep = Sleep
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p
}

// Name is the source's name.
func (p *Poller) Name() string { return p.src.Name() }

// Step fetches and stores one page. It returns whether another page is due
// at once.
func (p *Poller) Step(ctx context.Context) (more bool, err error) {
	name := p.src.Name()
	start := p.now()
	cursor, err := p.store.Cursor(ctx, name)
	if err != nil {
		return false, fmt.Errorf("poll %s: %w", name, err)
	}
	page, err := p.src.Fetch(ctx, cursor)
	if err != nil {
		err = fmt.Errorf("poll %s: %w", name, err)
		if ctx.Err() == nil { // shutting down is not a failure
			p.fail(err, start)
		}
		return false, err
	}
	b := page.Batch
	b.Cursor = &record.Cursor{Name: name, Value: page.Cursor}
	if err := p.store.Write(ctx, b); err != nil {
		err = fmt.Errorf("poll %s: %w", name, err)
		p.fail(err, start)
		return false, err
	}
	if p.stored != nil && b.Len() > 0 {
		p.stored(b, p.now().Sub(start))
	}
	if len(b.Rejected) > 0 {
		p.log.Warn("poll: records rejected and quarantined", "source", name, "rejected", len(b.Rejected), "first", b.Rejected[0].Error)
	}
	p.log.Debug("poll: page stored", "source", name, "incidents", len(b.Incidents), "changes", len(b.Changes),
		"rejected", len(b.Rejected), "cursor", page.Cursor, "more", page.More)
	return page.More, nil
}

func (p *Poller) fail(err error, start time.Time) {
	if p.failed != nil {
		p.failed(err, p.now().Sub(start))
	}
}

// Poll runs one cycle: pages until the source has caught up.
func (p *Poller) Poll(ctx context.Context) error {
	for {
		more, err := p.Step(ctx)
		if err != nil || !more {
			return err
		}
	}
}

// Run polls every interval until ctx is done. A failed cycle is logged and
// retried at the next interval; the cursor makes it resume where it failed.
func (p *Poller) Run(ctx context.Context) {
	p.log.Info("poller started", "source", p.src.Name(), "interval", p.interval)
	for {
		if err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("poll failed; retrying at the next interval", "source", p.src.Name(), "err", err)
		}
		if p.sleep(ctx, p.interval) != nil {
			return
		}
	}
}

// Sleep waits for d or until ctx is done, whichever comes first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Backoff says how often and how long to retry a failed request. Waits grow
// exponentially from Base to Max with jitter (each wait is drawn from its
// upper half), so that many Stewards restarted together do not retry in step.
type Backoff struct {
	Attempts int           // tries in all, the first included; default 5
	Base     time.Duration // first wait; default 1s
	Max      time.Duration // longest wait; default 1m
	// MaxRetryAfter caps a server's Retry-After; a longer one fails the
	// request (the next poll cycle tries again). Default 10m.
	MaxRetryAfter time.Duration
	// Rand returns a number in [0, 1) for jitter; nil uses math/rand.
	Rand func() float64
}

func (b Backoff) withDefaults() Backoff {
	if b.Attempts <= 0 {
		b.Attempts = 5
	}
	if b.Base <= 0 {
		b.Base = time.Second
	}
	if b.Max <= 0 {
		b.Max = time.Minute
	}
	if b.MaxRetryAfter <= 0 {
		b.MaxRetryAfter = 10 * time.Minute
	}
	if b.Rand == nil {
		b.Rand = rand.Float64
	}
	return b
}

// wait is the pause before retry number retry (1 for the first retry).
func (b Backoff) wait(retry int) time.Duration {
	d := b.Base
	for i := 1; i < retry && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d/2 + time.Duration(b.Rand()*float64(d/2))
}

// errPermanent marks an error that retrying cannot fix (a 4xx answer).
type errPermanent struct{ error }

func (e errPermanent) Unwrap() error { return e.error }

// retryAfter is a server's request to wait before the next try.
type retryAfter struct {
	error
	wait time.Duration
}

func (e retryAfter) Unwrap() error { return e.error }

// retry calls try until it succeeds, fails permanently, or Attempts are used
// up, sleeping between tries: a server's Retry-After when it gave one,
// otherwise the backoff.
func retry(ctx context.Context, b Backoff, sleep func(context.Context, time.Duration) error, log *slog.Logger, what string, try func() error) error {
	b = b.withDefaults()
	var err error
	for attempt := 1; ; attempt++ {
		if err = try(); err == nil {
			return nil
		}
		var perm errPermanent
		if errors.As(err, &perm) || ctx.Err() != nil {
			return err
		}
		if attempt >= b.Attempts {
			return fmt.Errorf("%w (gave up after %d tries)", err, attempt)
		}
		wait := b.wait(attempt)
		var ra retryAfter
		if errors.As(err, &ra) {
			if ra.wait > b.MaxRetryAfter {
				return fmt.Errorf("%w: server asks to wait %s, more than %s", err, ra.wait, b.MaxRetryAfter)
			}
			wait = ra.wait
		}
		log.Warn("request failed; retrying", "request", what, "err", err, "attempt", attempt, "wait", wait)
		if serr := sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

// maxResponseBytes bounds one API response held in memory: a page of 10,000
// ServiceNow records with display values stays well below it.
const maxResponseBytes = 256 << 20

// fetcher GETs JSON from a vendor API with retries: network errors and 5xx
// answers are retried with backoff, 429 after the server's Retry-After, and
// other 4xx answers fail at once (a wrong URL or credential does not heal).
type fetcher struct {
	client    *http.Client
	backoff   Backoff
	sleep     func(context.Context, time.Duration) error
	now       func() time.Time
	log       *slog.Logger
	authorize func(*http.Request)
}

// get fetches url into dst and returns the response headers.
func (f *fetcher) get(ctx context.Context, url string, dst any) (http.Header, error) {
	var hdr http.Header
	err := retry(ctx, f.backoff, f.sleep, f.log, redactURL(url), func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return errPermanent{err}
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "steward")
		if f.authorize != nil {
			f.authorize(req)
		}
		resp, err := f.client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
		if err != nil {
			return fmt.Errorf("reading response: %w", err)
		}
		if len(body) > maxResponseBytes {
			return errPermanent{fmt.Errorf("response exceeds %d bytes; lower page_size", maxResponseBytes)}
		}
		if err := statusError(resp, body, f.now()); err != nil {
			return err
		}
		if err := json.Unmarshal(body, dst); err != nil {
			return errPermanent{fmt.Errorf("response is not the expected JSON: %w", err)}
		}
		hdr = resp.Header
		return nil
	})
	return hdr, err
}

// statusError classifies a non-2xx answer for retry.
func statusError(resp *http.Response, body []byte, now time.Time) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err := &httpError{Code: resp.StatusCode, Body: snippet(body)}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
			return retryAfter{err, d}
		}
		return err
	case resp.StatusCode >= 500:
		return err
	}
	return errPermanent{err}
}

// httpError is a non-2xx answer.
type httpError struct {
	Code int
	Body string // its start, on one line
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Code, e.Body) }

// parseRetryAfter reads Retry-After as seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// snippet is the start of an error body, on one line, for messages.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// redactURL drops a URL's query and credentials for logs: queries can be
// long and user info is secret.
func redactURL(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

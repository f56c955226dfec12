// Package measure reads uptime and response-time measurements (SPEC section
// 9) from a Prometheus-compatible query API (Prometheus, Thanos, Mimir,
// VictoriaMetrics) with the Prometheus project's own client, and keeps them
// in Steward's store, so that reviews of past periods do not depend on the
// source's retention.
//
// Each configured query is evaluated with query_range at the configured
// step, on a grid aligned to multiples of the step since the Unix epoch. A
// cursor per measure, saved in the same transaction as the samples it
// covers, says where the next read starts: a restart reads nothing twice,
// and a range that failed is read again at the next attempt, never skipped.
//
// It must not attribute samples to systems or people: the scorecard engine
// does that, through ownership history, from what the store holds.
package measure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// Store is what the reader needs of Steward's store.
type Store interface {
	Cursor(ctx context.Context, name string) (string, error)
	WriteSamples(ctx context.Context, samples []record.Sample, cursor record.Cursor, prev string) error
}

// Options configure a Reader. Now is for tests; nil means the real clock.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Stored, when set, is told of each range stored (to recompute KPIs
	// and count samples); it must not block.
	Stored func(m record.Measure, samples int, through time.Time)
	// Failed, when set, is told of each query that failed.
	Failed func(m record.Measure, err error)
	// DefaultHistory is how far back the first read starts without
	// measurements.since: 90 days.
	DefaultHistory time.Duration
	// MaxSamplesPerRequest sizes query_range requests: after the first,
	// each covers about this many samples (steps × series last returned),
	// between 10 and 10,000 steps. Default 250,000.
	MaxSamplesPerRequest int
}

// Reader reads the configured measurements into the store.
type Reader struct {
	cfg     *config.Measurements
	api     v1.API
	store   Store
	opts    Options
	queries []query
	// stepsPerRequest bounds one query_range request. It follows the
	// number of series last returned; before the first answer,
	// assumedSeries are assumed.
	stepsPerRequest map[record.Measure]int
}

type query struct {
	measure record.Measure
	*config.MeasurementQuery
}

const (
	// maxStepsPerRequest stays under Prometheus's limit of 11,000 points
	// per series in one query_range answer.
	maxStepsPerRequest = 10000
	assumedSeries      = 250
	cursorPrefix       = "measurements/"
)

// New builds a reader of cfg's queries into st.
func New(cfg *config.Measurements, st Store, o Options) (*Reader, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DefaultHistory <= 0 {
		o.DefaultHistory = 90 * 24 * time.Hour
	}
	if o.MaxSamplesPerRequest <= 0 {
		o.MaxSamplesPerRequest = 250000
	}
	rt, err := promconfig.NewRoundTripperFromConfig(cfg.Source.HTTP, "steward_measurements")
	if err != nil {
		return nil, fmt.Errorf("measure: %s: %w", cfg.Source, err)
	}
	c, err := api.NewClient(api.Config{Address: cfg.Source.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("measure: %s: %w", cfg.Source, err)
	}
	r := &Reader{cfg: cfg, api: v1.NewAPI(c), store: st, opts: o, stepsPerRequest: map[record.Measure]int{}}
	if cfg.Uptime != nil {
		r.queries = append(r.queries, query{record.MeasureUptime, cfg.Uptime})
	}
	if cfg.ResponseTime != nil {
		r.queries = append(r.queries, query{record.MeasureResponseTime, cfg.ResponseTime})
	}
	return r, nil
}

// Run polls every step until ctx ends. A failed poll is logged, counted and
// retried after a shorter wait; the cursors make it resume where it stopped.
func (r *Reader) Run(ctx context.Context) {
	step := r.cfg.Step
	r.opts.Logger.Info("measurements: reading", "source", r.cfg.Source.String(), "step", step)
	for {
		wait := step
		if err := r.Poll(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = min(step, time.Minute)
			r.opts.Logger.Error("measurements: read failed; retrying", "source", r.cfg.Source.String(), "in", wait, "err", err)
		}
		// Wake just after the next step's interval has ended.
		now := r.opts.Now()
		next := now.Truncate(step).Add(step + time.Second)
		if d := next.Sub(now); wait == step && d > 0 {
			wait = d
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Poll reads every query from its cursor to the last step whose interval
// has ended, storing each request's samples with the cursor after them.
// It returns the first error; the queries after a failed one still run.
func (r *Reader) Poll(ctx context.Context) error {
	var errs []error
	for _, q := range r.queries {
		if err := r.pollQuery(ctx, q); err != nil {
			if ctx.Err() == nil && r.opts.Failed != nil {
				r.opts.Failed(q.measure, err)
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Reader) pollQuery(ctx context.Context, q query) error {
	step := r.cfg.Step
	name := cursorPrefix + string(q.measure)
	cursor, err := r.store.Cursor(ctx, name)
	if err != nil {
		return fmt.Errorf("measure %s: %w", q.measure, err)
	}
	next, err := r.start(cursor)
	if err != nil {
		return fmt.Errorf("measure %s: cursor %q: %w", q.measure, cursor, err)
	}
	// The last step whose interval [t, t+step) has ended.
	last := r.opts.Now().UTC().Truncate(step).Add(-step)
	for !next.After(last) {
		n := r.stepsPerRequest[q.measure]
		if n == 0 {
			n = r.steps(assumedSeries)
		}
		end := next.Add(time.Duration(n-1) * step)
		if end.After(last) {
			end = last
		}
		samples, series, err := r.read(ctx, q, next, end)
		if err != nil {
			return fmt.Errorf("measure %s: %s to %s: %w", q.measure, next.Format(time.RFC3339), end.Format(time.RFC3339), err)
		}
		after := end.Add(step)
		c := record.Cursor{Name: name, Value: after.Format(time.RFC3339)}
		if err := r.store.WriteSamples(ctx, samples, c, cursor); err != nil {
			return fmt.Errorf("measure %s: %w", q.measure, err)
		}
		if r.opts.Stored != nil {
			r.opts.Stored(q.measure, len(samples), end)
		}
		r.stepsPerRequest[q.measure] = r.steps(series)
		cursor, next = c.Value, after
	}
	return nil
}

// steps is how many steps one request covers for about
// MaxSamplesPerRequest samples of the given number of series.
func (r *Reader) steps(series int) int {
	return max(10, min(maxStepsPerRequest, r.opts.MaxSamplesPerRequest/max(series, 1)))
}

// start is the first step to read: the cursor's, or on the very first read
// since (default: DefaultHistory ago) rounded up to the step grid.
func (r *Reader) start(cursor string) (time.Time, error) {
	if cursor != "" {
		return time.Parse(time.RFC3339, cursor)
	}
	since := r.cfg.Since
	if since.IsZero() {
		since = r.opts.Now().Add(-r.opts.DefaultHistory)
	}
	t := since.UTC().Truncate(r.cfg.Step)
	if t.Before(since) {
		t = t.Add(r.cfg.Step)
	}
	return t, nil
}

// read evaluates q over [from, to] at the step and returns one sample per
// series and step. Series are named by q.By; several series with the same
// name at one step (a query that does not aggregate by it) are averaged.
// Values that are not finite numbers (NaN from a division by zero) are
// not samples: that step is simply not measured.
func (r *Reader) read(ctx context.Context, q query, from, to time.Time) ([]record.Sample, int, error) {
	v, warnings, _, err := r.api.QueryRange(ctx, q.Query, v1.Range{Start: from, End: to, Step: r.cfg.Step})
	if err != nil {
		return nil, 0, err
	}
	if len(warnings) > 0 {
		r.opts.Logger.Warn("measurements: query warnings", "measure", q.measure, "warnings", warnings)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, 0, fmt.Errorf("query answered a %s, not a range vector", v.Type())
	}
	type key struct {
		series string
		at     int64
	}
	sums := map[key]float64{}
	counts := map[key]int{}
	var order []key
	for _, ss := range m {
		name := string(ss.Metric[model.LabelName(q.By)])
		for _, p := range ss.Values {
			f := float64(p.Value)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				continue
			}
			k := key{name, p.Timestamp.UnixNano() / 1e3}
			if counts[k] == 0 {
				order = append(order, k)
			}
			sums[k] += f
			counts[k]++
		}
	}
	out := make([]record.Sample, len(order))
	for i, k := range order {
		out[i] = record.Sample{Measure: q.measure, Series: k.series, At: time.UnixMicro(k.at).UTC(),
			Value: sums[k] / float64(counts[k])}
	}
	return out, len(m), nil
}

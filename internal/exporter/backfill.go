package exporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/scorecard"
)

// Sink takes the snapshots of a backfill, in time order.
type Sink interface {
	Add(s *scorecard.Snapshot, cfg *config.Config) error
	Close() error
}

// Backfill evaluates scorecards at From, From+Step, ... up to To included.
type Backfill struct {
	From, To time.Time
	Step     time.Duration
	// At computes the snapshot at a time (the engine's At).
	At func(ctx context.Context, at time.Time) (*scorecard.Snapshot, error)
	// Config gives the export limits and owners.
	Config *config.Config
	// Progress, if not nil, gets a line every ProgressEvery steps (0: every
	// 5% of the steps) and at the end.
	Progress      io.Writer
	ProgressEvery int
	// Clock times the run for the rate and ETA; nil means time.Now.
	Clock func() time.Time
	// Evaluating and Writing are set by Run: the time spent evaluating
	// (At) and writing the output (the sink's Add and Close).
	Evaluating, Writing time.Duration
}

// Steps is how many evaluation times the backfill has.
func (b *Backfill) Steps() int {
	if b.Step <= 0 || b.To.Before(b.From) {
		return 0
	}
	return int(b.To.Sub(b.From)/b.Step) + 1
}

// Run evaluates every step into sink and closes it (also on failure, so a
// spill is cleaned up). It returns how many steps were written.
func (b *Backfill) Run(ctx context.Context, sink Sink) (int, error) {
	total := b.Steps()
	if total == 0 {
		sink.Close()
		return 0, errors.New("backfill: no evaluation time: --to is before --from, or --step is not positive")
	}
	clock := b.Clock
	if clock == nil {
		clock = time.Now
	}
	every := b.ProgressEvery
	if every <= 0 {
		every = max(1, total/20)
	}
	b.Evaluating, b.Writing = 0, 0
	start := clock()
	done := 0
	for ; done < total; done++ {
		if err := ctx.Err(); err != nil {
			sink.Close()
			return done, fmt.Errorf("backfill: %w", err)
		}
		at := b.From.Add(time.Duration(done) * b.Step)
		began := clock()
		s, err := b.At(ctx, at)
		evaluated := clock()
		b.Evaluating += evaluated.Sub(began)
		if err == nil {
			err = sink.Add(s, b.Config)
			b.Writing += clock().Sub(evaluated)
		}
		if err != nil {
			sink.Close()
			return done, fmt.Errorf("backfill: at %s: %w", at.Format(time.RFC3339), err)
		}
		if b.Progress != nil && (done+1)%every == 0 && done+1 < total {
			b.progress(done+1, total, clock().Sub(start))
		}
	}
	closing := clock()
	err := sink.Close()
	b.Writing += clock().Sub(closing)
	if err != nil {
		return done, fmt.Errorf("backfill: %w", err)
	}
	if b.Progress != nil {
		b.progress(total, total, clock().Sub(start))
	}
	return done, nil
}

// progress reports the steps done, and how the time went: evaluating the
// KPIs, and writing the output.
func (b *Backfill) progress(done, total int, took time.Duration) {
	rate := float64(done) / max(took.Seconds(), 1e-9)
	eta := time.Duration(float64(total-done) / rate * float64(time.Second))
	fmt.Fprintf(b.Progress, "backfill: %d/%d steps (%.0f%%), %.1f steps/s, elapsed %s, ETA %s; evaluating %s (%.1f/s), writing %s\n",
		done, total, 100*float64(done)/float64(total), rate, took.Round(time.Second), eta.Round(time.Second),
		b.Evaluating.Round(time.Millisecond), float64(done)/max(b.Evaluating.Seconds(), 1e-9), b.Writing.Round(time.Millisecond))
}

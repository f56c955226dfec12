package telemetry

import (
	"context"

	"github.com/steward-sh/steward/record"
)

// Store wraps a record store so that its errors count in
// steward_store_errors_total{operation}. Errors of a caller that gave up
// (its context ended) are not the store's and are not counted.
func (t *Telemetry) Store(st record.Store) record.Store { return &countingStore{Store: st, t: t} }

type countingStore struct {
	record.Store
	t *Telemetry
}

// Store operations, the values of steward_store_errors_total's operation
// label.
const (
	OpRead       = "read"
	OpWrite      = "write"
	OpPing       = "ping"
	OpQuarantine = "quarantine"
)

func (s *countingStore) count(ctx context.Context, op string, err error) {
	if err != nil && ctx.Err() == nil {
		s.t.storeErrors.WithLabelValues(op).Inc()
	}
}

func (s *countingStore) Write(ctx context.Context, b record.Batch) error {
	err := s.Store.Write(ctx, b)
	s.count(ctx, OpWrite, err)
	return err
}

func (s *countingStore) Incidents(ctx context.Context, after int64, limit int) ([]record.Incident, error) {
	out, err := s.Store.Incidents(ctx, after, limit)
	s.count(ctx, OpRead, err)
	return out, err
}

func (s *countingStore) Changes(ctx context.Context, after int64, limit int) ([]record.Change, error) {
	out, err := s.Store.Changes(ctx, after, limit)
	s.count(ctx, OpRead, err)
	return out, err
}

func (s *countingStore) Feedback(ctx context.Context, after int64, limit int) ([]record.Feedback, error) {
	out, err := s.Store.Feedback(ctx, after, limit)
	s.count(ctx, OpRead, err)
	return out, err
}

func (s *countingStore) Quarantined(ctx context.Context, limit int) ([]record.Rejected, error) {
	out, err := s.Store.Quarantined(ctx, limit)
	s.count(ctx, OpQuarantine, err)
	return out, err
}

func (s *countingStore) Ping(ctx context.Context) error {
	err := s.Store.Ping(ctx)
	s.count(ctx, OpPing, err)
	return err
}

package main

import (
	"context"
	"errors"

	"github.com/steward-sh/steward/record"
)

// memStore serves records from memory to the engine measured in process,
// as a store would after a bulk load: each record's Seq is its position.
// It keeps the caller's slices rather than copies, so that it holds no
// memory of its own beside the dataset the bench keeps anyway, and it
// numbers their records in place.
type memStore struct {
	incidents [][]record.Incident // appended batches, in Seq order
	changes   [][]record.Change
	incSeq    int64
	chgSeq    int64
}

func newMemStore(incidents []record.Incident, changes []record.Change) *memStore {
	s := &memStore{}
	s.add(incidents, changes)
	return s
}

// add makes records written after those before.
func (s *memStore) add(incidents []record.Incident, changes []record.Change) {
	for i := range incidents {
		s.incSeq++
		incidents[i].Seq = s.incSeq
	}
	for i := range changes {
		s.chgSeq++
		changes[i].Seq = s.chgSeq
	}
	s.incidents = append(s.incidents, incidents)
	s.changes = append(s.changes, changes)
}

func (s *memStore) Incidents(_ context.Context, after int64, limit int) ([]record.Incident, error) {
	return page(s.incidents, after, limit, func(r *record.Incident) int64 { return r.Seq }), nil
}

func (s *memStore) Changes(_ context.Context, after int64, limit int) ([]record.Change, error) {
	return page(s.changes, after, limit, func(r *record.Change) int64 { return r.Seq }), nil
}

// page returns up to limit records with Seq > after, by Seq.
func page[T any](batches [][]T, after int64, limit int, seq func(*T) int64) []T {
	var out []T
	for _, b := range batches {
		if len(b) == 0 || seq(&b[len(b)-1]) <= after {
			continue
		}
		i := int(max(after-seq(&b[0])+1, 0)) // a batch's Seqs follow each other
		take := min(limit-len(out), len(b)-i)
		out = append(out, b[i:i+take]...)
		if len(out) == limit {
			break
		}
	}
	return out
}

func (s *memStore) Feedback(context.Context, int64, int) ([]record.Feedback, error) { return nil, nil }

func (s *memStore) Quarantined(context.Context, int) ([]record.Rejected, error) { return nil, nil }

func (s *memStore) Ping(context.Context) error { return nil }

func (s *memStore) Close() error { return nil }

func (s *memStore) Write(context.Context, record.Batch) error {
	return errors.New("bench: the in-memory store is read-only; add records with add")
}

var _ record.Store = (*memStore)(nil)

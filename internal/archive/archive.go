// Package archive keeps frozen reviews in the store: it is the
// report.Archive of the daemon (the UI and the reviews API) and of steward
// report --freeze, so that both read and write the same versions.
package archive

import (
	"context"

	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/store"
)

// Store keeps frozen reviews in the store's snapshots table.
type Store struct{ db *store.DB }

// New returns the archive of db.
func New(db *store.DB) Store { return Store{db: db} }

// Save stores a frozen review as its next version.
func (a Store) Save(ctx context.Context, f report.Frozen) (report.Frozen, error) {
	s, err := a.db.SaveSnapshot(ctx, store.Snapshot{Role: f.Role, Subject: f.Subject, Period: f.Period, CreatedAt: f.CreatedAt, Content: f.Content})
	if err != nil {
		return report.Frozen{}, err
	}
	return frozen(s), nil
}

// Versions lists a review's frozen versions.
func (a Store) Versions(ctx context.Context, role, subject, period string) ([]report.Frozen, error) {
	ss, err := a.db.Snapshots(ctx, role, subject, period)
	if err != nil {
		return nil, err
	}
	out := make([]report.Frozen, len(ss))
	for i := range ss {
		out[i] = frozen(ss[i])
	}
	return out, nil
}

// All lists every frozen version without its content (the UI's list of
// reviews).
func (a Store) All(ctx context.Context) ([]report.Frozen, error) {
	ss, err := a.db.SnapshotIndex(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]report.Frozen, len(ss))
	for i := range ss {
		out[i] = frozen(ss[i])
	}
	return out, nil
}

func frozen(s store.Snapshot) report.Frozen {
	return report.Frozen{ID: s.ID, Role: s.Role, Subject: s.Subject, Period: s.Period, Version: s.Version, CreatedAt: s.CreatedAt, Content: s.Content}
}

// Package review connects the report package's performance reviews to
// the store: Archive keeps frozen reviews in it, for the daemon (the UI
// and the reviews API) and steward report --freeze alike, so that both
// read and write the same versions; Open builds reviews from the store a
// config file names, for steward report.
package review

import (
	"context"

	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/report"
)

// Archive keeps frozen reviews in the store's snapshots table.
type Archive struct{ db *store.DB }

// NewArchive returns the archive of db.
func NewArchive(db *store.DB) Archive { return Archive{db: db} }

// Save stores a frozen review as its next version.
func (a Archive) Save(ctx context.Context, f report.Frozen) (report.Frozen, error) {
	s, err := a.db.SaveSnapshot(ctx, store.Snapshot{Role: f.Role, Subject: f.Subject, Period: f.Period, CreatedAt: f.CreatedAt, Content: f.Content})
	if err != nil {
		return report.Frozen{}, err
	}
	return frozen(s), nil
}

// Versions lists a review's frozen versions.
func (a Archive) Versions(ctx context.Context, role, subject, period string) ([]report.Frozen, error) {
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
func (a Archive) All(ctx context.Context) ([]report.Frozen, error) {
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

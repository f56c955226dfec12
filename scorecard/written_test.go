package scorecard

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// readCounter counts the reads of records from the store.
type readCounter struct {
	record.Store
	reads atomic.Int32
}

func (r *readCounter) Incidents(ctx context.Context, after int64, limit int) ([]record.Incident, error) {
	r.reads.Add(1)
	return r.Store.Incidents(ctx, after, limit)
}

func (r *readCounter) Changes(ctx context.Context, after int64, limit int) ([]record.Change, error) {
	r.reads.Add(1)
	return r.Store.Changes(ctx, after, limit)
}

// writtenFixture is a generated organisation on a SQLite store, and an
// engine over it that has loaded the empty store.
func writtenFixture(t *testing.T) (*Engine, *readCounter, []record.Incident, []record.Change, *config.Config, time.Time) {
	t.Helper()
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 20, 15, 2000, 2000
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	incidents, changes := generate.Records(cfg, o)
	st, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "s.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	counted := &readCounter{Store: st}
	e := New(Options{Store: counted, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return o.To }})
	require.NoError(t, e.Sync(context.Background()))
	return e, counted, incidents, changes, cfg, o.To
}

// cardsText is every card's subject and values, NaN included, per window.
func cardsText(s *Snapshot) map[string][]string {
	out := map[string][]string{}
	for w, cards := range s.Cards {
		for _, c := range cards {
			out[w] = append(out[w], fmt.Sprint(c.Subject, c.Value, c.Previous, c.NotAccountable, c.PreviousNotAccountable))
		}
	}
	return out
}

// The records the ingest path hands to Written, with the Seqs the store
// gave them, are what a sync would have read: batches that follow each
// other are taken in without a read of the store, and when another writer
// stored records between two of them (or a batch comes before the one
// whose Seqs precede its own), Written reads the store, so that nothing
// written before a batch is missing once it is taken in. In the end the
// engine computes what one that read everything from the store computes.
func TestWrittenTakesBatchesAsASyncWould(t *testing.T) {
	ctx := context.Background()
	e, counted, incidents, changes, cfg, now := writtenFixture(t)
	st := counted.Store
	rng := rand.New(rand.NewPCG(1, 2))
	var (
		pending  []record.Batch // written, not yet handed to Written
		otherRan bool
	)
	write := func(b record.Batch) record.Batch {
		require.NoError(t, st.Write(ctx, b))
		return b
	}
	for i := 0; len(incidents)+len(changes) > 0; i++ {
		var b record.Batch
		n := 50 + rng.IntN(200)
		if i%2 == 0 {
			n = min(n, len(incidents))
			b.Incidents, incidents = append([]record.Incident(nil), incidents[:n]...), incidents[n:]
			if n > 3 && i%5 == 0 {
				// an earlier version of a key the batch repeats: not stored
				old := b.Incidents[n-1]
				old.Team = "superseded"
				b.Incidents = append([]record.Incident{old}, b.Incidents...)
			}
		} else {
			n = min(n, len(changes))
			b.Changes, changes = append([]record.Change(nil), changes[:n]...), changes[n:]
		}
		switch {
		case i%7 == 3 && len(b.Changes) > 1:
			// another writer (a webhook, another replica) stores records
			// that nobody hands to Written
			other := record.Batch{Changes: []record.Change{b.Changes[0]}}
			other.Changes[0].Outcome = record.OutcomeFailed
			write(other)
			otherRan = true
			b.Changes = b.Changes[1:]
			if len(b.Changes) == 0 {
				continue
			}
		case i%11 == 5:
			// this batch is answered after the next one
			pending = append(pending, write(b))
			continue
		}
		b = write(b)
		reads := counted.reads.Load()
		require.NoError(t, e.Written(ctx, b))
		for _, p := range pending {
			require.NoError(t, e.Written(ctx, p))
		}
		if otherRan || len(pending) > 0 {
			assert.Positive(t, counted.reads.Load()-reads, "batch %d: records came between: the store is read", i)
		} else {
			assert.Zero(t, counted.reads.Load()-reads, "batch %d follows the last one: nothing is read back", i)
		}
		pending, otherRan = nil, false
	}

	for _, p := range pending {
		require.NoError(t, e.Written(ctx, p))
	}

	got, err := e.Evaluate(ctx, Query{At: now})
	require.NoError(t, err)
	fresh := New(Options{Store: st, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
	want, err := fresh.Evaluate(ctx, Query{At: now})
	require.NoError(t, err)
	require.NotEmpty(t, want.Cards)
	assert.Equal(t, cardsText(want), cardsText(got))
	assert.Equal(t, fresh.x.incSeq, e.x.incSeq)
	assert.Equal(t, fresh.x.chgSeq, e.x.chgSeq)
}

// Records without Seqs (a store that does not report them) are read back.
func TestWrittenWithoutSeqsSyncs(t *testing.T) {
	ctx := context.Background()
	e, counted, incidents, _, _, _ := writtenFixture(t)
	b := record.Batch{Incidents: append([]record.Incident(nil), incidents[:10]...)}
	require.NoError(t, counted.Write(ctx, b))
	for i := range b.Incidents {
		b.Incidents[i].Seq = 0
	}
	require.NoError(t, e.Written(ctx, b))
	assert.Positive(t, counted.reads.Load())
	assert.Len(t, e.x.incidents, 10)
}

// After NotifyTaken, Run recomputes the latest snapshot from what the
// engine holds, without reading the store (which would read back the
// batches committed and not yet handed to Written); after Notify it reads
// the store first.
func TestRunRecomputesWithoutSyncAfterNotifyTaken(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, err := config.Parse([]byte(edgeConfig))
	require.NoError(t, err)
	st, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "s.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	counted := &readCounter{Store: st}
	computed := make(chan *Snapshot, 10)
	e := New(Options{Store: counted, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler),
		Computed: func(s *Snapshot, _ time.Duration) { computed <- s }})
	done := make(chan struct{})
	go func() {
		e.Run(ctx, time.Hour)
		close(done)
	}()
	defer func() { cancel(); <-done }()
	<-computed
	now := time.Now().UTC()
	incident := func(id, team string) record.Incident {
		return record.Incident{ID: id, Source: "t", System: "s", Team: team, Severity: 3, Impact: record.ImpactNone,
			OpenedAt: now.Add(-time.Hour)}
	}

	b := record.Batch{Incidents: []record.Incident{incident("I1", "taken")}}
	require.NoError(t, st.Write(ctx, b))
	require.NoError(t, e.Written(ctx, b))
	reads := counted.reads.Load()
	e.NotifyTaken()
	s := <-computed
	assert.Len(t, s.Find("1d", RoleTeam, "taken"), 1)
	assert.Equal(t, reads, counted.reads.Load(), "the store is not read")

	require.NoError(t, st.Write(ctx, record.Batch{Incidents: []record.Incident{incident("I2", "told")}}))
	e.Notify()
	s = <-computed
	assert.Len(t, s.Find("1d", RoleTeam, "told"), 1)
	assert.Greater(t, counted.reads.Load(), reads, "the store is read")
}

// Written does not wait for the readers that hold the engine (a
// recompute): the batch waits for the next read, which takes it in first,
// so that the writer's next read still sees it.
func TestWrittenDoesNotWaitForReaders(t *testing.T) {
	ctx := context.Background()
	e, counted, incidents, changes, _, now := writtenFixture(t)
	first := record.Batch{Incidents: append([]record.Incident(nil), incidents[:100]...)}
	require.NoError(t, counted.Write(ctx, first))
	require.NoError(t, e.Written(ctx, first))
	_, _, done, err := e.read(ctx) // a reader holds the engine
	require.NoError(t, err)
	returned := make(chan error)
	go func() {
		for _, b := range []record.Batch{
			{Incidents: append([]record.Incident(nil), incidents[100:200]...)},
			{Changes: append([]record.Change(nil), changes[:100]...)},
		} {
			if err := counted.Write(ctx, b); err != nil {
				returned <- err
				return
			}
			if err := e.Written(ctx, b); err != nil {
				returned <- err
				return
			}
		}
		returned <- nil
	}()
	select {
	case err := <-returned:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Written waited for the reader")
	}
	assert.Len(t, e.x.incidents, 100, "not taken in while the reader holds the engine")
	done()

	reads := counted.reads.Load()
	got, err := e.Evaluate(ctx, Query{At: now})
	require.NoError(t, err)
	assert.Len(t, e.x.incidents, 200)
	assert.Len(t, e.x.changes, 100)
	assert.Equal(t, reads, counted.reads.Load(), "taken in without reading the store")
	fresh := New(Options{Store: counted.Store, Config: e.opts.Config, Logger: slog.New(slog.DiscardHandler)})
	want, err := fresh.Evaluate(ctx, Query{At: now})
	require.NoError(t, err)
	assert.Equal(t, cardsText(want), cardsText(got))
}

package scorecard

import (
	"context"
	"log/slog"
	"math"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// runningEngine starts Run on an engine over an empty store, with a clock
// for the gaps the test controls: each wait Run asks for is sent on waits,
// and ends when the test sends on fire. It returns the engine, the number
// of recomputes so far, and a channel that receives one value per
// recompute.
func runningEngine(t *testing.T, minInterval time.Duration) (e *Engine, recomputes *atomic.Int32, computed <-chan struct{}, waits <-chan time.Duration, fire chan<- time.Time) {
	t.Helper()
	cfg, err := config.Parse([]byte(edgeConfig))
	require.NoError(t, err)
	st, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "s.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	recomputes = &atomic.Int32{}
	computedC := make(chan struct{}, 1000)
	e = New(Options{Store: st, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler),
		MinInterval: minInterval,
		Computed: func(*Snapshot, time.Duration) {
			recomputes.Add(1)
			computedC <- struct{}{}
		}})
	waitsC, fireC := make(chan time.Duration), make(chan time.Time)
	e.after = func(d time.Duration) <-chan time.Time {
		select {
		case waitsC <- d:
		case <-ctx.Done():
		}
		return fireC
	}
	done := make(chan struct{})
	go func() {
		e.Run(ctx, time.Hour) // no tick during the test
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	<-computedC // the recompute Run starts with
	return e, recomputes, computedC, waitsC, fireC
}

func TestRunCoalescesNotifications(t *testing.T) {
	e, recomputes, computed, waits, fire := runningEngine(t, time.Hour)

	for range 100 {
		e.Notify()
	}
	select {
	case d := <-waits:
		assert.Equal(t, int32(1), recomputes.Load(), "no recompute before the gap has passed")
		assert.True(t, d > 0 && d <= time.Hour, "waits the rest of the gap, not %v", d)
	case <-computed:
		t.Fatal("recomputed right after the notifications instead of waiting for the gap")
	}

	for range 100 {
		e.Notify() // while waiting: nothing more to do
	}
	fire <- time.Now() // the gap has passed
	<-computed
	e.Notify()
	select {
	case <-waits:
		assert.Equal(t, int32(2), recomputes.Load(), "one recompute for every notification during the gap")
	case <-computed:
		t.Fatal("the notifications during the gap caused another recompute")
	}
}

func TestRunWithoutMinIntervalRecomputesAfterEachNotification(t *testing.T) {
	e, recomputes, computed, waits, _ := runningEngine(t, 0)
	for i := range 3 {
		e.Notify()
		select {
		case <-computed:
			assert.Equal(t, int32(i+2), recomputes.Load())
		case d := <-waits:
			t.Fatalf("waited %v with no minimum interval", d)
		}
	}
}

// Without previous windows the values and scores are the same, and the
// previous values are left out.
func TestEvaluateWithoutPrevious(t *testing.T) {
	e := scenarioEngine(t)
	ctx := context.Background()
	at := ts("2026-01-11T00:00:00Z")
	full, err := e.Evaluate(ctx, Query{At: at})
	require.NoError(t, err)
	lean, err := e.Evaluate(ctx, Query{At: at, NoPrevious: true})
	require.NoError(t, err)
	compared := 0
	for w, cards := range full.Cards {
		require.Len(t, lean.Cards[w], len(cards))
		for i, c := range cards {
			l := lean.Cards[w][i]
			require.Equal(t, c.Subject, l.Subject)
			for k := range numKPI {
				if !(math.IsNaN(c.Value[k]) && math.IsNaN(l.Value[k])) {
					require.Equal(t, c.Value[k], l.Value[k], "%s %s", c.Subject, k.Name())
				}
				require.True(t, math.IsNaN(l.Previous[k]))
			}
			require.Equal(t, c.Status, l.Status)
			compared++
		}
	}
	require.Positive(t, compared)
}

// A reader of the latest snapshot that waits for the state while another
// reader recomputes and publishes a newer one must not answer the
// snapshot it found before waiting: that one lacks the records taken in
// since. The test holds the first reader there (in its call of
// Options.Config, between finding the latest snapshot and reading the
// state) while a second reader publishes the snapshot of the current
// records.
func TestLatestReadersSeeRecordsTakenInWhileTheyWait(t *testing.T) {
	for name, read := range map[string]func(*Engine) (*Snapshot, error){
		"current":  func(e *Engine) (*Snapshot, error) { return e.Current(context.Background()) },
		"evaluate": func(e *Engine) (*Snapshot, error) { return e.Evaluate(context.Background(), Query{Role: RoleTeam}) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg, err := config.Parse([]byte(edgeConfig))
			require.NoError(t, err)
			st, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "s.db"), slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			var hold atomic.Bool
			entered, release := make(chan struct{}), make(chan struct{})
			e := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler), Config: func() *config.Config {
				if hold.CompareAndSwap(true, false) {
					close(entered)
					<-release
				}
				return cfg
			}})
			now := time.Now().UTC()
			incident := func(id, team string) record.Incident {
				return record.Incident{ID: id, Source: "t", System: "s", Team: team, Severity: 3, Impact: record.ImpactNone,
					OpenedAt: now.Add(-time.Hour)}
			}
			require.NoError(t, st.Write(ctx, record.Batch{Incidents: []record.Incident{incident("I1", "early")}}))
			_, err = e.Refresh(ctx)
			require.NoError(t, err)
			require.NoError(t, st.Write(ctx, record.Batch{Incidents: []record.Incident{incident("I2", "late")}}))
			require.NoError(t, e.Sync(ctx)) // as ingest does after its commit

			hold.Store(true)
			answer := make(chan *Snapshot, 1)
			go func() {
				s, err := read(e)
				assert.NoError(t, err)
				answer <- s
			}()
			<-entered // the first reader has found the latest snapshot
			newer, err := e.Current(ctx)
			require.NoError(t, err)
			require.Len(t, newer.Find("1d", RoleTeam, "late"), 1, "the second reader's snapshot")
			close(release)
			s := <-answer
			require.NotNil(t, s)
			assert.Len(t, s.Find("1d", RoleTeam, "late"), 1, "the first reader's snapshot includes the record taken in before it asked")
			assert.Len(t, s.Find("1d", RoleTeam, "early"), 1)
		})
	}
}

// The latest snapshot never goes back: a recompute that finishes after a
// later one does not replace it.
func TestPublishKeepsTheNewerSnapshot(t *testing.T) {
	e := New(Options{Config: func() *config.Config { return nil }})
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	older, newer, later := &Snapshot{At: t0}, &Snapshot{At: t0}, &Snapshot{At: t0.Add(time.Second)}
	require.True(t, e.publish(newer, 2))
	assert.False(t, e.publish(older, 1), "an older gen")
	assert.Same(t, newer, e.Latest())
	require.True(t, e.publish(later, 2), "the same gen, later")
	assert.False(t, e.publish(newer, 2), "the same gen, earlier")
	assert.Same(t, later, e.Latest())
}

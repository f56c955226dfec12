package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/enginetest"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
)

// fixedScorecards answers every query, at any time, from one snapshot the
// test swaps, so a past-time (never kept) answer of the same snapshot is
// the fresh one to compare the kept one with.
type fixedScorecards struct {
	snap atomic.Pointer[scorecard.Snapshot]
}

func (f *fixedScorecards) Current(context.Context) (*scorecard.Snapshot, error) {
	return f.snap.Load(), nil
}

func (f *fixedScorecards) At(context.Context, time.Time) (*scorecard.Snapshot, error) {
	return f.snap.Load(), nil
}

func (f *fixedScorecards) Evaluate(context.Context, scorecard.Query) (*scorecard.Snapshot, error) {
	return f.snap.Load(), nil
}

// generatedSnapshots computes a generated organisation's snapshot with the
// real engine, and a second one after more records arrived.
func generatedSnapshots(t *testing.T) (first, second *scorecard.Snapshot) {
	t.Helper()
	org := enginetest.New(t, generate.DefaultOptions())
	half := len(org.Changes) / 2
	first = org.Add(t, record.Batch{Incidents: org.Incidents, Changes: org.Changes[:half]})
	second = org.Add(t, record.Batch{Changes: org.Changes[half:]})
	return first, second
}

func get(t *testing.T, h http.Handler, query string) (int, http.Header, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/scorecards?"+query, nil))
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

// The answers kept for the latest snapshot are byte for byte the ones
// computed afresh, in JSON and CSV, for every role and window; a new
// snapshot replaces them.
func TestScorecardsKeptAnswers(t *testing.T) {
	first, second := generatedSnapshots(t)
	sc := &fixedScorecards{}
	sc.snap.Store(first)
	srv := New(Options{Store: nil, Logger: slog.New(slog.DiscardHandler), Scorecards: sc})

	roles := []string{"", "system", "system_owner", "program", "program_manager", "process_owner", "process_manager", "team", "global"}
	check := func(t *testing.T, snap *scorecard.Snapshot) {
		for _, w := range snap.Windows {
			for _, role := range roles {
				for _, format := range []string{"", "json", "csv"} {
					q := "window=" + w.Name + "&role=" + role + "&format=" + format
					code, _, fresh := get(t, srv, q+"&at="+snap.At.Format(time.RFC3339Nano))
					require.Equal(t, http.StatusOK, code, string(fresh))
					for range 2 { // the first is computed and kept, the second is the kept one
						code, hdr, kept := get(t, srv, q)
						require.Equal(t, http.StatusOK, code)
						require.Equal(t, string(fresh), string(kept), q)
						assert.Equal(t, strconv.Itoa(len(kept)), hdr.Get("Content-Length"))
					}
					if format != "csv" {
						var v ScorecardsView
						require.NoError(t, json.Unmarshal(fresh, &v))
						assert.Equal(t, w.Name, v.Window)
					}
				}
			}
		}
	}
	check(t, first)
	_, _, before := get(t, srv, "role=system_owner")
	srv.answers.mu.Lock()
	assert.Equal(t, first, srv.answers.snap)
	assert.NotEmpty(t, srv.answers.bodies, "answers of the latest snapshot are kept")
	assert.LessOrEqual(t, srv.answers.size, maxAnswerBytes)
	srv.answers.mu.Unlock()

	// the engine publishes a new snapshot: what was kept is dropped at once
	sc.snap.Store(second)
	srv.SnapshotComputed(second)
	srv.answers.mu.Lock()
	assert.Empty(t, srv.answers.bodies)
	srv.answers.mu.Unlock()
	_, _, after := get(t, srv, "role=system_owner")
	assert.NotEqual(t, string(before), string(after), "the new records change the owners' scorecards")
	check(t, second)

	// a snapshot seen by a request before the engine's call is enough
	sc.snap.Store(first)
	_, _, again := get(t, srv, "role=system_owner")
	assert.Equal(t, string(before), string(again))

	// one subject's answer and errors are not kept
	srv.SnapshotComputed(second)
	code, _, _ := get(t, srv, "role=system_owner&subject=nobody")
	assert.Equal(t, http.StatusNotFound, code)
	code, _, _ = get(t, srv, "role=system_owner&format=xml")
	assert.Equal(t, http.StatusBadRequest, code)
	sc.snap.Store(second)
	code, _, one := get(t, srv, "role=system&subject="+second.Cards["30d"][0].ID)
	assert.Equal(t, http.StatusOK, code)
	assert.NotEmpty(t, one)
	srv.answers.mu.Lock()
	assert.Empty(t, srv.answers.bodies)
	srv.answers.mu.Unlock()
}

// The bytes kept are bounded: the oldest answers go first, and one answer
// larger than the bound is not kept at all.
func TestAnswersBounded(t *testing.T) {
	snap := &scorecard.Snapshot{}
	a := newAnswers(10)
	k := func(w string) answerKey { return answerKey{window: w, format: "json"} }
	a.put(snap, k("a"), []byte("aaaa"))
	a.put(snap, k("b"), []byte("bbbb"))
	a.put(snap, k("c"), []byte("cccc"))
	_, ok := a.get(snap, k("a"))
	assert.False(t, ok, "the oldest answer made room")
	for _, w := range []string{"b", "c"} {
		b, ok := a.get(snap, k(w))
		assert.True(t, ok)
		assert.Equal(t, bytes.Repeat([]byte(w), 4), b)
	}
	a.put(snap, k("d"), bytes.Repeat([]byte("d"), 11))
	_, ok = a.get(snap, k("d"))
	assert.False(t, ok)
	assert.Equal(t, 8, a.size)
	_, ok = a.get(&scorecard.Snapshot{}, k("b"))
	assert.False(t, ok, "another snapshot's answers are not served")
}

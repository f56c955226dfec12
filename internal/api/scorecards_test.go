package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
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
	assert.NotEmpty(t, srv.answers.bodies.bodies, "answers of the latest snapshot are kept")
	assert.LessOrEqual(t, srv.answers.bodies.size, maxAnswerBytes)
	srv.answers.mu.Unlock()

	// the engine publishes a new snapshot: what was kept is dropped at once
	sc.snap.Store(second)
	srv.SnapshotComputed(second)
	srv.answers.mu.Lock()
	assert.Empty(t, srv.answers.bodies.bodies)
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
	assert.Empty(t, srv.answers.bodies.bodies)
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
	assert.Equal(t, 8, a.bodies.size)
	_, ok = a.get(&scorecard.Snapshot{}, k("b"))
	assert.False(t, ok, "another snapshot's answers are not served")
}

// countingScorecards is the engine, counting the evaluations asked of it.
type countingScorecards struct {
	*scorecard.Engine
	evaluations atomic.Int32
}

func (c *countingScorecards) Evaluate(ctx context.Context, q scorecard.Query) (*scorecard.Snapshot, error) {
	c.evaluations.Add(1)
	return c.Engine.Evaluate(ctx, q)
}

func (c *countingScorecards) At(ctx context.Context, at time.Time) (*scorecard.Snapshot, error) {
	c.evaluations.Add(1)
	return c.Engine.At(ctx, at)
}

// kpiOrg is a generated organisation with half its changes stored, served
// by a Server over its engine.
func kpiOrg(t *testing.T) (*enginetest.Org, *countingScorecards, *Server) {
	t.Helper()
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 40, 30, 3000, 6000
	org := enginetest.New(t, o)
	org.Add(t, record.Batch{Incidents: org.Incidents, Changes: org.Changes[:len(org.Changes)/2]})
	sc := &countingScorecards{Engine: org.Engine}
	return org, sc, New(Options{Logger: slog.New(slog.DiscardHandler), Scorecards: sc})
}

// kpi= answers hold the KPIs asked for only, with the values, objectives,
// statuses, previous values and deltas of the full answer, and no score;
// in JSON and CSV, now and at a past time, for every subject or one.
func TestScorecardsKPISelection(t *testing.T) {
	org, _, srv := kpiOrg(t)
	past := "&at=" + time.Date(2025, 11, 3, 7, 0, 0, 0, time.UTC).Format(time.RFC3339)
	selected := []string{"change_success_ratio", "changes_completed", "mttr_seconds", "availability_ratio"}
	for _, tc := range []struct{ name, base, kpi string }{
		{"owners past", "role=system_owner&window=30d" + past, "kpi=change_success_ratio,mttr_seconds&kpi=changes_completed&kpi=availability_ratio"},
		{"owners now", "role=system_owner&window=30d", "kpi=availability_ratio,change_success_ratio,changes_completed,mttr_seconds"},
		{"every role past", "window=7d" + past, "kpi=mttr_seconds,+availability_ratio,,change_success_ratio&kpi=changes_completed&kpi=mttr_seconds"},
		{"one system past", "role=system&subject=" + org.Config.Systems[0].ID + past, "kpi=" + strings.Join(selected, ",")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, fullBody := get(t, srv, tc.base)
			require.Equal(t, http.StatusOK, code, string(fullBody))
			code, hdr, selBody := get(t, srv, tc.base+"&"+tc.kpi)
			require.Equal(t, http.StatusOK, code, string(selBody))
			assert.Equal(t, "application/json", hdr.Get("Content-Type"))
			var full, sel ScorecardsView
			require.NoError(t, json.Unmarshal(fullBody, &full))
			require.NoError(t, json.Unmarshal(selBody, &sel))
			assert.Equal(t, full.At, sel.At)
			assert.Equal(t, full.Window, sel.Window)
			require.Len(t, sel.Scorecards, len(full.Scorecards))
			require.NotEmpty(t, sel.Scorecards)
			var raw struct {
				Scorecards []map[string]json.RawMessage `json:"scorecards"`
			}
			require.NoError(t, json.Unmarshal(selBody, &raw))
			valued := 0
			for i, fc := range full.Scorecards {
				sc := sel.Scorecards[i]
				assert.Equal(t, fc.Role, sc.Role)
				assert.Equal(t, fc.Subject, sc.Subject)
				assert.Equal(t, fc.NotAccountable, sc.NotAccountable)
				assert.NotContains(t, raw.Scorecards[i], "score", "a selection has no score")
				want := map[string]KPIView{}
				for _, name := range selected {
					if kv, ok := fc.KPIs[name]; ok {
						want[name] = kv
						if kv.Value != nil {
							valued++
						}
					}
				}
				assert.Equal(t, want, sc.KPIs, "%s/%s", fc.Role, fc.Subject)
			}
			assert.Positive(t, valued)

			// CSV: the full answer's rows of those KPIs, without the score
			code, _, fullCSV := get(t, srv, tc.base+"&format=csv")
			require.Equal(t, http.StatusOK, code)
			code, hdr, selCSV := get(t, srv, tc.base+"&format=csv&"+tc.kpi)
			require.Equal(t, http.StatusOK, code, string(selCSV))
			assert.Equal(t, "text/csv; charset=utf-8", hdr.Get("Content-Type"))
			fullRows, err := csv.NewReader(bytes.NewReader(fullCSV)).ReadAll()
			require.NoError(t, err)
			selRows, err := csv.NewReader(bytes.NewReader(selCSV)).ReadAll()
			require.NoError(t, err)
			want := [][]string{fullRows[0]}
			for _, row := range fullRows[1:] {
				if slices.Contains(selected, row[5]) {
					row[4] = ""
					want = append(want, row)
				}
			}
			require.Greater(t, len(want), 1)
			assert.Equal(t, want, selRows)
		})
	}
}

func TestScorecardsUnknownKPI(t *testing.T) {
	_, _, srv := kpiOrg(t)
	for _, q := range []string{"kpi=change_success_ratio,nope", "kpi=", "kpi=mttr_seconds&kpi=mttr", "kpi=mttr_seconds&at=2025-11-03T00:00:00Z&role=system_owner"} {
		code, _, body := get(t, srv, "window=30d&"+q)
		if q == "kpi=mttr_seconds&at=2025-11-03T00:00:00Z&role=system_owner" {
			assert.Equal(t, http.StatusOK, code, q)
			continue
		}
		assert.Equal(t, http.StatusBadRequest, code, q)
		var e struct {
			Error string `json:"error"`
		}
		require.NoError(t, json.Unmarshal(body, &e), string(body))
		assert.Contains(t, e.Error, "kpi:", q)
		assert.Contains(t, e.Error, "changes_completed, changes_failed, change_success_ratio,", "the answer lists the valid names")
	}
}

// A past answer is kept: asked again it is the same bytes, not evaluated
// again, until a write changes the engine's generation.
func TestScorecardsPastAnswersKept(t *testing.T) {
	org, sc, srv := kpiOrg(t)
	at := time.Date(2025, 11, 3, 7, 0, 0, 0, time.UTC)
	queries := []string{
		"role=system_owner&window=30d&kpi=change_success_ratio,mttr_seconds",
		"role=system_owner&window=30d",
		"role=system_owner&window=30d&format=csv&kpi=change_success_ratio,mttr_seconds",
		"window=7d",
		"role=system&subject=" + org.Config.Systems[0].ID,
	}
	ask := func(q string, at time.Time) []byte {
		code, hdr, body := get(t, srv, q+"&at="+url.QueryEscape(at.Format(time.RFC3339Nano)))
		require.Equal(t, http.StatusOK, code, string(body))
		assert.Equal(t, strconv.Itoa(len(body)), hdr.Get("Content-Length"))
		return body
	}
	first := map[string][]byte{}
	for _, q := range queries {
		before := sc.evaluations.Load()
		first[q] = ask(q, at)
		assert.Greater(t, sc.evaluations.Load(), before, "%s: evaluated", q)
		before = sc.evaluations.Load()
		assert.Equal(t, string(first[q]), string(ask(q, at)), q)
		// the same instant written otherwise is the same answer
		assert.Equal(t, string(first[q]), string(ask(q, at.In(time.FixedZone("x", 3600)))), q)
		assert.Equal(t, before, sc.evaluations.Load(), "%s: answered from what was kept", q)
	}
	// another time, or other KPIs, is another answer
	before := sc.evaluations.Load()
	ask(queries[0], at.Add(time.Hour))
	ask(queries[0]+",changes_completed", at)
	assert.Equal(t, before+2, sc.evaluations.Load())
	srv.past.mu.Lock()
	assert.LessOrEqual(t, srv.past.bodies.size, maxPastBytes)
	assert.Len(t, srv.past.bodies.bodies, len(queries)+2)
	srv.past.mu.Unlock()

	// a write: what was kept is dropped, and the answers show the write
	org.Add(t, record.Batch{Changes: org.Changes[len(org.Changes)/2:]})
	changed := 0
	for _, q := range queries {
		before := sc.evaluations.Load()
		body := ask(q, at)
		assert.Greater(t, sc.evaluations.Load(), before, "%s: evaluated again after a write", q)
		if string(body) != string(first[q]) {
			changed++
		}
	}
	assert.Positive(t, changed, "the new changes change the answers at that time")
}

// The past answers kept are bounded; a new generation drops them.
func TestPastAnswersBound(t *testing.T) {
	a := newPastAnswers(100)
	body := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	a.put(1, pastKey{at: 1}, body(30)) // over a quarter of the bound: not kept
	_, ok := a.get(1, pastKey{at: 1})
	assert.False(t, ok)
	for i := range 10 {
		a.put(1, pastKey{at: int64(i)}, body(20))
		assert.LessOrEqual(t, a.bodies.size, 100)
	}
	_, ok = a.get(1, pastKey{at: 0})
	assert.False(t, ok, "the oldest went first")
	got, ok := a.get(1, pastKey{at: 9})
	assert.True(t, ok)
	assert.Equal(t, body(20), got)
	_, ok = a.get(2, pastKey{at: 9})
	assert.False(t, ok, "kept at another generation")
	a.put(0, pastKey{at: 3}, body(10)) // computed at an older generation: not kept
	_, ok = a.get(0, pastKey{at: 3})
	assert.False(t, ok)
	a.put(2, pastKey{at: 3}, body(10))
	assert.Equal(t, 10, a.bodies.size, "a new generation drops the older one's")
}

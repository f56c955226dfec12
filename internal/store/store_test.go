package store

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

// testStore is the conformance suite every record.Store must pass. open
// returns a new, empty store that is closed when the test ends.
func testStore(t *testing.T, open func(t *testing.T) record.Store) {
	t.Run("round trip", func(t *testing.T) { t.Parallel(); testRoundTrip(t, open(t)) })
	t.Run("same batch twice is stored once", func(t *testing.T) { t.Parallel(); testIdempotent(t, open(t)) })
	t.Run("new version replaces old", func(t *testing.T) { t.Parallel(); testReplace(t, open) })
	t.Run("paging", func(t *testing.T) { t.Parallel(); testPaging(t, open(t)) })
	t.Run("limit must be positive", func(t *testing.T) { t.Parallel(); testBadLimit(t, open(t)) })
	t.Run("write is atomic", func(t *testing.T) { t.Parallel(); testAtomic(t, open) })
	t.Run("quarantine", func(t *testing.T) { t.Parallel(); testQuarantine(t, open(t)) })
	t.Run("ping and close", func(t *testing.T) { t.Parallel(); testPing(t, open(t)) })
	t.Run("concurrent writes all land", func(t *testing.T) { t.Parallel(); testConcurrent(t, open(t)) })
	t.Run("large batch with repeated keys", func(t *testing.T) { t.Parallel(); testLargeBatch(t, open(t)) })
	t.Run("feedback", func(t *testing.T) { t.Parallel(); testFeedback(t, open(t)) })
	t.Run("write gives the stored records their Seqs", func(t *testing.T) { t.Parallel(); testWriteSeqs(t, open(t)) })
	t.Run("bad text refused as invalid", func(t *testing.T) { t.Parallel(); testInvalidText(t, open(t)) })
}

// t0 has microseconds, the precision stores keep.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

func ptr[T any](v T) *T { return &v }

func fullIncident(id string) record.Incident {
	return record.Incident{
		ID:              id,
		Source:          "pagerduty",
		System:          "payments-api",
		Title:           `Checkout fails – "5xx" <&> ☕`,
		Severity:        1,
		Impact:          record.ImpactOutage,
		Category:        "security",
		ImpactStartedAt: at(-20 * time.Minute),
		OpenedAt:        t0,
		AcknowledgedAt:  at(90*time.Second + time.Microsecond),
		MitigatedAt:     at(40 * time.Minute),
		ResolvedAt:      at(2 * time.Hour),
		ClosedAt:        at(26 * time.Hour),
		Team:            "payments",
		CausedByChange:  &record.Ref{Source: "github", ID: "deploy-42"},
		Review: &record.Review{Required: ptr(true), CompletedAt: at(72 * time.Hour),
			Signoffs: []record.Signoff{
				{Role: record.RoleSystemOwner, Person: "alice", At: *at(73*time.Hour + time.Microsecond)},
				{Role: record.RoleProgramManager, Person: "carol ☕", At: *at(80 * time.Hour)},
			},
			Actions: []record.Action{
				{ID: "ACT-1", Due: at(30 * 24 * time.Hour), DoneAt: at(10 * 24 * time.Hour)},
				{ID: "ACT-2"},
			}},
		Estimated: []string{"impact_started_at", "closed_at"},
		Labels:    map[string]string{"region": "eu-west-1", "quote": `"<&>"`, "": "empty name", "empty": ""},
	}
}

// The minimal records share their source with the full ones, so that the
// two are versions of one record when their ids match.
func minimalIncident(id string) record.Incident {
	return record.Incident{ID: id, Source: "pagerduty", System: "no-such-system", Severity: 5, Impact: record.ImpactNone, Category: record.CategoryNone, OpenedAt: t0}
}

func fullChange(id string) record.Change {
	return record.Change{
		ID:           id,
		Source:       "github",
		System:       "payments-api",
		Team:         "payments",
		Type:         record.TypeEmergency,
		Environment:  "production",
		CreatedAt:    at(-48 * time.Hour),
		ApprovedAt:   at(-24 * time.Hour),
		PlannedStart: at(-2 * time.Hour),
		PlannedEnd:   at(-90 * time.Minute),
		StartedAt:    at(-time.Hour),
		FinishedAt:   at(-time.Minute),
		Outcome:      record.OutcomeRolledBack,
		Authorized:   false,
		Rework:       true,
		Estimated:    []string{"started_at"},
		Labels:       map[string]string{"sha": "0123abcd", "pr": "1234"},
	}
}

func minimalChange(id string) record.Change {
	return record.Change{ID: id, Source: "github", System: "payments-api", Type: record.TypeNormal,
		Environment: "production", Outcome: record.OutcomeInProgress, Authorized: true}
}

// incidents reads every incident with Seq > after.
func incidents(t *testing.T, s record.Store, after int64) []record.Incident {
	t.Helper()
	got, err := s.Incidents(context.Background(), after, 1_000_000)
	require.NoError(t, err)
	return got
}

func changes(t *testing.T, s record.Store, after int64) []record.Change {
	t.Helper()
	got, err := s.Changes(context.Background(), after, 1_000_000)
	require.NoError(t, err)
	return got
}

// withoutSeq checks that every Seq was assigned and zeroes it for comparison.
func withoutSeq[T any](t *testing.T, records []T, seq func(*T) *int64) []T {
	t.Helper()
	out := make([]T, len(records))
	copy(out, records)
	for i := range out {
		assert.Positive(t, *seq(&out[i]), "Seq of record %d", i)
		*seq(&out[i]) = 0
	}
	return out
}

// zeroSeq returns a copy of records with every Seq 0.
func zeroSeq[T any](records []T, seq func(*T) *int64) []T {
	out := make([]T, len(records))
	copy(out, records)
	for i := range out {
		*seq(&out[i]) = 0
	}
	return out
}

func incidentSeq(i *record.Incident) *int64 { return &i.Seq }
func changeSeq(c *record.Change) *int64     { return &c.Seq }

func maxSeq(ins []record.Incident, cs []record.Change) int64 {
	var m int64
	for _, i := range ins {
		m = max(m, i.Seq)
	}
	for _, c := range cs {
		m = max(m, c.Seq)
	}
	return m
}

func testRoundTrip(t *testing.T, s record.Store) {
	berlin := time.FixedZone("CET", 3600)
	moonLanding := time.Date(1969, 7, 20, 20, 17, 40, 999_999_000, time.UTC)
	tests := []struct {
		name          string
		incidents     []record.Incident
		changes       []record.Change
		wantIncidents []record.Incident // nil: as written
		wantChanges   []record.Change
	}{
		{name: "fully populated incident", incidents: []record.Incident{fullIncident("full")}},
		{name: "minimal incident", incidents: []record.Incident{minimalIncident("minimal")}},
		{
			name: "review not required, not completed",
			incidents: []record.Incident{func() record.Incident {
				in := minimalIncident("review-false")
				in.Review = &record.Review{Required: ptr(false)}
				return in
			}()},
		},
		{
			name: "review completed, required left to policy",
			incidents: []record.Incident{func() record.Incident {
				in := minimalIncident("review-nil-completed")
				in.Review = &record.Review{CompletedAt: at(time.Hour)}
				return in
			}()},
		},
		{
			name: "review with only sign-offs and actions, times normalised",
			incidents: []record.Incident{func() record.Incident {
				in := minimalIncident("review-signoffs")
				in.Review = &record.Review{Signoffs: []record.Signoff{{Role: record.RoleProcessOwner, Person: "davis",
					At: time.Date(2026, 3, 4, 7, 0, 0, 1999, berlin)}}, Actions: []record.Action{{ID: "a", DoneAt: ptr(time.Date(2026, 3, 4, 8, 0, 0, 0, berlin))}}}
				return in
			}()},
			wantIncidents: []record.Incident{func() record.Incident {
				in := minimalIncident("review-signoffs")
				in.Review = &record.Review{Signoffs: []record.Signoff{{Role: record.RoleProcessOwner, Person: "davis",
					At: time.Date(2026, 3, 4, 6, 0, 0, 1000, time.UTC)}}, Actions: []record.Action{{ID: "a", DoneAt: ptr(time.Date(2026, 3, 4, 7, 0, 0, 0, time.UTC))}}}
				return in
			}()},
		},
		{
			name: "empty labels and empty review read back nil",
			incidents: []record.Incident{func() record.Incident {
				in := fullIncident("empties")
				in.Labels, in.Review, in.Estimated = map[string]string{}, &record.Review{Signoffs: []record.Signoff{}}, []string{}
				return in
			}()},
			wantIncidents: []record.Incident{func() record.Incident {
				in := fullIncident("empties")
				in.Labels, in.Review, in.Estimated = nil, nil, nil
				return in
			}()},
		},
		{
			name: "times come back UTC, truncated to the microsecond",
			incidents: []record.Incident{func() record.Incident {
				in := minimalIncident("zone")
				in.OpenedAt = time.Date(2026, 3, 4, 6, 6, 7, 123456789, berlin)
				in.ResolvedAt = ptr(time.Date(2026, 3, 4, 7, 0, 0, 999, berlin))
				return in
			}()},
			wantIncidents: []record.Incident{func() record.Incident {
				in := minimalIncident("zone")
				in.OpenedAt = t0
				in.ResolvedAt = ptr(time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC))
				return in
			}()},
		},
		{
			name: "times before 1970",
			incidents: []record.Incident{func() record.Incident {
				in := minimalIncident("1969")
				in.OpenedAt, in.ResolvedAt = moonLanding, ptr(moonLanding.Add(time.Microsecond))
				return in
			}()},
		},
		{name: "fully populated change", changes: []record.Change{fullChange("full")}},
		{name: "minimal change", changes: []record.Change{minimalChange("minimal")}},
		{
			name:      "both kinds in one batch",
			incidents: []record.Incident{fullIncident("both-1"), minimalIncident("both-2")},
			changes:   []record.Change{minimalChange("both-1"), fullChange("both-2")},
		},
	}
	var last int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, s.Write(context.Background(), record.Batch{Incidents: tt.incidents, Changes: tt.changes}))
			// As written, Seqs included: Write gives each record the Seq it
			// is read back with.
			wantIncidents, wantChanges := tt.incidents, tt.changes
			if tt.wantIncidents != nil {
				wantIncidents = zeroSeq(tt.wantIncidents, incidentSeq)
				for i := range tt.incidents {
					wantIncidents[i].Seq = tt.incidents[i].Seq
				}
			}
			if tt.wantChanges != nil {
				wantChanges = zeroSeq(tt.wantChanges, changeSeq)
				for i := range tt.changes {
					wantChanges[i].Seq = tt.changes[i].Seq
				}
			}
			gotIncidents, gotChanges := incidents(t, s, last), changes(t, s, last)
			last = max(last, maxSeq(gotIncidents, gotChanges))
			withoutSeq(t, gotIncidents, incidentSeq) // every Seq assigned
			withoutSeq(t, gotChanges, changeSeq)
			assert.Equal(t, wantIncidents, nilIfEmpty(gotIncidents))
			assert.Equal(t, wantChanges, nilIfEmpty(gotChanges))
		})
	}
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// A writer hands the records it wrote, with the Seqs Write gave them, to a
// reader that follows Seq (the KPI engine) instead of the reader reading
// them back: they must be what a read returns, with consecutive Seqs, and
// a record a later one of its key replaced in the batch must say it was not
// stored.
func testWriteSeqs(t *testing.T, s record.Store) {
	ctx := context.Background()
	require.NoError(t, s.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("before")}}))
	before := incidents(t, s, 0)
	require.Len(t, before, 1)
	replaced := minimalIncident("a")
	replaced.Title = "replaced in the batch"
	b := record.Batch{
		Incidents: []record.Incident{replaced, fullIncident("b"), fullIncident("a")},
		Changes:   []record.Change{fullChange("a"), minimalChange("b")},
		Feedback:  []record.Feedback{fullFeedback("a")},
	}
	b.Incidents[0].Seq = 99 // whatever a caller left there
	require.NoError(t, s.Write(ctx, b))
	assert.Zero(t, b.Incidents[0].Seq, "replaced in the batch: not stored")
	assert.Equal(t, b.Incidents[1:], incidents(t, s, before[0].Seq))
	assert.Equal(t, b.Changes, changes(t, s, before[0].Seq))
	fb, err := s.Feedback(ctx, before[0].Seq, 10)
	require.NoError(t, err)
	assert.Equal(t, b.Feedback, fb)
	seqs := []int64{b.Incidents[1].Seq, b.Incidents[2].Seq, b.Changes[0].Seq, b.Changes[1].Seq, b.Feedback[0].Seq}
	slices.Sort(seqs)
	for i := range seqs {
		assert.Equal(t, seqs[0]+int64(i), seqs[i], "consecutive Seqs: %v", seqs)
	}
	assert.Greater(t, seqs[0], before[0].Seq)

	failed := record.Batch{Incidents: []record.Incident{minimalIncident("c")}}
	failed.Incidents[0].System = "bad\x00"
	require.Error(t, s.Write(ctx, failed))
	assert.Zero(t, failed.Incidents[0].Seq, "not stored")
}

func testIdempotent(t *testing.T, s record.Store) {
	ctx := context.Background()
	b := record.Batch{
		Incidents: []record.Incident{fullIncident("a"), minimalIncident("b"), fullIncident("c")},
		Changes:   []record.Change{fullChange("a"), minimalChange("b")},
	}
	require.NoError(t, s.Write(ctx, b))
	require.NoError(t, s.Write(ctx, b))
	// b has the Seqs of the second write, which replaced the first's.
	assert.Equal(t, b.Incidents, incidents(t, s, 0))
	assert.Equal(t, b.Changes, changes(t, s, 0))
}

func testReplace(t *testing.T, open func(t *testing.T) record.Store) {
	resolved := fullIncident("x")
	resolved.ResolvedAt, resolved.Labels = at(3*time.Hour), map[string]string{"state": "resolved"}
	otherSource := minimalIncident("x")
	otherSource.Source = "alertmanager"
	tests := []struct {
		name    string
		batches []record.Batch
		want    record.Batch // what the store holds afterwards, in Seq order
	}{
		{
			name:    "incident: full then minimal clears every optional field",
			batches: []record.Batch{{Incidents: []record.Incident{fullIncident("x")}}, {Incidents: []record.Incident{minimalIncident("x")}}},
			want:    record.Batch{Incidents: []record.Incident{minimalIncident("x")}},
		},
		{
			name:    "incident: minimal then full",
			batches: []record.Batch{{Incidents: []record.Incident{minimalIncident("x")}}, {Incidents: []record.Incident{fullIncident("x")}}},
			want:    record.Batch{Incidents: []record.Incident{fullIncident("x")}},
		},
		{
			name:    "incident: updated fields",
			batches: []record.Batch{{Incidents: []record.Incident{fullIncident("x")}}, {Incidents: []record.Incident{resolved}}},
			want:    record.Batch{Incidents: []record.Incident{resolved}},
		},
		{
			name:    "change: full then minimal",
			batches: []record.Batch{{Changes: []record.Change{fullChange("x")}}, {Changes: []record.Change{minimalChange("x")}}},
			want:    record.Batch{Changes: []record.Change{minimalChange("x")}},
		},
		{
			name:    "change: minimal then full",
			batches: []record.Batch{{Changes: []record.Change{minimalChange("x")}}, {Changes: []record.Change{fullChange("x")}}},
			want:    record.Batch{Changes: []record.Change{fullChange("x")}},
		},
		{
			name:    "same key twice in one batch: the last wins",
			batches: []record.Batch{{Incidents: []record.Incident{fullIncident("x"), minimalIncident("y"), resolved}, Changes: []record.Change{fullChange("x"), minimalChange("x")}}},
			want:    record.Batch{Incidents: []record.Incident{minimalIncident("y"), resolved}, Changes: []record.Change{minimalChange("x")}},
		},
		{
			name:    "same id from another source is another record",
			batches: []record.Batch{{Incidents: []record.Incident{minimalIncident("x")}}, {Incidents: []record.Incident{otherSource}}},
			want:    record.Batch{Incidents: []record.Incident{minimalIncident("x"), otherSource}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			var before int64
			for _, b := range tt.batches {
				require.NoError(t, s.Write(context.Background(), b))
				gotIncidents, gotChanges := incidents(t, s, 0), changes(t, s, 0)
				newest := maxSeq(gotIncidents, gotChanges)
				assert.Greater(t, newest, before, "the new version has a higher Seq")
				before = newest
			}
			assert.Equal(t, tt.want.Incidents, nilIfEmpty(withoutSeq(t, incidents(t, s, 0), incidentSeq)))
			assert.Equal(t, tt.want.Changes, nilIfEmpty(withoutSeq(t, changes(t, s, 0), changeSeq)))
		})
	}
}

func testPaging(t *testing.T, s record.Store) {
	ctx := context.Background()
	want := map[record.Ref]record.Incident{}
	wantChanges := map[record.Ref]record.Change{}
	for batch := range 3 {
		var b record.Batch
		for i := range 10 {
			id := fmt.Sprintf("r%02d", i+batch*7) // batches overlap: some records are replaced
			in := fullIncident(id)
			in.Title = fmt.Sprintf("version %d", batch)
			c := minimalChange(id)
			c.Team = in.Title
			b.Incidents, b.Changes = append(b.Incidents, in), append(b.Changes, c)
			want[in.Key()], wantChanges[c.Key()] = in, c
		}
		require.NoError(t, s.Write(ctx, b))
	}
	require.Len(t, want, 24)

	for _, limit := range []int{1, 4, 7, 24, 100} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			gotIncidents := page(t, limit, func(after int64, limit int) ([]record.Incident, error) {
				return s.Incidents(ctx, after, limit)
			}, incidentSeq)
			gotChanges := page(t, limit, func(after int64, limit int) ([]record.Change, error) {
				return s.Changes(ctx, after, limit)
			}, changeSeq)
			require.Len(t, gotIncidents, len(want))
			for _, in := range withoutSeq(t, gotIncidents, incidentSeq) {
				assert.Equal(t, want[in.Key()], in)
			}
			require.Len(t, gotChanges, len(wantChanges))
			for _, c := range withoutSeq(t, gotChanges, changeSeq) {
				assert.Equal(t, wantChanges[c.Key()], c)
			}
		})
	}
}

// page follows a Seq cursor to the end, checking that every page holds at
// most limit records in increasing Seq order.
func page[T any](t *testing.T, limit int, read func(after int64, limit int) ([]T, error), seq func(*T) *int64) []T {
	t.Helper()
	var all []T
	var after int64
	for {
		got, err := read(after, limit)
		require.NoError(t, err)
		require.LessOrEqual(t, len(got), limit)
		if len(got) == 0 {
			return all
		}
		for i := range got {
			require.Greater(t, *seq(&got[i]), after, "Seq must increase")
			after = *seq(&got[i])
		}
		all = append(all, got...)
	}
}

func testBadLimit(t *testing.T, s record.Store) {
	ctx := context.Background()
	_, err := s.Incidents(ctx, 0, 0)
	assert.ErrorContains(t, err, "limit 0 is not positive")
	_, err = s.Changes(ctx, 0, -1)
	assert.ErrorContains(t, err, "limit -1 is not positive")
	_, err = s.Quarantined(ctx, 0)
	assert.ErrorContains(t, err, "limit 0 is not positive")
	_, err = s.Feedback(ctx, 0, 0)
	assert.ErrorContains(t, err, "limit 0 is not positive")
}

func fullFeedback(id string) record.Feedback {
	return record.Feedback{ID: id, Source: "survey", Program: "checkout", Audience: record.AudienceEmployee,
		Score: -1.5, ScaleMin: -3, ScaleMax: 3, SubmittedAt: t0, Labels: map[string]string{"survey": "2026-Q1 pulse"}}
}

func minimalFeedback(id string) record.Feedback {
	return record.Feedback{ID: id, Source: "survey", System: "payments-api", Audience: record.AudienceStakeholder,
		Score: 4, ScaleMin: 1, ScaleMax: 5, SubmittedAt: t0}
}

// Feedback is stored, replaced by key and read by Seq like the other kinds,
// on the one sequence they share.
func testFeedback(t *testing.T, s record.Store) {
	ctx := context.Background()
	team := minimalFeedback("t")
	team.System, team.Team = "", "sre"
	require.NoError(t, s.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("i")},
		Feedback: []record.Feedback{fullFeedback("a"), minimalFeedback("b"), team}}))
	got, err := s.Feedback(ctx, 0, 100)
	require.NoError(t, err)
	assert.Equal(t, []record.Feedback{fullFeedback("a"), minimalFeedback("b"), team}, withoutSeq(t, got, feedbackSeq))
	first := incidents(t, s, 0)[0].Seq
	for _, f := range got {
		assert.NotEqual(t, first, f.Seq, "one sequence for every kind")
	}

	last := got[len(got)-1].Seq
	replaced := fullFeedback("b")
	require.NoError(t, s.Write(ctx, record.Batch{Feedback: []record.Feedback{replaced}}))
	got, err = s.Feedback(ctx, last, 100)
	require.NoError(t, err)
	assert.Equal(t, []record.Feedback{replaced}, withoutSeq(t, got, feedbackSeq), "a new version has a new Seq")
	all, err := s.Feedback(ctx, 0, 100)
	require.NoError(t, err)
	assert.Len(t, all, 3)
	page, err := s.Feedback(ctx, 0, 2)
	require.NoError(t, err)
	assert.Len(t, page, 2)
}

func feedbackSeq(f *record.Feedback) *int64 { return &f.Seq }

// Text a store cannot hold is refused with record.ErrInvalid, so that no
// caller mistakes it for an outage and retries for ever; nothing of the
// batch is stored.
func testInvalidText(t *testing.T, s record.Store) {
	ctx := context.Background()
	cause := fullIncident("cause")
	cause.CausedByChange.ID = "deploy\x00"
	env := fullChange("env")
	env.Environment = "prod\x00"
	fb := minimalFeedback("fb")
	fb.Team = "x\x00"
	signoff := fullIncident("signoff")
	signoff.Review.Signoffs[0].Person = "a\x00"
	for _, b := range []record.Batch{
		{Incidents: []record.Incident{fullIncident("ok"), cause}},
		{Changes: []record.Change{env}},
		{Feedback: []record.Feedback{fb}},
		{Incidents: []record.Incident{signoff}},
	} {
		err := s.Write(ctx, b)
		require.ErrorIs(t, err, record.ErrInvalid)
	}
	assert.Empty(t, incidents(t, s, 0))
}

func testAtomic(t *testing.T, open func(t *testing.T) record.Store) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	many := func(n int, last record.Incident) []record.Incident {
		ins := make([]record.Incident, n)
		for i := range ins {
			ins[i] = minimalIncident(fmt.Sprintf("many-%d", i))
		}
		ins[n-1] = last
		return ins
	}
	badSeverity := minimalIncident("bad-severity")
	badSeverity.Severity = 9
	badOutcome := minimalChange("bad-outcome")
	badOutcome.Outcome = "exploded"
	nul := fullIncident("nul")
	nul.Title = "a\x00b"
	notUTF8 := fullChange("not-utf8")
	notUTF8.Labels = map[string]string{"k": "\xff"}
	rejected := []record.Rejected{{Kind: record.KindIncident, Source: "api", Index: 3, Error: "bad", Raw: "{}", ReceivedAt: t0}}

	tests := []struct {
		name    string
		ctx     context.Context
		batch   record.Batch
		wantErr string
	}{
		{
			name:  "constraint violated in the second statement of incidents",
			batch: record.Batch{Incidents: many(rowsPerStatement+10, badSeverity), Rejected: rejected},
		},
		{
			name:  "constraint violated by a change after valid incidents",
			batch: record.Batch{Incidents: []record.Incident{fullIncident("a")}, Changes: []record.Change{fullChange("a"), badOutcome}, Rejected: rejected},
		},
		{
			name:  "cancelled context",
			ctx:   cancelled,
			batch: record.Batch{Incidents: []record.Incident{fullIncident("a")}, Changes: []record.Change{fullChange("a")}, Rejected: rejected},
		},
		{
			name:    "NUL byte",
			batch:   record.Batch{Incidents: []record.Incident{fullIncident("a"), nul}, Rejected: rejected},
			wantErr: `incident 1 (id "nul"): field "title" contains a NUL byte`,
		},
		{
			name:    "invalid UTF-8 in a label",
			batch:   record.Batch{Changes: []record.Change{notUTF8}},
			wantErr: `change 0 (id "not-utf8"): label "k" is not valid UTF-8`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := open(t)
			base := record.Batch{
				Incidents: []record.Incident{fullIncident("base")},
				Changes:   []record.Change{fullChange("base")},
				Rejected:  []record.Rejected{{Kind: record.KindChange, Source: "csv", Index: 1, ID: "x", Error: "base", Raw: "x", ReceivedAt: t0}},
			}
			require.NoError(t, s.Write(ctx, base))
			wantIncidents, wantChanges, wantQuarantine := incidents(t, s, 0), changes(t, s, 0), quarantined(t, s)

			writeCtx := tt.ctx
			if writeCtx == nil {
				writeCtx = ctx
			}
			err := s.Write(writeCtx, tt.batch)
			require.Error(t, err)
			assert.ErrorContains(t, err, "store: write batch: ")
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
			}
			assert.Equal(t, wantIncidents, incidents(t, s, 0), "incidents unchanged")
			assert.Equal(t, wantChanges, changes(t, s, 0), "changes unchanged")
			assert.Equal(t, wantQuarantine, quarantined(t, s), "quarantine unchanged")

			// The store is still usable, and numbering goes on.
			require.NoError(t, s.Write(ctx, record.Batch{Incidents: []record.Incident{minimalIncident("after")}}))
			got := incidents(t, s, maxSeq(wantIncidents, wantChanges))
			require.Len(t, got, 1)
			assert.Equal(t, "after", got[0].ID)
		})
	}
}

func quarantined(t *testing.T, s record.Store) []record.Rejected {
	t.Helper()
	got, err := s.Quarantined(context.Background(), 1_000_000)
	require.NoError(t, err)
	return got
}

func testQuarantine(t *testing.T, s record.Store) {
	ctx := context.Background()
	rej := func(index int, received time.Time) record.Rejected {
		return record.Rejected{
			Kind: record.KindIncident, Source: "alertmanager", Index: index, ID: fmt.Sprintf("id-%d", index),
			Error: fmt.Sprintf(`field "severity": must be an integer from 1 to 5, got %d`, index),
			Raw:   fmt.Sprintf(`{"id": "id-%d", "severity": %d}`, index, index), ReceivedAt: received,
		}
	}
	oddRaw := rej(9, t0.Add(30*time.Second))
	oddRaw.Kind, oddRaw.ID, oddRaw.Raw = record.KindChange, "", "not JSON \x00\xff\xfe at all\n"
	emptyRaw := rej(10, t0.Add(40*time.Second))
	emptyRaw.Raw = ""
	badText := rej(11, t0.Add(50*time.Second))
	badText.ID, badText.Error = "a\x00b", "c\xffd"
	cleaned := badText
	cleaned.ID, cleaned.Error = "a\uFFFDb", "c\uFFFDd"

	require.NoError(t, s.Write(ctx, record.Batch{Rejected: []record.Rejected{rej(0, t0), rej(1, t0)}}))
	require.NoError(t, s.Write(ctx, record.Batch{
		Incidents: []record.Incident{minimalIncident("valid")},
		Rejected:  []record.Rejected{rej(2, t0.Add(time.Minute)), oddRaw, emptyRaw, badText},
	}))
	// Received earlier, stored later: ordered by reception.
	require.NoError(t, s.Write(ctx, record.Batch{Rejected: []record.Rejected{rej(3, t0.Add(-time.Minute))}}))

	want := []record.Rejected{rej(2, t0.Add(time.Minute)), cleaned, emptyRaw, oddRaw, rej(1, t0), rej(0, t0), rej(3, t0.Add(-time.Minute))}
	tests := []struct {
		limit int
		want  []record.Rejected
	}{
		{limit: 1, want: want[:1]},
		{limit: 3, want: want[:3]},
		{limit: 7, want: want},
		{limit: 100, want: want},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("limit %d", tt.limit), func(t *testing.T) {
			got, err := s.Quarantined(ctx, tt.limit)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Len(t, incidents(t, s, 0), 1, "valid records of a batch are stored with its rejected ones")
}

func testPing(t *testing.T, s record.Store) {
	require.NoError(t, s.Ping(context.Background()))
	require.NoError(t, s.Close())
	err := s.Ping(context.Background())
	require.Error(t, err)
	assert.ErrorContains(t, err, "store: ping: ")
}

// testConcurrent writes from several goroutines while a reader follows the
// Seq cursor: every record must land, and the follower must see each one,
// which it would not if a record could commit with a Seq lower than one the
// follower had already passed.
func testConcurrent(t *testing.T, s record.Store) {
	const writers, batches, perBatch = 8, 10, 20
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var batch record.Batch
				for i := range perBatch {
					id := fmt.Sprintf("w%d-b%d-%d", w, b, i)
					batch.Incidents = append(batch.Incidents, minimalIncident(id))
					batch.Changes = append(batch.Changes, minimalChange(id))
				}
				batch.Rejected = []record.Rejected{{Kind: record.KindIncident, Source: "api", Error: "x", Raw: "x", ReceivedAt: t0}}
				errs <- s.Write(ctx, batch)
			}
		})
	}
	seen := map[record.Ref]int{}
	allWritten, done := make(chan struct{}), make(chan struct{})
	var followerErr error
	go func() {
		defer close(done)
		var after int64
		for {
			var finished bool
			select {
			case <-allWritten:
				finished = true // this read starts after every Write returned
			default:
			}
			got, err := s.Incidents(ctx, after, 50)
			if err != nil {
				followerErr = err
				return
			}
			for _, in := range got {
				if in.Seq <= after {
					followerErr = fmt.Errorf("seq %d after %d", in.Seq, after)
					return
				}
				after = in.Seq
				seen[in.Key()]++
			}
			if finished && len(got) == 0 {
				return
			}
		}
	}()
	wg.Wait()
	close(allWritten)
	<-done
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, followerErr)

	const total = writers * batches * perBatch
	assert.Len(t, incidents(t, s, 0), total)
	assert.Len(t, changes(t, s, 0), total)
	assert.Len(t, quarantined(t, s), writers*batches)
	assert.Equal(t, total, len(seen), "incidents the follower saw")
	for k, n := range seen {
		if n != 1 {
			t.Errorf("follower saw %v %d times", k, n)
		}
	}
}

// testLargeBatch writes batches of the size the API receives, larger than
// one INSERT statement, in which keys repeat (the last version wins) and
// some records replace stored ones: every stored record is the batch's last
// version, with a Seq above everything stored before, in batch order.
func testLargeBatch(t *testing.T, s record.Store) {
	const n = 5000
	ctx := context.Background()
	first := record.Batch{}
	for i := range n {
		first.Incidents = append(first.Incidents, fullIncident(fmt.Sprintf("i%d", i)))
		first.Changes = append(first.Changes, fullChange(fmt.Sprintf("c%d", i)))
	}
	require.NoError(t, s.Write(ctx, first))
	before := maxSeq(incidents(t, s, 0), changes(t, s, 0))

	// The second batch: new records, interleaved with replacements of every
	// tenth stored one, and every new record's key twice, the first time
	// with a version that must lose.
	var second record.Batch
	var wantIncidents []record.Incident
	var wantChanges []record.Change
	for i := range n {
		in, c := minimalIncident(fmt.Sprintf("new-i%d", i)), minimalChange(fmt.Sprintf("new-c%d", i))
		in.Title, c.Team = fmt.Sprintf("final %d", i), fmt.Sprintf("final %d", i)
		lostIn, lostC := fullIncident(in.ID), fullChange(c.ID)
		second.Incidents = append(second.Incidents, lostIn)
		second.Changes = append(second.Changes, lostC)
		if i%10 == 0 {
			replaced := minimalIncident(fmt.Sprintf("i%d", i))
			replaced.Title = "replaced"
			second.Incidents = append(second.Incidents, replaced)
			wantIncidents = append(wantIncidents, replaced)
			replacedC := minimalChange(fmt.Sprintf("c%d", i))
			replacedC.Team = "replaced"
			second.Changes = append(second.Changes, replacedC)
			wantChanges = append(wantChanges, replacedC)
		}
		second.Incidents = append(second.Incidents, in)
		second.Changes = append(second.Changes, c)
		wantIncidents = append(wantIncidents, in)
		wantChanges = append(wantChanges, c)
	}
	require.NoError(t, s.Write(ctx, second))

	gotIncidents, gotChanges := incidents(t, s, before), changes(t, s, before)
	assert.Equal(t, wantIncidents, withoutSeq(t, gotIncidents, incidentSeq), "what the second batch wrote, in Seq order")
	assert.Equal(t, wantChanges, withoutSeq(t, gotChanges, changeSeq))
	assert.Len(t, incidents(t, s, 0), 2*n, "replacements are no new records")
	assert.Len(t, changes(t, s, 0), 2*n)
	seqs := map[int64]bool{}
	for _, in := range gotIncidents {
		seqs[in.Seq] = true
	}
	for _, c := range gotChanges {
		seqs[c.Seq] = true
	}
	assert.Len(t, seqs, len(gotIncidents)+len(gotChanges), "every write has a Seq of its own")
}

// testLogger writes the store's logs to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// openTestDB opens a store and closes it when the test ends.
func openTestDB(t testing.TB, driver, dsn string) *DB {
	t.Helper()
	db, err := Open(context.Background(), driver, dsn, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, db.Close()) })
	return db
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, driver, dsn string
		want              string
	}{
		{"unknown driver", "mysql", "x", `store: open: unknown driver "mysql" (want sqlite or postgres)`},
		{"empty sqlite path", "sqlite", "", "store: open sqlite: dsn is empty; want a file path"},
		{"in-memory sqlite", "sqlite", ":memory:", `store: open sqlite: dsn ":memory:": want a plain file path`},
		{"sqlite URI", "sqlite", "file:steward.db", `store: open sqlite: dsn "file:steward.db": want a plain file path`},
		{"sqlite parameters", "sqlite", "steward.db?_journal_mode=DELETE", "want a plain file path without parameters"},
		{"missing sqlite directory", "sqlite", filepath.Join(dir, "missing", "steward.db"), "store: open sqlite: " + filepath.Join(dir, "missing", "steward.db")},
		{"unreachable postgres", "postgres", "postgres://steward:hunter2@127.0.0.1:1/steward?sslmode=disable&connect_timeout=2", "store: open postgres: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(context.Background(), tt.driver, tt.dsn, nil)
			require.Error(t, err)
			assert.Nil(t, db)
			assert.ErrorContains(t, err, tt.want)
			assert.NotContains(t, err.Error(), "hunter2", "errors must not leak a password")
		})
	}
}

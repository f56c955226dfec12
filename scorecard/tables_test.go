package scorecard

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/record"
)

// tablesEngine is an engine over a generated organisation whose last
// records, and new versions of some earlier ones, came after the time
// index was built: the tables read them from the delta.
func tablesEngine(t *testing.T) (*Engine, generate.Options) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 20, 15, 3000, 3000
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	incidents, changes := generate.Records(cfg, o)
	cfg.Policy.Review.Signoff = []string{record.RoleSystemOwner}
	cfg.Policy.Review.ActionDue = 240 * time.Hour
	e := New(Options{Config: func() *config.Config { return cfg }})
	cut := len(incidents) * 4 / 5
	e.take(incidents[:cut], changes[:cut], true)
	// new versions of earlier records: incidents reopened (no longer
	// resolved), changes that failed after all
	var again []record.Incident
	for i := 0; i < cut; i += 37 {
		in := incidents[i]
		in.ResolvedAt, in.ClosedAt = nil, nil
		again = append(again, in)
	}
	var failed []record.Change
	for i := 0; i < cut; i += 41 {
		c := changes[i]
		c.Outcome = record.OutcomeFailed
		failed = append(failed, c)
	}
	e.take(append(again, incidents[cut:]...), append(failed, changes[cut:]...), false)
	return e, o
}

// The tables of a limited evidence, read from the time index, are those
// of the whole evidence: the same whole counts, and the rows the whole
// evidence's tables hold first the most recent first. The counts are the
// KPIs' wherever a KPI counts the table.
func TestEvidenceTablesAgreeWithWholeEvidenceAndKPIs(t *testing.T) {
	e, o := tablesEngine(t)
	ctx, rng := context.Background(), rand.New(rand.NewPCG(7, 8))
	st, _, done, err := e.read(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, st.delta, "records changed since the index was built")
	done()
	span := o.To.Sub(o.From)
	for round := range 8 {
		length := time.Duration(1+rng.IntN(60)) * 24 * time.Hour
		from := o.From.Add(time.Duration(rng.Int64N(int64(span - length)))).Truncate(time.Second)
		if round == 0 {
			from = o.To.Add(-length) // the latest window, where the delta's records are
		}
		to := from.Add(length)
		s, err := e.Period(ctx, "p", from, to)
		require.NoError(t, err)
		before, err := e.Period(ctx, "b", from.Add(-length), from)
		require.NoError(t, err)
		var subjects []Subject
		for _, c := range s.Cards["p"] {
			subjects = append(subjects, c.Subject)
		}
		whole, err := e.Evidence(ctx, subjects, from, to)
		require.NoError(t, err)
		for _, limit := range []int{1, 7, 1000} {
			got, err := e.EvidenceTables(ctx, subjects, from, to, limit)
			require.NoError(t, err)
			for _, c := range s.Cards["p"] {
				want := TablesOf(whole[c.Subject], limit)
				ev := got[c.Subject]
				require.NotNil(t, ev, "%s", c.Subject)
				require.NotNil(t, ev.Tables, "%s", c.Subject)
				assert.Equal(t, want, ev.Tables, "%s [%s, %s) limit %d", c.Subject, from, to, limit)
				assert.Equal(t, whole[c.Subject].Systems, ev.Systems, "%s systems", c.Subject)
				assert.Empty(t, ev.Incidents)
				assert.Empty(t, ev.Changes)
				tb := ev.Tables
				kpis := map[KPI]float64{
					ChangesCompleted:     float64(tb.CompletedChanges),
					ChangesFailed:        float64(tb.FailedChanges.Total),
					ReviewActionsOverdue: float64(tb.OverdueActions.Total),
				}
				if slices.Contains(c.Defined, IncidentsOpened) {
					var open float64
					for _, b := range before.Cards["b"] {
						if b.Subject == c.Subject {
							open = b.Value[IncidentsOpen]
						}
					}
					assert.Equal(t, c.Value[IncidentsOpened]+open, float64(tb.Incidents.Total), "%s incidents", c.Subject)
				}
				for k, n := range kpis {
					if slices.Contains(c.Defined, k) {
						assert.Equal(t, c.Value[k], n, "%s %s [%s, %s)", c.Subject, k.Name(), from, to)
					}
				}
			}
		}
	}
}

// The rows a cut table shows are its most recent: on the global subject's
// latest month, each table holds its limit of rows, latest first, and no
// row of the whole table left out is more recent than one shown.
func TestEvidenceTablesShowTheMostRecentRows(t *testing.T) {
	e, o := tablesEngine(t)
	ctx := context.Background()
	g := Subject{RoleGlobal, GlobalSubject}
	from, to := o.To.Add(-30*24*time.Hour), o.To
	whole, err := e.Evidence(ctx, []Subject{g}, from, to)
	require.NoError(t, err)
	got, err := e.EvidenceTables(ctx, []Subject{g}, from, to, 5)
	require.NoError(t, err)
	all, tb := TablesOf(whole[g], 0), got[g].Tables
	require.Greater(t, all.Incidents.Total, 5, "a table the limit cuts")
	require.Greater(t, all.FailedChanges.Total, 5, "a table the limit cuts")
	check := func(name string, shown, every []time.Time) {
		require.Len(t, shown, 5, name)
		assert.True(t, slices.IsSortedFunc(shown, func(a, b time.Time) int { return b.Compare(a) }), "%s latest first", name)
		left := 0
		for _, at := range every {
			if at.After(shown[len(shown)-1]) {
				left++
			}
		}
		assert.LessOrEqual(t, left, 5, "%s: rows later than the last shown are shown", name)
	}
	var shown, every []time.Time
	for _, in := range tb.Incidents.Rows {
		shown = append(shown, in.OpenedAt)
	}
	for _, in := range all.Incidents.Rows {
		every = append(every, in.OpenedAt)
	}
	check("incidents", shown, every)
	shown, every = nil, nil
	for _, c := range tb.FailedChanges.Rows {
		shown = append(shown, c.FinishedAt)
	}
	for _, c := range all.FailedChanges.Rows {
		every = append(every, c.FinishedAt)
	}
	check("failed changes", shown, every)
	assert.Equal(t, all.Incidents.Total, tb.Incidents.Total)
	assert.Equal(t, all.FailedChanges.Total, tb.FailedChanges.Total)

	_, err = e.EvidenceTables(ctx, []Subject{g}, from, to, 0)
	assert.Error(t, err, "a limit is needed")
}

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

// On a generated organisation, at random windows, every subject's evidence
// (the global subject's, which walks every record, included) counts what
// its KPIs count: the evidence leaves out no record a population holds.
func TestEvidenceAgreesWithKPIsOnGeneratedData(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 20, 15, 3000, 3000
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	incidents, changes := generate.Records(cfg, o)
	cfg.Policy.Review.Signoff = []string{record.RoleSystemOwner}
	cfg.Policy.Review.ActionDue = 240 * time.Hour
	e := New(Options{Config: func() *config.Config { return cfg }})
	e.take(incidents, changes, true)
	ctx, rng := context.Background(), rand.New(rand.NewPCG(5, 6))
	span := o.To.Sub(o.From)
	for range 6 {
		length := time.Duration(1+rng.IntN(60)) * 24 * time.Hour
		from := o.From.Add(time.Duration(rng.Int64N(int64(span - length)))).Truncate(time.Second)
		to := from.Add(length)
		s, err := e.Period(ctx, "p", from, to)
		require.NoError(t, err)
		var subjects []Subject
		for _, c := range s.Cards["p"] {
			subjects = append(subjects, c.Subject)
		}
		require.Contains(t, subjects, Subject{RoleGlobal, GlobalSubject})
		got, err := e.Evidence(ctx, subjects, from, to)
		require.NoError(t, err)
		for _, c := range s.Cards["p"] {
			ev := got[c.Subject]
			n := map[KPI]int{}
			for _, in := range ev.Incidents {
				for k, yes := range map[KPI]bool{IncidentsOpened: in.OpenedInPeriod, IncidentsResolved: in.ResolvedInPeriod,
					IncidentsOpen: in.OpenAtEnd, ReviewsOverdue: in.ReviewOverdueAtEnd} {
					if yes {
						n[k]++
					}
				}
				n[ReviewActionsOpen] += in.ActionsOpenAtEnd
				n[ReviewActionsOverdue] += in.ActionsOverdueAtEnd
			}
			for _, ch := range ev.Changes {
				if ch.Completed {
					n[ChangesCompleted]++
				}
				if ch.Failed {
					n[ChangesFailed]++
				}
			}
			for _, k := range []KPI{IncidentsOpened, IncidentsResolved, IncidentsOpen, ReviewsOverdue, ReviewActionsOpen,
				ReviewActionsOverdue, ChangesCompleted, ChangesFailed} {
				if slices.Contains(c.Defined, k) {
					assert.Equal(t, c.Value[k], float64(n[k]), "%s %s [%s, %s)", c.Subject, k.Name(), from, to)
				}
			}
		}
	}
}

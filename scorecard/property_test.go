package scorecard

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/record"
)

// generated builds an index over a generated dataset.
func generated(t testing.TB, o generate.Options) (*config.Config, *index, []record.Incident, []record.Change) {
	t.Helper()
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	incidents, changes := generate.Records(cfg, o)
	x := newIndex()
	for i := range incidents {
		x.putIncident(&incidents[i])
	}
	for i := range changes {
		x.putChange(&changes[i])
	}
	return cfg, x, incidents, changes
}

func TestProperties(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 30, 40, 3000, 6000
	cfg, x, _, changes := generated(t, o)
	ratios := []KPI{ChangeSuccessRatio, EmergencyChangeRatio, SLABreachRatio, ReviewComplianceRatio, AvailabilityRatio}

	for _, at := range []time.Time{o.To, o.To.Add(-45 * 24 * time.Hour), o.To.Add(-100*24*time.Hour - 7*time.Hour)} {
		s := snapshot(cfg, x, at)
		for _, w := range cfg.Windows {
			cards := s.Cards[w.Name]
			var sysCompleted, sysOpened, withValue float64
			for _, c := range cards {
				for _, k := range ratios {
					if v := c.Value[k]; !math.IsNaN(v) {
						withValue++
						assert.True(t, v >= 0 && v <= 1, "%s %s %s = %v", c.Subject, w.Name, k.Name(), v)
					}
				}
				if c.Role == RoleSystem {
					sysCompleted += c.Value[ChangesCompleted]
					sysOpened += c.Value[IncidentsOpened]
				}
			}
			assert.Positive(t, withValue)
			global := card(t, s, w.Name, RoleGlobal, GlobalSubject)

			// independent count of completed production changes on unknown systems
			unattributedCompleted := 0.0
			from, to := at.Add(-w.Duration), at
			for _, c := range changes {
				_, known := cfg.System(c.System)
				if !known && c.Environment == "production" && c.FinishedAt != nil && !c.FinishedAt.Before(from) && c.FinishedAt.Before(to) &&
					(c.Outcome == record.OutcomeSuccess || c.Outcome == record.OutcomeFailed || c.Outcome == record.OutcomeRolledBack) {
					unattributedCompleted++
				}
			}
			assert.Equal(t, global.Value[ChangesCompleted], sysCompleted+unattributedCompleted, "global changes = systems + unattributed (%s)", w.Name)
			assert.Equal(t, global.Value[IncidentsOpened], sysOpened+global.Value[UnattributedIncidents], "global incidents = systems + unattributed (%s)", w.Name)
			incOwner := card(t, s, w.Name, RoleProcessOwner, cfg.Processes.Incident.Owner)
			assert.Equal(t, global.Value[IncidentsOpened], incOwner.Value[IncidentsOpened])
		}
	}
}

// An owner who owned exactly one system for the whole window has that
// system's availability.
func TestOwnerOfOneSystemHasItsAvailability(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 30, 60, 3000, 100
	cfg, x, _, _ := generated(t, o)
	at := o.To
	s := snapshot(cfg, x, at)
	checked := 0
	for _, w := range cfg.Windows {
		from := at.Add(-w.Duration)
		for _, owner := range soleOwners(cfg, from, at) {
			oc := card(t, s, w.Name, RoleSystemOwner, owner.person)
			sc := card(t, s, w.Name, RoleSystem, owner.system)
			assert.InDelta(t, sc.Value[AvailabilityRatio], oc.Value[AvailabilityRatio], 1e-12, "%s owns %s", owner.person, owner.system)
			assert.InDelta(t, sc.Value[DowntimeSeconds], oc.Value[DowntimeSeconds], 1e-6)
			checked++
		}
	}
	require.Positive(t, checked, "the dataset has owners of a single system")
}

type ownership struct{ person, system string }

// soleOwners lists people who owned one system, and only it, throughout [from, to).
func soleOwners(cfg *config.Config, from, to time.Time) []ownership {
	owned := map[string][]string{}
	whole := map[string]bool{}
	for _, s := range cfg.Systems {
		for i, o := range s.Owners {
			end := time.Unix(1<<40, 0)
			if i+1 < len(s.Owners) {
				end = s.Owners[i+1].Since
			}
			if o.Since.Before(to) && end.After(from) {
				owned[o.Owner] = append(owned[o.Owner], s.ID)
				whole[o.Owner+"/"+s.ID] = !o.Since.After(from) && !end.Before(to)
			}
		}
	}
	var out []ownership
	for p, systems := range owned {
		if len(systems) == 1 && whole[p+"/"+systems[0]] {
			out = append(out, ownership{p, systems[0]})
		}
	}
	return out
}

// Sign-offs only ever delay a review's completion, overdue actions are
// among the open ones, and a recovery never precedes the failure.
func TestAccountabilityProperties(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 30, 40, 3000, 6000
	cfg, x, _, _ := generated(t, o)
	signed := *cfg
	signed.Policy.Review.Signoff = []string{"system_owner", "program_manager", "process_owner"}
	checked := map[KPI]int{}
	for _, at := range []time.Time{o.To, o.To.Add(-45 * 24 * time.Hour)} {
		plain, strict := snapshot(cfg, x, at), snapshot(&signed, x, at)
		for _, w := range cfg.Windows {
			for i, c := range plain.Cards[w.Name] {
				sc := strict.Cards[w.Name][i]
				require.Equal(t, c.Subject, sc.Subject)
				if v := c.Value[ReviewComplianceRatio]; !math.IsNaN(v) {
					assert.LessOrEqual(t, sc.Value[ReviewComplianceRatio], v, "%s %s", c.Subject, w.Name)
					if sc.Value[ReviewComplianceRatio] < v {
						checked[ReviewComplianceRatio]++
					}
				}
				assert.GreaterOrEqual(t, sc.Value[ReviewsOverdue], c.Value[ReviewsOverdue], "%s %s", c.Subject, w.Name)
				assert.LessOrEqual(t, c.Value[ReviewActionsOverdue], c.Value[ReviewActionsOpen], "%s", c.Subject)
				assert.Equal(t, c.Value[ReviewActionsOpen], sc.Value[ReviewActionsOpen], "actions do not wait for sign-offs")
				if v := c.Value[FailedDeploymentRecovery]; !math.IsNaN(v) {
					assert.GreaterOrEqual(t, v, 0.0)
					checked[FailedDeploymentRecovery]++
				}
				if c.Value[ReviewActionsOverdue] > 0 {
					checked[ReviewActionsOverdue]++
				}
			}
			global := card(t, plain, w.Name, RoleGlobal, GlobalSubject)
			incOwner := card(t, plain, w.Name, RoleProcessOwner, cfg.Processes.Incident.Owner)
			assert.Equal(t, global.Value[ReviewActionsOpen], incOwner.Value[ReviewActionsOpen])
		}
	}
	for _, k := range []KPI{ReviewComplianceRatio, FailedDeploymentRecovery, ReviewActionsOverdue} {
		assert.Positive(t, checked[k], k.Name())
	}
}

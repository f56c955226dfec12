package generate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

func generated(t testing.TB, o Options) (*config.Config, []record.Incident, []record.Change) {
	t.Helper()
	cfg, err := config.Parse(Config(o))
	require.NoError(t, err)
	in, ch := Records(cfg, o)
	return cfg, in, ch
}

func ndjson[T any](t testing.TB, records []T) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i := range records {
		require.NoError(t, enc.Encode(&records[i]))
	}
	return b.Bytes()
}

func TestConfigDeterministic(t *testing.T) {
	o := DefaultOptions()
	assert.Equal(t, Config(o), Config(o))
	o2 := o
	o2.Seed++
	assert.NotEqual(t, Config(o), Config(o2))
}

func TestConfigParses(t *testing.T) {
	for name, o := range map[string]Options{
		"default": DefaultOptions(),
		"tiny":    {Seed: 3, Systems: 1, Owners: 1, Programs: 1, Teams: 1},
		"zero":    {},
		"large":   {Seed: 9, Systems: 2000, Owners: 150, Programs: 12, Teams: 15, To: time.Now()},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := config.Parse(Config(o))
			require.NoError(t, err)
			n := o.normalized()
			assert.Len(t, cfg.Systems, n.Systems)
			assert.Len(t, cfg.Programs, n.Programs)
			require.NotNil(t, cfg.Processes.Incident)
			require.NotNil(t, cfg.Processes.Change)
			assert.Len(t, cfg.Windows, 3)
			assert.Equal(t, 2, cfg.Policy.Review.SeverityThreshold)
			assert.Equal(t, 120*time.Hour, cfg.Policy.Review.Due)
			assert.Equal(t, 4*time.Hour, cfg.Policy.SLA[1])
			assert.InDelta(t, 0.5, cfg.Policy.Availability.DegradedWeight, 0)
			for _, kpi := range []string{"change_success_ratio", "availability_ratio", "mttr_seconds", "review_compliance_ratio", "deployments_per_day"} {
				assert.Contains(t, cfg.Objectives, kpi)
			}
		})
	}
}

func TestConfigOwnership(t *testing.T) {
	o := DefaultOptions()
	o.Systems = 200
	cfg, err := config.Parse(Config(o))
	require.NoError(t, err)
	var unowned, moved int
	for _, s := range cfg.Systems {
		assert.NotEmpty(t, s.Aliases)
		assert.LessOrEqual(t, len(s.Aliases), 2)
		switch {
		case len(s.Owners) == 0:
			unowned++
		case len(s.Owners) > 1:
			moved++
			assert.False(t, s.Owners[1].Since.Before(o.From), s.ID)
			assert.True(t, s.Owners[1].Since.Before(o.To), s.ID)
			assert.NotEqual(t, s.Owners[0].Owner, s.Owners[1].Owner, s.ID)
		}
	}
	assert.Equal(t, 4, unowned)
	assert.Equal(t, 40, moved)
	assert.Equal(t, 1, countManagers(cfg.Processes.Incident, "systems"))
	assert.Equal(t, 4, countManagers(cfg.Processes.Incident, "teams"))
}

func countManagers(p *config.Process, scope string) int {
	n := 0
	for _, m := range p.Managers {
		if (scope == "systems" && len(m.Systems) > 0) || (scope == "teams" && len(m.Teams) > 0) {
			n++
		}
	}
	return n
}

func TestRecordsDeterministic(t *testing.T) {
	o := DefaultOptions()
	_, in1, ch1 := generated(t, o)
	_, in2, ch2 := generated(t, o)
	assert.Equal(t, ndjson(t, in1), ndjson(t, in2))
	assert.Equal(t, ndjson(t, ch1), ndjson(t, ch2))

	o.Seed++
	_, in3, ch3 := generated(t, o)
	assert.NotEqual(t, ndjson(t, in1), ndjson(t, in3))
	assert.NotEqual(t, ndjson(t, ch1), ndjson(t, ch3))
}

func TestRecordsRoundTrip(t *testing.T) {
	_, incidents, changes := generated(t, DefaultOptions())
	require.Len(t, incidents, 600)
	require.Len(t, changes, 1500)
	for _, in := range incidents {
		raw, err := json.Marshal(in)
		require.NoError(t, err)
		got, err := record.ParseIncident(raw, "")
		require.NoError(t, err, "%s", raw)
		require.Equal(t, in, got)
	}
	for _, c := range changes {
		raw, err := json.Marshal(c)
		require.NoError(t, err)
		got, err := record.ParseChange(raw, "")
		require.NoError(t, err, "%s", raw)
		require.Equal(t, c, got)
	}
}

func TestRecordsDistributions(t *testing.T) {
	o := DefaultOptions()
	cfg, incidents, changes := generated(t, o)

	changeByID := map[string]*record.Change{}
	outcomes := map[record.Outcome]int{}
	types := map[record.ChangeType]int{}
	envs := map[string]int{}
	var unattributed, unauthorized, labelled int
	for i := range changes {
		c := &changes[i]
		require.NotContains(t, changeByID, c.ID)
		changeByID[c.ID] = c
		outcomes[c.Outcome]++
		types[c.Type]++
		envs[c.Environment]++
		if _, ok := cfg.System(c.System); !ok {
			unattributed++
		}
		if !c.Authorized {
			unauthorized++
		}
		if c.Labels != nil {
			labelled++
		}
		for _, ts := range []*time.Time{c.CreatedAt, c.StartedAt, c.FinishedAt} {
			if ts != nil && ts != c.CreatedAt {
				assert.True(t, ts.Before(o.To), "%s at %s", c.ID, ts)
				assert.False(t, ts.Before(o.From), "%s at %s", c.ID, ts)
			}
		}
		assert.Equal(t, c.Outcome == record.OutcomeInProgress, c.FinishedAt == nil, c.ID)
	}
	for _, k := range []record.Outcome{record.OutcomeSuccess, record.OutcomeFailed, record.OutcomeRolledBack, record.OutcomeCancelled, record.OutcomeInProgress} {
		assert.Positive(t, outcomes[k], k)
	}
	assert.Greater(t, outcomes[record.OutcomeSuccess], len(changes)*3/4)
	for _, k := range []record.ChangeType{record.TypeStandard, record.TypeNormal, record.TypeEmergency} {
		assert.Positive(t, types[k], k)
	}
	assert.Greater(t, types[record.TypeStandard], types[record.TypeNormal])
	assert.Greater(t, envs["production"], envs["staging"])
	assert.Positive(t, envs["staging"])
	assert.Positive(t, unattributed)
	assert.Less(t, unattributed, len(changes)/20)
	assert.Positive(t, unauthorized)
	assert.Positive(t, labelled)

	severities := map[int]int{}
	impacts := map[record.Impact]int{}
	var caused, open, closed, reviewed, waived, unacked int
	unattributed = 0
	for i := range incidents {
		in := &incidents[i]
		severities[in.Severity]++
		impacts[in.Impact]++
		if _, ok := cfg.System(in.System); !ok {
			unattributed++
		}
		assert.False(t, in.OpenedAt.Before(o.From), in.ID)
		assert.True(t, in.OpenedAt.Before(o.To), in.ID)
		for _, ts := range []*time.Time{in.AcknowledgedAt, in.ResolvedAt, in.ClosedAt} {
			if ts != nil {
				assert.True(t, ts.Before(o.To), "%s at %s", in.ID, ts)
			}
		}
		if in.ResolvedAt == nil {
			open++
		}
		if in.AcknowledgedAt == nil {
			unacked++
		}
		if in.ClosedAt != nil {
			closed++
		}
		if rv := in.Review; rv != nil {
			if rv.CompletedAt != nil {
				reviewed++
				assert.True(t, rv.CompletedAt.Before(o.To), in.ID)
			}
			if rv.Required != nil && !*rv.Required {
				waived++
			}
		}
		if ref := in.CausedByChange; ref != nil {
			caused++
			c := changeByID[ref.ID]
			require.NotNil(t, c, "%s blames unknown change %s", in.ID, ref.ID)
			require.NotNil(t, c.FinishedAt)
			assert.True(t, c.FinishedAt.Before(in.OpenedAt), in.ID)
			assert.Less(t, in.OpenedAt.Sub(*c.FinishedAt), 3*24*time.Hour, in.ID)
			cs, ok := cfg.System(c.System)
			require.True(t, ok)
			is, ok := cfg.System(in.System)
			require.True(t, ok)
			assert.Equal(t, cs.ID, is.ID, in.ID)
		}
	}
	for sev := 1; sev <= 5; sev++ {
		assert.Positive(t, severities[sev], sev)
	}
	assert.Greater(t, severities[3]+severities[4], len(incidents)/2)
	for _, k := range []record.Impact{record.ImpactOutage, record.ImpactDegraded, record.ImpactNone} {
		assert.Positive(t, impacts[k], k)
	}
	assert.InDelta(t, len(incidents)/10, caused, float64(len(incidents))/25)
	assert.Positive(t, unattributed)
	assert.Positive(t, open)
	assert.Less(t, open, len(incidents)/10)
	assert.Positive(t, closed)
	assert.Positive(t, reviewed)
	assert.Positive(t, waived)
	assert.Positive(t, unacked)
}

// TestReviewsMixed checks required reviews end up on time, late and missing.
func TestReviewsMixed(t *testing.T) {
	cfg, incidents, _ := generated(t, DefaultOptions())
	due := cfg.Policy.Review.Due
	var onTime, late, missing int
	for _, in := range incidents {
		required := in.Severity <= cfg.Policy.Review.SeverityThreshold
		if in.Review != nil && in.Review.Required != nil {
			required = *in.Review.Required
		}
		if !required || in.ResolvedAt == nil {
			continue
		}
		switch {
		case in.Review == nil || in.Review.CompletedAt == nil:
			missing++
		case in.Review.CompletedAt.After(in.ResolvedAt.Add(due)):
			late++
		default:
			onTime++
		}
	}
	assert.Positive(t, late)
	assert.Positive(t, missing)
	assert.Greater(t, onTime, late+missing)
}

func TestRecordsForHandWrittenConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`
people:
  - {id: alice, name: Alice Example, email: alice@example.com}
systems:
  - id: payments-api
    aliases: [payments]
    tier: 1
    owners:
      - {owner: alice, since: 2025-01-01T00:00:00Z}
processes:
  incident: {owner: alice, managers: [{manager: alice, teams: [oncall]}]}
  change: {owner: alice}
`))
	require.NoError(t, err)
	o := Options{Seed: 5, Incidents: 300, Changes: 300}
	incidents, changes := Records(cfg, o)
	require.Len(t, incidents, 300)
	require.Len(t, changes, 300)
	teams := map[string]bool{}
	for _, in := range incidents {
		teams[in.Team] = true
	}
	assert.True(t, teams["oncall"])
	assert.Greater(t, len(teams), 2)
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	o := DefaultOptions()
	require.NoError(t, Write(dir, o))

	cfg, err := config.Load(filepath.Join(dir, "steward.yml"))
	require.NoError(t, err)
	incidents, changes := Records(cfg, o)

	data, err := os.ReadFile(filepath.Join(dir, "incidents.ndjson"))
	require.NoError(t, err)
	assert.Equal(t, ndjson(t, incidents), data)
	data, err = os.ReadFile(filepath.Join(dir, "changes.ndjson"))
	require.NoError(t, err)
	assert.Equal(t, ndjson(t, changes), data)

	sc := bufio.NewScanner(bytes.NewReader(data))
	lines := 0
	for sc.Scan() {
		lines++
	}
	assert.Equal(t, o.Changes, lines)
}

func BenchmarkRecords100k(b *testing.B) {
	o := DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 200, 60, 50_000, 50_000
	cfg, err := config.Parse(Config(o))
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		Records(cfg, o)
	}
	b.ReportMetric(float64(o.Incidents+o.Changes)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func TestRecordsWithoutSystems(t *testing.T) {
	cfg, err := config.Parse(nil)
	require.NoError(t, err)
	incidents, changes := Records(cfg, Options{Seed: 2, Incidents: 50, Changes: 50})
	require.Len(t, incidents, 50)
	require.Len(t, changes, 50)
	for _, in := range incidents {
		assert.Nil(t, in.CausedByChange)
		_, ok := cfg.System(in.System)
		assert.False(t, ok, in.System)
	}
}

func TestOptionsNormalized(t *testing.T) {
	now := time.Now().In(time.FixedZone("CEST", 2*3600))
	o := Options{Seed: 4, Incidents: 100, Changes: 100, To: now}
	cfg, err := config.Parse(Config(o))
	require.NoError(t, err)
	in1, ch1 := Records(cfg, o)
	o.To = now.UTC().Truncate(time.Microsecond)
	o.From = o.To.Add(-180 * 24 * time.Hour)
	in2, ch2 := Records(cfg, o)
	assert.Equal(t, ndjson(t, in1), ndjson(t, in2))
	assert.Equal(t, ndjson(t, ch1), ndjson(t, ch2))
	for _, in := range in1 {
		assert.True(t, in.OpenedAt.Before(now), in.ID)
		assert.Equal(t, time.UTC, in.OpenedAt.Location())
	}
}

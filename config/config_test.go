package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBad(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		"owners_same_since": {
			`line 9: system "payments-api": two owners with the same since 2025-01-01T00:00:00Z`,
		},
		"unknown_person": {
			`line 7: system "payments-api": owner "zed" is not declared under people`,
			`line 9: program "checkout": manager "carl" is not declared under people`,
			`line 12: process "incident": owner "dave" is not declared under people`,
			`line 14: process "incident": manager "wendy" is not declared under people`,
		},
		"duplicate_alias": {
			`line 5: alias "payments" of system "billing" is already used by system "payments-api"`,
			`line 5: alias "payments-api" of system "billing" is already used by system "payments-api"`,
			`line 7: system "ledger": empty alias`,
			`line 7: alias "billing" of system "ledger" is already used by system "billing"`,
		},
		"process_without_owner": {
			`line 4: process "incident": owner is required`,
			`line 7: process "change": owner is required`,
		},
		"bad_duration": {
			`line 1: windows: bad duration "30x": unknown unit "x" in duration "30x"`,
			`line 3: policy.review: due: bad duration "5 days": unknown unit " days" in duration "5 days"`,
			`line 4: policy.sla: severity 1: bad duration "4hours": unknown unit "hours" in duration "4hours"`,
		},
		"unknown_key": {
			`line 3: storage: unknown key "path"`,
			`line 5: person "alice": unknown key "mail"`,
			`line 8: system "payments-api": unknown key "owner"`,
			`line 9: unknown key "colectors"`,
		},
		"unknown_program": {
			`line 5: system "billing": program "finance" is not declared under programs`,
		},
		"bad_sla_key": {
			`line 4: policy.sla: key "1" is given twice (first on line 3)`,
			`line 5: policy.sla: severity "6" is not one of 1..5`,
			`line 6: policy.sla: severity "high" is not one of 1..5`,
			`line 7: policy.sla: target for severity 2 is not positive`,
			`line 8: policy.sla: target for severity 3 is not positive`,
			`line 9: policy.sla: severity 4: expected a string, got a list`,
		},
		"warning_better": {
			`line 2: objective "change_success_ratio": warning 0.97 is better than the objective 0.95`,
			`line 3: objective "mttr_seconds": warning 3600 is better than the objective 14400`,
		},
		"bad_objective": {
			`line 2: objectives: unknown KPI "mtr_seconds"`,
			`line 3: objective "availability_ratio": objective 99.9 is out of range 0..1`,
			`line 4: objective "mttr_seconds": objective is required`,
			`line 5: objective "sla_breach_ratio": warning -0.5 is out of range 0..1`,
			`line 6: objective "changes_failed": expected a mapping, got "3"`,
			`line 7: objective "deployments_per_day": objective: expected a number, got "many"`,
		},
		"duplicate_ids": {
			`line 4: person "alice" is declared twice (first on line 2)`,
			`line 7: system "payments-api" is declared twice (first on line 6)`,
			`line 10: program "checkout" is declared twice (first on line 9)`,
		},
		"missing_ids": {
			`line 2: people[0]: id is required`,
			`line 3: people[1]: expected a mapping, got "alice"`,
			`line 5: systems[0]: id is required`,
			`line 7: programs[0]: id is required`,
		},
		"bad_storage": {
			`line 2: storage: unknown driver "mysql" (want sqlite or postgres)`,
		},
		"postgres_without_dsn": {
			`line 2: storage: dsn is required for driver postgres`,
		},
		"bad_windows": {
			`line 3: windows: window "1w" is the same length as "7d"`,
			`line 5: windows: window "30d" is listed twice`,
			`line 6: windows: window "0s" is not positive`,
		},
		"empty_windows": {
			`line 1: windows: at least one window is required`,
		},
		"bad_since": {
			`line 6: system "payments-api": owner "alice": since: bad time "2025-13-01": want RFC 3339 (2025-01-01T00:00:00Z) or a date (2025-01-01)`,
			`line 7: system "payments-api": owner "alice": since is required`,
			`line 8: system "payments-api": owners[2]: owner is required`,
		},
		"bad_managers": {
			`line 12: process "incident": manager "guy": system "paymnts" is not declared under systems`,
			`line 13: process "incident": managers[2]: manager is required`,
			`line 14: process "incident": manager "windy" is listed twice (first on line 11): give one entry with the whole scope`,
			`line 15: process "incident": manager "zed" is not declared under people`,
			`line 16: processes: unknown key "problem"`,
		},
		"bad_policy": {
			`line 2: policy: change_failure_from_incidents: expected true or false, got "maybe"`,
			`line 3: policy: change_environments is empty: no change would count`,
			`line 5: policy.review: severity_threshold 7 is out of range 0..5`,
			`line 6: policy.review: signoff: role "team" is not one of system_owner, program_manager, process_owner`,
			`line 6: policy.review: signoff: role "system_owner" is listed twice`,
			`line 7: policy.review: action_due: bad duration "-1h": not a valid duration string: "-1h"`,
			`line 9: policy.availability: degraded_weight 1.5 is out of range 0..1`,
		},
		"bad_types": {
			`line 1: people: expected a list, got "alice"`,
			`line 4: system "payments-api": tier: expected an integer, got "one"`,
			`line 5: system "payments-api": aliases: expected a list, got "payments"`,
			`line 7: system "billing": tier -1 is negative`,
			`line 8: programs: expected a list, got a mapping`,
		},
		"syntax": {
			`line 3: bad YAML: could not find expected ':'`,
		},
		"duplicate_key": {
			`line 6: system "payments-api": key "tier" is given twice (first on line 5)`,
			`line 7: key "people" is given twice (first on line 1)`,
		},
		"two_documents": {
			`line 3: a second YAML document: the file must hold one`,
		},
		"bad_limits": {
			`line 2: limits: teams must be at least 1`,
			`line 3: limits: unknown key "series"`,
		},
		"bad_measurements": {
			`line 3: measurements.source: url: "ftp://prometheus:9090" is not an http(s) base URL (scheme and host, no query or credentials)`,
			`line 3: measurements.source: at most one of bearer_token & bearer_token_file must be configured`,
			`line 6: measurements: step 500ms is shorter than a second`,
			`line 9: measurements: uptime: by "9system" is not a label name`,
			`line 11: measurements: response_time: query is required`,
			`line 11: measurements: response_time: objective is required (the response time a sample must not exceed, e.g. 300ms)`,
		},
		// Every problem in the file at once, sorted by line.
		"many": {
			`line 2: windows: bad duration "30x": unknown unit "x" in duration "30x"`,
			`line 8: system "payments-api": program "checkout" is not declared under programs`,
			`line 11: system "payments-api": two owners with the same since 2025-01-01T00:00:00Z`,
			`line 11: system "payments-api": owner "zed" is not declared under people`,
			`line 13: alias "payments" of system "billing" is already used by system "payments-api"`,
			`line 15: process "incident": owner is required`,
			`line 17: objective "change_success_ratio": warning 0.95 is better than the objective 0.9`,
		},
	}

	files, err := filepath.Glob("testdata/*.bad.yml")
	require.NoError(t, err)
	for _, f := range files {
		_, ok := tests[strings.TrimSuffix(filepath.Base(f), ".bad.yml")]
		assert.True(t, ok, "%s has no expected errors in the table", f)
	}

	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(filepath.Join("testdata", name+".bad.yml"))
			require.Error(t, err)
			assert.Nil(t, c)
			var errs *Errors
			require.True(t, errors.As(err, &errs), "want *Errors, got %T", err)
			assert.Equal(t, want, strings.Split(err.Error(), "\n"))
			for _, e := range *errs {
				assert.Positive(t, e.Line, "%q has no line", e.Msg)
			}
		})
	}
}

func TestLoadExample(t *testing.T) {
	t.Parallel()
	c, err := Load("../examples/steward.yml")
	require.NoError(t, err)

	t.Run("systems by id or alias", func(t *testing.T) {
		for name, id := range map[string]string{
			"payments-api": "payments-api",
			"payments":     "payments-api",
			"PXYZ123":      "payments-api",
			"kafka":        "message-bus",
			"CI0042":       "message-bus",
			"mdm":          "laptop-fleet",
		} {
			s, ok := c.System(name)
			require.True(t, ok, name)
			assert.Equal(t, id, s.ID, name)
		}
		for _, name := range []string{"pxyz123", "unknown", ""} {
			_, ok := c.System(name)
			assert.False(t, ok, name)
		}
	})

	t.Run("owner at", func(t *testing.T) {
		s, _ := c.System("payments")
		handover := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
		for _, tc := range []struct {
			at   time.Time
			want string
		}{
			{time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC), ""}, // before the first since
			{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "alice"},
			{handover.Add(-time.Second), "alice"},
			{handover, "bob"},
			{handover.Add(time.Hour), "bob"},
			{time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), "bob"},
		} {
			assert.Equal(t, tc.want, s.OwnerAt(tc.at), tc.at.String())
		}
		unowned, ok := c.System("legacy-reporting")
		require.True(t, ok)
		assert.Empty(t, unowned.Owners)
		assert.Equal(t, "", unowned.OwnerAt(handover))

		// +01:00 in the file, UTC after Load.
		bus, _ := c.System("message-bus")
		assert.Equal(t, time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC), bus.Owners[0].Since)
		assert.Equal(t, time.UTC, bus.Owners[0].Since.Location())
	})

	t.Run("programs and people", func(t *testing.T) {
		p, ok := c.Program("checkout")
		require.True(t, ok)
		assert.Equal(t, "carol", p.Manager)
		_, ok = c.Program("payments-api")
		assert.False(t, ok)
		w, ok := c.Person("windy")
		require.True(t, ok)
		assert.Equal(t, "Windy Example", w.Name)
		_, ok = c.Person("zed")
		assert.False(t, ok)
	})

	t.Run("processes", func(t *testing.T) {
		require.NotNil(t, c.Processes.Incident)
		assert.Equal(t, "davis", c.Processes.Incident.Owner)
		assert.Equal(t, []ProcessManager{
			{Manager: "windy", Teams: []string{"service-desk"}},
			{Manager: "guy", Teams: []string{"messaging"}, Systems: []string{"message-bus", "email-relay"}},
			{Manager: "bob", Teams: []string{"engineering"}},
			{Manager: "hana", Teams: []string{"end-user-support"}},
		}, c.Processes.Incident.Managers)
		require.NotNil(t, c.Processes.Change)
		assert.Equal(t, "erin", c.Processes.Change.Owner)
		assert.Len(t, c.Processes.Change.Managers, 1)
	})

	t.Run("policy and objectives", func(t *testing.T) {
		assert.Equal(t, map[int]time.Duration{1: 4 * time.Hour, 2: 8 * time.Hour, 3: 72 * time.Hour, 4: 168 * time.Hour}, c.Policy.SLA)
		assert.Equal(t, 0.5, c.Policy.Availability.DegradedWeight)
		for _, kpi := range []string{"change_success_ratio", "availability_ratio", "mttr_seconds", "review_compliance_ratio"} {
			assert.Contains(t, c.Objectives, kpi)
		}
		require.NotNil(t, c.Objectives["availability_ratio"].Warning)
		assert.Equal(t, 0.995, *c.Objectives["availability_ratio"].Warning)
		assert.Nil(t, c.Objectives["deployments_per_day"].Warning)
	})
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	want := defaults()
	for name, yml := range map[string]string{
		"empty file":     "",
		"comments only":  "# nothing yet\n",
		"null sections":  "storage:\nwindows:\npolicy:\nobjectives:\n",
		"empty sections": "storage: {}\npolicy: {review: {}, availability: {}}\nprocesses: {}\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse([]byte(yml))
			require.NoError(t, err)
			assert.Equal(t, Storage{Driver: "sqlite", DSN: "steward.db"}, c.Storage)
			assert.Equal(t, want.Windows, c.Windows)
			assert.Equal(t, want.Policy, c.Policy)
			assert.True(t, c.Policy.ChangeFailureFromIncidents)
			assert.Equal(t, []string{"production"}, c.Policy.ChangeEnvironments)
			assert.Equal(t, ReviewPolicy{SeverityThreshold: 2, Due: 120 * time.Hour, Signoff: []string{}, ActionDue: 720 * time.Hour}, c.Policy.Review)
			assert.NotNil(t, c.Policy.SLA)
			assert.Empty(t, c.Policy.SLA)
			assert.Zero(t, c.Policy.Availability.DegradedWeight)
			assert.NotNil(t, c.Objectives)
			assert.Empty(t, c.Objectives)
			assert.Nil(t, c.Processes.Incident)
			assert.Nil(t, c.Processes.Change)
		})
	}

	t.Run("a key given replaces only its default", func(t *testing.T) {
		t.Parallel()
		c, err := Parse([]byte("policy:\n  review: {due: 2d, signoff: [program_manager, system_owner], action_due: 14d}\n  change_failure_from_incidents: false\n"))
		require.NoError(t, err)
		assert.Equal(t, ReviewPolicy{SeverityThreshold: 2, Due: 48 * time.Hour, Signoff: []string{"program_manager", "system_owner"}, ActionDue: 14 * 24 * time.Hour}, c.Policy.Review)
		assert.False(t, c.Policy.ChangeFailureFromIncidents)
		assert.Equal(t, []string{"production"}, c.Policy.ChangeEnvironments)
	})

	t.Run("postgres takes its dsn", func(t *testing.T) {
		t.Parallel()
		c, err := Parse([]byte("storage: {driver: postgres, dsn: 'postgres://steward@db/steward'}\n"))
		require.NoError(t, err)
		assert.Equal(t, Storage{Driver: "postgres", DSN: "postgres://steward@db/steward"}, c.Storage)
	})
}

func TestParse(t *testing.T) {
	t.Parallel()

	t.Run("owners sorted, dates at midnight UTC", func(t *testing.T) {
		t.Parallel()
		c, err := Parse([]byte(`
people: [{id: a}, {id: b}, {id: c}]
systems:
  - id: s
    owners:
      - {owner: c, since: 2027-01-01}
      - {owner: a, since: 2025-01-01T00:00:00Z}
      - {owner: b, since: "2026-01-01T02:00:00+02:00"}
`))
		require.NoError(t, err)
		s, _ := c.System("s")
		assert.Equal(t, []Ownership{
			{Owner: "a", Since: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
			{Owner: "b", Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
			{Owner: "c", Since: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		}, s.Owners)
	})

	t.Run("sla keys quoted or not", func(t *testing.T) {
		t.Parallel()
		c, err := Parse([]byte(`policy: {sla: {"1": 4h, 2: 1h30m, 5: 30d}}`))
		require.NoError(t, err)
		assert.Equal(t, map[int]time.Duration{1: 4 * time.Hour, 2: 90 * time.Minute, 5: 720 * time.Hour}, c.Policy.SLA)
	})

	t.Run("windows keep their names", func(t *testing.T) {
		t.Parallel()
		c, err := Parse([]byte(`windows: [1d, 1w, 4w2d]`))
		require.NoError(t, err)
		assert.Equal(t, []Window{
			{Name: "1d", Duration: 24 * time.Hour},
			{Name: "1w", Duration: 168 * time.Hour},
			{Name: "4w2d", Duration: 30 * 24 * time.Hour},
		}, c.Windows)
	})

	t.Run("anchors and merge keys", func(t *testing.T) {
		t.Parallel()
		c, err := Parse([]byte(`
people: [{id: a}]
systems:
  - &base {id: s1, tier: 2, owners: &owners [{owner: a, since: 2025-01-01}]}
  - {<<: *base, id: s2}
  - {id: s3, owners: *owners}
`))
		require.NoError(t, err)
		s2, ok := c.System("s2")
		require.True(t, ok)
		assert.Equal(t, 2, s2.Tier)
		assert.Equal(t, "a", s2.OwnerAt(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)))
		s3, _ := c.System("s3")
		assert.Equal(t, "a", s3.OwnerAt(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)))
	})

	t.Run("a process left out has no subject", func(t *testing.T) {
		t.Parallel()
		c, err := Parse([]byte("people: [{id: e}]\nprocesses: {change: {owner: e}}\n"))
		require.NoError(t, err)
		assert.Nil(t, c.Processes.Incident)
		assert.Equal(t, &Process{Owner: "e"}, c.Processes.Change)
	})

	t.Run("errors from every section at once", func(t *testing.T) {
		t.Parallel()
		_, err := Parse([]byte("windows: [1x]\npeople: [{id: a}]\nsystems: [{id: s, program: p}]\n"))
		var errs *Errors
		require.ErrorAs(t, err, &errs)
		assert.Equal(t, Errors{
			{Line: 1, Msg: `windows: bad duration "1x": unknown unit "x" in duration "1x"`},
			{Line: 3, Msg: `system "s": program "p" is not declared under programs`},
		}, *errs)
	})
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "steward.yml"))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.True(t, strings.HasPrefix(err.Error(), "config: "), err.Error())
}

func TestLiteralConfigLookups(t *testing.T) {
	t.Parallel()
	c := &Config{
		People:   []Person{{ID: "a"}},
		Programs: []Program{{ID: "p", Manager: "a"}},
		Systems:  []System{{ID: "s", Aliases: []string{"alias"}}},
	}
	s, ok := c.System("alias")
	require.True(t, ok)
	assert.Equal(t, "s", s.ID)
	_, ok = c.System("x")
	assert.False(t, ok)
	p, ok := c.Program("p")
	require.True(t, ok)
	assert.Equal(t, "a", p.Manager)
	_, ok = c.Person("a")
	assert.True(t, ok)
	_, ok = c.Person("b")
	assert.False(t, ok)
}

func TestErrorsFormat(t *testing.T) {
	t.Parallel()
	errs := &Errors{{Line: 3, Msg: "b"}, {Msg: "no line"}}
	assert.Equal(t, "line 3: b\nno line", errs.Error())
}

func TestPickWindow(t *testing.T) {
	with30d := []Window{{Name: "7d", Duration: 7 * 24 * time.Hour}, {Name: "30d", Duration: 30 * 24 * time.Hour}}
	without := []Window{{Name: "1d", Duration: 24 * time.Hour}, {Name: "7d", Duration: 7 * 24 * time.Hour}}
	for _, tc := range []struct {
		name    string
		windows []Window
		want    string
		got     string
		ok      bool
	}{
		{"asked for", with30d, "7d", "7d", true},
		{"default 30d", with30d, "", "30d", true},
		{"default first without 30d", without, "", "1d", true},
		{"unknown", with30d, "90d", "", false},
		{"30d asked but not configured", without, "30d", "", false},
		{"none configured", nil, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, ok := PickWindow(tc.windows, tc.want)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.got, w.Name)
		})
	}
	assert.Equal(t, "7d, 30d", WindowNames(with30d))
}

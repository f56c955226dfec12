package raci

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
)

const testConfig = `
people: [{id: alice}, {id: bob}, {id: carol}]
teams: [{id: ops}]
systems:
  - {id: api, owners: [{owner: alice, since: 2025-01-01}, {owner: bob, since: 2026-01-01}]}
  - {id: db, owners: [{owner: alice, since: 2025-01-01}]}
  - {id: old}
processes: {incident: {owner: carol}}
raci:
  max_accountable_systems: 1
  activities:
    - {id: respond, scope: system}
    - {id: review, scope: incident}
  assignments:
    - {system: "*", activity: respond, responsible: [ops]}
    - {system: db, activity: respond, responsible: [bob], accountable: carol, since: 2025-06-01}
    - {process: incident, activity: review, responsible: [alice], informed: [ops]}
`

func load(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(testConfig))
	require.NoError(t, err)
	return cfg
}

func date(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

func TestMatrix(t *testing.T) {
	cfg := load(t)
	tests := []struct {
		at   string
		want []Row
	}{
		{"2025-03-01", []Row{
			{ScopeKind: "system", Scope: "api", Activity: "respond", Responsible: []string{"ops"}, Accountable: "alice", AccountableByDefault: true},
			// the db assignment starts later: the all-systems default is in force
			{ScopeKind: "system", Scope: "db", Activity: "respond", Responsible: []string{"ops"}, Accountable: "alice", AccountableByDefault: true},
			{ScopeKind: "system", Scope: "old", Activity: "respond", Responsible: []string{"ops"}},
			{ScopeKind: "process", Scope: "incident", Activity: "review", Responsible: []string{"alice"}, Accountable: "carol", AccountableByDefault: true, Informed: []string{"ops"}},
		}},
		{"2026-02-01", []Row{
			{ScopeKind: "system", Scope: "api", Activity: "respond", Responsible: []string{"ops"}, Accountable: "bob", AccountableByDefault: true},
			{ScopeKind: "system", Scope: "db", Activity: "respond", Responsible: []string{"bob"}, Accountable: "carol", Since: date("2025-06-01")},
			{ScopeKind: "system", Scope: "old", Activity: "respond", Responsible: []string{"ops"}},
			{ScopeKind: "process", Scope: "incident", Activity: "review", Responsible: []string{"alice"}, Accountable: "carol", AccountableByDefault: true, Informed: []string{"ops"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			assert.Equal(t, tt.want, Matrix(cfg, date(tt.at)))
		})
	}
}

func TestCheck(t *testing.T) {
	cfg := load(t)
	got := Check(cfg, Matrix(cfg, date("2025-03-01")))
	assert.Equal(t, []Finding{
		{Rule: RuleNoAccountable, Severity: "violation", Scope: "system old", Activity: "respond",
			Message: "system old: activity respond has nobody Accountable (no assignment names one and the system has no owner)"},
		{Rule: RuleAccountableOverload, Severity: "warning", Person: "alice",
			Message: "person alice is Accountable for 2 systems (more than raci.max_accountable_systems 1)"},
	}, got)
	cfg.RACI.Assignments = nil
	got = Check(cfg, Matrix(cfg, date("2026-02-01")))
	assert.Len(t, got, 5, "every row without Responsible, plus old without Accountable")
}

func TestFilterAndRender(t *testing.T) {
	cfg := load(t)
	rows := Matrix(cfg, date("2026-02-01"))
	assert.Len(t, Filter{Systems: []string{"db"}, Processes: []string{"incident"}}.Select(rows), 2)
	mine := Filter{Party: "ops"}.Select(rows)
	require.Len(t, mine, 3)
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, mine, "ops"))
	assert.Equal(t, "| Scope | Activity | ops |\n|---|---|---|\n| system api | respond | R |\n| system old | respond | R |\n| process incident | review | I |\n", b.String())
	b.Reset()
	require.NoError(t, CSV(&b, rows[1:2]))
	assert.Equal(t, "scope_kind,scope,activity,letter,party,by_default\nsystem,db,respond,R,bob,false\nsystem,db,respond,A,carol,false\n", b.String())
}

package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const raciBase = `people: [{id: alice}, {id: bob}]
teams: [{id: ops}]
systems: [{id: api, aliases: [api-alias], owners: [{owner: alice, since: 2025-01-01}]}]
processes: {incident: {owner: bob}}
raci:
  activities:
    - {id: respond, scope: system}
    - {id: review, scope: incident}
    - {id: approve, scope: change}
  assignments:
`

func TestRACIValidation(t *testing.T) {
	tests := []struct {
		name        string
		assignments string
		want        []string
	}{
		{"an Accountable is a person, not a team",
			"    - {system: api, activity: respond, accountable: ops}\n",
			[]string{`line 11: raci assignments[0]: accountable "ops" is a team; the Accountable must be a person`}},
		{"exactly one Accountable",
			"    - {system: api, activity: respond, accountable: [alice, bob]}\n",
			[]string{`line 11: raci assignments[0]: accountable must be exactly one person, not a list`}},
		{"two assignments at one instant",
			"    - {system: api, activity: respond, accountable: alice, since: 2026-01-01}\n    - {system: api-alias, activity: respond, accountable: bob, since: 2026-01-01}\n",
			[]string{`line 12: system "api": activity "respond" has two assignments with the same since 2026-01-01T00:00:00Z (first on line 11): only one may be Accountable at a time`}},
		{"everyone named exists",
			"    - {system: api, activity: respond, responsible: [zed], consulted: [ops], informed: [nobody]}\n",
			[]string{`line 11: raci assignments[0]: responsible "zed" is not declared under people or teams`,
				`line 11: raci assignments[0]: informed "nobody" is not declared under people or teams`}},
		{"activity and scope exist and fit",
			"    - {system: api, activity: sleep}\n    - {process: incident, activity: respond}\n    - {process: change, activity: approve}\n    - {system: db, activity: respond}\n    - {process: problem, activity: review}\n    - {system: api, process: incident, activity: respond}\n",
			[]string{`line 11: raci assignments[0]: activity "sleep" is not declared under raci.activities`,
				`line 12: raci assignments[1]: activity "respond" has scope system: it does not apply to process "incident"`,
				`line 13: raci assignments[2]: process "change" is not configured under processes`,
				`line 14: raci assignments[3]: system "db" is not declared under systems`,
				`line 15: raci assignments[4]: process "problem" is not one of incident, change`,
				`line 16: raci assignments[5]: give exactly one of system or process`}},
		{"the all-systems default only for system activities",
			"    - {system: \"*\", activity: review}\n",
			[]string{`line 11: raci assignments[0]: activity "review" has scope incident: it does not apply to systems`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(raciBase + tt.assignments))
			require.Error(t, err)
			assert.Equal(t, tt.want, strings.Split(err.Error(), "\n"))
		})
	}
}

func TestRACIValid(t *testing.T) {
	c, err := Parse([]byte(raciBase + `    - {system: api-alias, activity: respond, responsible: [ops], since: 2026-03-01}
    - {system: "*", activity: respond, responsible: [alice]}
    - {process: incident, activity: review, responsible: [ops, alice], informed: [bob]}
`))
	require.NoError(t, err)
	assert.Equal(t, 10, c.RACI.MaxAccountableSystems, "default")
	require.Len(t, c.RACI.Assignments, 3)
	// sorted by scope kind, scope, activity, since; aliases resolved
	assert.Equal(t, "process", c.RACI.Assignments[0].ScopeKind())
	assert.Equal(t, AllSystems, c.RACI.Assignments[1].System)
	assert.Equal(t, "api", c.RACI.Assignments[2].System)
	assert.Equal(t, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), c.RACI.Assignments[2].Since)
	_, ok := c.Team("ops")
	assert.True(t, ok)
}

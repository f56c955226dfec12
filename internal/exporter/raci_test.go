package exporter

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// The RACI matrix in force at the snapshot's time is exported for Grafana
// tables and alerting, with its findings by rule.
func TestRACIMetrics(t *testing.T) {
	cfg := parse(t, tinyConfig+`
teams: [{id: ops}]
raci:
  alert_activity: respond
  activities: [{id: respond, scope: system}]
  assignments:
    - {system: "*", activity: respond, responsible: [ops], informed: [bob]}
`)
	snap := tinySnapshot(cfg, false)
	c := renderedOf(&snap, &cfg)
	want := `
# HELP steward_raci_assignment_info A letter of the RACI matrix in force (always 1): who (a person or team, in label person) is Responsible, Accountable, Consulted or Informed for an activity of a system or process.
# TYPE steward_raci_assignment_info gauge
steward_raci_assignment_info{activity="respond",letter="A",person="alice",scope="pay",scope_kind="system"} 1
steward_raci_assignment_info{activity="respond",letter="I",person="bob",scope="legacy",scope_kind="system"} 1
steward_raci_assignment_info{activity="respond",letter="I",person="bob",scope="pay",scope_kind="system"} 1
steward_raci_assignment_info{activity="respond",letter="R",person="ops",scope="legacy",scope_kind="system"} 1
steward_raci_assignment_info{activity="respond",letter="R",person="ops",scope="pay",scope_kind="system"} 1
# HELP steward_raci_findings Findings of the RACI matrix in force, by rule: violations (an activity with nobody Accountable) and warnings.
# TYPE steward_raci_findings gauge
steward_raci_findings{rule="accountable_overload",severity="warning"} 0
steward_raci_findings{rule="no_accountable",severity="violation"} 1
steward_raci_findings{rule="no_responsible",severity="warning"} 0
`
	require.NoError(t, testutil.GatherAndCompare(c, strings.NewReader(want), "steward_raci_assignment_info", "steward_raci_findings"))

	// KPI alerts of pay go to its Accountable (its owner by default) and
	// the Informed of the alert activity; global has nobody to route to.
	route := `
# HELP steward_alert_route_info Who a subject's KPI alerts go to (always 1): the accountable person and the informed people or teams, comma-separated.
# TYPE steward_alert_route_info gauge
steward_alert_route_info{accountable="alice",informed="bob",role="system",subject="pay"} 1
`
	snap = tinySnapshot(cfg, true)
	require.NoError(t, testutil.GatherAndCompare(c, strings.NewReader(route), "steward_alert_route_info"))
}

package exporter

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	sc "github.com/steward-sh/steward/scorecard"
)

const tinyConfig = `
windows: [7d, 30d]
people: [{id: alice}, {id: bob}]
programs: [{id: checkout}]
systems:
  - {id: pay, tier: 1, program: checkout, owners: [{owner: alice, since: 2025-01-01T00:00:00Z}, {owner: bob, since: 2027-01-01T00:00:00Z}]}
  - {id: legacy, owners: []}
objectives:
  mttr_seconds: {objective: 3600, warning: 7200}
  availability_ratio: {objective: 0.999}
`

var tinyAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func parse(t testing.TB, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	require.NoError(t, err)
	return cfg
}

func noValues() sc.Values {
	var v sc.Values
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// tinyCard is a system card with a few KPIs: sev1 incidents, the API-only
// total, MTTR, the time to restore's p50 and a p90 without value (a
// summary of two incidents), incidents open and availability.
func tinyCard(id, window string, sev1, mttr, avail float64, st sc.Status) sc.Card {
	c := sc.Card{
		Subject: sc.Subject{Role: sc.RoleSystem, ID: id}, Window: window, Score: 75,
		Defined: []sc.KPI{sc.IncidentsOpened, sc.IncidentsOpenedSev1, sc.MTTR, sc.TimeToRestoreP50, sc.TimeToRestoreP90, sc.IncidentsOpen, sc.AvailabilityRatio},
		Value:   noValues(), Previous: noValues(),
	}
	c.Value[sc.IncidentsOpened] = sev1
	c.Value[sc.IncidentsOpenedSev1] = sev1
	c.Value[sc.MTTR] = mttr
	c.Value[sc.TimeToRestoreP50] = mttr - 600
	c.Summaries.TimeToRestore = sc.Summary{Count: 2, Sum: 2 * mttr}
	c.Value[sc.IncidentsOpen] = 1
	c.Value[sc.AvailabilityRatio] = avail
	c.Status[sc.MTTR] = st
	c.Status[sc.AvailabilityRatio] = sc.StatusMeets
	return c
}

func globalCard(window string) sc.Card {
	c := sc.Card{
		Subject: sc.Subject{Role: sc.RoleGlobal, ID: sc.GlobalSubject}, Window: window, Score: math.NaN(),
		Defined: []sc.KPI{sc.SystemsUnowned, sc.UnattributedIncidents, sc.AvailabilityRatio},
		Value:   noValues(), Previous: noValues(),
	}
	c.Value[sc.SystemsUnowned] = 1
	c.Value[sc.UnattributedIncidents] = 0
	c.Status[sc.AvailabilityRatio] = sc.StatusNoData
	return c
}

func tinySnapshot(cfg *config.Config, withPay bool) *sc.Snapshot {
	s := &sc.Snapshot{At: tinyAt, Windows: cfg.Windows, Objectives: cfg.Objectives, Cards: map[string][]sc.Card{}}
	if withPay {
		s.Cards["7d"] = append(s.Cards["7d"], tinyCard("pay", "7d", 2, 5400, 0.9991, sc.StatusWarning))
		s.Cards["30d"] = append(s.Cards["30d"], tinyCard("pay", "30d", 3, 3000, 0.9995, sc.StatusMeets))
	}
	s.Cards["7d"] = append(s.Cards["7d"], globalCard("7d"))
	s.Cards["30d"] = append(s.Cards["30d"], globalCard("30d"))
	return s
}

const tinyHeader = `
# HELP steward_alert_route_info Who a subject's KPI alerts go to (always 1): the accountable person and the informed people or teams, comma-separated.
# TYPE steward_alert_route_info gauge
# HELP steward_availability_ratio One minus downtime over exposure in the window.
# TYPE steward_availability_ratio gauge
# HELP steward_incidents_open Incidents open at evaluation time.
# TYPE steward_incidents_open gauge
# HELP steward_incidents_opened Incidents opened in the window, by severity.
# TYPE steward_incidents_opened gauge
# HELP steward_kpi_objective Configured objective of a KPI.
# TYPE steward_kpi_objective gauge
steward_kpi_objective{kpi="availability_ratio"} 0.999
steward_kpi_objective{kpi="mttr_seconds"} 3600
# HELP steward_kpi_status KPI status against its objective: 0 meets, 1 warning, 2 breach. Absent without an objective or a value.
# TYPE steward_kpi_status gauge
# HELP steward_kpi_warning Configured warning threshold of a KPI.
# TYPE steward_kpi_warning gauge
steward_kpi_warning{kpi="mttr_seconds"} 7200
# HELP steward_mttr_seconds Mean time to restore of the incidents resolved in the window.
# TYPE steward_mttr_seconds gauge
# HELP steward_scorecard_score Scorecard score: 100 × (meets + 0.5 × warnings) / KPIs with an objective and a value.
# TYPE steward_scorecard_score gauge
# HELP steward_scorecard_timestamp_seconds Evaluation time of the exported scorecards (the engine's last recompute).
# TYPE steward_scorecard_timestamp_seconds gauge
steward_scorecard_timestamp_seconds 1.7672256e+09
# HELP steward_system_owner_info The current owner of a system (always 1); systems without an owner are absent.
# TYPE steward_system_owner_info gauge
# HELP steward_systems_unowned Configured systems with no owner at evaluation time.
# TYPE steward_systems_unowned gauge
steward_systems_unowned{role="global",subject="all"} 1
# HELP steward_time_to_restore_seconds Time to restore of the incidents resolved in the window without an estimated opening or restoration: quantiles, sum and count (sum / count is the MTTR).
# TYPE steward_time_to_restore_seconds summary
# HELP steward_unattributed_records Records in the window whose system matches no configured system or alias, by kind.
# TYPE steward_unattributed_records gauge
steward_unattributed_records{kind="incident",role="global",subject="all",window="30d"} 0
steward_unattributed_records{kind="incident",role="global",subject="all",window="7d"} 0
`

// The pay lines, inserted after their family's TYPE line.
var payLines = map[string]string{
	"steward_alert_route_info": `steward_alert_route_info{accountable="alice",informed="",role="system",subject="pay"} 1`,
	"steward_availability_ratio": `steward_availability_ratio{role="system",subject="pay",window="30d"} 0.9995
steward_availability_ratio{role="system",subject="pay",window="7d"} 0.9991`,
	"steward_incidents_open": `steward_incidents_open{role="system",subject="pay"} 1`,
	"steward_incidents_opened": `steward_incidents_opened{role="system",severity="1",subject="pay",window="30d"} 3
steward_incidents_opened{role="system",severity="1",subject="pay",window="7d"} 2`,
	"steward_kpi_status": `steward_kpi_status{kpi="availability_ratio",role="system",subject="pay",window="30d"} 0
steward_kpi_status{kpi="availability_ratio",role="system",subject="pay",window="7d"} 0
steward_kpi_status{kpi="mttr_seconds",role="system",subject="pay",window="30d"} 0
steward_kpi_status{kpi="mttr_seconds",role="system",subject="pay",window="7d"} 1`,
	"steward_mttr_seconds": `steward_mttr_seconds{role="system",subject="pay",window="30d"} 3000
steward_mttr_seconds{role="system",subject="pay",window="7d"} 5400`,
	"steward_scorecard_score": `steward_scorecard_score{role="system",subject="pay",window="30d"} 75
steward_scorecard_score{role="system",subject="pay",window="7d"} 75`,
	"steward_system_owner_info": `steward_system_owner_info{owner="alice",program="checkout",system="pay",tier="1"} 1`,
	"steward_time_to_restore_seconds": `steward_time_to_restore_seconds{role="system",subject="pay",window="30d",quantile="0.5"} 2400
steward_time_to_restore_seconds_sum{role="system",subject="pay",window="30d"} 6000
steward_time_to_restore_seconds_count{role="system",subject="pay",window="30d"} 2
steward_time_to_restore_seconds{role="system",subject="pay",window="7d",quantile="0.5"} 4800
steward_time_to_restore_seconds_sum{role="system",subject="pay",window="7d"} 10800
steward_time_to_restore_seconds_count{role="system",subject="pay",window="7d"} 2`,
}

// expected is tinyHeader with the pay lines when withPay.
func expected(withPay bool) string {
	if !withPay {
		return tinyHeader
	}
	var b strings.Builder
	for _, line := range strings.Split(tinyHeader, "\n") {
		b.WriteString(line + "\n")
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			if more := payLines[strings.Fields(name)[0]]; more != "" {
				b.WriteString(more + "\n")
			}
		}
	}
	return b.String()
}

func TestRender(t *testing.T) {
	cfg := parse(t, tinyConfig)
	snap := tinySnapshot(cfg, true)
	reg := renderedOf(&snap, &cfg)

	t.Run("a tiny snapshot", func(t *testing.T) {
		require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected(true))))
	})

	t.Run("a subject removed from the config leaves the next scrape", func(t *testing.T) {
		i := strings.Index(tinyConfig, "  - {id: pay,")
		j := i + strings.Index(tinyConfig[i:], "\n") + 1
		cfg = parse(t, tinyConfig[:i]+tinyConfig[j:])
		require.Len(t, cfg.Systems, 1)
		snap = tinySnapshot(cfg, false)
		require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected(false))))
	})

	t.Run("nothing before the first snapshot", func(t *testing.T) {
		snap = nil
		n, err := testutil.GatherAndCount(reg)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

func TestRenderExportLimits(t *testing.T) {
	cfg := parse(t, tinyConfig+"export: {roles: [global], windows: [7d]}\n")
	snap := tinySnapshot(cfg, true)
	c := renderedOf(&snap, &cfg)
	const want = `
# HELP steward_systems_unowned Configured systems with no owner at evaluation time.
# TYPE steward_systems_unowned gauge
steward_systems_unowned{role="global",subject="all"} 1
# HELP steward_unattributed_records Records in the window whose system matches no configured system or alias, by kind.
# TYPE steward_unattributed_records gauge
steward_unattributed_records{kind="incident",role="global",subject="all",window="7d"} 0
`
	require.NoError(t, testutil.GatherAndCompare(c, strings.NewReader(want),
		"steward_systems_unowned", "steward_unattributed_records", "steward_mttr_seconds", "steward_scorecard_score"))
}

func TestRenderPointInTimeFromFirstExportedWindow(t *testing.T) {
	cfg := parse(t, tinyConfig+"export: {windows: [30d]}\n")
	snap := tinySnapshot(cfg, true)
	snap.Cards["30d"][0].Value[sc.IncidentsOpen] = 4 // would differ only if taken from 7d
	c := renderedOf(&snap, &cfg)
	const want = `
# HELP steward_incidents_open Incidents open at evaluation time.
# TYPE steward_incidents_open gauge
steward_incidents_open{role="system",subject="pay"} 4
`
	require.NoError(t, testutil.GatherAndCompare(c, strings.NewReader(want), "steward_incidents_open"))
}

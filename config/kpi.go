package config

import "slices"

// KPINames lists every KPI an objective may be set for: the flattened names
// of SPEC section 4, as the scorecard API shows them.
var KPINames = []string{
	"change_success_ratio",
	"emergency_change_ratio",
	"unauthorized_changes",
	"deployments_per_day",
	"changes_completed",
	"changes_failed",
	"change_lead_time_p50_seconds",
	"change_lead_time_p90_seconds",
	"incidents_opened",
	"incidents_opened_sev1",
	"incidents_opened_sev2",
	"incidents_opened_sev3",
	"incidents_opened_sev4",
	"incidents_opened_sev5",
	"incidents_resolved",
	"mttr_seconds",
	"mtta_seconds",
	"time_to_restore_p50_seconds",
	"time_to_restore_p90_seconds",
	"sla_breach_ratio",
	"incidents_open",
	"review_compliance_ratio",
	"reviews_overdue",
	"downtime_seconds",
	"availability_ratio",
	"systems_unowned",
	"unattributed_records_incident",
	"unattributed_records_change",
}

// HigherIsBetter reports whether a larger value of kpi is better. It is true
// for four KPIs only; for every other KPI, known or not, lower is better.
func HigherIsBetter(kpi string) bool {
	switch kpi {
	case "change_success_ratio", "availability_ratio", "review_compliance_ratio", "deployments_per_day":
		return true
	}
	return false
}

func isKPI(name string) bool {
	return slices.Contains(KPINames, name)
}

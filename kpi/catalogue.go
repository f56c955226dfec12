package kpi

// catalogue is every KPI, indexed by ID. To add a KPI: add its ID above
// Count in API order, its entry here, and its counting rule in scorecard.
var catalogue = [Count]KPI{
	{ID: ChangesCompleted, Name: "changes_completed", Metric: "changes_completed", Unit: UnitCount, Group: GroupChange,
		Title: "Changes completed", Help: "Changes completed (success, failed or rolled back) in the window, in the counted environments."},
	{ID: ChangesFailed, Name: "changes_failed", Metric: "changes_failed", Unit: UnitCount, Group: GroupChange,
		Title: "Changes failed", Help: "Completed changes in the window that failed, were rolled back or caused an incident."},
	{ID: ChangeSuccessRatio, Name: "change_success_ratio", Metric: "change_success_ratio", Unit: UnitRatio, Decimals: 1, HigherIsBetter: true, Group: GroupChange,
		Title: "Change success", Help: "Completed changes in the window that did not fail, as a fraction of completed changes."},
	{ID: EmergencyChangeRatio, Name: "emergency_change_ratio", Metric: "emergency_change_ratio", Unit: UnitRatio, Decimals: 1, Group: GroupChange,
		Title: "Emergency changes", Help: "Completed emergency changes in the window, as a fraction of completed changes."},
	{ID: UnauthorizedChanges, Name: "unauthorized_changes", Metric: "unauthorized_changes", Unit: UnitCount, Group: GroupChange,
		Title: "Unauthorized changes", Help: "Completed changes in the window made without authorization."},
	{ID: DeploymentsPerDay, Name: "deployments_per_day", Metric: "deployments_per_day", Unit: UnitPerDay, Decimals: 2, HigherIsBetter: true, Group: GroupChange,
		Title: "Deployments per day", Help: "Successful changes in the window per day of the window."},
	{ID: ChangeLeadTimeP50, Name: "change_lead_time_p50_seconds", Metric: "change_lead_time_seconds", Label: "quantile", LabelValue: "0.5", Unit: UnitSeconds, Group: GroupChange,
		Title: "Change lead time p50", Help: "Median time from a successful change's creation to its finish, over changes finished in the window."},
	{ID: ChangeLeadTimeP90, Name: "change_lead_time_p90_seconds", Metric: "change_lead_time_seconds", Label: "quantile", LabelValue: "0.9", Unit: UnitSeconds, Group: GroupChange,
		Title: "Change lead time p90", Help: "90th percentile of the time from a successful change's creation to its finish, over changes finished in the window."},

	{ID: IncidentsOpened, Name: "incidents_opened", Metric: "incidents_opened", Label: "severity", Unit: UnitCount, Group: GroupIncident,
		Title: "Incidents opened", Help: "Incidents opened in the window, every severity."},
	{ID: IncidentsOpenedSev1, Name: "incidents_opened_sev1", Metric: "incidents_opened", Label: "severity", LabelValue: "1", Unit: UnitCount, Group: GroupIncident,
		Title: "Incidents opened, sev 1", Help: "Incidents of severity 1 opened in the window."},
	{ID: IncidentsOpenedSev2, Name: "incidents_opened_sev2", Metric: "incidents_opened", Label: "severity", LabelValue: "2", Unit: UnitCount, Group: GroupIncident,
		Title: "Incidents opened, sev 2", Help: "Incidents of severity 2 opened in the window."},
	{ID: IncidentsOpenedSev3, Name: "incidents_opened_sev3", Metric: "incidents_opened", Label: "severity", LabelValue: "3", Unit: UnitCount, Group: GroupIncident,
		Title: "Incidents opened, sev 3", Help: "Incidents of severity 3 opened in the window."},
	{ID: IncidentsOpenedSev4, Name: "incidents_opened_sev4", Metric: "incidents_opened", Label: "severity", LabelValue: "4", Unit: UnitCount, Group: GroupIncident,
		Title: "Incidents opened, sev 4", Help: "Incidents of severity 4 opened in the window."},
	{ID: IncidentsOpenedSev5, Name: "incidents_opened_sev5", Metric: "incidents_opened", Label: "severity", LabelValue: "5", Unit: UnitCount, Group: GroupIncident,
		Title: "Incidents opened, sev 5", Help: "Incidents of severity 5 opened in the window."},
	{ID: IncidentsResolved, Name: "incidents_resolved", Metric: "incidents_resolved", Unit: UnitCount, Group: GroupIncident,
		Title: "Incidents resolved", Help: "Incidents resolved in the window."},
	{ID: MTTR, Name: "mttr_seconds", Metric: "mttr_seconds", Unit: UnitSeconds, Group: GroupIncident,
		Title: "MTTR", Help: "Mean time to restore of the incidents resolved in the window."},
	{ID: TimeToRestoreP50, Name: "time_to_restore_p50_seconds", Metric: "time_to_restore_seconds", Label: "quantile", LabelValue: "0.5", Unit: UnitSeconds, Group: GroupIncident,
		Title: "Time to restore p50", Help: "Median time to restore of the incidents resolved in the window."},
	{ID: TimeToRestoreP90, Name: "time_to_restore_p90_seconds", Metric: "time_to_restore_seconds", Label: "quantile", LabelValue: "0.9", Unit: UnitSeconds, Group: GroupIncident,
		Title: "Time to restore p90", Help: "90th percentile of the time to restore of the incidents resolved in the window."},
	{ID: MTTA, Name: "mtta_seconds", Metric: "mtta_seconds", Unit: UnitSeconds, Group: GroupIncident,
		Title: "MTTA", Help: "Mean time to acknowledge of the incidents acknowledged in the window."},
	{ID: SLABreachRatio, Name: "sla_breach_ratio", Metric: "sla_breach_ratio", Unit: UnitRatio, Decimals: 1, Group: GroupIncident,
		Title: "SLA breaches", Help: "Incidents resolved in the window later than their severity's SLA target, as a fraction of those with a target."},
	{ID: IncidentsOpen, Name: "incidents_open", Metric: "incidents_open", Unit: UnitCount, PointInTime: true, Group: GroupIncident,
		Title: "Incidents open", Help: "Incidents open at evaluation time."},
	{ID: ReviewComplianceRatio, Name: "review_compliance_ratio", Metric: "review_compliance_ratio", Unit: UnitRatio, Decimals: 1, HigherIsBetter: true, Group: GroupIncident,
		Title: "Review compliance", Help: "Required post-incident reviews due in the window that were completed by their due time, as a fraction."},
	{ID: ReviewsOverdue, Name: "reviews_overdue", Metric: "reviews_overdue", Unit: UnitCount, PointInTime: true, Group: GroupIncident,
		Title: "Reviews overdue", Help: "Required post-incident reviews past due and not completed at evaluation time."},

	{ID: DowntimeSeconds, Name: "downtime_seconds", Metric: "downtime_seconds", Unit: UnitSeconds, Group: GroupAvailability,
		Title: "Downtime", Help: "Outage time, plus weighted degraded time, in the window."},
	{ID: AvailabilityRatio, Name: "availability_ratio", Metric: "availability_ratio", Unit: UnitRatio, Decimals: 3, HigherIsBetter: true, Group: GroupAvailability,
		Title: "Availability", Help: "One minus downtime over exposure in the window."},

	{ID: SystemsUnowned, Name: "systems_unowned", Metric: "systems_unowned", Unit: UnitCount, PointInTime: true, Group: GroupAccountability,
		Title: "Systems without an owner", Help: "Configured systems with no owner at evaluation time."},
	{ID: UnattributedIncidents, Name: "unattributed_records_incident", Metric: "unattributed_records", Label: "kind", LabelValue: "incident", Unit: UnitCount, Group: GroupAccountability,
		Title: "Unattributed incidents", Help: "Incidents opened in the window whose system matches no configured system or alias."},
	{ID: UnattributedChanges, Name: "unattributed_records_change", Metric: "unattributed_records", Label: "kind", LabelValue: "change", Unit: UnitCount, Group: GroupAccountability,
		Title: "Unattributed changes", Help: "Changes finished in the window whose system matches no configured system or alias."},
}

// familyHelp is the help text of the metrics that carry an extra label:
// one text for every series of the family.
var familyHelp = map[string]string{
	"change_lead_time_seconds": "Quantile of the time from a successful change's creation to its finish, over changes finished in the window.",
	"incidents_opened":         "Incidents opened in the window, by severity.",
	"time_to_restore_seconds":  "Quantile of the time to restore of the incidents resolved in the window.",
	"unattributed_records":     "Records in the window whose system matches no configured system or alias, by kind.",
}

package scorecard

import "math"

// KPI identifies one flattened KPI, as the scorecards API names it.
type KPI int

// The KPIs of SPEC section 4, flattened: a labelled KPI has one entry per
// label value.
const (
	ChangesCompleted KPI = iota
	ChangesFailed
	ChangeSuccessRatio
	EmergencyChangeRatio
	UnauthorizedChanges
	DeploymentsPerDay
	ChangeLeadTimeP50
	ChangeLeadTimeP90
	IncidentsOpened
	IncidentsOpenedSev1
	IncidentsOpenedSev2
	IncidentsOpenedSev3
	IncidentsOpenedSev4
	IncidentsOpenedSev5
	IncidentsResolved
	MTTR
	TimeToRestoreP50
	TimeToRestoreP90
	MTTA
	SLABreachRatio
	IncidentsOpen
	ReviewComplianceRatio
	ReviewsOverdue
	DowntimeSeconds
	AvailabilityRatio
	SystemsUnowned
	UnattributedIncidents
	UnattributedChanges
	numKPI
)

// kpiInfo says how a KPI is named in the API and exported as a metric.
type kpiInfo struct {
	name        string // API name, also the objectives key
	metric      string // metric name without the steward_ prefix; "" when not exported as such
	labelName   string // "severity", "quantile" or "kind"
	labelValue  string
	pointInTime bool
}

var kpis = [numKPI]kpiInfo{
	ChangesCompleted:      {name: "changes_completed", metric: "changes_completed"},
	ChangesFailed:         {name: "changes_failed", metric: "changes_failed"},
	ChangeSuccessRatio:    {name: "change_success_ratio", metric: "change_success_ratio"},
	EmergencyChangeRatio:  {name: "emergency_change_ratio", metric: "emergency_change_ratio"},
	UnauthorizedChanges:   {name: "unauthorized_changes", metric: "unauthorized_changes"},
	DeploymentsPerDay:     {name: "deployments_per_day", metric: "deployments_per_day"},
	ChangeLeadTimeP50:     {name: "change_lead_time_p50_seconds", metric: "change_lead_time_seconds", labelName: "quantile", labelValue: "0.5"},
	ChangeLeadTimeP90:     {name: "change_lead_time_p90_seconds", metric: "change_lead_time_seconds", labelName: "quantile", labelValue: "0.9"},
	IncidentsOpened:       {name: "incidents_opened"},
	IncidentsOpenedSev1:   {name: "incidents_opened_sev1", metric: "incidents_opened", labelName: "severity", labelValue: "1"},
	IncidentsOpenedSev2:   {name: "incidents_opened_sev2", metric: "incidents_opened", labelName: "severity", labelValue: "2"},
	IncidentsOpenedSev3:   {name: "incidents_opened_sev3", metric: "incidents_opened", labelName: "severity", labelValue: "3"},
	IncidentsOpenedSev4:   {name: "incidents_opened_sev4", metric: "incidents_opened", labelName: "severity", labelValue: "4"},
	IncidentsOpenedSev5:   {name: "incidents_opened_sev5", metric: "incidents_opened", labelName: "severity", labelValue: "5"},
	IncidentsResolved:     {name: "incidents_resolved", metric: "incidents_resolved"},
	MTTR:                  {name: "mttr_seconds", metric: "mttr_seconds"},
	TimeToRestoreP50:      {name: "time_to_restore_p50_seconds", metric: "time_to_restore_seconds", labelName: "quantile", labelValue: "0.5"},
	TimeToRestoreP90:      {name: "time_to_restore_p90_seconds", metric: "time_to_restore_seconds", labelName: "quantile", labelValue: "0.9"},
	MTTA:                  {name: "mtta_seconds", metric: "mtta_seconds"},
	SLABreachRatio:        {name: "sla_breach_ratio", metric: "sla_breach_ratio"},
	IncidentsOpen:         {name: "incidents_open", metric: "incidents_open", pointInTime: true},
	ReviewComplianceRatio: {name: "review_compliance_ratio", metric: "review_compliance_ratio"},
	ReviewsOverdue:        {name: "reviews_overdue", metric: "reviews_overdue", pointInTime: true},
	DowntimeSeconds:       {name: "downtime_seconds", metric: "downtime_seconds"},
	AvailabilityRatio:     {name: "availability_ratio", metric: "availability_ratio"},
	SystemsUnowned:        {name: "systems_unowned", metric: "systems_unowned", pointInTime: true},
	UnattributedIncidents: {name: "unattributed_records_incident", metric: "unattributed_records", labelName: "kind", labelValue: "incident"},
	UnattributedChanges:   {name: "unattributed_records_change", metric: "unattributed_records", labelName: "kind", labelValue: "change"},
}

// Name is the KPI's API name.
func (k KPI) Name() string { return kpis[k].name }

// Metric returns the metric name (with the steward_ prefix) and the extra
// label the KPI carries, if any. ok is false for KPIs that are API-only (the
// total of incidents_opened).
func (k KPI) Metric() (name, labelName, labelValue string, ok bool) {
	i := kpis[k]
	if i.metric == "" {
		return "", "", "", false
	}
	return "steward_" + i.metric, i.labelName, i.labelValue, true
}

// PointInTime reports whether the KPI is a state at `at` rather than a
// count or measure over a window.
func (k KPI) PointInTime() bool { return kpis[k].pointInTime }

// HigherIsBetter says which direction is good for scoring.
func (k KPI) HigherIsBetter() bool {
	switch k {
	case ChangeSuccessRatio, AvailabilityRatio, ReviewComplianceRatio, DeploymentsPerDay:
		return true
	}
	return false
}

// AllKPIs lists every KPI in API order.
func AllKPIs() []KPI {
	out := make([]KPI, numKPI)
	for i := range out {
		out[i] = KPI(i)
	}
	return out
}

// KPIByName finds a KPI by its API name.
func KPIByName(name string) (KPI, bool) {
	for k := range numKPI {
		if kpis[k].name == name {
			return k, true
		}
	}
	return 0, false
}

// set is a set of KPIs.
type set uint64

func setOf(ks ...KPI) set {
	var s set
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

func span(from, to KPI) set {
	var s set
	for k := from; k <= to; k++ {
		s |= 1 << k
	}
	return s
}

func (s set) has(k KPI) bool { return s&(1<<k) != 0 }

var (
	changeKPIs         = span(ChangesCompleted, ChangeLeadTimeP90)
	incidentKPIs       = span(IncidentsOpened, ReviewsOverdue)
	availabilityKPIs   = setOf(DowntimeSeconds, AvailabilityRatio)
	accountabilityKPIs = setOf(SystemsUnowned, UnattributedIncidents, UnattributedChanges)
)

// Values holds one value per KPI; NaN means no value (an empty population).
type Values [numKPI]float64

func noValues() Values {
	var v Values
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

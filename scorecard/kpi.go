package scorecard

import (
	"math"

	"github.com/steward-sh/steward/kpi"
)

// KPI identifies one flattened KPI, as the scorecards API names it. The
// catalogue (package kpi) says how it is named, exported, shown and
// scored; this package says which records count.
type KPI = kpi.ID

// The KPIs of SPEC section 4, flattened: a labelled KPI has one entry per
// label value.
const (
	ChangesCompleted      = kpi.ChangesCompleted
	ChangesFailed         = kpi.ChangesFailed
	ChangeSuccessRatio    = kpi.ChangeSuccessRatio
	EmergencyChangeRatio  = kpi.EmergencyChangeRatio
	UnauthorizedChanges   = kpi.UnauthorizedChanges
	DeploymentsPerDay     = kpi.DeploymentsPerDay
	ChangeLeadTimeP50     = kpi.ChangeLeadTimeP50
	ChangeLeadTimeP90     = kpi.ChangeLeadTimeP90
	IncidentsOpened       = kpi.IncidentsOpened
	IncidentsOpenedSev1   = kpi.IncidentsOpenedSev1
	IncidentsOpenedSev2   = kpi.IncidentsOpenedSev2
	IncidentsOpenedSev3   = kpi.IncidentsOpenedSev3
	IncidentsOpenedSev4   = kpi.IncidentsOpenedSev4
	IncidentsOpenedSev5   = kpi.IncidentsOpenedSev5
	IncidentsResolved     = kpi.IncidentsResolved
	MTTR                  = kpi.MTTR
	TimeToRestoreP50      = kpi.TimeToRestoreP50
	TimeToRestoreP90      = kpi.TimeToRestoreP90
	MTTA                  = kpi.MTTA
	SLABreachRatio        = kpi.SLABreachRatio
	IncidentsOpen         = kpi.IncidentsOpen
	ReviewComplianceRatio = kpi.ReviewComplianceRatio
	ReviewsOverdue        = kpi.ReviewsOverdue
	DowntimeSeconds       = kpi.DowntimeSeconds
	AvailabilityRatio     = kpi.AvailabilityRatio
	SystemsUnowned        = kpi.SystemsUnowned
	UnattributedIncidents = kpi.UnattributedIncidents
	UnattributedChanges   = kpi.UnattributedChanges

	MeasuredUptimeRatio         = kpi.MeasuredUptimeRatio
	ResponseTimeComplianceRatio = kpi.ResponseTimeComplianceRatio
	MeasurementCoverageRatio    = kpi.MeasurementCoverageRatio
	UnattributedMeasurements    = kpi.UnattributedMeasurements

	RetroactiveChanges = kpi.RetroactiveChanges
	EstimatedIncidents = kpi.EstimatedIncidents
	EstimatedChanges   = kpi.EstimatedChanges

	ChangeApprovalSeconds        = kpi.ChangeApprovalSeconds
	ChangeScheduleAdherenceRatio = kpi.ChangeScheduleAdherenceRatio
	ReworkRatio                  = kpi.ReworkRatio
	SecurityIncidents            = kpi.SecurityIncidents
	SecurityMTTR                 = kpi.SecurityMTTR
	MTTD                         = kpi.MTTD
	TimeToMitigate               = kpi.TimeToMitigate

	FeedbackResponses       = kpi.FeedbackResponses
	FeedbackStakeholder     = kpi.FeedbackStakeholder
	FeedbackEmployee        = kpi.FeedbackEmployee
	SatisfactionStakeholder = kpi.SatisfactionStakeholder
	SatisfactionEmployee    = kpi.SatisfactionEmployee

	FailedDeploymentRecovery = kpi.FailedDeploymentRecovery
	ReviewActionsOpen        = kpi.ReviewActionsOpen
	ReviewActionsOverdue     = kpi.ReviewActionsOverdue
	numKPI                   = kpi.Count
)

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
	k, ok := kpi.ByName(name)
	if !ok {
		return 0, false
	}
	return k.ID, true
}

// set is a set of KPIs.
type set uint64

var _ = [64 - numKPI]struct{}{} // a compile error when a set cannot hold every KPI

func (s set) has(k KPI) bool { return s&(1<<k) != 0 }

// allKPIs holds every KPI.
const allKPIs = set(1<<numKPI - 1)

// setOf is the set of KPIs ks; nil is every KPI.
func setOf(ks []KPI) set {
	if ks == nil {
		return allKPIs
	}
	var s set
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

// definedFor is the set of KPIs the catalogue defines for a role; process
// is the kind of process of a process owner or manager.
func definedFor(r Role, process string) set {
	var s set
	for _, k := range kpi.All() {
		if k.Group.DefinedFor(string(r), process) && (!k.GlobalOnly || r == RoleGlobal) {
			s |= 1 << k.ID
		}
	}
	return s
}

// Values holds one value per KPI; NaN means no value (an empty population).
type Values [numKPI]float64

func noValues() Values {
	var v Values
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

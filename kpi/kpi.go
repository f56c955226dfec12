// Package kpi is the catalogue of Steward's KPIs: for every flattened KPI
// of SPEC section 4 (a labelled KPI has one entry per label value), its API
// name, metric and label, unit, direction, help text, title, whether it is a
// point in time, and the roles it is defined for. The config, the exporter,
// the dashboards, the reports, the API and the web UI all read it, so adding
// or renaming a KPI is one entry here plus its counting rule in scorecard.
//
// It imports nothing of Steward's and computes nothing: how records count
// is scorecard's business.
package kpi

// ID identifies one flattened KPI. IDs are dense, in API order, so
// per-KPI values live in arrays indexed by ID.
type ID int

// The KPIs, in API order.
const (
	ChangesCompleted ID = iota
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
	MeasuredUptimeRatio
	ResponseTimeComplianceRatio
	MeasurementCoverageRatio
	UnattributedMeasurements
	RetroactiveChanges
	EstimatedIncidents
	EstimatedChanges
	ChangeApprovalSeconds
	ChangeScheduleAdherenceRatio
	ReworkRatio
	SecurityIncidents
	SecurityMTTR
	MTTD
	TimeToMitigate
	FeedbackResponses
	FeedbackStakeholder
	FeedbackEmployee
	SatisfactionStakeholder
	SatisfactionEmployee
	FailedDeploymentRecovery
	ReviewActionsOpen
	ReviewActionsOverdue
	// Count is the number of KPIs.
	Count
)

// Unit is what a KPI's value measures.
type Unit uint8

const (
	// UnitCount is a whole number of records or systems.
	UnitCount Unit = iota
	// UnitRatio is a fraction from 0 to 1, shown as a percentage.
	UnitRatio
	// UnitSeconds is a duration in seconds.
	UnitSeconds
	// UnitPerDay is a rate per day.
	UnitPerDay
)

// Group is the kind of record a KPI is computed from. It decides which
// roles have the KPI (SPEC section 6): see Roles.
type Group uint8

const (
	GroupChange Group = iota
	GroupIncident
	GroupAvailability
	GroupAccountability
	// GroupMeasurement KPIs come from measurements read from Prometheus
	// (SPEC section 9); they are defined only when the config reads them.
	GroupMeasurement
	// GroupFeedback KPIs come from stakeholder and employee feedback.
	GroupFeedback
)

// KPI is one catalogue entry.
type KPI struct {
	ID ID
	// Name is the API name, also the objectives key and the kpi label of
	// steward_kpi_status.
	Name string
	// Metric is the metric name without the steward_ prefix.
	Metric string
	// Label is the extra label of the metric (severity, quantile, kind)
	// and LabelValue this KPI's value of it. A Label without a LabelValue
	// is the sum over every value: shown by the API, not exported itself.
	Label, LabelValue string
	Unit              Unit
	// HigherIsBetter gives the direction of scoring (SPEC 4, Scorecard):
	// true for a handful of KPIs, lower is better for the others.
	HigherIsBetter bool
	// PointInTime KPIs are a state at the evaluation time, not a count or
	// measure over the window: their metric has no window label.
	PointInTime bool
	Group       Group
	// GlobalOnly KPIs are defined for the global subject only, whatever
	// their group's roles.
	GlobalOnly bool
	// Title is the KPI's name for people: tiles, table rows, panels.
	Title string
	// Help says what the KPI counts, in one sentence.
	Help string
	// Decimals is how many decimals a person is shown: of the percentage
	// for ratios, of the number for rates; counts and durations have
	// their own formats.
	Decimals int
}

// Exported reports whether the KPI is a series of its metric (the total
// of a labelled metric is not).
func (k *KPI) Exported() bool { return k.Label == "" || k.LabelValue != "" }

// Matcher is the PromQL matcher selecting the KPI's series among its
// metric's, e.g. quantile="0.5"; "" when the metric has no extra label or
// the KPI is the sum over it.
func (k *KPI) Matcher() string {
	if k.LabelValue == "" {
		return ""
	}
	return k.Label + `="` + k.LabelValue + `"`
}

// Get returns the entry of id. It panics on an id out of range, a
// programmer's error.
func (id ID) Get() *KPI { return &catalogue[id] }

// Name is the KPI's API name.
func (id ID) Name() string { return catalogue[id].Name }

// HigherIsBetter says which direction is good for scoring.
func (id ID) HigherIsBetter() bool { return catalogue[id].HigherIsBetter }

// PointInTime reports whether the KPI is a state at the evaluation time.
func (id ID) PointInTime() bool { return catalogue[id].PointInTime }

// Metric returns the metric name (with the steward_ prefix) and the extra
// label the KPI carries, if any. ok is false for a KPI that is not a
// series of its own (the total of incidents_opened).
func (id ID) Metric() (name, labelName, labelValue string, ok bool) {
	k := &catalogue[id]
	if !k.Exported() {
		return "", "", "", false
	}
	return "steward_" + k.Metric, k.Label, k.LabelValue, true
}

// All lists every KPI in API order. The entries must not be modified.
func All() []KPI { return catalogue[:] }

// ByName finds a KPI by its API name.
func ByName(name string) (*KPI, bool) {
	id, ok := byName[name]
	if !ok {
		return nil, false
	}
	return &catalogue[id], true
}

// Title is the KPI's name for people, or name itself for an unknown one.
func Title(name string) string {
	if k, ok := ByName(name); ok {
		return k.Title
	}
	return name
}

// Help is what the KPI counts, or "" for an unknown name.
func Help(name string) string {
	if k, ok := ByName(name); ok {
		return k.Help
	}
	return ""
}

var byName = func() map[string]ID {
	m := make(map[string]ID, Count)
	for i := range catalogue {
		k := &catalogue[i]
		if k.ID != ID(i) {
			panic("kpi: entry " + k.Name + " is out of place") // a mistake in catalogue.go
		}
		if _, dup := m[k.Name]; dup {
			panic("kpi: " + k.Name + " listed twice")
		}
		m[k.Name] = k.ID
	}
	return m
}()

// QuantileLabel is the label of the percentile KPIs' series.
const QuantileLabel = "quantile"

// Process kinds: a process owner or manager answers for the KPIs of one
// kind of record only.
const (
	ProcessChange   = "change"
	ProcessIncident = "incident"
)

// groupRoles are the roles whose subjects have each group's KPIs (SPEC
// section 6). A process role has the group of its process's kind only.
var groupRoles = [...][]string{
	GroupChange:         {"system", "system_owner", "program", "program_manager", "process_owner", "process_manager", "team", "global"},
	GroupIncident:       {"system", "system_owner", "program", "program_manager", "process_owner", "process_manager", "team", "global"},
	GroupAvailability:   {"system", "system_owner", "program", "program_manager", "global"},
	GroupAccountability: {"global"},
	GroupMeasurement:    {"system", "system_owner", "program", "program_manager", "global"},
	GroupFeedback:       {"system", "system_owner", "program", "program_manager", "team", "global"},
}

// groupProcess is the process kind whose owner and managers have a group.
var groupProcess = [...]string{GroupChange: ProcessChange, GroupIncident: ProcessIncident}

// Roles lists the roles the group's KPIs are defined for.
func (g Group) Roles() []string { return groupRoles[g] }

// DefinedFor reports whether the KPIs of g are defined for a subject of
// role; process is the kind of process (ProcessChange, ProcessIncident) a
// process_owner or process_manager answers for, ignored for other roles.
func (g Group) DefinedFor(role, process string) bool {
	for _, r := range groupRoles[g] {
		if r != role {
			continue
		}
		if role == "process_owner" || role == "process_manager" {
			return int(g) < len(groupProcess) && groupProcess[g] == process
		}
		return true
	}
	return false
}

// Family is one exported metric and what its series have in common.
type Family struct {
	// Metric is the name without the steward_ prefix.
	Metric string
	// Label is the extra label its series carry, if any.
	Label       string
	PointInTime bool
	Help        string
	// Summary families are the percentile KPIs (Label quantile): a
	// Prometheus summary whose _sum and _count are over the same records
	// as the quantiles (SPEC section 5).
	Summary bool
}

// Families lists the exported metrics of the KPIs, in API order of their
// first KPI.
func Families() []Family {
	var out []Family
	seen := map[string]bool{}
	for i := range catalogue {
		k := &catalogue[i]
		if seen[k.Metric] {
			continue
		}
		seen[k.Metric] = true
		help := k.Help
		if k.Label != "" {
			help = familyHelp[k.Metric]
		}
		out = append(out, Family{Metric: k.Metric, Label: k.Label, PointInTime: k.PointInTime, Help: help, Summary: k.Label == QuantileLabel})
	}
	return out
}

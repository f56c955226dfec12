package collector

import (
	"strings"

	"github.com/steward-sh/steward/record"
)

// bpic2014Incident maps BPI Challenge 2014 (Rabobank Group ICT)
// "Detail Incident.csv": one row per incident, ';'-separated, times as
// 05/02/2012 13:32:57 without a zone (read as UTC), "#N/B" for "not
// available" (in the caused-by CI columns), 50 unnamed trailing
// columns (ignored) and 203 entirely empty rows (skipped and counted).
//
// The affected CI is the system; Priority 1..5 is the severity; Impact and
// Urgency are ITIL fields, kept as labels (impact stays none). The file has
// no assignment group, so no team. Related Change becomes caused_by_change
// (BPIC 2014 links incidents to the changes that caused them this way);
// where the export wrote "#MULTIVALUE" instead of one change the link is
// unknown, so it is left out and the label related_change says so. The
// Category column (incident, request for information, complaint, request
// for change) is the category. Close Time is closed_at: the 1,780 incidents
// never resolved are closed, not open for ever.
func bpic2014Incident() *CSVMapping {
	m := &CSVMapping{
		Kind:        record.KindIncident,
		Source:      "bpic2014",
		Comma:       ';',
		TimeLayouts: []string{"02/01/2006 15:04:05"},
		Null:        []string{"#N/B"}, // Dutch "niet beschikbaar": not available
		Fields: map[string]CSVField{
			"id":               {Columns: []string{"Incident ID"}},
			"system":           {Columns: []string{"CI Name (aff)"}},
			"severity":         {Columns: []string{"Priority"}},
			"opened_at":        {Columns: []string{"Open Time"}},
			"resolved_at":      {Columns: []string{"Resolved Time"}},
			"closed_at":        {Columns: []string{"Close Time"}},
			"category":         {Columns: []string{"Category"}},
			"caused_by_change": {Columns: []string{"Related Change"}, Values: map[string]string{"#MULTIVALUE": ""}},
		},
		Labels: map[string]string{
			"status": "Status", "itil_impact": "Impact", "itil_urgency": "Urgency", "category": "Category",
			"ci_type": "CI Type (aff)", "ci_subtype": "CI Subtype (aff)", "service_component": "Service Component WBS (aff)",
			"closure_code": "Closure Code", "reassignments": "# Reassignments", "reopened_at": "Reopen Time",
			"related_change": "Related Change", "caused_by_ci": "CI Name (CBy)", "km_number": "KM number",
		},
	}
	return m
}

// bpic2014Change maps BPIC 2014 "Detail Change.csv": one row per change
// and affected CI (30,275 rows, 18,000 changes, each change's rows
// contiguous), ';'-separated, times as 30-8-2012 7:00 (read as UTC).
//
// A change's rows collapse into one change; its fields come from the last
// row (they differ between rows for fewer than 100 changes), its system is
// that row's CI, and label affected_cis lists every CI when there are
// several. Type: emergency when Emergency Change is Y, standard when the
// Change Type is a "Standard Change Type", else normal (the raw type is
// kept as a label). The file has no outcome: a change with an Actual End
// was implemented (success, finished at Actual End); one without was never
// implemented (cancelled, finished when its record was closed). Failure is
// left to incidents' caused_by_change. Planned Start and End are the
// scheduled window; 708 changes started before their record was opened and
// are stored as retroactive changes. Nothing records approval (no
// approved_at), so changes are authorized (the default); CAB-approval
// needed is kept as a label.
func bpic2014Change() *CSVMapping {
	m := &CSVMapping{
		Kind:        record.KindChange,
		Source:      "bpic2014",
		Comma:       ';',
		TimeLayouts: []string{"2-1-2006 15:04"},
		GroupBy:     "Change ID",
		Fields: map[string]CSVField{
			"id":            {Columns: []string{"Change ID"}},
			"system":        {Columns: []string{"CI Name (aff)"}},
			"created_at":    {Columns: []string{"Change record Open Time"}},
			"planned_start": {Columns: []string{"Planned Start"}},
			"planned_end":   {Columns: []string{"Planned End"}},
			"started_at":    {Columns: []string{"Actual Start"}},
			"finished_at":   {Columns: []string{"Actual End", "Change record Close Time"}},
		},
		Labels: map[string]string{
			"change_type": "Change Type", "risk_assessment": "Risk Assessment", "cab_approval_needed": "CAB-approval needed",
			"ci_type": "CI Type (aff)", "originated_from": "Originated from", "closed_at": "Change record Close Time",
		},
	}
	m.Derive = func(w Wire, group []CSVRow) {
		last := group[len(group)-1]
		switch {
		case m.cell(last, "Emergency Change") == "Y":
			w["type"] = string(record.TypeEmergency)
		case strings.HasPrefix(m.cell(last, "Change Type"), "Standard Change"):
			w["type"] = string(record.TypeStandard)
		default:
			w["type"] = string(record.TypeNormal)
		}
		if m.cell(last, "Actual End") != "" {
			w["outcome"] = string(record.OutcomeSuccess)
		} else {
			w["outcome"] = string(record.OutcomeCancelled)
		}
		if cis := distinct(m, group, "CI Name (aff)"); len(cis) > 1 {
			w.Labels()["affected_cis"] = strings.Join(cis, ",")
		}
	}
	return m
}

package collector

import "github.com/steward-sh/steward/record"

// uciIncident maps the UCI "Incident management process enriched event
// log" (dataset 498, a ServiceNow export): 141,712 events of 24,918
// incidents, each incident's events contiguous, missing values written "?",
// times as 29/2/2016 01:16 without a zone (read as UTC).
//
// The events of one number collapse into one incident whose fields are
// those of the last event (its latest state: in this file the last event
// is always the one with the latest sys_updated_at). cmdb_ci is "?" on all
// but 54 incidents, so the system falls back to the incident's category
// (pseudonymised "Category 55"), labelled system_from=category, rather
// than leaving 99.8% of the file without a system (which would reject it).
// priority "1 - Critical".."4 - Low" gives severity 1..4. ITIL impact and
// urgency are not availability impact: they are kept as labels and impact
// stays none. caused_by names a change number, kept as caused_by_change.
// category (pseudonymised, as the system fallback) is also the incident's
// category. Every incident in the file is Closed with a close time; the
// 1,556 never resolved have closed_at, which stands in for resolution.
func uciIncident() *CSVMapping {
	m := &CSVMapping{
		Kind:        record.KindIncident,
		Source:      "uci",
		TimeLayouts: []string{"2/1/2006 15:04"},
		Null:        []string{"?"},
		GroupBy:     "number",
		Fields: map[string]CSVField{
			"id":               {Columns: []string{"number"}},
			"system":           {Columns: []string{"cmdb_ci", "category"}},
			"team":             {Columns: []string{"assignment_group"}},
			"severity":         {Columns: []string{"priority"}},
			"opened_at":        {Columns: []string{"opened_at"}},
			"resolved_at":      {Columns: []string{"resolved_at"}},
			"closed_at":        {Columns: []string{"closed_at"}},
			"category":         {Columns: []string{"category"}},
			"caused_by_change": {Columns: []string{"caused_by"}},
		},
		Labels: map[string]string{
			"state": "incident_state", "category": "category", "subcategory": "subcategory", "symptom": "u_symptom",
			"itil_impact": "impact", "itil_urgency": "urgency", "priority": "priority", "contact_type": "contact_type",
			"location": "location", "problem_id": "problem_id", "rfc": "rfc", "closed_code": "closed_code",
			"reassignment_count": "reassignment_count", "reopen_count": "reopen_count", "made_sla": "made_sla",
			"cmdb_ci": "cmdb_ci",
		},
	}
	m.Derive = func(w Wire, group []CSVRow) {
		last := group[len(group)-1]
		if m.cell(last, "cmdb_ci") == "" && m.cell(last, "category") != "" {
			w.Labels()["system_from"] = "category"
		}
	}
	return m
}

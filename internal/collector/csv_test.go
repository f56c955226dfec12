package collector

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadCSVGroupsEventsAndMaps(t *testing.T) {
	m, err := ParseCSVMapping([]byte(`
kind: incident
source: itsm
time_layouts: ["2/1/2006 15:04"]
null_values: ["?"]
group_by: number
fields:
  id: number
  system: [ci, category]
  severity: {column: priority, values: {urgent: "1"}}
  opened_at: opened
  resolved_at: resolved
  caused_by_change: rfc
  review_required: review
labels:
  state: state
`))
	require.NoError(t, err)
	in := "\ufeffnumber,state,ci,category,priority,opened,resolved,rfc,review\n" +
		"INC1,New,?,Network,3 - Moderate,29/2/2016 01:16,?,?,?\n" +
		"INC1,Resolved,?,Network,urgent,29/2/2016 01:16,29/2/2016 11:29,CHG7,yes\n" +
		",,,,,,,,\n" +
		"INC2,New,db-1,Network,2,1/3/2016 9:00,,,\n"
	var recs []CSVRecord
	st, err := m.ReadCSV(strings.NewReader(in), "in.csv", func(r CSVRecord) error { recs = append(recs, r); return nil })
	require.NoError(t, err)
	assert.Equal(t, CSVStats{Rows: 4, Empty: 1, Records: 2}, st)
	require.Len(t, recs, 2)
	assert.JSONEq(t, `{"source": "itsm", "id": "INC1", "system": "Network", "severity": 1, "opened_at": "2016-02-29T01:16:00Z",
		"resolved_at": "2016-02-29T11:29:00Z", "caused_by_change": {"id": "CHG7"}, "review": {"required": true}, "labels": {"state": "Resolved"}}`, string(recs[0].Raw),
		"the last event of a group wins; ? is no value")
	assert.Equal(t, []int{2, 3}, []int{recs[0].Rows[0].Line, recs[0].Rows[1].Line})
	assert.JSONEq(t, `{"source": "itsm", "id": "INC2", "system": "db-1", "severity": 2, "opened_at": "2016-03-01T09:00:00Z", "labels": {"state": "New"}}`, string(recs[1].Raw))
	lines := strings.Split(strings.TrimSpace(recs[0].RawRows()), "\n")
	require.Len(t, lines, 2)
	var row struct {
		File string            `json:"file"`
		Line int               `json:"line"`
		Row  map[string]string `json:"row"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &row))
	assert.Equal(t, "in.csv", row.File)
	assert.Equal(t, 3, row.Line)
	assert.Equal(t, "urgent", row.Row["priority"])
}

func TestParseCSVMappingErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"kind: problem\nfields: {id: n}\n", `csv mapping: kind "problem": want incident, change or feedback`},
		{"kind: incident\n", `csv mapping: field "id" is required`},
		{"kind: change\nfields: {id: n, severity: p}\n", `csv mapping: field "severity" is not a field of a change`},
		{"kind: incident\ndelimiter: ';;'\nfields: {id: n}\n", `csv mapping: delimiter ";;": want one character`},
		{"kind: incident\ntimezone: Mars/Olympus\nfields: {id: n}\n", `csv mapping: timezone: unknown time zone Mars/Olympus`},
		{"kind: incident\nfield: {id: n}\n", "field field not found"},
		{"kind: incident\nfields: {id: n, team: {}}\n", `csv mapping: field "team": give a column, columns or a default`},
	}
	for _, tt := range tests {
		_, err := ParseCSVMapping([]byte(tt.yaml))
		require.Error(t, err, tt.yaml)
		assert.Contains(t, err.Error(), tt.want)
	}
}

// A change mapping fills the schedule, approval, rework and estimated
// fields; estimated is a comma-separated list in one cell.
func TestReadCSVChangeFields(t *testing.T) {
	m, err := ParseCSVMapping([]byte(`
kind: change
time_layouts: ["2006-01-02 15:04"]
fields:
  id: id
  system: app
  outcome: {default: success}
  approved_at: approved
  planned_start: plan_from
  planned_end: plan_to
  started_at: from
  finished_at: to
  rework: hotfix
  estimated: guessed
`))
	require.NoError(t, err)
	in := "id,app,approved,plan_from,plan_to,from,to,hotfix,guessed\n" +
		"C1,pay,2026-01-01 08:00,2026-01-02 10:00,2026-01-02 11:00,2026-01-02 10:05,2026-01-02 10:40,yes,\"started_at, finished_at\"\n"
	var recs []CSVRecord
	_, err = m.ReadCSV(strings.NewReader(in), "in.csv", func(r CSVRecord) error { recs = append(recs, r); return nil })
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.JSONEq(t, `{"source": "csv", "id": "C1", "system": "pay", "outcome": "success", "approved_at": "2026-01-01T08:00:00Z",
		"planned_start": "2026-01-02T10:00:00Z", "planned_end": "2026-01-02T11:00:00Z", "started_at": "2026-01-02T10:05:00Z",
		"finished_at": "2026-01-02T10:40:00Z", "rework": true, "estimated": ["started_at", "finished_at"]}`, string(recs[0].Raw))
}

package record

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// base is a valid incident's fields; each case adds to them.
const base = `"id":"1","system":"s","severity":3,"opened_at":"2026-01-01T00:00:00Z"`

func TestParseIncidentNewFields(t *testing.T) {
	in, err := ParseIncident([]byte(`{`+base+`,"category":"security","impact_started_at":"2025-12-31T23:00:00Z",
		"mitigated_at":"2026-01-01T00:30:00Z","closed_at":"2026-01-02T00:00:00Z","estimated":["opened_at","closed_at"],
		"review":{"required":true,"completed_at":"2026-01-03T00:00:00Z",
			"signoffs":[{"role":"system_owner","person":"alice","at":"2026-01-03T01:00:00Z"}],
			"actions":[{"id":"A1","due":"2026-02-01T00:00:00Z"},{"id":"A2","done_at":"2026-01-04T00:00:00Z"}]}}`), "api")
	require.NoError(t, err)
	assert.Equal(t, "security", in.Category)
	assert.Equal(t, time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), *in.ImpactStartedAt)
	assert.Equal(t, time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC), *in.MitigatedAt)
	assert.Equal(t, []string{"opened_at", "closed_at"}, in.Estimated)
	assert.Equal(t, []Signoff{{Role: RoleSystemOwner, Person: "alice", At: time.Date(2026, 1, 3, 1, 0, 0, 0, time.UTC)}}, in.Review.Signoffs)
	require.Len(t, in.Review.Actions, 2)
	assert.Nil(t, in.Review.Actions[0].DoneAt)
	assert.Nil(t, in.Review.Actions[1].Due)

	def, err := ParseIncident([]byte(`{`+base+`}`), "api")
	require.NoError(t, err)
	assert.Equal(t, CategoryNone, def.Category, "category defaults to none")
	assert.Nil(t, def.Estimated)
}

func TestParseIncidentRejects(t *testing.T) {
	long := strings.Repeat("x", MaxNameBytes+1)
	tests := []struct {
		name string
		raw  string
		errs []string
	}{
		{"mitigated before opened", `{` + base + `,"mitigated_at":"2025-12-31T00:00:00Z"}`,
			[]string{`field "mitigated_at": 2025-12-31T00:00:00Z is before opened_at 2026-01-01T00:00:00Z`}},
		{"closed before opened", `{` + base + `,"closed_at":"2025-12-31T00:00:00Z"}`, []string{`field "closed_at": 2025-12-31T00:00:00Z is before opened_at`}},
		{"impact started after opened", `{` + base + `,"impact_started_at":"2026-01-01T00:00:01Z"}`,
			[]string{`field "impact_started_at": 2026-01-01T00:00:01Z is after opened_at 2026-01-01T00:00:00Z`}},
		{"estimated names no time field", `{` + base + `,"estimated":["title"]}`,
			[]string{`field "estimated[0]": "title" names no time field of the record (allowed: acknowledged_at, closed_at, impact_started_at, mitigated_at, opened_at, resolved_at)`}},
		{"estimated time the record lacks", `{` + base + `,"estimated":["resolved_at"]}`,
			[]string{`field "estimated[0]": "resolved_at" is estimated but the record has no resolved_at`}},
		{"estimated twice", `{` + base + `,"estimated":["opened_at","opened_at"]}`, []string{`field "estimated[1]": "opened_at" is listed twice`}},
		{"empty category", `{` + base + `,"category":""}`, []string{`field "category": is required`}},
		{"unknown sign-off role", `{` + base + `,"review":{"signoffs":[{"role":"ceo","person":"p","at":"2026-01-02T00:00:00Z"}]}}`,
			[]string{`field "review.signoffs[0].role": unknown value "ceo" (allowed: system_owner, program_manager, process_owner)`}},
		{"sign-off without person and time", `{` + base + `,"review":{"signoffs":[{"role":"system_owner"}]}}`,
			[]string{`field "review.signoffs[0].person": is required`, `field "review.signoffs[0].at": is required`}},
		{"sign-off before the incident", `{` + base + `,"review":{"signoffs":[{"role":"process_owner","person":"p","at":"2025-01-01T00:00:00Z"}]}}`,
			[]string{`field "review.signoffs[0].at": 2025-01-01T00:00:00Z is before opened_at`}},
		{"action without id, action twice", `{` + base + `,"review":{"actions":[{"due":"2026-02-01T00:00:00Z"},{"id":"A"},{"id":"A"}]}}`,
			[]string{`field "review.actions[0].id": is required`, `field "review.actions[2].id": "A" is listed twice`}},
		{"action done before the incident", `{` + base + `,"review":{"actions":[{"id":"A","done_at":"2025-01-01T00:00:00Z"}]}}`,
			[]string{`field "review.actions[0].done_at": 2025-01-01T00:00:00Z is before opened_at`}},
		{"NUL in the cause", `{` + base + `,"caused_by_change":{"source":"g\u0000","id":"c\u0000"}}`,
			[]string{`field "caused_by_change.id": contains a NUL character`, `field "caused_by_change.source": contains a NUL character`}},
		{"NUL in a label name", `{` + base + `,"labels":{"a\u0000":"b"}}`, []string{`field "labels.a\x00": contains a NUL character`}},
		{"NUL in category", `{` + base + `,"category":"x\u0000"}`, []string{`field "category": contains a NUL character`}},
		{"team too long", `{` + base + `,"team":"` + long + `"}`, []string{`field "team": is 257 bytes long, more than the limit of 256`}},
		{"id too long", `{"id":"` + long + `","system":"s","severity":3,"opened_at":"2026-01-01T00:00:00Z"}`, []string{`field "id": is 257 bytes long`}},
		{"cause too long", `{` + base + `,"caused_by_change":{"id":"` + long + `"}}`, []string{`field "caused_by_change.id": is 257 bytes long`}},
		{"title too long", `{` + base + `,"title":"` + strings.Repeat("t", MaxTextBytes+1) + `"}`, []string{`field "title": is 4097 bytes long, more than the limit of 4096`}},
		{"label value too long", `{` + base + `,"labels":{"k":"` + strings.Repeat("v", MaxLabelValueBytes+1) + `"}}`, []string{`field "labels.k": is 65537 bytes long`}},
		{"severity as a string", `{"id":"1","system":"s","severity":"2","opened_at":"2026-01-01T00:00:00Z"}`,
			[]string{`field "severity": must be an integer from 1 to 5, got JSON "2"`}},
		{"severity null", `{"id":"1","system":"s","severity":null,"opened_at":"2026-01-01T00:00:00Z"}`, []string{`field "severity": is required`}},
		{"duplicate key", `{` + base + `,"system":"t"}`, []string{`field "system": is given twice`}},
		{"duplicate key by escape", `{` + base + `,"i\u0064":"2"}`, []string{`field "id": is given twice`}},
		{"duplicate label", `{` + base + `,"labels":{"a":"1","a":"2"}}`, []string{`field "labels.a": is given twice`}},
		{"invalid UTF-8", "{" + base + ",\"title\":\"caf\xe9\"}", []string{`not valid UTF-8 (byte 83)`}},
		{"unpaired surrogate", `{` + base + `,"title":"\udc00"}`, []string{`field "title": holds an unpaired UTF-16 surrogate \udc00`}},
		{"unpaired high surrogate", `{` + base + `,"team":"\ud800x"}`, []string{`field "team": holds an unpaired UTF-16 surrogate \ud800`}},
		{"nested too deep", `{` + base + `,"labels":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, []string{`nested more than 32 levels deep`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseIncident([]byte(tt.raw), "api")
			require.Error(t, err)
			for _, e := range tt.errs {
				assert.Contains(t, err.Error(), e)
			}
		})
	}
	_, err := ParseIncident([]byte(`{`+base+`,"title":"\ud83d\ude00 ok","team":"`+strings.Repeat("x", MaxNameBytes)+`"}`), "api")
	require.NoError(t, err, "a surrogate pair is a character, and a name of the limit's length is fine")
}

func TestParseChangeNewFields(t *testing.T) {
	c, err := ParseChange([]byte(`{"id":"C","system":"s","outcome":"success","created_at":"2026-01-02T00:00:00Z",
		"approved_at":"2026-01-01T12:00:00Z","planned_start":"2026-01-01T10:00:00Z","planned_end":"2026-01-01T11:00:00Z",
		"started_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T01:00:00Z","rework":true,"estimated":["started_at"]}`), "api")
	require.NoError(t, err, "a change started and finished before it was requested is retroactive, and stored")
	assert.True(t, c.Rework)
	assert.Equal(t, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), *c.ApprovedAt)
	assert.Equal(t, time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), *c.PlannedStart)
	assert.Equal(t, time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC), *c.PlannedEnd)
	assert.Equal(t, []string{"started_at"}, c.Estimated)

	tests := []struct{ name, raw, err string }{
		{"planned end before start", `{"id":"C","system":"s","outcome":"success","finished_at":"2026-01-01T00:00:00Z","planned_start":"2026-01-02T00:00:00Z","planned_end":"2026-01-01T00:00:00Z"}`,
			`field "planned_end": 2026-01-01T00:00:00Z is before planned_start 2026-01-02T00:00:00Z`},
		{"estimated names no time", `{"id":"C","system":"s","outcome":"success","finished_at":"2026-01-01T00:00:00Z","estimated":["outcome"]}`,
			`field "estimated[0]": "outcome" names no time field of the record (allowed: approved_at, created_at, finished_at, planned_end, planned_start, started_at)`},
		{"NUL in environment", `{"id":"C","system":"s","outcome":"success","finished_at":"2026-01-01T00:00:00Z","environment":"prod\u0000"}`,
			`field "environment": contains a NUL character`},
		{"environment too long", `{"id":"C","system":"s","outcome":"success","finished_at":"2026-01-01T00:00:00Z","environment":"` + strings.Repeat("e", 300) + `"}`,
			`field "environment": is 300 bytes long`},
		{"rework must be a boolean", `{"id":"C","system":"s","outcome":"success","finished_at":"2026-01-01T00:00:00Z","rework":"yes"}`,
			`field "rework": must be a boolean`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseChange([]byte(tt.raw), "api")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestParseFeedback(t *testing.T) {
	f, err := ParseFeedback([]byte(`{"id":"F1","system":"payments","score":4,"submitted_at":"2026-01-01T00:00:00Z","labels":{"survey":"q1"}}`), "api")
	require.NoError(t, err)
	assert.Equal(t, Feedback{ID: "F1", Source: "api", System: "payments", Audience: AudienceStakeholder, Score: 4, ScaleMin: 1, ScaleMax: 5,
		SubmittedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Labels: map[string]string{"survey": "q1"}}, f)

	f, err = ParseFeedback([]byte(`{"id":"F2","source":"pulse","team":"sre","audience":"employee","score":-2,"scale_min":-3,"scale_max":3,"submitted_at":"2026-01-01T00:00:00Z"}`), "api")
	require.NoError(t, err)
	assert.Equal(t, AudienceEmployee, f.Audience)
	assert.Equal(t, -2.0, f.Score)
	assert.Equal(t, "sre", f.Team)

	const at = `,"submitted_at":"2026-01-01T00:00:00Z"`
	tests := []struct{ name, raw, err string }{
		{"nothing it is about", `{"id":"F","score":3` + at + `}`, `field "system": one of system, program or team is required`},
		{"two things", `{"id":"F","system":"a","team":"b","score":3` + at + `}`, `field "team": give exactly one of system, program or team, not system and team`},
		{"score above the scale", `{"id":"F","program":"p","score":6` + at + `}`, `field "score": 6 is outside the scale 1 to 5`},
		{"score below its own scale", `{"id":"F","program":"p","score":0,"scale_min":1,"scale_max":10` + at + `}`, `field "score": 0 is outside the scale 1 to 10`},
		{"empty scale", `{"id":"F","program":"p","score":3,"scale_min":3,"scale_max":3` + at + `}`, `field "scale_max": 3 is not above scale_min 3`},
		{"score as a string", `{"id":"F","program":"p","score":"3"` + at + `}`, `field "score": must be a number, got JSON "3"`},
		{"score missing", `{"id":"F","program":"p"` + at + `}`, `field "score": is required`},
		{"unknown audience", `{"id":"F","program":"p","score":3,"audience":"customer"` + at + `}`, `field "audience": unknown value "customer"`},
		{"submitted missing", `{"id":"F","program":"p","score":3}`, `field "submitted_at": is required`},
		{"huge number", `{"id":"F","program":"p","score":1e999` + at + `}`, `field "score": 1e999 is out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFeedback([]byte(tt.raw), "api")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

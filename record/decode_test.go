package record

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseIncident(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		errs []string // substrings the error must hold; none: valid
	}{
		{"minimal", `{"id":"1","system":"s","severity":3,"opened_at":"2026-01-01T00:00:00Z"}`, nil},
		{"offset time is kept as UTC", `{"id":"1","system":"s","severity":1,"opened_at":"2026-01-01T02:00:00+02:00","resolved_at":"2026-01-01T00:30:00Z"}`, nil},
		{"resolved before opened", `{"id":"1","system":"s","severity":3,"opened_at":"2026-01-02T00:00:00Z","resolved_at":"2026-01-01T00:00:00Z"}`,
			[]string{`field "resolved_at": 2026-01-01T00:00:00Z is before opened_at 2026-01-02T00:00:00Z`}},
		{"unknown enum", `{"id":"1","system":"s","severity":3,"impact":"total","opened_at":"2026-01-01T00:00:00Z"}`,
			[]string{`field "impact": unknown value "total" (allowed: outage, degraded, none)`}},
		{"severity out of range", `{"id":"1","system":"s","severity":0,"opened_at":"2026-01-01T00:00:00Z"}`,
			[]string{`field "severity": must be an integer from 1 to 5, got 0`}},
		{"fractional severity", `{"id":"1","system":"s","severity":2.5,"opened_at":"2026-01-01T00:00:00Z"}`,
			[]string{`field "severity": must be an integer from 1 to 5, got 2.5`}},
		{"missing fields, all reported", `{"title":"x"}`,
			[]string{`field "id": is required`, `field "system": is required`, `field "severity": is required`, `field "opened_at": is required`}},
		{"bad timestamp", `{"id":"1","system":"s","severity":3,"opened_at":"2026-01-01 00:00"}`,
			[]string{`field "opened_at": not an RFC 3339 time: "2026-01-01 00:00"`}},
		{"year outside RFC 3339 once in UTC", `{"id":"1","system":"s","severity":3,"opened_at":"0000-01-01T00:00:00+01:00"}`,
			[]string{`field "opened_at": "0000-01-01T00:00:00+01:00" is outside years 0001 to 9999 in UTC`}},
		{"wrong type", `{"id":1,"system":"s","severity":3,"opened_at":"2026-01-01T00:00:00Z"}`,
			[]string{`field "id": must be a string, got JSON number`}},
		{"unknown field", `{"id":"1","system":"s","severity":3,"opened_at":"2026-01-01T00:00:00Z","resolvd_at":"x"}`,
			[]string{`field "resolvd_at": unknown field`}},
		{"cause needs an id", `{"id":"1","system":"s","severity":3,"opened_at":"2026-01-01T00:00:00Z","caused_by_change":{}}`,
			[]string{`field "caused_by_change.id": is required`}},
		{"NUL character", `{"id":"1\u0000","system":"s","severity":3,"opened_at":"2026-01-01T00:00:00Z","labels":{"a":"b\u0000"}}`,
			[]string{`field "id": contains a NUL character`, `field "labels.a": contains a NUL character`}},
		{"not an object", `[1]`, []string{"not a JSON object: got JSON array"}},
		{"trailing data", `{"id":"1","system":"s","severity":3,"opened_at":"2026-01-01T00:00:00Z"} {}`, []string{"trailing data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseIncident([]byte(tt.raw), "api")
			if len(tt.errs) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, e := range tt.errs {
				assert.Contains(t, err.Error(), e)
			}
		})
	}
}

func TestParseIncidentDefaults(t *testing.T) {
	in, err := ParseIncident([]byte(`{"id":"1","system":"s","severity":2,"opened_at":"2026-01-01T02:00:00.1234567+02:00",
		"caused_by_change":{"id":"C1"},"review":{"required":false}}`), "alertmanager")
	require.NoError(t, err)
	assert.Equal(t, "alertmanager", in.Source)
	assert.Equal(t, ImpactNone, in.Impact)
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 123456000, time.UTC), in.OpenedAt)
	assert.Equal(t, &Ref{Source: "alertmanager", ID: "C1"}, in.CausedByChange, "a cause defaults to the incident's source")
	require.NotNil(t, in.Review.Required)
	assert.False(t, *in.Review.Required)
}

func TestParseChange(t *testing.T) {
	c, err := ParseChange([]byte(`{"id":"C1","system":"s","outcome":"success","finished_at":"2026-01-01T00:00:00Z"}`), "api")
	require.NoError(t, err)
	assert.Equal(t, TypeNormal, c.Type)
	assert.Equal(t, "production", c.Environment)
	assert.True(t, c.Authorized)

	tests := []struct {
		name, raw, err string
	}{
		{"in progress needs no finish", `{"id":"C","system":"s","outcome":"in_progress","started_at":"2026-01-01T00:00:00Z"}`, ""},
		{"finished required otherwise", `{"id":"C","system":"s","outcome":"failed"}`, `field "finished_at": is required when outcome is "failed"`},
		{"outcome required", `{"id":"C","system":"s","finished_at":"2026-01-01T00:00:00Z"}`, `field "outcome": is required`},
		{"unknown type", `{"id":"C","system":"s","type":"urgent","outcome":"success","finished_at":"2026-01-01T00:00:00Z"}`, `field "type": unknown value "urgent"`},
		{"finished before started", `{"id":"C","system":"s","outcome":"success","started_at":"2026-01-02T00:00:00Z","finished_at":"2026-01-01T00:00:00Z"}`, `field "finished_at"`},
		{"authorized must be a boolean", `{"id":"C","system":"s","outcome":"success","authorized":"no","finished_at":"2026-01-01T00:00:00Z"}`, `field "authorized": must be a boolean`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseChange([]byte(tt.raw), "api")
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestRecords(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		ndjson bool
		n      int
		bad    bool
	}{
		{"object", `{"id":"1"}`, false, 1, false},
		{"array", ` [{"id":"1"},{"id":"2"}] `, false, 2, false},
		{"empty array", `[]`, false, 0, false},
		{"ndjson with blank lines and a bad line", "{\"id\":\"1\"}\n\n{bad\n{\"id\":\"3\"}\n", true, 3, false},
		{"empty", "  ", false, 0, true},
		{"garbage", "hello", false, 0, true},
		{"broken array", `[{"id":"1"},`, false, 0, true},
		{"two objects", `{"id":"1"} {"id":"2"}`, false, 0, true},
		{"array then garbage", `[{"id":"1"}] x`, false, 0, true},
		{"array of non-objects is split, then rejected per record", `[1, "x"]`, false, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raws []string
			err := Records(strings.NewReader(tt.body), tt.ndjson, 0, func(i int, raw []byte) error {
				assert.Equal(t, len(raws), i)
				raws = append(raws, string(raw))
				return nil
			})
			if tt.bad {
				require.ErrorIs(t, err, ErrUnparseable)
				return
			}
			require.NoError(t, err)
			assert.Len(t, raws, tt.n)
		})
	}
}

package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// Whatever the bytes, the decoder never panics, and what it accepts is
// valid and survives a round trip through its own JSON unchanged.
func FuzzParseIncident(f *testing.F) {
	f.Add([]byte(`{"id":"1","system":"s","severity":3,"opened_at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"id":"x","source":"pd","system":"a","severity":1,"impact":"outage","opened_at":"2026-01-01T00:00:00+02:00","acknowledged_at":"2026-01-01T00:00:00Z","resolved_at":"2026-01-02T00:00:00.5Z","caused_by_change":{"id":"C"},"review":{"required":true,"completed_at":"2026-01-03T00:00:00Z"},"labels":{"a":"b"}}`))
	f.Add([]byte(`{"id":"1","system":"s","severity":2.0,"opened_at":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, err := ParseIncident(raw, "api")
		if err != nil {
			return
		}
		require.True(t, in.Severity >= 1 && in.Severity <= 5)
		require.NotEmpty(t, in.ID)
		if in.ResolvedAt != nil {
			require.False(t, in.ResolvedAt.Before(in.OpenedAt))
		}
		again, err := json.Marshal(in)
		require.NoError(t, err)
		back, err := ParseIncident(again, "other")
		require.NoError(t, err, string(again))
		if len(back.Labels) == 0 {
			back.Labels = in.Labels
		}
		require.Equal(t, in, back)
	})
}

func FuzzParseChange(f *testing.F) {
	f.Add([]byte(`{"id":"C1","system":"s","outcome":"success","finished_at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"id":"C2","system":"s","type":"emergency","environment":"staging","outcome":"in_progress","created_at":"2026-01-01T00:00:00Z","started_at":"2026-01-01T01:00:00Z","authorized":false}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseChange(raw, "api")
		if err != nil {
			return
		}
		require.NotEmpty(t, c.System)
		require.True(t, c.FinishedAt != nil || c.Outcome == OutcomeInProgress)
		again, err := json.Marshal(c)
		require.NoError(t, err)
		back, err := ParseChange(again, "other")
		require.NoError(t, err, string(again))
		if len(back.Labels) == 0 {
			back.Labels = c.Labels
		}
		require.Equal(t, c, back)
	})
}

// Records never panics and never loses a non-empty NDJSON line.
func FuzzRecords(f *testing.F) {
	f.Add([]byte(`[{"id":"1"},{"id":"2"}]`), false)
	f.Add([]byte("{\"id\":\"1\"}\n\n{bad\n"), true)
	f.Fuzz(func(t *testing.T, body []byte, ndjson bool) {
		err := Records(bytes.NewReader(body), ndjson, 100, func(_ int, raw []byte) error {
			require.NotEmpty(t, raw)
			return nil
		})
		var tooMany *TooManyRecordsError
		if err != nil && !errors.As(err, &tooMany) {
			require.ErrorIs(t, err, ErrUnparseable)
		}
	})
}

func FuzzParseFeedback(f *testing.F) {
	f.Add([]byte(`{"id":"F1","system":"s","score":4,"submitted_at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"id":"F2","team":"t","audience":"employee","score":-1,"scale_min":-2,"scale_max":2,"submitted_at":"2026-01-01T00:00:00+01:00","labels":{"q":"1"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		fb, err := ParseFeedback(raw, "api")
		if err != nil {
			return
		}
		require.True(t, fb.ScaleMin < fb.ScaleMax && fb.Score >= fb.ScaleMin && fb.Score <= fb.ScaleMax)
		again, err := json.Marshal(fb)
		require.NoError(t, err)
		back, err := ParseFeedback(again, "other")
		require.NoError(t, err, string(again))
		if len(back.Labels) == 0 {
			back.Labels = fb.Labels
		}
		require.Equal(t, fb, back)
	})
}

package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

// The webhook decoders' fuzz targets check what every decoder promises,
// whatever the bytes: it never panics; without prior records its only
// error is ErrMalformed; every record it accepts is valid by the record
// package's rules, exactly as it would be stored; every item it rejects
// says why; and the same input decodes the same way twice. Seeds are the
// vendors' real payloads (testdata/fuzz/<target>/, copied from the shared
// fixtures) and the small bodies added below.

var fuzzNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func checkDecoded(t *testing.T, decode func() (Decoded, error)) {
	d, err := decode()
	if err != nil {
		require.ErrorIs(t, err, ErrMalformed)
		require.Equal(t, Decoded{}, d)
	}
	for _, in := range d.Incidents {
		raw, merr := json.Marshal(in)
		require.NoError(t, merr)
		back, perr := record.ParseIncident(raw, "other")
		require.NoError(t, perr, "accepted incident fails validation: %s", raw)
		if len(back.Labels) == 0 && len(in.Labels) == 0 {
			back.Labels = in.Labels
		}
		require.Equal(t, in, back, "an accepted incident is stored as decoded")
	}
	for _, c := range d.Changes {
		raw, merr := json.Marshal(c)
		require.NoError(t, merr)
		back, perr := record.ParseChange(raw, "other")
		require.NoError(t, perr, "accepted change fails validation: %s", raw)
		if len(back.Labels) == 0 && len(c.Labels) == 0 {
			back.Labels = c.Labels
		}
		require.Equal(t, c, back, "an accepted change is stored as decoded")
	}
	for _, rj := range d.Rejected {
		require.NotEmpty(t, rj.Error)
		require.Contains(t, []record.Kind{record.KindIncident, record.KindChange}, rj.Kind)
	}
	again, err2 := decode()
	require.Equal(t, d, again, "decoding is deterministic")
	require.Equal(t, errString(err), errString(err2))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func FuzzDecodeAlertmanager(f *testing.F) {
	f.Add([]byte(`{"version":"4","status":"firing","alerts":[{"labels":{"service":"a","severity":"critical"},"startsAt":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"alerts":[{"status":"resolved","labels":{"job":"x"},"startsAt":"2026-01-01T00:00:00Z","endsAt":"2025-01-01T00:00:00Z"},{"labels":{}},7]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecoded(t, func() (Decoded, error) { return DecodeAlertmanager(body, AlertmanagerDefaults(), fuzzNow) })
	})
}

func FuzzDecodePagerDuty(f *testing.F) {
	f.Add([]byte(`{"event":{"event_type":"incident.resolved","resource_type":"incident","occurred_at":"2026-01-01T00:00:00Z","data":{"id":"P1","status":"resolved","created_at":"2026-01-02T00:00:00Z"}}}`))
	f.Add([]byte(`{"event":{"event_type":"incident.triggered","resource_type":"incident","occurred_at":"2026-01-01T00:00:00Z","data":{"id":"P2","priority":{"summary":"P1"},"service":{"summary":"pay"}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecoded(t, func() (Decoded, error) {
			return DecodePagerDuty(context.Background(), body, PagerDutyDefaults(), nil, fuzzNow)
		})
	})
}

func FuzzDecodeGitHub(f *testing.F) {
	f.Add("deployment_status", []byte(`{"deployment":{"id":1,"environment":"prod","created_at":"2026-01-01T00:00:00Z"},"deployment_status":{"state":"success","created_at":"2025-01-01T00:00:00Z"},"repository":{"name":"r","full_name":"o/r"}}`))
	f.Add("deployment", []byte(`{"deployment":{"id":"x"}}`))
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		checkDecoded(t, func() (Decoded, error) {
			return DecodeGitHub(context.Background(), event, body, GitHubDefaults(), nil, fuzzNow)
		})
	})
}

func FuzzDecodeGitLab(f *testing.F) {
	f.Add([]byte(`{"object_kind":"deployment","status":"success","status_changed_at":"2021-04-28 21:50:00 +0200","deployment_id":15,"environment":"production","project":{"name":"p"}}`))
	f.Add([]byte(`{"object_kind":"deployment","status":"running","status_changed_at":"yesterday","deployment_id":"a"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecoded(t, func() (Decoded, error) {
			return DecodeGitLab(context.Background(), body, GitLabDefaults(), nil, fuzzNow)
		})
	})
}

func FuzzDecodeOpsgenie(f *testing.F) {
	f.Add([]byte(`{"action":"Close","alert":{"alertId":"a","createdAt":1700000000000,"updatedAt":1600000000000000000,"priority":"P1","tags":["system:pay"]}}`))
	f.Add([]byte(`{"action":"Acknowledge","alert":{"alertId":"b","createdAt":-1,"updatedAt":1e30}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecoded(t, func() (Decoded, error) {
			return DecodeOpsgenie(context.Background(), body, OpsgenieDefaults(), nil, fuzzNow)
		})
	})
}

// fuzzCSVMapping is a user's mapping file, beside the dataset presets.
const fuzzCSVMapping = `
kind: change
source: itsm
time_layouts: ["2/1/2006 15:04", "02-01-2006 15:04:05"]
null_values: ["?", "NULL"]
group_by: number
fields:
  id: number
  system: [ci, service]
  type: {column: type, values: {urgent: emergency}}
  outcome: {column: state, values: {done: success, broken: failed}, default: in_progress}
  authorized: approved
  created_at: opened
  finished_at: closed
labels:
  state: state
`

// Whatever the file, the CSV importer never panics, and each record it
// makes is either refused with a reason or written in Steward's wire
// format, which the record package then accepts or rejects by field, the
// same way twice. The seeds include the first rows of the real datasets.
func FuzzReadCSV(f *testing.F) {
	f.Add(uint8(3), []byte("number,ci,type,state,approved,opened,closed\nC1,db,urgent,done,yes,29/2/2016 01:16,1/3/2016 9:00\nC1,db,urgent,broken,no,29/2/2016 01:16,?\n"))
	f.Add(uint8(3), []byte("\ufeffnumber;ci\n\"a\"\"b\",x\n"))
	custom, err := ParseCSVMapping([]byte(fuzzCSVMapping))
	require.NoError(f, err)
	mappings := []*CSVMapping{custom}
	for _, name := range CSVPresets() {
		m, _ := CSVPreset(name)
		mappings = append(mappings, m)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		m := mappings[int(which)%len(mappings)]
		read := func() ([]CSVRecord, CSVStats, error) {
			var recs []CSVRecord
			st, err := m.ReadCSV(bytes.NewReader(data), "fuzz.csv", func(r CSVRecord) error { recs = append(recs, r); return nil })
			return recs, st, err
		}
		recs, st, err := read()
		if err == nil {
			require.Equal(t, st.Records, len(recs))
		}
		for _, r := range recs {
			require.NotEmpty(t, r.Rows)
			if r.Err != nil {
				require.Nil(t, r.Raw)
				continue
			}
			require.True(t, json.Valid(r.Raw), "%s", r.Raw)
			var perr error
			switch m.Kind {
			case record.KindIncident:
				_, perr = record.ParseIncident(r.Raw, "csv")
			case record.KindChange:
				_, perr = record.ParseChange(r.Raw, "csv")
			}
			if perr != nil {
				require.Contains(t, perr.Error(), `field "`, "a rejection names the field")
			}
		}
		again, st2, err2 := read()
		require.Equal(t, recs, again, "reading is deterministic")
		require.Equal(t, st, st2)
		require.Equal(t, errString(err), errString(err2))
	})
}

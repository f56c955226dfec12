package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/pgtest"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
)

// stores opens a new store of each kind.
func stores(t *testing.T) map[string]func(t *testing.T) *store.DB {
	return map[string]func(t *testing.T) *store.DB{
		"sqlite": func(t *testing.T) *store.DB {
			db, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "steward.db"), nil)
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			return db
		},
		"postgres": func(t *testing.T) *store.DB {
			db, err := store.Open(context.Background(), "postgres", pgtest.NewDatabase(t), nil)
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			return db
		},
	}
}

func post(t *testing.T, h http.Handler, path, contentType, body string) (int, IngestResult, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	h.ServeHTTP(rec, req)
	var res IngestResult
	_ = json.Unmarshal(rec.Body.Bytes(), &res)
	return rec.Code, res, rec.Body.String()
}

// A record the store could not hold (a NUL byte in a cause, an
// environment, a team) is rejected alone, with its field named; the valid
// records of its batch are stored, and the answer is 200, never the 503
// that made clients retry the batch for ever.
func TestIngestBadTextRejectedPerRecord(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := open(t)
			srv := New(Options{Store: db, Logger: slog.New(slog.DiscardHandler)})
			const ok = `{"id":"ok","system":"s","severity":2,"opened_at":"2026-01-01T00:00:00Z"}`
			tests := []struct {
				path, body string
				field      string
			}{
				{"/api/v1/incidents", `[` + ok + `,{"id":"c","system":"s","severity":2,"opened_at":"2026-01-01T00:00:00Z","caused_by_change":{"id":"d\u0000"}}]`, "caused_by_change.id"},
				{"/api/v1/incidents", `[` + ok + `,{"id":"c","system":"s","severity":2,"opened_at":"2026-01-01T00:00:00Z","caused_by_change":{"source":"g\u0000","id":"d"}}]`, "caused_by_change.source"},
				{"/api/v1/changes", `[{"id":"ok","system":"s","outcome":"success","finished_at":"2026-01-01T00:00:00Z"},{"id":"e","system":"s","outcome":"success","finished_at":"2026-01-01T00:00:00Z","environment":"prod\u0000"}]`, "environment"},
				{"/api/v1/feedback", `[{"id":"ok","team":"t","score":4,"submitted_at":"2026-01-01T00:00:00Z"},{"id":"f","team":"t\u0000","score":4,"submitted_at":"2026-01-01T00:00:00Z"}]`, "team"},
				{"/api/v1/incidents", `[` + ok + `,{"id":"l","system":"s","severity":2,"opened_at":"2026-01-01T00:00:00Z","team":"` + strings.Repeat("x", 300) + `"}]`, "team"},
			}
			for _, tt := range tests {
				code, res, body := post(t, srv, tt.path, "application/json", tt.body)
				require.Equal(t, http.StatusOK, code, body)
				assert.Equal(t, 1, res.Accepted, body)
				require.Len(t, res.Rejected, 1, body)
				assert.Equal(t, 1, res.Rejected[0].Index)
				assert.Equal(t, []string{tt.field}, res.Rejected[0].Fields, body)
			}
			ins, err := db.Incidents(context.Background(), 0, 100)
			require.NoError(t, err)
			assert.Len(t, ins, 1)
			fb, err := db.Feedback(context.Background(), 0, 100)
			require.NoError(t, err)
			assert.Len(t, fb, 1)
			q, err := db.Quarantined(context.Background(), 100)
			require.NoError(t, err)
			assert.Len(t, q, len(tests))
		})
	}
}

// Feedback is ingested as the other kinds are: an object, an array or
// NDJSON, each record answered, rejected ones quarantined as feedback.
func TestIngestFeedback(t *testing.T) {
	db := stores(t)["sqlite"](t)
	srv := New(Options{Store: db, Logger: slog.New(slog.DiscardHandler)})
	code, res, body := post(t, srv, "/api/v1/feedback", "application/json",
		`{"id":"F1","system":"payments","score":4,"submitted_at":"2026-01-01T00:00:00Z"}`)
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, IngestResult{Accepted: 1, Rejected: []Rejection{}}, res)

	code, res, body = post(t, srv, "/api/v1/feedback", "application/x-ndjson",
		"{\"id\":\"F2\",\"program\":\"checkout\",\"audience\":\"employee\",\"score\":9,\"scale_min\":0,\"scale_max\":10,\"submitted_at\":\"2026-01-02T00:00:00Z\"}\n"+
			"{\"id\":\"F3\",\"team\":\"sre\",\"score\":6,\"submitted_at\":\"2026-01-02T00:00:00Z\"}\n")
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, IngestResult{Accepted: 1, Rejected: []Rejection{{Index: 1, ID: "F3", Fields: []string{"score"},
		Error: `feedback 1 (id "F3"): field "score": 6 is outside the scale 1 to 5`}}}, res)

	got, err := db.Feedback(context.Background(), 0, 10)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "checkout", got[1].Program)
	assert.Equal(t, record.AudienceEmployee, got[1].Audience)
	q, err := db.Quarantined(context.Background(), 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, record.KindFeedback, q[0].Kind)
}

// A body of a few bytes per record is refused at the record limit: the
// server reads about as far as the limit, not the whole body, and answers
// 413 with what the limit is.
func TestIngestHugeArrayRefusedAtTheLimit(t *testing.T) {
	db := stores(t)["sqlite"](t)
	srv := New(Options{Store: db, Logger: slog.New(slog.DiscardHandler), MaxBatchRecords: 1000})
	body := &countingBody{n: 16 << 20}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/incidents", body)
	srv.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.JSONEq(t, `{"error":"batch has more than the limit of 1000 records (--web.max-batch-records); split it"}`, rec.Body.String())
	assert.Less(t, body.read, 64<<10, "bytes of a %d-byte body read before answering", 2*body.n)
	ins, err := db.Incidents(context.Background(), 0, 10)
	require.NoError(t, err)
	assert.Empty(t, ins)
}

// countingBody is "[0,0,0,…" of n zeros, counting what is read of it.
type countingBody struct {
	n, pos, read int
}

func (b *countingBody) Read(p []byte) (int, error) {
	i := 0
	for ; i < len(p) && b.pos < 2*b.n; i++ {
		switch {
		case b.pos == 0:
			p[i] = '['
		case b.pos == 2*b.n-1:
			p[i] = ']'
		case b.pos%2 == 1:
			p[i] = '0'
		default:
			p[i] = ','
		}
		b.pos++
	}
	b.read += i
	if i == 0 {
		return 0, io.EOF
	}
	return i, nil
}

// What encoding/json would let through altered (invalid UTF-8, a key given
// twice, a number in a string) is rejected per record, with what is wrong.
func TestIngestRefusesWhatWouldBeAltered(t *testing.T) {
	db := stores(t)["sqlite"](t)
	srv := New(Options{Store: db, Logger: slog.New(slog.DiscardHandler)})
	const fields = `"system":"s","opened_at":"2026-01-01T00:00:00Z"`
	body := "[{\"id\":\"ok\",\"severity\":2," + fields + "}," +
		"{\"id\":\"utf8\",\"severity\":2,\"title\":\"caf\xe9\"," + fields + "}," +
		"{\"id\":\"dup\",\"severity\":2,\"severity\":3," + fields + "}," +
		"{\"id\":\"str\",\"severity\":\"2\"," + fields + "}]"
	code, res, raw := post(t, srv, "/api/v1/incidents", "application/json", body)
	require.Equal(t, http.StatusOK, code, raw)
	assert.Equal(t, 1, res.Accepted)
	require.Len(t, res.Rejected, 3, raw)
	assert.Contains(t, res.Rejected[0].Error, "not valid UTF-8")
	assert.Equal(t, `incident 2 (id "dup"): field "severity": is given twice`, res.Rejected[1].Error)
	assert.Equal(t, []string{"severity"}, res.Rejected[2].Fields)
	assert.Contains(t, res.Rejected[2].Error, `got JSON "2"`)
}

package limit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type step struct {
	size    int64 // Content-Length; -1 unknown
	release int   // >0: release the reservation of step release-1 instead
	ok      bool
	inUse   int64 // reserved after the step
}

func sized(n int64) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/incidents", strings.NewReader(""))
	r.ContentLength = n
	return r
}

// TestBodies takes reservations in order and checks which are admitted:
// large bodies fill at most 7/8 of the bound unless alone, small ones the
// rest, unknown lengths count as the largest body, and released room is
// taken again.
func TestBodies(t *testing.T) {
	const max, maxBody = 64 << 20, 32 << 20
	tests := []struct {
		name  string
		steps []step
	}{
		{"two largest bodies, not a third", []step{
			{size: maxBody, ok: true, inUse: maxBody},
			{size: 24 << 20, ok: true, inUse: 56 << 20},
			{size: 1 << 20, ok: true, inUse: 57 << 20}, // small: the reserve
			{size: 2 << 20, ok: false, inUse: 57 << 20},
			{release: 1, inUse: 25 << 20},
			{size: 31 << 20, ok: true, inUse: 56 << 20},
		}},
		{"small bodies use the whole bound", append(append([]step{
			{size: 24 << 20, ok: true, inUse: 24 << 20},
			{size: 32 << 20, ok: true, inUse: 56 << 20},
		}, smallSteps(56<<20, 8)...),
			step{size: 1, ok: false, inUse: 64 << 20},
		)},
		{"unknown length counts as the largest body", []step{
			{size: -1, ok: true, inUse: maxBody + 1},
			{size: -1, ok: false, inUse: maxBody + 1},
			{size: 0, ok: true, inUse: maxBody + 1}, // no body
		}},
		{"more than the largest body counts as it", []step{
			{size: 1 << 40, ok: true, inUse: maxBody + 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBodies(max, maxBody, "--flag")
			releases := make([]func(), len(tt.steps))
			for i, s := range tt.steps {
				if s.release > 0 {
					releases[s.release-1]()
					releases[s.release-1]() // twice is once
				} else {
					rel, ok := b.Take(sized(s.size))
					require.Equal(t, s.ok, ok, "step %d", i)
					releases[i] = rel
				}
				require.Equal(t, s.inUse, b.InFlight(), "step %d", i)
			}
		})
	}
}

// smallSteps are n admitted reservations of 1 MiB, from inUse on.
func smallSteps(inUse int64, n int) []step {
	var out []step
	for range n {
		inUse += 1 << 20
		out = append(out, step{size: 1 << 20, ok: true, inUse: inUse})
	}
	return out
}

// TestBodiesWrap checks the answer past the bound: 503, Retry-After, JSON
// naming the flag, and the handler never called; other routes pass.
func TestBodiesWrap(t *testing.T) {
	b := NewBodies(10, 100, "--web.max-body-bytes-in-flight")
	hold, _ := b.Take(sized(50))
	defer hold()
	called := 0
	h := b.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called++ }),
		func(r *http.Request) string { return r.Method + " " + r.URL.Path },
		func(p string) bool { return p == "POST /api/v1/incidents" })

	w := httptest.NewRecorder()
	h.ServeHTTP(w, sized(20))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "5", w.Header().Get("Retry-After"))
	var body map[string]string
	require.NoError(t, json.NewDecoder(w.Body).Decode(&body))
	assert.Contains(t, body["error"], "--web.max-body-bytes-in-flight")
	assert.Zero(t, called)

	other := httptest.NewRequest(http.MethodPost, "/api/v1/reviews", strings.NewReader("{}"))
	h.ServeHTTP(httptest.NewRecorder(), other)
	assert.Equal(t, 1, called)
}

func TestReadAll(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 1000)
	for _, size := range []int64{-1, 0, 10, 1000, 5000, 1 << 40} {
		got, err := ReadAll(bytes.NewReader(data), size, 5000)
		require.NoError(t, err)
		assert.Equal(t, data, got, "announced %d", size)
		if size <= 5000 && size >= 1000 {
			assert.Equal(t, int(size)+1, cap(got), "allocated once, at the announced size")
		}
	}
	_, err := ReadAll(http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(bytes.NewReader(data)), 10), 1000, 10)
	var tooBig *http.MaxBytesError
	assert.ErrorAs(t, err, &tooBig)
}

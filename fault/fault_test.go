package fault

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKindOf(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	for _, tc := range []struct {
		name   string
		err    error
		kind   Kind
		status int
	}{
		{"no kind", base, Internal, 500},
		{"invalid", Errorf(Invalid, "period %s has not started", "2027-Q2"), Invalid, 400},
		{"wrapped by fmt", fmt.Errorf("report: %w", Errorf(NotFound, "no subject")), NotFound, 404},
		{"outermost kind wins", Wrap(Conflict, fmt.Errorf("freeze: %w", Errorf(Invalid, "x"))), Conflict, 409},
		{"default keeps a kind", Default(Unavailable, fmt.Errorf("a: %w", Errorf(Invalid, "x"))), Invalid, 400},
		{"default gives one", Default(Unavailable, base), Unavailable, 503},
		{"unauthorized", Wrap(Unauthorized, base), Unauthorized, 401},
		{"forbidden", Wrap(Forbidden, base), Forbidden, 403},
		{"too large", Wrap(TooLarge, base), TooLarge, 413},
	} {
		assert.Equal(t, tc.kind, KindOf(tc.err), tc.name)
		assert.Equal(t, tc.status, Status(tc.err), tc.name)
	}
	assert.NoError(t, Wrap(Invalid, nil))
	assert.NoError(t, Default(Invalid, nil))
	err := Errorf(Invalid, "from: %w", base)
	assert.ErrorIs(t, err, base)
	assert.EqualError(t, err, "from: boom")
}

func TestWrite(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Write(rec, fmt.Errorf("reviews: %w", Errorf(Conflict, "period 2026-Q4 has not ended")))
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var body map[string]string
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	assert.Equal(t, map[string]string{"error": "reviews: period 2026-Q4 has not ended"}, body)
}
